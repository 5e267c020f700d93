"""A line scanner for the block structure of a markdown task tracker.

It finds what a tracker needs and nothing more: headings, and list items whose first
text is a checkbox, with the lines that belong to each item. It follows CommonMark's
block rules where they decide whether a checkbox is real: container indentation, fenced
and indented code, HTML blocks (comments included), block quotes, lazy paragraph
continuation and setext headings. It never renders and never changes the text.

Offsets are character offsets into the decoded text; lines are split on ``\\r\\n``,
``\\r`` and ``\\n`` only, as markdown does (``str.splitlines`` splits on more).
"""

from __future__ import annotations

import re

from pytest_tasktracker.lazyre import Lazy
from pytest_tasktracker.slotted import Slotted

_NEWLINE = Lazy(r"\r\n|\r|\n")
_BLANKS = (" ", "\t")
_MAX_HTML_LINE = 4096  # longer lines are never an HTML tag alone on a line
_FENCE_OPEN = Lazy(r"(`{3,}|~{3,})(.*)$")
_SETEXT = Lazy(r"(=+|-+)[ \t]*$")
_THEMATIC = Lazy(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_LIST_MARKER = Lazy(r"([-+*]|(\d{1,9})[.)])(?=[ \t]|$)")
# The bracket holds nothing, a blank, x/X, or one mark that is not a letter or digit
# ("[-]", "[~]"): "[P]" or "[1]" is text, not a checkbox.
_BOX = r"\[([ \txX]|[^\w\s\]]|)\](\*?)(?=[ \t]|$)"
_CHECKBOX = Lazy(_BOX)  # what read_box reads, without compiling it (tests hold them)
_HTML_1_OPEN = Lazy(r"<(?:script|pre|style|textarea)(?:[\s>]|$)", re.IGNORECASE)
_HTML_1_CLOSE = Lazy(r"</(?:script|pre|style|textarea)>", re.IGNORECASE)
_HTML_6_TAGS = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    "details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    "h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|"
    "noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|"
    "thead|title|tr|track|ul"
)
_ATTR = r"""(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^"'=<>`\s]+|'[^']*'|"[^"]*"))?)"""


# HTML block kinds 6 and 7: most trackers have no HTML lines.
_HTML_6 = Lazy(rf"</?(?:{_HTML_6_TAGS})(?:[ \t>]|/>|$)", re.IGNORECASE)
_HTML_7 = Lazy(rf"(?:<[A-Za-z][A-Za-z0-9-]*{_ATTR}*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)[ \t]*$")

_HTML_4_OPEN = Lazy(r"<![A-Za-z]")

# End conditions of HTML blocks, by kind; None means "ends at a blank line".
_HTML_END: dict[int, Lazy[str] | None] = {
    1: _HTML_1_CLOSE,
    2: Lazy(r"-->"),
    3: Lazy(r"\?>"),
    4: Lazy(r">"),
    5: Lazy(r"\]\]>"),
    6: None,
    7: None,
}


# read_box's answer for the boxes nearly every line of a tracker starts with, after "- "
_PLAIN_BOXES = {"[ ] ": (" ", False, 5), "[x] ": ("x", False, 5), "[X] ": ("X", False, 5)}


def read_box(line: str, at: int) -> tuple[str, bool, int] | None:
    """The checkbox ``_BOX`` matches at ``at`` of ``line``: what its brackets hold (nothing,
    a blank, x or X, or one mark that is neither a letter, a digit, "_", white space nor
    "]"), whether a "*" follows ("[ ]*", Kiro's optional task), and where it ends; None
    when there is none (a blank, a tab or the end of the line must follow it)."""
    if line[at : at + 1] != "[":
        return None
    inner = line[at + 1 : at + 2]
    if inner == "]":
        status, end = "", at + 2
    elif inner and line[at + 2 : at + 3] == "]" and _in_box(inner):
        status, end = inner, at + 3
    else:
        return None
    optional = line[end : end + 1] == "*"
    end += optional
    if end == len(line) or line[end] in (" ", "\t") or line[end:] == "\n":
        return status, optional, end
    return None


def _in_box(char: str) -> bool:
    if char in (" ", "\t", "x", "X"):
        return True
    return not (char.isalnum() or char == "_" or char.isspace() or char == "]")


def split_lines(text: str) -> list[tuple[int, str, str]]:
    """Split ``text`` into ``(offset, line, line_ending)`` as markdown splits lines."""
    lines: list[tuple[int, str, str]] = []
    append = lines.append
    start = 0
    if "\r" not in text:  # the common case, and a faster one
        for line in text.split("\n"):
            append((start, line, "\n"))
            start += len(line) + 1
        last = lines.pop()
        if last[1]:
            append((last[0], last[1], ""))
        return lines
    for match in _NEWLINE().finditer(text):
        append((start, text[start : match.start()], match.group()))
        start = match.end()
    if start < len(text):
        append((start, text[start:], ""))
    return lines


def indent_width(text: str, start_col: int = 0) -> tuple[int, int]:
    """Return ``(columns, characters)`` of leading blanks, tabs stopping at multiples of 4."""
    col = start_col
    i = 0
    for ch in text:
        if ch == " ":
            col += 1
        elif ch == "\t":
            col += 4 - col % 4
        else:
            break
        i += 1
    return col - start_col, i


class Heading(Slotted):
    __slots__ = ("line", "level", "text")

    def __init__(self, line: int, level: int, text: str) -> None:
        self.line = line  # 0-based
        self.level = level
        self.text = text


class CheckboxItem:
    """A checkbox list item. Its end and the continuation of its first paragraph are
    filled in as the scan goes on."""

    __slots__ = (
        "depth",
        "end_line",
        "extra",
        "line",
        "optional",
        "quote_depth",
        "status",
        "status_offset",
        "text",
    )

    def __init__(
        self,
        line: int,  # 0-based line of the checkbox
        depth: int,  # nesting: 0 for a top-level item, counting enclosing list items
        quote_depth: int,  # block quotes around the item
        status: str,  # the raw bracket content: "", " ", "x", "-", ...
        optional: bool,  # "[ ]*", Kiro's optional task
        status_offset: int,  # offset of the bracket content in the text (of "]" when empty)
        text: str,  # the first paragraph after the checkbox, soft wraps joined by spaces
    ) -> None:
        self.line = line
        self.depth = depth
        self.quote_depth = quote_depth
        self.status = status
        self.optional = optional
        self.status_offset = status_offset
        self.text = text
        self.end_line = -1  # first line no longer belonging to this item (exclusive)
        self.extra: list[str] = []  # continuation of the first paragraph


# The scanner's own state: plain classes too, as a dataclass costs a few million
# instructions to create on every import (every pytest run with a tracker).
class _Item:
    """An open list item."""

    __slots__ = ("checkbox", "content_col", "quote_depth")

    def __init__(self, content_col: int, quote_depth: int, checkbox: CheckboxItem | None) -> None:
        self.content_col = content_col
        self.quote_depth = quote_depth
        self.checkbox = checkbox


class _Block:
    """An open fenced code or HTML block."""

    __slots__ = ("container_col", "fence_char", "fence_len", "html_end", "quote_depth")

    def __init__(
        self,
        quote_depth: int,
        container_col: int,
        fence_char: str = "",
        fence_len: int = 0,
        html_end: re.Pattern[str] | None = None,
    ) -> None:
        self.quote_depth = quote_depth
        self.container_col = container_col
        self.fence_char = fence_char
        self.fence_len = fence_len
        self.html_end = html_end


class Scan(Slotted):
    __slots__ = ("lines", "headings", "items")

    def __init__(
        self, lines: list[tuple[int, str, str]], headings: list[Heading], items: list[CheckboxItem]
    ) -> None:
        self.lines = lines
        self.headings = headings
        self.items = items


def _strip_quotes(line: str) -> tuple[int, str, int, list[int]]:
    """Remove block-quote markers: ``(depth, rest, column where rest starts, indents)``,
    ``indents[d]`` being the indentation before the marker of quote level ``d + 1``.

    Tabs expand to the real column: in ``"> \t- x"`` the tab starts at column 2, so the
    item is indented by 2, not 4. After ``>``, one column of a tab is the optional space.
    """
    depth = 0
    rest = line
    col = 0
    indents: list[int] = []
    while True:
        cols, chars = indent_width(rest, col)
        if cols > 3 or chars >= len(rest) or rest[chars] != ">":
            return depth, rest, col, indents
        indents.append(cols)
        col += cols + 1
        rest = rest[chars + 1 :]
        if rest[:1] == " ":
            rest = rest[1:]
            col += 1
        elif rest[:1] == "\t":
            if 4 - col % 4 == 1:
                rest = rest[1:]  # the whole tab is the optional space
            col += 1
        depth += 1


def _front_matter_end(lines: list[tuple[int, str, str]]) -> int:
    if not lines or lines[0][1].lstrip("\ufeff").rstrip() != "---":
        return 0
    has_key = False
    for index in range(1, len(lines)):
        content = lines[index][1].rstrip()
        if content in ("---", "..."):
            return index + 1 if has_key else 0
        if ":" in content:
            has_key = True
    return 0


def _atx(stripped: str) -> tuple[int, str] | None:
    """``(level, title)`` of an ATX heading line, in linear time (no regex backtracking)."""
    level = len(stripped) - len(stripped.lstrip("#"))
    if not 1 <= level <= 6 or stripped[level : level + 1] not in ("", " ", "\t"):
        return None
    title = stripped[level:].strip(" \t")
    closing = title.rstrip("#")
    if closing != title and (not closing or closing[-1] in " \t"):
        title = closing.rstrip(" \t")  # "## Title ##": the closing sequence is not text
    return level, title


def _html_start(content: str, in_paragraph: bool) -> int:
    """The CommonMark HTML block kind that ``content`` opens, or 0."""
    if not content.startswith("<"):
        return 0
    if _HTML_1_OPEN().match(content):
        return 1
    if content.startswith("<!--"):
        return 2
    if content.startswith("<?"):
        return 3
    if content.startswith("<![CDATA["):
        return 5
    if _HTML_4_OPEN().match(content):
        return 4
    if _HTML_6().match(content):
        return 6
    if not in_paragraph and len(content) < _MAX_HTML_LINE and _HTML_7().match(content):
        return 7
    return 0


_BLOCK_STARTS = frozenset("`~<#")
_MARKER_STARTS = frozenset("-+*0123456789")
_RULE_STARTS = frozenset("-*_")
_BULLETS = frozenset("-+*")
_NO_INDENTS: list[int] = []


class _Line:
    """One line as the scanner sees it, block-quote markers and indentation measured."""

    __slots__ = (
        "blank",
        "chars",
        "cols",
        "content",
        "content_offset",
        "index",
        "marker",
        "quote_depth",
        "quote_indents",
        "start_col",
        "stripped",
        "thematic",
    )

    def __init__(self, index: int, offset: int, raw: str) -> None:
        if index == 0 and raw.startswith("\ufeff"):
            raw = raw[1:]
            offset += 1
        self.index = index
        if ">" in raw:
            quote_depth, content, start_col, quote_indents = _strip_quotes(raw)
        else:
            quote_depth, content, start_col, quote_indents = 0, raw, 0, _NO_INDENTS
        self.quote_depth = quote_depth
        self.quote_indents = quote_indents  # indentation before each quote's ">"
        self.content = content  # the line after its block-quote markers
        self.content_offset = offset + len(raw) - len(content)  # in the text
        self.start_col = start_col  # column where ``content`` starts
        if content[:1] in _BLANKS:
            # indentation of ``stripped`` in columns from ``start_col``, and in characters
            self.cols, self.chars = indent_width(content, start_col)
            self.stripped = stripped = content[self.chars :]
            self.blank = not stripped or stripped.isspace()
        else:
            self.cols = self.chars = 0
            self.stripped = stripped = content  # ``content`` without its indentation
            self.blank = not content
        # Matched once here: a list item is asked both whether it interrupts a paragraph
        # and what item it starts.
        first = stripped[:1]
        # A thematic break holds three of its character: counting them first spares the
        # pattern on nearly every list item ("- [ ] ...").
        self.thematic = (
            first in _RULE_STARTS
            and stripped.count(first) >= 3
            and _THEMATIC().match(stripped) is not None
        )
        self.marker = _LIST_MARKER().match(stripped) if first in _MARKER_STARTS else None


class _Scanner:
    """The state of one scan: open list items and blocks, and the paragraph in progress.

    ``feed`` takes one line; each kind of line (a quote ending, a line inside a block, a
    setext underline, a block start, a list item, paragraph text) has its own method,
    which returns True when it consumed the line.
    """

    def __init__(self, lines: list[tuple[int, str, str]]) -> None:
        self.lines = lines
        self.headings: list[Heading] = []
        self.found: list[CheckboxItem] = []
        self.items: list[_Item] = []  # open list items, outermost first
        self.block: _Block | None = None
        self.paragraph = False  # the previous line is paragraph text
        self.paragraph_lines: list[int] = []  # lines of the current top-level paragraph
        self.owner: CheckboxItem | None = None  # checkbox whose first paragraph is open
        self.last_quote_depth = 0

    def finish(self) -> Scan:
        end = len(self.lines)
        self._close_items(0, end)
        for item in self.found:
            if item.end_line < 0:
                item.end_line = end
        return Scan(self.lines, self.headings, self.found)

    def feed(self, line: _Line) -> None:
        if line.quote_depth < self.last_quote_depth and self._quote_ended(line):
            return
        self.last_quote_depth = line.quote_depth
        if self.block is not None and self._in_block(line):
            return
        if line.blank:
            self._blank_line()
            return
        items = self.items
        keep = self._items_kept(line) if items else 0
        outdented = keep < len(items)
        rel = line.cols - (items[keep - 1].content_col if keep else 0)
        if self.paragraph and (
            self._setext(line, rel) or self._continues_paragraph(line, rel, outdented)
        ):
            return
        if outdented:
            self._close_items(keep, line.index)
        if rel >= 4:
            self._end_paragraph()  # indented code
            return
        first = line.stripped[0]
        if first in _BLOCK_STARTS and self._block_start(line):
            return
        if line.thematic:
            self._end_paragraph()
            return
        if not (line.marker is not None and self._list_item(line, outdented)):
            self._paragraph_text(line.index)

    def _end_paragraph(self) -> None:
        self.paragraph = False
        self.owner = None

    def _blank_line(self) -> None:
        """A blank line outside blocks ends the paragraph; list items stay open."""
        self._end_paragraph()
        self.paragraph_lines = []

    def _continue_owner(self, stripped: str) -> None:
        if self.owner is not None:
            self.owner.extra.append(stripped.strip())

    def _close_items(self, keep: int, line_no: int) -> None:
        items = self.items
        while len(items) > keep:
            item = items.pop()
            if item.checkbox is not None and item.checkbox.end_line < 0:
                item.checkbox.end_line = line_no

    def _end_continuations(self, line_no: int) -> None:
        # A new checkbox or a heading ends the continuation lines of every open checkbox.
        for item in self.items:
            if item.checkbox is not None and item.checkbox.end_line < 0:
                item.checkbox.end_line = line_no

    def _quote_ended(self, line: _Line) -> bool:
        """A line with fewer block-quote markers: a lazy continuation, or the quote ends."""
        if self.paragraph and not line.blank and not _starts_block(line, True):
            self._continue_owner(line.stripped)
            return True
        keep = 0
        while keep < len(self.items) and self.items[keep].quote_depth <= line.quote_depth:
            keep += 1
        self._close_items(keep, line.index)
        if self.block is not None and self.block.quote_depth > line.quote_depth:
            self.block = None
        self._end_paragraph()
        return False

    def _in_block(self, line: _Line) -> bool:
        """A line inside an open fenced or HTML block, which may close it."""
        block = self.block
        assert block is not None
        if not line.blank and block.container_col and line.cols < block.container_col:
            self.block = None  # its container ended, and so did the block
            return False
        if block.fence_char:
            stripped = line.stripped
            if (
                line.cols - block.container_col < 4
                and stripped.startswith(block.fence_char * block.fence_len)
                and not stripped.rstrip().strip(block.fence_char)
            ):
                self.block = None
        elif (block.html_end is None and line.blank) or (
            block.html_end is not None and block.html_end.search(line.content)
        ):
            self.block = None
        return True

    def _items_kept(self, line: _Line) -> int:
        """How many open list items (outermost first) this line stays inside. An item
        outside a block quote on this line is continued only by the indentation before
        that quote's ">"."""
        keep = 0
        for item in self.items:
            quoted = item.quote_depth < line.quote_depth
            width = line.quote_indents[item.quote_depth] if quoted else line.cols
            if width < item.content_col:
                break
            keep += 1
        return keep

    def _setext(self, line: _Line, rel: int) -> bool:
        """A setext underline below a top-level paragraph makes it a heading."""
        first = line.stripped[0]
        if not (self.paragraph_lines and not self.items and rel < 4):
            return False
        if first not in "=-" or not _SETEXT().match(line.stripped):
            return False
        lines = self.lines
        text = " ".join(lines[i][1].strip() for i in self.paragraph_lines)
        self.headings.append(Heading(self.paragraph_lines[0], 1 if first == "=" else 2, text))
        self.paragraph = False
        self.paragraph_lines = []
        return True

    def _continues_paragraph(self, line: _Line, rel: int, outdented: bool) -> bool:
        """Paragraph continuation, lazy when it is less indented than its item."""
        if rel < 4 and _starts_block(line, outdented):
            return False
        if self.owner is not None:
            self._continue_owner(line.stripped)
        elif not self.items:
            self.paragraph_lines.append(line.index)
        return True

    def _block_start(self, line: _Line) -> bool:
        """A fence, an HTML block or an ATX heading."""
        stripped = line.stripped
        first = stripped[0]
        container_col = self.items[-1].content_col if self.items else 0
        if first in "`~":
            fence = _FENCE_OPEN().match(stripped)
            if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
                char, length = fence.group(1)[0], len(fence.group(1))
                self.block = _Block(line.quote_depth, container_col, char, length)
                self._end_paragraph()
                return True
        elif first == "<":
            kind = _html_start(stripped, self.paragraph)
            if kind:
                lazy = _HTML_END[kind]
                end = lazy() if lazy is not None else None
                if end is None or not end.search(stripped):
                    self.block = _Block(line.quote_depth, container_col, html_end=end)
                self._end_paragraph()
                return True
        elif first == "#":
            atx = _atx(stripped)
            if atx:
                self._end_continuations(line.index)
                self.headings.append(Heading(line.index, atx[0], atx[1]))
                self._end_paragraph()
                return True
        return False

    def _list_item(self, line: _Line, outdented: bool) -> bool:
        stripped = line.stripped
        marker = line.marker
        if marker is None:
            return False
        after = stripped[marker.end() :]
        marker_cols = line.cols + marker.end()
        if after[:1] == " " and after[1:2] not in _BLANKS:
            space_cols = space_chars = 1  # the common "- text", without measuring
        else:
            space_cols, space_chars = indent_width(after, line.start_col + marker_cols)
        rest = after[space_chars:]
        if self.paragraph and not outdented and (not rest or marker.group(2) not in (None, "1")):
            # Within its paragraph's container, an item may not start empty or, when
            # ordered, at a number other than 1: this line continues the text.
            self._continue_owner(stripped)
            return True
        if not rest or space_cols > 4:
            # empty, or the item starts with indented code
            self._open_item(marker_cols + 1, line.quote_depth, None, False)
            return True
        box = read_box(rest, 0) if rest[0] == "[" else None
        checkbox = None
        if box is not None:
            self._end_continuations(line.index)
            bracket = line.content_offset + line.chars + marker.end() + space_chars
            checkbox = self._checkbox(line.index, line.quote_depth, box, rest, bracket)
        self._open_item(marker_cols + space_cols, line.quote_depth, checkbox, True)
        return True

    def _checkbox(
        self, index: int, quote_depth: int, box: tuple[str, bool, int], line: str, bracket: int
    ) -> CheckboxItem:
        """The checkbox ``read_box`` found in ``line``, its ``[`` at offset ``bracket`` of
        the text."""
        status, optional, end = box
        checkbox = CheckboxItem(
            index,  # line
            len(self.items),  # depth
            quote_depth,  # quote_depth
            status,
            optional,
            bracket + 1,  # status_offset
            line[end:].strip(),  # text
        )
        self.found.append(checkbox)
        return checkbox

    def _open_item(
        self, content_col: int, quote_depth: int, checkbox: CheckboxItem | None, text: bool
    ) -> None:
        """A new list item; ``text``: its first line has text, which opens its paragraph."""
        self.items.append(_Item(content_col, quote_depth, checkbox))
        self.paragraph = text
        self.owner = checkbox
        self.paragraph_lines = []

    def quick(self, index: int, offset: int, raw: str) -> bool:
        """Take the two commonest lines of a tracker without measuring them: a blank line,
        and a bullet checkbox at column 0 ("- [ ] text"), which closes every open item.
        Only outside blocks and block quotes; any other line is left to ``feed`` (False).
        ``scan(text, quick=False)`` takes every line through ``feed``, and a property test
        holds the two to the same result."""
        if self.block is not None or self.last_quote_depth:
            return False
        if not raw:
            self._blank_line()
            return True
        box = None
        if raw[0] in _BULLETS and raw[1:2] == " ":
            box = _PLAIN_BOXES.get(raw[2:6]) or read_box(raw, 2)
        if box is None:
            return False
        self._close_items(0, index)
        checkbox = self._checkbox(index, 0, box, raw, offset + 2)
        self._open_item(2, 0, checkbox, True)
        return True

    def _paragraph_text(self, index: int) -> None:
        if not self.paragraph:
            self.owner = None
            self.paragraph_lines = [] if self.items else [index]
        elif not self.items:
            self.paragraph_lines.append(index)
        self.paragraph = True


def scan(text: str, quick: bool = True) -> Scan:
    """Scan ``text`` for headings and checkbox list items (``quick``: see
    ``_Scanner.quick``)."""
    lines = split_lines(text)
    scanner = _Scanner(lines)
    for index in range(_front_matter_end(lines), len(lines)):
        offset, raw, _ending = lines[index]
        if not (quick and scanner.quick(index, offset, raw)):
            scanner.feed(_Line(index, offset, raw))
    return scanner.finish()


def _starts_block(line: _Line, outdented: bool) -> bool:
    """Would this line interrupt a paragraph (so that it cannot continue one)?"""
    stripped = line.stripped
    first = stripped[:1]
    if first == "#":
        return _atx(stripped) is not None
    if first in ("`", "~"):
        fence = _FENCE_OPEN().match(stripped)
        return fence is not None and not (fence.group(1)[0] == "`" and "`" in fence.group(2))
    if first == ">":
        return True
    if first == "<":
        return _html_start(stripped, True) != 0
    if line.thematic:
        return True
    marker = line.marker
    if marker is None:
        return False
    if outdented:
        return True
    rest = stripped[marker.end() :].strip()
    return bool(rest) and marker.group(2) in (None, "1")
