"""Where a checkbox is real and where it is only text, by CommonMark's block rules."""

from __future__ import annotations

from textwrap import dedent

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_tasktracker import parse
from pytest_tasktracker.tracker.scanner import indent_width, scan, split_lines


def texts(markdown: str) -> list[str]:
    return [subtask.text for subtask in parse(dedent(markdown)).subtasks]


def test_lines_split_on_crlf_cr_and_lf_only() -> None:
    assert split_lines("a\r\nb\rc\nd\x0ce\u2028f") == [
        (0, "a", "\r\n"),
        (3, "b", "\r"),
        (5, "c", "\n"),
        (7, "d\x0ce\u2028f", ""),
    ]


def test_tabs_stop_at_multiples_of_four() -> None:
    assert indent_width("\t- x") == (4, 1)
    assert indent_width("  \tx") == (4, 3)
    assert indent_width(" \t", 1) == (3, 2)


def test_checkboxes_in_fenced_code_are_ignored() -> None:
    assert texts("""\
        - [ ] real
        ```markdown
        - [ ] in backticks
        ```
        ~~~~
        - [ ] in tildes
        ```
        - [ ] still inside: a shorter or other fence does not close it
        ~~~~
        - [ ] after
        """) == ["real", "after"]


def test_a_fence_inside_a_list_item_ends_with_its_item() -> None:
    assert texts("""\
        - [ ] parent
          ```
          - [ ] code
          ```
          - [ ] child
        """) == ["parent", "child"]


def test_checkboxes_in_indented_code_are_ignored() -> None:
    assert texts("""\
        Some text.

            - [ ] indented code

        - [ ] real
        """) == ["real"]


def test_an_indented_line_after_a_paragraph_continues_it() -> None:
    assert texts("""\
        - [ ] first
              - [ ] five spaces deeper: a lazy line, not an item
        """) == ["first - [ ] five spaces deeper: a lazy line, not an item"]


def test_checkboxes_in_html_comments_and_blocks_are_ignored() -> None:
    assert texts("""\
        <!--
        - [ ] commented out
        -->
        - [ ] one
        <details>
        - [ ] in a div-like html block
        </details>

        - [ ] two
        <!-- - [ ] one-line comment -->
        - [ ] three
        """) == ["one", "two", "three"]


def test_checkboxes_inside_block_quotes_count() -> None:
    tracker = parse("> - [ ] quoted\n> > - [x] deeper\n")
    assert [(s.text, s.status) for s in tracker.subtasks] == [("quoted", " "), ("deeper", "x")]


def test_nested_items_at_any_depth_with_tabs() -> None:
    tracker = parse("- [ ] a\n\t- [ ] b\n\t\t- [ ] c\n")
    assert [(s.text, s.depth) for s in tracker.subtasks] == [("a", 0), ("b", 1), ("c", 2)]


def test_an_ordered_item_may_not_interrupt_a_paragraph_unless_it_starts_at_one() -> None:
    assert texts("""\
        Text
        2. [ ] not an item
        1. [ ] an item
        """) == ["an item"]


def test_a_heading_with_a_closing_sequence_and_a_setext_heading() -> None:
    result = scan("# Title #\nStep 3: Setext\n---\n- [ ] x\n")
    assert [(h.line, h.level, h.text) for h in result.headings] == [
        (0, 1, "Title"),
        (1, 2, "Step 3: Setext"),
    ]
    assert parse("Step 3: Setext\n===\n- [ ] x\n").subtasks[0].id == "3.1"


def test_yaml_front_matter_is_skipped() -> None:
    assert texts("""\
        ---
        description: "- [ ] not a task"
        ---
        - [ ] task
        """) == ["task"]


def test_a_checkbox_after_five_spaces_is_code_inside_the_item() -> None:
    assert texts("-     [ ] code\n- [ ] real\n") == ["real"]


def test_thematic_breaks_are_not_items() -> None:
    assert texts("- - -\n* * *\n- [ ] item\n") == ["item"]


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_the_status_offset_points_into_the_brackets(bom: str) -> None:
    text = f"{bom}> - [x] quoted\r\n\t* [ ] tabbed\n1) [-] ordered\n"
    for subtask in parse(text).subtasks:
        assert text[subtask.offset - 1] == "["
        assert text[subtask.offset : subtask.offset + 2] == subtask.status + "]"


@given(st.text(alphabet="[] xX\t*-~_a1é\n.", max_size=8))
@example("[ ]* task")
@example("[x]*")
@example("[]\n")
@example("[-]*x")
@example("[\t] tab")
def test_a_checkbox_is_read_as_its_pattern_matches_it(line: str) -> None:
    """``read_box`` is ``_BOX`` without compiling it: the brackets' content, the "*" of
    an optional task and where the box ends, or no box."""
    from pytest_tasktracker.tracker import scanner

    match = scanner._CHECKBOX().match(line)
    expected = (match.group(1), bool(match.group(2)), match.end()) if match else None
    assert scanner.read_box(line, 0) == expected
