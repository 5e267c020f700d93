"""Whole words in lower-case ASCII text, found as ``re``'s ``\\b...\\b`` finds them, with
``str`` methods only.

Reading a sub-task's words is the one use of patterns a tracked run cannot skip, and
compiling the patterns cost more than all the rest of reading (docs/performance.md).
For ASCII text, where ignoring case is ``lower()``, the readers of intent.py and
checks.py use these instead; other text is searched with the patterns. Tests hold each
reader to its pattern on random text.
"""

from __future__ import annotations

from collections.abc import Iterable


def is_word_char(char: str) -> bool:
    """What ``\\w`` matches, for an ASCII character."""
    return char.isalnum() or char == "_"


def occurrences(lower: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) of every place one of ``words`` stands alone in ``lower``, in order."""
    found = []
    size = len(lower)
    for word in words:
        start = lower.find(word)
        while start >= 0:
            end = start + len(word)
            if (start == 0 or not is_word_char(lower[start - 1])) and (
                end == size or not is_word_char(lower[end])
            ):
                found.append((start, end))
            start = lower.find(word, start + 1)
    found.sort()
    return found


def has_word(lower: str, words: Iterable[str]) -> bool:
    """Whether one of ``words`` stands alone in ``lower``."""
    return any(occurrences(lower, (word,)) for word in words if word in lower)


def word_at(lower: str, at: int, words: Iterable[str]) -> bool:
    """Whether one of ``words`` starts at ``at`` and ends a word there (``word\\b``)."""
    for word in words:
        end = at + len(word)
        if lower.startswith(word, at) and (end == len(lower) or not is_word_char(lower[end])):
            return True
    return False


def after_space(lower: str, at: int) -> int | None:
    """Where a run of white space (``\\s+``) that starts at ``at`` ends; None when there
    is none there."""
    end = at
    while end < len(lower) and lower[end].isspace():
        end += 1
    return end if end > at else None


def near(
    lower: str, firsts: list[tuple[int, int]], seconds: list[tuple[int, int]], stops: str
) -> bool:
    """Whether a word of ``seconds`` starts at most 120 characters after a word of
    ``firsts`` ends, with none of ``stops`` between them (``A[^stops]{0,120}?B``)."""
    for _, end in firsts:
        for start, _ in seconds:
            if end <= start <= end + 120 and not any(stop in lower[end:start] for stop in stops):
                return True
    return False
