"""Properties of the tracker library, for generated documents (hypothesis).

CI runs a bounded number of examples (profile "ci"); `tox -e fuzz` runs many more
(HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import itertools
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin

from pytest_tasktracker import parse, set_status
from pytest_tasktracker.tracker.scanner import Scan, scan, split_lines

ORACLE = MarkdownIt("commonmark").use(tasklists_plugin)

# Text the CLI accepts: any Unicode without NUL (a NUL byte makes it binary).
accepted_text = st.text(
    alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]),
    max_size=400,
)
markdownish = st.lists(
    st.sampled_from(
        [
            "- [ ] ",
            "- [x] ",
            "* [X] ",
            "+ [-] ",
            "1. [ ] ",
            "[]",
            "[ ]*",
            "> ",
            "    ",
            "\t",
            "```",
            "~~~",
            "<!--",
            "-->",
            "<div>",
            "</div>",
            "### Step 2: ",
            "## ",
            "---",
            "===",
            "\r\n",
            "\n",
            "\r",
            "text",
            "T001 ",
            "2.1 ",
            "\ufeff",
            "\u2028",
            "\x0c",
            "`",
            "#",
        ]
    )
    | accepted_text,
    max_size=40,
).map("".join)


@given(markdownish)
def test_parsing_accepted_text_never_raises(text: str) -> None:
    tracker = parse(text)
    for subtask in tracker.subtasks:
        assert text[subtask.offset - 1] == "["
        assert text[subtask.offset : subtask.offset + len(subtask.status) + 1] == (
            subtask.status + "]"
        )


@given(markdownish)
def test_tick_changes_one_byte_and_untick_restores_the_bytes(text: str) -> None:
    original = text.encode("utf-8")
    for subtask in parse(text).subtasks:
        if subtask.state != "open":
            continue
        ticked = set_status(text, subtask, True)
        ticked_bytes = ticked.encode("utf-8")
        assert len(ticked_bytes) == len(original)
        assert sum(1 for a, b in zip(original, ticked_bytes, strict=True) if a != b) == 1
        again = parse(ticked)
        (same,) = [s for s in again.subtasks if s.offset == subtask.offset]
        assert same.done
        assert set_status(ticked, same, False).encode("utf-8") == original


# Documents built from the blocks the issue names, for the markdown-it-py oracle: nested
# lists, fences, HTML blocks, block quotes, tabs and CRLF.
words = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).map(lambda w: w.strip() or "w")
indents = st.sampled_from(["", "  ", "    ", "\t", "   "])


@st.composite
def task_item(draw: st.DrawFn) -> str:
    indent = draw(indents)
    marker = draw(st.sampled_from(["-", "*", "+", "1."]))
    box = draw(st.sampled_from(["[ ]", "[x]", "[X]"]))
    return f"{indent}{marker} {box} {draw(words)}"


@st.composite
def block(draw: st.DrawFn) -> list[str]:
    kind = draw(
        st.sampled_from(["list", "list", "fence", "html", "quote", "para", "heading", "code"])
    )
    if kind == "list":
        return draw(st.lists(task_item() | words.map(lambda w: f"  {w}"), min_size=1, max_size=6))
    if kind == "fence":
        fence = draw(st.sampled_from(["```", "~~~", "````"]))
        return [fence, *draw(st.lists(task_item(), max_size=3)), fence]
    if kind == "html":
        return ["<div>", *draw(st.lists(task_item(), max_size=3)), "</div>"]
    if kind == "quote":
        return [f"> {line}" for line in draw(st.lists(task_item(), min_size=1, max_size=3))]
    if kind == "heading":
        return [f"## Step {draw(st.integers(1, 9))}: {draw(words)}"]
    if kind == "code":
        return [f"    {line}" for line in draw(st.lists(task_item(), min_size=1, max_size=2))]
    return [draw(words)]


@st.composite
def document(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(block(), min_size=1, max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(newline.join(lines) + newline for lines in blocks)


def oracle_tasks(text: str) -> list[tuple[int, bool]]:
    """(line, checked) of every task item, as markdown-it-py with its tasklists plugin."""
    tokens = ORACLE.parse(text)
    found = []
    for index, token in enumerate(tokens):
        if token.type == "list_item_open" and "task-list-item" in str(token.attrs.get("class", "")):
            inline = next(t for t in tokens[index:] if t.type == "inline")
            assert inline.map is not None
            checked = 'checked="checked"' in (inline.children[0].content if inline.children else "")
            found.append((inline.map[0] + 1, checked))
    return found


_MARKER = re.compile(r"( *)(?:[-*+]|\d+[.)]) ")


def markdown_it_deviates(text: str) -> bool:
    """Whether ``text`` holds a list marker indented 4 or more spaces right after a line
    of a paragraph indented deeper: the CommonMark reference (commonmark.js; commonmark.py
    0.9.2) reads it as the paragraph's lazy continuation, markdown-it as an indented code
    block that closes the lists (test_a_lazy_line_is_read_as_commonmark_reads_it)."""
    lines = text.splitlines()
    for before, line in itertools.pairwise(lines):
        found = _MARKER.match(line)
        indent = len(found.group(1)) if found else 0
        if indent >= 4 and before.strip() and len(before) - len(before.lstrip(" ")) > indent:
            return True
    return False


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(document())
def test_the_sub_tasks_agree_with_markdown_it(text: str) -> None:
    assume("\x00" not in text)
    assume(not markdown_it_deviates(text))
    ours = [(s.line, s.done) for s in parse(text).subtasks]
    assert ours == oracle_tasks(text), text


def test_a_lazy_line_is_read_as_commonmark_reads_it() -> None:
    """Line 10 continues line 9's paragraph (lazily: its four spaces cannot start code
    inside a paragraph), so line 12 is one more item of the list line 9 opened; this is
    what commonmark.py 0.9.2 renders. markdown-it reads lines 10 to 12 as code."""
    text = (
        "- [ ] a\n\n```\n```\n\n  - [ ] a\n   - [ ] a\n\n      - [ ] a\n    - [ ] a\n\n"
        "      - [ ] a\n"
    )
    assert markdown_it_deviates(text)
    assert [s.line for s in parse(text).subtasks] == [1, 6, 7, 9, 12]
    assert [line for line, _ in oracle_tasks(text)] == [1, 6, 7, 9]


def test_lines_split_as_markdown_does() -> None:
    text = "a\r\nb\rc\nd\u2028e\x0cf"
    assert [line for _, line, _ in split_lines(text)] == ["a", "b", "c", "d\u2028e\x0cf"]


# Lines a tracker is made of, in any order: the scanner's quick path takes some of them
# (blank lines, "- [ ] text" at column 0) and must leave the state as `feed` would.
tracker_lines = st.lists(
    st.sampled_from(
        [
            "- [ ] a",
            "- [x] b",
            "* [ ]* c",
            "+ [-] d",
            "- []",
            "- [ ]",
            "- [ ]\tx",
            "-  [ ] e",
            "-[ ] n",
            "-\t[ ] o\n  - [ ] nested only under a tab",
            "- [ ]x",
            "- [P] p",
            "  - f",
            "  - [ ] g",
            "    - [ ] h",
            "\t- [ ] i",
            "1. [ ] j",
            "2) [X] k",
            "",
            "   ",
            "text",
            "  text",
            "### Step 1: t",
            "> - [ ] q",
            ">",
            "```",
            "<div>",
            "<!-- x -->",
            "---",
            "- - -",
            "===",
            "\ufeff- [ ] bom",
        ]
    )
    | accepted_text,
    max_size=30,
)


def scanned(result: Scan) -> tuple[object, ...]:
    fields = ("line", "depth", "quote_depth", "status", "optional", "status_offset", "text")
    items = [[getattr(i, name) for name in (*fields, "end_line", "extra")] for i in result.items]
    return result.lines, result.headings, items


@settings(max_examples=max(300, settings().max_examples))
@given(
    st.one_of(
        tracker_lines.map("\n".join),
        tracker_lines.map("\r\n".join),
        markdownish,
        document(),
    )
)
def test_the_quick_path_scans_as_the_general_one(text: str) -> None:
    assert scanned(scan(text)) == scanned(scan(text, quick=False))
