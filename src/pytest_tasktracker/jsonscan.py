"""JSON read and written with the C halves that ``json.loads`` and ``json.dumps`` run,
without importing the ``json`` package: it imports ``re``, which costs the hook's quick
path 25 M instructions (a third of Python's start)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing's costs 40 M instructions (it imports re)
if TYPE_CHECKING:
    from typing import Any


class _Context:
    """What ``_json.make_scanner`` reads from a decoder: json.loads' defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf")}.get(name, float("nan"))


def loads(text: str) -> Any:
    """``json.loads`` without importing the ``json`` package (and with it ``re``): its C
    scanner, which is what json.loads runs. Raises ValueError on invalid JSON."""
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - a Python without the C accelerator
        import json

        return json.loads(text)
    text = text.strip(" \t\n\r")
    try:
        value, end = make_scanner(_Context)(text, 0)  # type: ignore[arg-type]  # duck-typed
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(text):
        raise ValueError("extra data after the JSON value")
    return value


def _not_serializable(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """``json.dumps(value)`` (its defaults: ASCII, ``", "`` and ``": "``) without
    importing the ``json`` package: its C encoder, which is what json.dumps runs."""
    try:
        from _json import encode_basestring_ascii, make_encoder
    except ImportError:  # pragma: no cover - a Python without the C accelerator
        import json

        return json.dumps(value)
    encoder = make_encoder(
        {}, _not_serializable, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return "".join(encoder(value, 0))
