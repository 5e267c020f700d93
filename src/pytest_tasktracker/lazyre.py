"""Regular expressions compiled the first time they are used.

Compiling a pattern is pure Python in ``re`` and costs 0.1 M to 6 M instructions; a
tracked run that compiled every pattern its modules name at import spent more on that
than on judging a thousand tests (docs/performance.md). A ``Lazy`` pattern costs nothing
until a text needs it: call it for the compiled pattern.

    _SPACE = Lazy(r"\\s+")
    _SPACE().sub(" ", text)

Where a pattern can only match a text that holds certain words, callers test for them
first (``str`` methods cost little): a tracker whose words never need a pattern never
compiles it.
"""

from __future__ import annotations

import re
from typing import AnyStr, Generic


class Lazy(Generic[AnyStr]):
    """A regular expression compiled on its first call, then kept."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: AnyStr, flags: int = 0) -> None:
        self._pattern: AnyStr = pattern
        self._flags: int = flags
        self._compiled: re.Pattern[AnyStr] | None = None

    def __call__(self) -> re.Pattern[AnyStr]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._pattern, self._flags)
        return compiled

    def __repr__(self) -> str:
        return f"Lazy({self._pattern!r}, {self._flags})"
