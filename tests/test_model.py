"""The whole model of every corpus tracker, and of a tracker of hard cases, field by field,
against tests/golden/model.json: ids, titles, lines, kinds, offsets, statuses, full texts,
links and counts. After a deliberate change: ``UPDATE_GOLDEN=1 pytest
tests/test_model.py``, then review the diff. The fast tests the mutation score of
tracker/model.py is measured with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import Golden
from pytest_tasktracker.errors import SubTaskReferenceError
from pytest_tasktracker.tracker.model import Tracker, parse, slugify, strip_comments

CORPUS = Path(__file__).parent / "corpus"
GOLDEN = Path(__file__).parent / "golden" / "model.json"

HARD = """\
---
title: front matter
---
# Tasks

Intro paragraph.

## Setup **notes**

- [x] = Task complete (a legend)
- [ ] Loose item before any step  <!-- a comment --> with   spaces
  and a lazy continuation

### Step 1: **Bold** title - [details](steps/step_1.md)

- [ ] 1.1 Explicit sub-step id
- [x] T001 Spec Kit id
- [ ] Plain item
  - [ ] Nested item

    more notes after a blank line

### Tests for step 1

- [ ] Still step 1 (a sub-heading)

## Phase 2.1 - Second

- [ ]* 3. Kiro optional step
  - [ ] 3.1 Kiro sub-task
- [ ] 4. Checkpoint

- [ ] Step 5: An item step
  - [ ] Under the item step

## Pull Request

- [-] PR review
"""


def model(tracker: Tracker) -> dict[str, Any]:
    following = tracker.next_step()
    return {
        "done": tracker.done_count,
        "total": len(tracker),
        "next": following.id if following else None,
        "order": [s.id for s in tracker],
        "steps": [
            {
                "id": step.id,
                "title": step.title,
                "plain_title": step.plain_title,
                "link": step.link,
                "line": step.line,
                "kind": step.kind,
                "status": step.status,
                "status_offset": step.status_offset,
                "done": step.done_count,
                "open": [s.id for s in step.open_subtasks],
                "subtasks": [
                    {
                        "id": s.id,
                        "text": s.text,
                        "plain_text": s.plain_text,
                        "status": s.status,
                        "state": s.state,
                        "mark": s.mark,
                        "line": s.line,
                        "offset": s.offset,
                        "depth": s.depth,
                        "optional": s.optional,
                        "full_text": s.full_text,
                    }
                    for s in step.subtasks
                ],
            }
            for step in tracker.steps
        ],
    }


def _texts() -> dict[str, str]:
    texts = {path.name: path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.md"))}
    texts["hard-cases"] = HARD
    texts["hard-cases-crlf"] = HARD.replace("\n", "\r\n")
    return texts


TEXTS = _texts()


@pytest.fixture(scope="module")
def golden() -> Golden:
    return Golden(GOLDEN)


@pytest.mark.parametrize("name", list(TEXTS))
def test_the_model(name: str, golden: Golden) -> None:
    found = model(parse(TEXTS[name], name))
    golden.check(name, found)


def test_offsets_point_at_the_status_character() -> None:
    tracker = parse(HARD)
    for subtask in tracker.subtasks:
        assert HARD[subtask.offset - 1] == "["
        assert HARD[subtask.offset : subtask.offset + len(subtask.status)] == subtask.status


@pytest.mark.parametrize(
    ("reference", "found"),
    [
        ("1.1", "1.1"),
        ("T001", "T001"),
        ("plain", "1.3"),  # every sub-task of a step counts, explicit ids too
        ("  PLAIN item ", "1.3"),
        ("still step", "tests-for-step-1.1"),  # "### Tests ..." at the step's level ends it
    ],
)
def test_find_by_id_or_text_prefix(reference: str, found: str) -> None:
    assert parse(HARD).find(reference).id == found


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("1.5", "<tracker>: no sub-task '1.5' (did you mean 1.4, 1.3, 1.1?)"),
        ("9.9", "<tracker>: no sub-task '9.9' (the tracker has 11 sub-tasks)"),
        ("zzz", "<tracker>: no sub-task 'zzz' (the tracker has 11 sub-tasks)"),
        ("", "<tracker>: no sub-task '' (the tracker has 11 sub-tasks)"),
    ],
)
def test_a_reference_that_matches_nothing(reference: str, message: str) -> None:
    with pytest.raises(SubTaskReferenceError) as raised:
        parse(HARD).find(reference)
    assert str(raised.value) == message


def test_an_ambiguous_prefix_names_the_candidates() -> None:
    with pytest.raises(SubTaskReferenceError) as raised:
        parse(HARD).find("p")
    assert str(raised.value) == (
        "<tracker>: 'p' is ambiguous: it starts sub-tasks 1.3, pull-request.1"
    )


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("a <!-- b --> c", "a   c"),
        ("<!-- x -->", " "),
        ("a <!-- open", "a <!-- open"),
        ("<!--a--><!--b-->z", "  z"),
        ("x --> y", "x --> y"),
    ],
)
def test_strip_comments(text: str, plain: str) -> None:
    assert strip_comments(text) == plain


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Pull Request", "pull-request"),
        ("**Setup** `notes` __x__", "setup-notes-x"),
        ("[Docs](docs/x.md) and more", "docs-and-more"),
        ("!!!", "section"),
        ("a" * 60, "a" * 48),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


@given(
    st.lists(
        st.sampled_from(
            [
                *("Step", "STEP", "phase", "Stage", "milestone", "part", "steps", "**", "_"),
                *(" ", "\t", "\x1c", "1", "12", "1.2", "1.", ".", ":", ")", "-", "x", "é", "\n"),
            ]
        ),
        max_size=10,
    ).map("".join)
)
@example("**Step 1.2.**: Title")
@example("Phase 3.x - done")
def test_a_step_heading_is_read_as_its_pattern_reads_it(text: str) -> None:
    """The step's number and title, read without the pattern from ASCII text, are the
    pattern's groups; other text is read by the pattern."""
    from pytest_tasktracker.tracker import model

    match = model._HEADING_STEP().match(text)
    expected = (match.group(1), match.group(2)) if match else None
    left = model._HEADINGS_BEFORE_PATTERN
    kept, left[0] = left[0], 1  # read this one without the pattern
    try:
        assert model._step_heading_parts(text) == expected
        assert left == ([0] if text.isascii() and "\n" not in text else [1])
    finally:
        left[0] = kept


def test_the_pattern_reads_the_headings_after_the_first_64() -> None:
    """A tracker of thousands of steps compiles the pattern once instead of reading each
    heading in Python; the answers are the same."""
    from pytest_tasktracker.tracker import model

    left = model._HEADINGS_BEFORE_PATTERN
    kept, left[0] = left[0], 2
    try:
        headings = "".join(f"## Step {n}.1: Title {n}\n- [ ] do {n}\n" for n in range(4))
        steps = parse(headings).steps
        assert [(step.id, step.title) for step in steps] == [
            (f"{n}.1", f"Title {n}") for n in range(4)
        ]
        assert left == [0]
    finally:
        left[0] = kept


@given(
    st.lists(st.sampled_from(["Pull", "pull", "PULL", " ", "-", "Request", "s", "_", "é"])).map(
        "".join
    )
)
@example("Pull-Request tasks")
@example("pull requests")
def test_a_pull_request_heading_is_read_as_its_pattern_reads_it(text: str) -> None:
    from pytest_tasktracker.tracker import model

    assert model._pull_request(text) == (model._PULL_REQUEST().match(text) is not None)
