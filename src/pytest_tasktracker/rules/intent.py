"""What a sub-task's words ask for: tests it names, a run, a red phase, other checks, claims.

These rules read the text a person or an agent wrote, so they are deliberately plain
and documented (docs/linking.md); each is a small regular expression with tests.
"""

from __future__ import annotations

import re

from pytest_tasktracker import words
from pytest_tasktracker.lazyre import Lazy
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.model import SubTask

# A test file or node id: test_x.py, x_test.py, tests/a/test_b.py::TestC::test_d[1]
_TEST_FILE = Lazy(
    r"(?<![\w/\\.-])((?:[\w.-]+[/\\])*(?:test_[\w-]*|[\w-]+_test)\.py)"
    r"((?:::[\w\[\]\-.,=\\]+)*)",
)
_RUN_TESTS = Lazy(
    r"\b(?:run|re-?run|execute|rerun)\b[^.;:]{0,120}?\b(?:tests?|pytest|test[- ]suite|specs?)\b"
    r"|\b(?:tests?|test[- ]suite)\b[^.;]{0,120}?\b(?:pass|passes|passing|green)\b"
    r"|\bpytest\b",
    re.IGNORECASE,
)
_WHOLE_SUITE = Lazy(
    r"\b(?:full|entire|whole|complete)\s+(?:test[- ]suite|tests?|pytest\s+suite)\b"
    r"|\b(?:all|every)\s+(?:the\s+)?tests\b",
    re.IGNORECASE,
)
_RED_PHASE = Lazy(
    r"\b(?:tests?|they|it|them)\b[^.;]{0,120}?\b(?:fail|fails|failing)\b(?!\s+(?:to\s+)?(?:pass))"
    r"|\bred[- ]phase\b|\(red\)",
    re.IGNORECASE,
)
_OTHER_CHECKS = Lazy(
    r"\b(?:pylint|mypy|ruff|flake8|black|isort|pyright|pyre|bandit|eslint|tsc|lint|linting"
    r"|linter|type[- ]?check(?:s|ing)?|manual(?:ly)?|review|browser|format(?:ting)?)\b",
    re.IGNORECASE,
)


# ``<!-- tests: tests/test_cache.py, tests/test_x.py::test_y -->``
_EXPLICIT = Lazy(r"<!--\s*tests?\s*:\s*([^>]{0,4000}?)\s*-->", re.IGNORECASE)
# Words before or in a "tests fail" that make it the opposite of a red phase: "make sure
# no test fails", "they do not fail", "none of them fail", "fix the code if they fail".
_NOT_RED = Lazy(
    r"\b(?:no|not|none|never|nothing|nobody|neither|nor|without|unless|zero)\b|n't\b"
    r"|\bif\s+(?:any\s+(?:of\s+)?)?(?:the\s+)?(?:tests?|they|it|them)\b",
    re.IGNORECASE,
)
# The words of a tick that admit nothing was verified.
_CLAIM = Lazy(
    r"\bBLOCKED\b"
    r"|\bverified\s+(?:via|by|through|with)\s+(?:code\s+)?(?:review|reading|inspection)\b"
    r"|\b(?:via|by)\s+code\s+review\b"
    r"|\bdeferred\s+to\s+CI\b"
    r"|\bcould\s*(?:not|n't)\s+(?:be\s+)?(?:run|execute|executed|collect|verify|verified|tested)\b"
    r"|\bcan(?:not|'t)\s+(?:be\s+)?(?:run|execute|executed|verify|verified)\b"
    r"|\bunable\s+to\s+(?:run|execute|verify)\b"
    r"|\b(?:not|never)\s+(?:been\s+)?(?:run|executed|verified|tested)\b"
    r"|\bshould\s+pass\s+when\b"
    r"|\bskipped\s+(?:the\s+)?tests?\b",
    re.IGNORECASE,
)


class Intent(Slotted):
    """What a sub-task asks for, read from its words."""

    __slots__ = ("explicit", "named", "runs_tests", "whole_suite", "red_phase", "other_checks")

    def __init__(
        self,
        explicit: tuple[str, ...],
        named: tuple[str, ...],
        runs_tests: bool,
        whole_suite: bool,
        red_phase: bool,
        other_checks: bool,
    ) -> None:
        self.explicit = explicit  # from <!-- tests: ... -->
        self.named = named  # test files and node ids its first paragraph names
        # asks to run tests without naming them ("Run tests to verify ...")
        self.runs_tests = runs_tests
        self.whole_suite = whole_suite  # asks for the full suite
        self.red_phase = red_phase  # expects tests to fail (TDD): never ticked or unticked
        # also names checks no test can prove (pylint, mypy, review)
        self.other_checks = other_checks

    @property
    def verifiable(self) -> bool:
        """Whether a test run can speak to this sub-task at all."""
        return bool(self.explicit or self.named or self.runs_tests)


def explicit_links(text: str) -> tuple[str, ...]:
    if "<!--" not in text:
        return ()
    targets: list[str] = []
    for match in _EXPLICIT().finditer(text):
        targets.extend(part.strip() for part in re.split(r"[,\s]+", match.group(1)))
    return tuple(target for target in targets if target)


def named_tests(text: str) -> tuple[str, ...]:
    """Test files and node ids named in ``text``, in order, without repeats."""
    if ".py" not in text:
        return ()
    found = _plain_test_paths(text)
    if found is None:
        found = [path.replace("\\", "/") + nodes for path, nodes in _TEST_FILE().findall(text)]
    return tuple(dict.fromkeys(found))


_PATH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")
_BEFORE_PATH = "`'\"([<*"  # marks a plain path may stand in: `tests/test_a.py`, (test_a.py)
_AFTER_PATH = "`'\")]>*,;:!?."


def _plain_test_paths(text: str) -> list[str] | None:
    """What ``_TEST_FILE`` finds in ASCII text whose every word holding ".py" is a plain
    test file's path (``tests/test_a.py``, also in backticks or brackets, or before a
    comma or a full stop), read without the pattern; None for any other text (a node
    id, a backslash, a name that is not a test file's), which the pattern reads."""
    if not text.isascii() or "\\" in text or "::" in text:
        return None
    found = []
    for word in text.split():
        if ".py" not in word:
            continue
        path = word.lstrip(_BEFORE_PATH).rstrip(_AFTER_PATH)
        if not path.endswith(".py") or not _PATH_CHARS.issuperset(path):
            return None
        *folders, name = path[:-3].split("/")
        if not (_test_file_name(name) and all(folders)):  # "a//b", "/a": not what it reads
            return None
        found.append(path)
    return found


def _test_file_name(name: str) -> bool:
    """``test_[\\w-]*`` or ``[\\w-]+_test``, for a name of path characters."""
    if "." in name:
        return False
    return name.startswith("test_") or (len(name) > 5 and name.endswith("_test"))


# Words are read from the first few thousand characters: what a sub-task asks for is at
# its start, and a bounded input keeps every pattern linear on hostile text.
MAX_TEXT = 4000
MAX_NOTES = 20000


# Words each pattern needs, for ASCII text (where ignoring case is lower()): a text
# without them is not searched. Most sub-tasks name no other check and admit nothing.
_NEEDS: dict[Lazy[str], tuple[str, ...]] = {
    # pylint, eslint, lint(ing|er) share "lint"; pyright and pyre "pyr"; type-check "check"
    _OTHER_CHECKS: (
        *("lint", "mypy", "ruff", "flake8", "black", "isort", "pyr", "bandit", "tsc"),
        *("check", "manual", "review", "browser", "format"),
    ),
    _CLAIM: (
        *("blocked", "verified", "review", "deferred", "could", "not", "can't", "unable"),
        *("never", "should", "skipped"),
    ),
}


def _search(pattern: Lazy[str], text: str, lower: str | None) -> re.Match[str] | None:
    """``pattern`` searched in ``text``, unless ``lower`` (ASCII text) lacks every word
    it needs."""
    if lower is not None and not any(word in lower for word in _NEEDS[pattern]):
        return None
    return pattern().search(text)


def _says(pattern: Lazy[str], text: str, lower: str | None) -> bool:
    return _search(pattern, text, lower) is not None


def _as_read(text: str) -> str:
    """``text`` without the characters a reader does not see (``_UNSEEN``)."""
    return text if text.isascii() else text.translate(_UNSEEN)


def _ascii_lower(text: str) -> str | None:
    """``text`` in lower case where that is what ``re.IGNORECASE`` compares (ASCII text);
    None for other text, which is searched whole."""
    return text.lower() if text.isascii() else None


def _runs_tests(lower: str) -> bool:
    """``_RUN_TESTS``, read from the words of ASCII text."""
    if words.has_word(lower, ("pytest",)):
        return True
    tests = words.occurrences(lower, ("test", "tests"))  # and "test suite", "test-suite"
    runs = words.occurrences(lower, ("run", "rerun", "execute"))  # "re-run" ends in "run"
    if runs:
        named = tests + words.occurrences(lower, ("spec", "specs"))
        if words.near(lower, runs, named, ".;:"):
            return True
    passes = words.occurrences(lower, ("pass", "passes", "passing", "green"))
    if not (tests and passes):
        return False
    # "test suite" and "test-suite" end later than their "test" ("tests suite" does not)
    suites = [
        (start, end + len(" suite"))
        for start, end in tests
        if end - start == len("test")
        and lower[end : end + 1] in ("-", " ")
        and words.word_at(lower, end + 1, ("suite",))
    ]
    return words.near(lower, tests + suites, passes, ".;")


def _whole_suite(lower: str) -> bool:
    """``_WHOLE_SUITE``, read from the words of ASCII text."""
    for _, end in words.occurrences(lower, ("full", "entire", "whole", "complete")):
        at = words.after_space(lower, end)
        if at is None:
            continue
        if words.word_at(lower, at, ("test", "tests")):  # "test suite", "test-suite"
            return True
        if words.word_at(lower, at, ("pytest",)):
            suite = words.after_space(lower, at + len("pytest"))
            if suite is not None and words.word_at(lower, suite, ("suite",)):
                return True
    for _, end in words.occurrences(lower, ("all", "every")):
        at = words.after_space(lower, end)
        if at is None:
            continue
        if words.word_at(lower, at, ("tests",)):
            return True
        if words.word_at(lower, at, ("the",)):
            tests = words.after_space(lower, at + len("the"))
            if tests is not None and words.word_at(lower, tests, ("tests",)):
                return True
    return False


def _red_phase(text: str, lower: str | None) -> bool | None:
    """Whether the words expect tests to fail (a TDD red phase: "verify they fail",
    "red phase"): True; False when they speak of tests failing only to ask that none
    do ("make sure no test fails", "fix the code if they fail"), which asks for a
    passing run; None when they do not speak of it. A red phase is ticked without
    passing evidence, so a negation near "fail" is read the safe way."""
    if lower is not None and not (
        words.has_word(lower, ("fail", "fails", "failing")) or "red" in lower
    ):
        return None
    found = None
    for match in _RED_PHASE().finditer(text):
        if match.group(0).lower().startswith(("red", "(red")):
            return True
        if not _NOT_RED().search(text, max(0, match.start() - 24), match.end()):
            return True
        found = False
    return found


# Characters a reader does not see (Unicode's format characters that text pasted from a
# web page or a word processor carries: a soft hyphen, zero-width spaces and joiners,
# direction marks, a byte order mark): read as not there, so that ``test_iter\u00adtoolz.py``
# names the file every reader sees.
_UNSEEN = dict.fromkeys(
    [
        *(0x00AD, 0x061C, 0x180E, 0xFEFF),
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2065),
        *range(0x2066, 0x2070),
    ]
)


def read_intent(subtask: SubTask) -> Intent:
    text = _as_read(subtask.text[:MAX_TEXT])
    lower = _ascii_lower(text)
    red_phase = _red_phase(text, lower)
    return Intent(
        explicit=explicit_links(subtask.full_text[:MAX_NOTES]),
        named=named_tests(text),
        runs_tests=(
            _runs_tests(lower) if lower is not None else _RUN_TESTS().search(text) is not None
        )
        or red_phase is False,
        whole_suite=(
            _whole_suite(lower) if lower is not None else _WHOLE_SUITE().search(text) is not None
        ),
        red_phase=red_phase is True,
        other_checks=_says(_OTHER_CHECKS, text, lower),
    )


def unverified_claim(subtask: SubTask) -> str | None:
    """The words in a sub-task (or its notes) that admit it was not verified, if any."""
    text = _as_read(subtask.full_text[:MAX_NOTES])  # "BLOC\u00adKED" reads as BLOCKED
    match = _search(_CLAIM, text, _ascii_lower(text))
    return match.group(0) if match else None
