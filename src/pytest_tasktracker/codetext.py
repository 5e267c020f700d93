"""Where text reads as Python code, so that redaction leaves it as it is.

A ``key = value`` whose key names a secret (``token``, ``password``, ``session``) is a
secret in a log line or an ini file, and code in a traceback: ``session.exitstatus =
doit(config, session) or 0`` is a line of pytest itself. This module tells the two apart
by where the text stands, as formatted Python (ruff, black) writes it:

- an assignment statement: ``target = value`` at the start of a line (after a
  traceback's ``>`` or ``INTERNALERROR>``), with spaces around ``=``;
- a keyword argument or a parameter: ``f(a, token=tok)``, ``def f(token: str)``, also
  on a line of its own in a call or signature split over lines (``    token=tok,``);
- a lambda's parameter (``lambda token: token.strip()``) and an annotation
  (``token: str``, ``session: Session | None = None``);
- a dict entry whose key is quoted and whose value is not (``{"token": tok}``): JSON
  never has an unquoted name for a value.

There a value that is a name, a call, a subscript, a number or a type is code. A string
is not (``password = "hunter2"`` is a secret), unless it is made of placeholders only
(``f"Bearer {token}"``, ``"{password}"``). Anywhere else a plain word is a value:
``DB_PASSWORD=hunter2``, ``password: hunter2`` in YAML.

The patterns are compiled on first use: most text never gets this far.
"""

from __future__ import annotations

import functools
import re

from pytest_tasktracker.slotted import Slotted

LOOKBACK = 1000  # how far along its line a key's context is read, each way


class _Patterns(Slotted):
    __slots__ = (
        "statement",
        "argument",
        "lambda_params",
        "annotated",
        "name",
        "value",
        "type_name",
        "file_name",
        "placeholder",
        "template",
        "in_braces",
    )

    def __init__(
        self,
        statement: re.Pattern[str],
        argument: re.Pattern[str],
        lambda_params: re.Pattern[str],
        annotated: re.Pattern[str],
        name: re.Pattern[str],
        value: re.Pattern[str],
        type_name: re.Pattern[str],
        file_name: re.Pattern[str],
        placeholder: re.Pattern[str],
        template: re.Pattern[str],
        in_braces: re.Pattern[str],
    ) -> None:
        self.statement = statement  # what may stand on a line before an assignment's target
        self.argument = argument  # the end of the text before a keyword argument
        self.lambda_params = lambda_params
        self.annotated = annotated  # the end of the text before an annotation's type
        self.name = name  # a target: a name or an attribute
        self.value = value  # the start of an expression that is not a string
        self.type_name = type_name  # an annotation's type
        self.file_name = file_name
        self.placeholder = placeholder
        self.template = template  # a string literal with a placeholder in it
        self.in_braces = in_braces


@functools.cache
def _patterns() -> _Patterns:
    return _Patterns(
        re.compile(r"[ \t]*(?:(?:INTERNALERROR)?>[ \t]*)?(?:[\w.]+[ \t]*,[ \t]*)*\Z"),
        re.compile(r"(?:\(|,[ \t]?)(?:\w+:[ \t]*)?\Z"),
        re.compile(r"\blambda[ \t]+(?:\w+[ \t]*,[ \t]*)*\Z"),
        re.compile(r"[\w.]+:[ \t]*\Z"),
        re.compile(r"[A-Za-z_][\w.]*\Z"),
        re.compile(r"(?:[-+~]|\*\*?)?[\w(\[{](?:[\w.(\[{:*~-]|(?<!=)=(?!=))*\Z"),
        re.compile(
            r"(?:(?:[A-Z][a-z]+)+|str|int|float|bool|bytes|object|list|dict|set|tuple|type"
            r"|None|Any|[A-Za-z_]\w*\.[\w.]+)\Z|[A-Za-z_][\w.]*\[[\w.\[]*\Z"
        ),
        re.compile(
            r"(?i)\.(?:py[icdwx]?|txt|md|rst|cfg|ini|toml|json|ya?ml|log|lock|html?|js|ts|sh)\Z"
        ),
        re.compile(r"%[sdrif]|%\(\w+\)[sdrif]|\{\w*(?:\.\w+)*\}|\$\{?\w+\}?|<\w[\w-]*>"),
        re.compile(r"(?i)[rbfu]{0,2}([\"'])(.*\{[^{}]*\}.*)\1\Z"),
        re.compile(r"\{[^{}]*\}"),
    )


def placeholder(value: str) -> bool:
    """Whether ``value`` is a template's placeholder (``%s``, ``{password}``,
    ``$TOKEN``, ``<token>``), not a value."""
    return _patterns().placeholder.fullmatch(value) is not None


def template_string(value: str) -> bool:
    """Whether ``value`` is a string literal made of placeholders and short words
    (``f"Bearer {token}"``): what is left without its placeholders holds no run of eight
    or more characters that could be a secret."""
    found = _patterns().template.match(value)
    if found is None:
        return False
    rest = _patterns().in_braces.sub(" ", found.group(2))
    return all(len(word) < 8 for word in rest.split())


def is_file_name(key: str) -> bool:
    """Whether ``key`` (before a ``:``) is a file name: ``src/auth.py:12:``."""
    return _patterns().file_name.search(key) is not None


def is_expression(value: str) -> bool:
    """Whether ``value`` starts an expression that is not a string: a name, a call, a
    subscript, a number, a tuple or list (``f(token=get(``: a call's keyword argument
    holds its ``=``). Formatted code puts spaces around a binary operator, so
    ``abc+def/ghi==`` is a value (base64), not an expression."""
    return _patterns().value.match(value) is not None


def in_code(text: str, start: int, key: str, value: str, end: int) -> bool:
    """Whether the ``key`` (with its separator, as matched at ``start``) and ``value``
    (ending at ``end``) of ``text`` are code: a lambda's parameter and body, or an
    expression (``is_expression``) where formatted Python has a keyword argument, a
    parameter, an assignment statement, an annotation or a dict entry."""
    patterns = _patterns()
    window = max(0, start - LOOKBACK)
    newline = text.rfind("\n", window, start)
    whole_line = newline >= 0 or window == 0
    prefix = text[newline + 1 if newline >= 0 else window : start]
    head = key.rstrip()
    separator, name = head[-1], head[:-1].rstrip()
    if separator == ":" and _ends_with(patterns.lambda_params, prefix):  # lambda token: body
        return True
    quoted = name[-1:] in ("'", '"')
    if not quoted and patterns.name.match(name) is None:
        return False
    argument = _ends_with(patterns.argument, prefix) and prefix.count("(") > prefix.count(")")
    statement = whole_line and patterns.statement.match(prefix) is not None
    spaced = key.endswith(" ") and head[:-1].endswith(" ")
    if separator == "=" and spaced and _annotates(prefix, name, whole_line):
        return True  # x: Session = value: the key is x's type, and the value is x's
    if not is_expression(value):
        return False
    if quoted:  # {"token": tok}
        return separator == ":"
    after = text[end : end + 2]
    if separator == "=":
        if spaced:  # target = value
            return statement or argument
        # f(token=tok), or "    token=tok," on a line of a call split over lines
        return argument or (statement and _ends_an_argument(text, end))
    if argument:  # def f(token: str)
        return True
    return statement and (
        patterns.type_name.match(value) is not None or after in (" =", " |") or after[:1] == ","
    )


def _ends_an_argument(text: str, end: int) -> bool:
    """Whether the line from ``end`` on ends as an argument of a call split over lines
    does (``,`` or ``)``); an ``.env`` line ``TOKEN=value`` does not."""
    stop = text.find("\n", end, end + LOOKBACK)
    rest = text[end : stop if stop >= 0 else end + LOOKBACK].rstrip()
    return rest.endswith((",", ")"))


def _annotates(prefix: str, name: str, whole_line: bool) -> bool:
    """Whether ``name`` is the type of an annotated name: ``x: Session = ...`` as a
    statement or a parameter (``RuntimeError: token = abc`` is a message: ``token`` is
    no type)."""
    patterns = _patterns()
    found = patterns.annotated.search(prefix, max(0, len(prefix) - _TAIL))
    if found is None or patterns.type_name.match(name) is None:
        return False
    before = prefix[: found.start()]
    if _ends_with(patterns.argument, before) and before.count("(") > before.count(")"):
        return True
    return whole_line and patterns.statement.match(before) is not None


_TAIL = 120  # what a pattern that ends a prefix (\Z) may need of it


def _ends_with(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``pattern`` (anchored at the end) matches the end of ``text``; only its
    last characters are searched, so many keys on one long line stay linear."""
    return pattern.search(text, max(0, len(text) - _TAIL)) is not None
