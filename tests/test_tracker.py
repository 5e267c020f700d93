from __future__ import annotations

from textwrap import dedent

import pytest

from conftest import TRACKERS, corpus_tracker
from pytest_tasktracker import SubTaskReferenceError, Tracker, load, parse


def ids(tracker: Tracker) -> list[str]:
    return [subtask.id for subtask in tracker.subtasks]


def table(tracker: Tracker) -> list[tuple[str, str, str]]:
    return [(s.id, s.status, s.text) for s in tracker.subtasks]


def test_mcp_coder_heading_steps_number_their_checkboxes() -> None:
    tracker = parse(
        dedent("""\
        # Task Status Tracker

        ## Tasks

        ### Step 1: First
        Details: [step_1.md](./steps/step_1.md)

        - [x] Implementation (tests + production code)
        - [ ] Quality checks: pylint, pytest, mypy

        ### Step 2: Second

        - [ ] Write code

        ## Pull Request

        - [ ] PR review
        - [ ] PR summary
        """)
    )
    assert table(tracker) == [
        ("1.1", "x", "Implementation (tests + production code)"),
        ("1.2", " ", "Quality checks: pylint, pytest, mypy"),
        ("2.1", " ", "Write code"),
        ("pull-request.1", " ", "PR review"),
        ("pull-request.2", " ", "PR summary"),
    ]
    assert [(step.id, step.title, step.line, step.kind) for step in tracker.steps] == [
        ("1", "First", 5, "heading"),
        ("2", "Second", 11, "heading"),
        ("pull-request", "Pull Request", 15, "heading"),
    ]


def test_the_7129c046_tracker_has_the_pytest_run_as_sub_task_2_11() -> None:
    tracker = load(corpus_tracker("7129c046_TASK"))
    subtask = tracker.find("2.11")
    assert subtask.text.startswith("Run pytest on test_orchestrator_cache.py and fix all failures")
    assert subtask.line == 53
    assert subtask.done
    next_step = tracker.next_step()
    assert next_step is not None
    assert (next_step.id, next_step.title) == (
        "2",
        "Update Orchestrator to Use `additional_issues`",
    )
    assert [s.id for s in next_step.open_subtasks] == ["2.12", "2.13"]


def test_a_step_title_may_use_a_dash_and_a_dotted_number() -> None:
    tracker = parse("## Step 2.1 — Cache layer\n- [ ] a\n- [ ] b\n")
    assert ids(tracker) == ["2.1.1", "2.1.2"]
    assert tracker.steps[0].title == "Cache layer"


def test_old_mcp_coder_step_items_hold_their_nested_sub_tasks() -> None:
    tracker = parse(
        dedent("""\
        ### Implementation Steps

        - [ ] **Step 1: Setup Data Models** - [step_1.md](steps/step_1.md)
          - [ ] Create package structure
          - [x] Define TaskInfo dataclass

        - [x] **Step 2: Core Parser** - [step_2.md](steps/step_2.md)
          - [x] Implement section parsing

        ### Pull Request

        - [ ] **Quality Checks**
          - [ ] Run pylint checks
        """)
    )
    assert table(tracker) == [
        ("1.1", " ", "Create package structure"),
        ("1.2", "x", "Define TaskInfo dataclass"),
        ("2.1", "x", "Implement section parsing"),
        ("pull-request.1", " ", "**Quality Checks**"),
        ("pull-request.2", " ", "Run pylint checks"),
    ]
    step = tracker.step("1")
    assert step is not None
    assert (step.title, step.kind, step.status) == ("Setup Data Models", "item", " ")


def test_a_step_item_under_its_own_heading_is_the_same_step() -> None:
    tracker = load(corpus_tracker("ddf3eaf7"))
    assert [step.id for step in tracker.steps] == ["1", "2", "pull-request"]
    assert ids(tracker)[:4] == ["1.1", "1.2", "1.3", "1.4"]
    assert tracker.steps[0].status == " "


def test_spec_kit_phases_are_steps_and_task_ids_are_explicit() -> None:
    tracker = load(corpus_tracker("spec-kit"))
    phase3 = tracker.step("3")
    assert phase3 is not None
    assert phase3.title == "User Story 1 - [Title] (Priority: P1) 🎯 MVP"
    assert [s.id for s in phase3.subtasks] == [f"T0{n}" for n in range(10, 18)]
    t010 = tracker.find("T010")
    assert t010.text == ("[P] [US1] Contract test for [endpoint] in tests/contract/test_[name].py")
    assert "notes.1" not in ids(tracker)  # "- [P] tasks = ..." is a note, not a checkbox


def test_kiro_numbered_items_are_steps_with_dotted_children() -> None:
    tracker = load(corpus_tracker("jonpru"))
    assert table(tracker) == [
        ("1", " ", "Set up project structure"),
        ("2.1", " ", "Create data models"),
        ("2.2", " ", "Write property test for data models"),
        ("2.3", " ", "Write unit tests for data models"),
        ("3", " ", "Checkpoint - Ensure all tests pass"),
    ]
    assert [s.optional for s in tracker.subtasks] == [False, False, True, True, False]
    assert tracker.find("2.2").mark == "[ ]*"
    assert tracker.find("2.1").continuation == (
        "    - Implement core data structures",
        "    - _Requirements: X.Y_",
    )


def test_flat_kiro_children_belong_to_the_step_above_them() -> None:
    tracker = load(corpus_tracker("RockyBoyRC"))
    assert ids(tracker) == [
        "1.1",
        "1.2",
        "2.1",
        "2.2",
        "3",
        "3.1",
        "3.2",
        "4.1",
        "4.2",
        "5.1",
        "6.1",
        "7.1",
    ]
    assert [s.id for s in tracker.steps] == ["1", "2", "3", "3", "4", "5", "6", "7"]


def test_openspec_numbered_headings_are_steps() -> None:
    tracker = parse("## 1. Implementation\n- [ ] 1.1 Create model\n- [x] 1.2 Add API\n")
    assert table(tracker) == [("1.1", " ", "Create model"), ("1.2", "x", "Add API")]
    assert tracker.steps[0].title == "Implementation"


def test_a_heading_that_is_a_plain_number_is_not_a_step() -> None:
    tracker = parse("## 2024 Roadmap\n- [ ] ship\n")
    assert ids(tracker) == ["2024-roadmap.1"]


def test_items_outside_steps_take_their_section_slug() -> None:
    tracker = parse(
        dedent("""\
        - [ ] before any heading
        # Release Checklist
        - [ ] tag
        - [ ] publish
        ## Notes & Links
        * [x] starred
        + [ ] plus
        1. [ ] ordered
        """)
    )
    assert ids(tracker) == [
        "tasks.1",
        "release-checklist.1",
        "release-checklist.2",
        "notes-links.1",
        "notes-links.2",
        "notes-links.3",
    ]


def test_a_numbered_enumeration_inside_a_step_is_not_an_id() -> None:
    tracker = parse("### Step 4: Polish\n- [ ] 1. lint\n- [ ] 2. docs\n")
    assert table(tracker) == [("4.1", " ", "1. lint"), ("4.2", " ", "2. docs")]


def test_legend_entries_are_not_sub_tasks() -> None:
    tracker = parse("## Instructions\n- [x] = Task complete\n- [ ] = Task not complete\n")
    assert len(tracker) == 0


def test_every_status_is_kept_as_written() -> None:
    tracker = parse(
        "- [ ] open\n- [x] done\n- [X] Done\n- [-] doing\n- [~] later\n- [] empty\n"
        "- [ ]* optional\n- [\t] tab\n"
    )
    assert [(s.status, s.state, s.mark) for s in tracker.subtasks] == [
        (" ", "open", "[ ]"),
        ("x", "done", "[x]"),
        ("X", "done", "[X]"),
        ("-", "other", "[-]"),
        ("~", "other", "[~]"),
        ("", "other", "[]"),
        (" ", "open", "[ ]*"),
        ("\t", "open", "[\t]"),
    ]


def test_brackets_that_are_not_checkboxes_are_text() -> None:
    tracker = parse("- [P] parallel\n- [link](x)\n- [ ]no space\n- [xx] two\n- text [ ] later\n")
    assert len(tracker) == 0


def test_continuation_lines_run_to_the_next_checkbox() -> None:
    tracker = parse(
        dedent("""\
        ### Step 1: A
        - [x] Quality checks
          - pylint: clean

          **BLOCKED**: pytest could not run
        - [ ] Next
          - [ ] child
            detail of child
        """)
    )
    assert tracker.find("1.1").continuation == (
        "  - pylint: clean",
        "",
        "  **BLOCKED**: pytest could not run",
    )
    assert tracker.find("1.2").continuation == ()
    assert tracker.find("1.3").continuation == ("    detail of child",)


def test_a_wrapped_first_paragraph_is_part_of_the_text() -> None:
    tracker = parse("- [ ] Run tests\n  to verify they pass <!-- tests: tests/a.py -->\n")
    assert tracker.subtasks[0].text == "Run tests to verify they pass"


def test_find_accepts_ids_and_unique_text_prefixes() -> None:
    tracker = load(corpus_tracker("7129c046_TASK"))
    assert tracker.find("implement `_FETCH").id == "1.4"
    assert tracker.find("Implement _fetch_additional").id == "1.4"  # as plain text
    assert tracker.find("  Prepare git commit message for step 2").id == "2.13"
    assert tracker.find("Pull-Request.3").id == "pull-request.3"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("9.9", "no sub-task '9.9' (did you mean 3.9, 2.9, 1.9?)"),
        (
            "run",
            "'run' is ambiguous: it starts sub-tasks 1.2, 1.7, 1.9, 1.10, 1.11, 2.2, 2.7, 2.10",
        ),
        (
            "2",
            "'2' is a step, not a sub-task; its sub-tasks are "
            "2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8",
        ),
        ("zzz", "no sub-task 'zzz' (the tracker has 40 sub-tasks)"),
    ],
)
def test_find_names_the_problem_and_the_nearest_ids(reference: str, message: str) -> None:
    tracker = load(corpus_tracker("7129c046_TASK"), "pr_info/TASK_TRACKER.md")
    with pytest.raises(SubTaskReferenceError) as info:
        tracker.find(reference)
    assert str(info.value) == f"pr_info/TASK_TRACKER.md: {message}"


def test_a_duplicated_id_is_ambiguous_and_names_its_lines() -> None:
    tracker = parse("- [ ] T001 a\n- [ ] T001 b\n", "t.md")
    with pytest.raises(
        SubTaskReferenceError,
        match=r"^t\.md: sub-task id 'T001' is ambiguous: it is on lines 1, 2$",
    ):
        tracker.find("T001")


@pytest.mark.parametrize("path", TRACKERS, ids=lambda p: p.name[:40])
def test_every_corpus_tracker_parses_with_unique_lines(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    tracker = load(path)
    lines = [s.line for s in tracker.subtasks]
    assert lines == sorted(set(lines))
    raw_lines = path.read_bytes().decode().replace("\r\n", "\n").split("\n")
    for subtask in tracker.subtasks:
        assert f"[{subtask.status}]" in raw_lines[subtask.line - 1]


def test_the_empty_corpus_trackers_have_no_sub_tasks() -> None:
    assert len(load(corpus_tracker("empty_tracker"))) == 0
    assert len(load(corpus_tracker("TEMPLATE"))) == 0
