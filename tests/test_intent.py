"""What a sub-task's words ask for, table-driven: one row per alternative of each rule,
so that deleting any phrase from a pattern turns a row red."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_tasktracker.rules.intent import Intent, read_intent, unverified_claim
from pytest_tasktracker.tracker.model import SubTask, parse


def subtask(text: str, notes: str = "") -> SubTask:
    (found,) = parse(f"### Step 1: S\n- [x] {text}\n{notes}").subtasks
    return found


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        ("Run tests (BLOCKED: no xdist)", "BLOCKED"),
        ("Tests pass, verified via code review", "verified via code review"),
        ("Checked, verified by reading the diff", "verified by reading"),
        ("Verified through inspection", "Verified through inspection"),
        ("Verified with code reading", "Verified with code reading"),
        ("Backward compatible by code review", "by code review"),
        ("Done; deferred to CI", "deferred to CI"),
        ("pytest could not be run here", "could not be run"),
        ("pytest couldn't execute", "couldn't execute"),
        ("the suite could not collect", "could not collect"),
        ("could not be verified locally", "could not be verified"),
        ("tests could not be tested", "could not be tested"),
        ("the checker cannot run", "cannot run"),
        ("the suite can't be executed", "can't be executed"),
        ("this cannot be verified", "cannot be verified"),
        ("unable to run pytest", "unable to run"),
        ("unable to execute the tests", "unable to execute"),
        ("unable to verify", "unable to verify"),
        ("tests not run yet", "not run"),
        ("never executed", "never executed"),
        ("not been verified", "not been verified"),
        ("never tested on Windows", "never tested"),
        ("should pass when xdist is installed", "should pass when"),
        ("skipped the tests", "skipped the tests"),
        ("skipped tests for now", "skipped tests"),
    ],
)
def test_every_claim_phrase_is_caught_in_the_text(text: str, claim: str) -> None:
    assert unverified_claim(subtask(text)) == claim


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        ("BLOC\u00adKED: environment issue", "BLOCKED"),  # a soft hyphen
        ("verified via code\u200b review", "verified via code review"),  # zero-width space
        ("could\u2060 not be run", "could not be run"),  # word joiner
    ],
)
def test_a_claim_with_characters_no_reader_sees_is_caught(text: str, claim: str) -> None:
    """Characters a reader does not see (pasted from a web page) do not hide a claim."""
    assert unverified_claim(subtask(text)) == claim


def test_a_claim_in_a_continuation_line_is_caught() -> None:
    found = subtask("Run tests to verify they pass", "  - could not run: deferred to CI\n")
    assert unverified_claim(found) == "could not run"


@pytest.mark.parametrize(
    "text",
    [
        "Run tests to verify they pass",
        "Unblock the release job",
        "Review the code",
        "Implement verification of the cache",
        "Add a not-run outcome",
    ],
)
def test_ordinary_words_are_not_claims(text: str) -> None:
    assert unverified_claim(subtask(text)) is None


def intent(**fields: object) -> Intent:
    base: dict[str, object] = {
        "explicit": (),
        "named": (),
        "runs_tests": False,
        "whole_suite": False,
        "red_phase": False,
        "other_checks": False,
    }
    base.update(fields)
    return Intent(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Run tests to verify they pass", intent(runs_tests=True)),
        ("Re-run the specs", intent(runs_tests=True)),
        ("Execute pytest", intent(runs_tests=True)),
        ("Rerun the test suite", intent(runs_tests=True)),
        ("Make sure the tests are green", intent(runs_tests=True)),
        ("The test suite passes", intent(runs_tests=True)),
        ("Check pytest output", intent(runs_tests=True)),
        ("Run the full test suite", intent(runs_tests=True, whole_suite=True)),
        ("Run the entire test suite", intent(runs_tests=True, whole_suite=True)),
        ("Run the whole tests", intent(runs_tests=True, whole_suite=True)),
        ("Run the complete pytest suite", intent(runs_tests=True, whole_suite=True)),
        ("Checkpoint - Ensure all tests pass", intent(runs_tests=True, whole_suite=True)),
        ("Ensure every test passes", intent(runs_tests=True)),
        ("Make sure all the tests pass", intent(runs_tests=True, whole_suite=True)),
        ("Run the entire test file", intent(runs_tests=True, whole_suite=True)),
        ("Run tests to verify they fail (TDD approach)", intent(runs_tests=True, red_phase=True)),
        ("Run the tests: red phase", intent(runs_tests=True, red_phase=True)),
        ("Write the failing tests (red)", intent(red_phase=True)),
        ("Check that it fails to pass", intent()),
        ("Run tests to verify they fail before the fix", intent(runs_tests=True, red_phase=True)),
        ("Verify the tests fail when the parser is missing", intent(red_phase=True)),
        # asking for a pass in words about failing: not a red phase (it would tick free)
        (
            "Run pytest on test_recipes.py and make sure no test fails",
            intent(runs_tests=True, named=("test_recipes.py",)),
        ),
        ("Ensure no tests fail", intent(runs_tests=True)),
        ("Verify tests do not fail after the refactor", intent(runs_tests=True)),
        ("Verify the tests don't fail", intent(runs_tests=True)),
        ("Run all tests and ensure none of them fail", intent(runs_tests=True, whole_suite=True)),
        ("Run the tests, and fix the code if they fail", intent(runs_tests=True)),
        ("Run the tests; tests should never fail", intent(runs_tests=True)),
        ("Implement the cache", intent()),
        # characters a reader does not see name what the reader sees
        (
            "Run pytest on toolz/tests/test_iter\u00adtoolz.py and fix all failures",
            intent(runs_tests=True, named=("toolz/tests/test_itertoolz.py",)),
        ),
        (
            "Run pytest on \u200btest_a.py\u200f",
            intent(runs_tests=True, named=("test_a.py",)),
        ),
        ("Run pylint and fix all issues", intent(other_checks=True)),
        ("Quality checks: pylint, pytest, mypy", intent(runs_tests=True, other_checks=True)),
    ],
)
def test_what_a_sub_task_asks_for(text: str, expected: Intent) -> None:
    assert read_intent(subtask(text)) == expected


@pytest.mark.parametrize(
    "word",
    [
        "pylint",
        "mypy",
        "ruff",
        "flake8",
        "black",
        "isort",
        "pyright",
        "pyre",
        "bandit",
        "eslint",
        "tsc",
        "lint",
        "linting",
        "linter",
        "typecheck",
        "type-checks",
        "type checking",
        "manual",
        "manually",
        "review",
        "browser",
        "format",
        "formatting",
    ],
)
def test_every_other_check_is_named(word: str) -> None:
    assert read_intent(subtask(f"Do the {word} pass")).other_checks


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Run pytest on test_a.py", ("test_a.py",)),
        ("Fix tests/unit/test_b.py::TestX::test_y[1]", ("tests/unit/test_b.py::TestX::test_y[1]",)),
        ("Run a_test.py and tests\\c_test.py", ("a_test.py", "tests/c_test.py")),
        ("Fix test_a.py twice: test_a.py", ("test_a.py",)),
        ("Edit conftest.py and setup.py", ()),
        ("Fix mytest_a.py", ()),
    ],
)
def test_the_test_files_a_sub_task_names(text: str, named: tuple[str, ...]) -> None:
    assert read_intent(subtask(text)).named == named


def test_explicit_links_come_from_a_tests_comment_in_the_notes_too() -> None:
    found = subtask(
        "Cache <!-- tests: tests/a.py, tests/b.py::t -->", "  <!-- test: tests/c/ -->\n"
    )
    assert read_intent(found).explicit == ("tests/a.py", "tests/b.py::t", "tests/c/")


@pytest.mark.parametrize(
    ("fields", "verifiable"),
    [
        ({}, False),
        ({"explicit": ("t.py",)}, True),
        ({"named": ("test_a.py",)}, True),
        ({"runs_tests": True}, True),
        ({"other_checks": True, "red_phase": True, "whole_suite": True}, False),
    ],
)
def test_a_sub_task_is_verifiable_when_any_rule_can_link_it(
    fields: dict[str, object], verifiable: bool
) -> None:
    assert intent(**fields).verifiable is verifiable


MAX_NOTES = 20_000  # characters of a sub-task and its notes read for claims and links
MAX_TEXT = 4_000  # characters of its first paragraph read for what it asks


def test_words_are_read_from_a_bounded_start_and_no_further() -> None:
    """A phrase that ends one character past the bound is not read; one that ends at it is."""
    source_prefix = len("- [x] ")
    at_bound = "a" * (MAX_NOTES - source_prefix - len(" BLOCKED")) + " BLOCKED"
    assert unverified_claim(subtask(at_bound)) == "BLOCKED"
    assert unverified_claim(subtask("a" + at_bound)) is None
    text_at_bound = "a" * (MAX_TEXT - len(" pytest")) + " pytest"
    assert read_intent(subtask(text_at_bound)).runs_tests
    assert not read_intent(subtask("a" + text_at_bound)).runs_tests


WORDS = st.sampled_from(
    [
        *("Run", "run", "RERUN", "re-run", "execute", "the", "all", "every", "full", "whole"),
        *("TESTS", "Tests", "test_a.py", "pytest", "PyTest", "suite", "test-suite", "specs"),
        *("pass", "passes", "GREEN", "fail", "FAILS", "failing", "Red", "red-phase", "(red)"),
        *("they", "it", "them", "to", "verify", ".", ";", ":", "mypy", "lint", "review"),
        *("<!--", "tests:", "a.py", "-->", "x", "y"),
        # the words the filters of other checks and of claims look for, and near misses
        *("pylint", "flake8", "Type-Check", "typechecking", "manually", "formatting"),
        *("browser", "pyright", "BLOCKED", "blocked", "Verified", "via", "by", "code"),
        *("deferred", "CI", "could", "not", "n't", "cannot", "can't", "unable", "never"),
        *("been", "should", "when", "skipped", "failures", "failed", "_fail", "fail_"),
        *("fails2", "prefail", "unred", "(Red)", "linter", "check"),
    ]
)


@given(st.lists(WORDS, max_size=14).map(" ".join))
def test_the_word_filters_never_hide_a_match(text: str) -> None:
    """A pattern's needed words are a filter only: on any text it agrees with a search."""
    from pytest_tasktracker.rules import intent as rules

    subtask = parse(f"- [ ] Do {text}\n").subtasks[0]
    found = read_intent(subtask)
    text = subtask.text
    lower = text.lower()  # the words are ASCII: a filter reads them in lower case
    patterns = (rules._RUN_TESTS, rules._WHOLE_SUITE, rules._OTHER_CHECKS)
    searched = tuple(pattern().search(text) is not None for pattern in patterns)
    read = (rules._runs_tests(lower), rules._whole_suite(lower))
    assert (*read, rules._says(rules._OTHER_CHECKS, text, lower)) == searched
    assert rules._red_phase(text, lower) == rules._red_phase(text, None)  # None: no filter
    assert (found.whole_suite, found.other_checks) == searched[1:]
    claim = rules._CLAIM().search(subtask.full_text)
    assert unverified_claim(subtask) == (claim.group(0) if claim else None)


@given(st.text(alphabet="failngsred_-(). \tRFILC", max_size=40))
@example("fail_")
@example("2fails")
@example("they failing.")
def test_the_whole_word_filter_agrees_with_the_pattern(text: str) -> None:
    """The red phase's filter looks for "fail", "fails" or "failing" as a word, as the
    pattern's ``\\b`` does: letters, digits and "_" join a word; anything else ends it."""
    from pytest_tasktracker import words

    found = [m.span() for m in re.finditer(r"\b(?:fail|fails|failing)\b", text, re.IGNORECASE)]
    assert words.occurrences(text.lower(), ("fail", "fails", "failing")) == found
    assert words.has_word(text.lower(), ("fail", "fails", "failing")) == bool(found)


PIECES = st.sampled_from(
    [
        *("run", "re-run", "rerun", "execute", "test", "tests", "pytest", "spec", "specs"),
        *("suite", "pass", "passing", "green", "full", "entire", "whole", "complete", "all"),
        *("every", "the", "Tests", "PYTEST", "x" * 60, "xrun", "run_", "test2", "tests_"),
        *("test-suite", "test suite", "test-", "suite_", "x" * 55),
    ]
)
GAPS = st.sampled_from([" ", "  ", "\t", "\n", "\x1c", "-", "_", ".", ";", ":", ",", "", " . "])


@given(st.lists(st.tuples(PIECES, GAPS), max_size=12))
@example([("run", " "), ("x" * 60, " "), ("x" * 60, ""), ("tests", "")])  # 121 apart
@example([("run", " "), ("x" * 60, " "), ("x" * 58, " "), ("tests", "")])  # 120 apart
@example([("all", "\x1c"), ("the", "\t"), ("tests", "")])
@example([("test-suite", " "), ("x" * 55, " "), ("x" * 60, " "), ("green", "")])  # from "suite"
@example([("tests", " "), ("suite", " "), ("x" * 55, " "), ("x" * 59, " "), ("pass", "")])
@example([("full", " "), ("pytest", "\n"), ("suite", "")])
def test_the_word_readers_agree_with_their_patterns(parts: list[tuple[str, str]]) -> None:
    """What a sub-task asks for, read from its ASCII words, is what the patterns find:
    words and what stands between them (white space, punctuation, word characters,
    gaps near the 120 characters a phrase may span) drawn at random."""
    from pytest_tasktracker.rules import intent as rules

    text = "".join(piece + gap for piece, gap in parts)
    lower = text.lower()
    assert rules._runs_tests(lower) == (rules._RUN_TESTS().search(text) is not None)
    assert rules._whole_suite(lower) == (rules._WHOLE_SUITE().search(text) is not None)


PATH_WORDS = st.sampled_from(
    [
        *("tests/test_a.py", "test_b.py", "a_test.py", "_test.py", "x/y/test_c.py"),
        *("./test_d.py", "a//test_e.py", "test_f.py::g", "test_g.pyc", "`tests/test_h.py`"),
        *("(test_i.py)", "test_j.py,", "test_k.py.", "**test_l.py**", "Test_m.py"),
        *("test_n.b.py", "a.py/test_o.py", "tests\\\\test_p.py", "é/test_q.py", "test_r.py:"),
        *("test_s.py::", "run", "x.py", "test_t.py]", "[test_u.py", "a-b_test.py", "/test_.py"),
    ]
)


@given(st.lists(st.tuples(PATH_WORDS, st.sampled_from([" ", "\n", "", ",", "`", "'"]))))
@example([("'/test_.py.,'", "")])
def test_named_test_files_are_what_the_pattern_finds(parts: list[tuple[str, str]]) -> None:
    """Plain paths are read without the pattern; any other text by it: the same files."""
    from pytest_tasktracker.rules import intent as rules

    text = "".join(word + gap for word, gap in parts)
    found = [p.replace("\\\\", "/") + n for p, n in rules._TEST_FILE().findall(text)]
    assert rules.named_tests(text) == tuple(dict.fromkeys(found))
