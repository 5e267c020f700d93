"""Records of named fields kept in ``__slots__``, compared, hashed and shown by their
fields as a named tuple is.

A tracked run defines some thirty record types at import. A ``typing.NamedTuple``
costs 0.9 M instructions to define on Python 3.11 (it compiles each string annotation
and ``eval``s its ``__new__``), a ``@dataclass`` 3.8 M; a plain class with a written
``__init__`` 0.07 M. Records that are not tuples are not unpacked, indexed or ordered.
"""

from __future__ import annotations

from typing import Any, TypeVar

_R = TypeVar("_R", bound="Slotted")


class Slotted:
    """A base for records: a subclass lists its fields in ``__slots__``, in order, and
    sets each in its ``__init__``."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"

    def _asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def _replace(self: _R, **changes: Any) -> _R:
        """A copy with ``changes`` made, as a named tuple's ``_replace``."""
        made = object.__new__(type(self))
        for name in self.__slots__:
            object.__setattr__(made, name, changes.pop(name, getattr(self, name)))
        if changes:
            raise TypeError(f"{type(self).__name__} has no field {sorted(changes)[0]!r}")
        return made
