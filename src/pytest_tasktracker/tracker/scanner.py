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

import functools
import re
from dataclasses import dataclass, field

_NEWLINE = re.compile(r"\r\n|\r|\n")
_BLANKS = (" ", "\t")
_MAX_HTML_LINE = 4096  # longer lines are never an HTML tag alone on a line
_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)$")
_SETEXT = re.compile(r"(=+|-+)[ \t]*$")
_THEMATIC = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_LIST_MARKER = re.compile(r"([-+*]|(\d{1,9})[.)])(?=[ \t]|$)")
# The bracket holds nothing, a blank, x/X, or one mark that is not a letter or digit
# ("[-]", "[~]"): "[P]" or "[1]" is text, not a checkbox.
_CHECKBOX = re.compile(r"\[([ \txX]|[^\w\s\]]|)\](\*?)(?=[ \t]|$)")
_HTML_1_OPEN = re.compile(r"<(?:script|pre|style|textarea)(?:[\s>]|$)", re.IGNORECASE)
_HTML_1_CLOSE = re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE)
_HTML_6_TAGS = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    "details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    "h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|"
    "noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|"
    "thead|title|tr|track|ul"
)
_ATTR = r"""(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^"'=<>`\s]+|'[^']*'|"[^"]*"))?)"""


@functools.cache
def _html_block_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The patterns for HTML block kinds 6 and 7, compiled on first use: most trackers
    have no HTML lines, and every pytest run with a tracker pays for compiling them."""
    kind6 = re.compile(rf"</?(?:{_HTML_6_TAGS})(?:[ \t>]|/>|$)", re.IGNORECASE)
    kind7 = re.compile(
        rf"(?:<[A-Za-z][A-Za-z0-9-]*{_ATTR}*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>)[ \t]*$"
    )
    return kind6, kind7


_HTML_4_OPEN = re.compile(r"<![A-Za-z]")

# End conditions of HTML blocks, by kind; None means "ends at a blank line".
_HTML_END: dict[int, re.Pattern[str] | None] = {
    1: _HTML_1_CLOSE,
    2: re.compile(r"-->"),
    3: re.compile(r"\?>"),
    4: re.compile(r">"),
    5: re.compile(r"\]\]>"),
    6: None,
    7: None,
}


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
    for match in _NEWLINE.finditer(text):
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


@dataclass(slots=True)
class Heading:
    line: int  # 0-based
    level: int
    text: str


@dataclass(slots=True)
class CheckboxItem:
    line: int  # 0-based line of the checkbox
    depth: int  # nesting: 0 for a top-level item, counting enclosing list items
    quote_depth: int  # block quotes around the item
    status: str  # the raw bracket content: "", " ", "x", "-", ...
    optional: bool  # "[ ]*", Kiro's optional task
    status_offset: int  # offset of the bracket content in the text (of "]" when empty)
    text: str  # the first paragraph after the checkbox, soft wraps joined by spaces
    end_line: int = -1  # first line no longer belonging to this item (exclusive)
    extra: list[str] = field(default_factory=list)  # continuation of the first paragraph


@dataclass(slots=True)
class _Item:
    content_col: int
    quote_depth: int
    checkbox: CheckboxItem | None


@dataclass(slots=True)
class _Block:
    """An open fenced code or HTML block."""

    quote_depth: int
    container_col: int
    fence_char: str = ""
    fence_len: int = 0
    html_end: re.Pattern[str] | None = None


@dataclass(slots=True)
class Scan:
    lines: list[tuple[int, str, str]]
    headings: list[Heading]
    items: list[CheckboxItem]


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
    if _HTML_1_OPEN.match(content):
        return 1
    if content.startswith("<!--"):
        return 2
    if content.startswith("<?"):
        return 3
    if content.startswith("<![CDATA["):
        return 5
    if _HTML_4_OPEN.match(content):
        return 4
    kind6, kind7 = _html_block_patterns()
    if kind6.match(content):
        return 6
    if not in_paragraph and len(content) < _MAX_HTML_LINE and kind7.match(content):
        return 7
    return 0


def scan(text: str) -> Scan:
    """Scan ``text`` for headings and checkbox list items."""
    lines = split_lines(text)
    headings: list[Heading] = []
    found: list[CheckboxItem] = []
    items: list[_Item] = []  # open list items, outermost first
    block: _Block | None = None
    paragraph = False  # the previous line is paragraph text
    paragraph_lines: list[int] = []  # lines of the current top-level paragraph
    owner: CheckboxItem | None = None  # checkbox whose first paragraph is still open
    last_quote_depth = 0
    start = _front_matter_end(lines)

    def close_items(keep: int, line_no: int) -> None:
        while len(items) > keep:
            item = items.pop()
            if item.checkbox is not None and item.checkbox.end_line < 0:
                item.checkbox.end_line = line_no

    def end_continuations(line_no: int) -> None:
        # A new checkbox or a heading ends the continuation lines of every open checkbox.
        for item in items:
            if item.checkbox is not None and item.checkbox.end_line < 0:
                item.checkbox.end_line = line_no

    for index in range(start, len(lines)):
        offset, raw, _ending = lines[index]
        if index == 0 and raw.startswith("\ufeff"):
            raw = raw[1:]
            offset += 1
        if ">" in raw:
            quote_depth, content, start_col, quote_indents = _strip_quotes(raw)
        else:
            quote_depth, content, start_col, quote_indents = 0, raw, 0, []
        content_offset = offset + len(raw) - len(content)
        if content[:1] in _BLANKS:
            cols, chars = indent_width(content, start_col)
            stripped = content[chars:]
            blank = not stripped or stripped.isspace()
        else:
            cols = chars = 0
            stripped = content
            blank = not content

        if quote_depth < last_quote_depth:
            lazy = paragraph and not blank and not _starts_block(stripped, True)
            if lazy:
                if owner is not None:
                    owner.extra.append(stripped.strip())
                continue
            keep = 0
            while keep < len(items) and items[keep].quote_depth <= quote_depth:
                keep += 1
            close_items(keep, index)
            if block is not None and block.quote_depth > quote_depth:
                block = None
            paragraph = False
            owner = None
        last_quote_depth = quote_depth

        if block is not None:
            if not blank and block.container_col and cols < block.container_col:
                block = None  # its container ended, and so did the block
            elif block.fence_char:
                if (
                    cols - block.container_col < 4
                    and stripped.startswith(block.fence_char * block.fence_len)
                    and not stripped.rstrip().strip(block.fence_char)
                ):
                    block = None
                continue
            else:
                if (block.html_end is None and blank) or (
                    block.html_end is not None and block.html_end.search(content)
                ):
                    block = None
                continue

        if blank:
            paragraph = False
            paragraph_lines = []
            owner = None
            continue

        first = stripped[0]
        # Which open list items does this line stay inside? Outermost first: an item
        # outside a block quote on this line is continued only by the indentation before
        # that quote's ">".
        keep = 0
        while keep < len(items):
            item = items[keep]
            quoted = item.quote_depth < quote_depth
            width = quote_indents[item.quote_depth] if quoted else cols
            if width < item.content_col:
                break
            keep += 1
        outdented = keep < len(items)
        rel = cols - (items[keep - 1].content_col if keep else 0)

        setext = paragraph and paragraph_lines and not items and rel < 4 and first in "=-"
        if setext and _SETEXT.match(stripped):
            heading_text = " ".join(lines[i][1].strip() for i in paragraph_lines)
            headings.append(Heading(paragraph_lines[0], 1 if first == "=" else 2, heading_text))
            paragraph = False
            paragraph_lines = []
            continue

        if paragraph and (rel >= 4 or not _starts_block(stripped, outdented)):
            # Paragraph continuation, lazy when it is less indented than its item.
            if owner is not None:
                owner.extra.append(stripped.strip())
            elif not items:
                paragraph_lines.append(index)
            continue

        close_items(keep, index)
        container_col = items[-1].content_col if items else 0
        if rel >= 4:
            paragraph = False  # indented code
            owner = None
            continue

        if first in "`~":
            fence = _FENCE_OPEN.match(stripped)
            if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
                block = _Block(quote_depth, container_col, fence.group(1)[0], len(fence.group(1)))
                paragraph = False
                owner = None
                continue
        elif first == "<":
            kind = _html_start(stripped, paragraph)
            if kind:
                end = _HTML_END[kind]
                if end is None or not end.search(stripped):
                    block = _Block(quote_depth, container_col, html_end=end)
                paragraph = False
                owner = None
                continue
        elif first == "#":
            atx = _atx(stripped)
            if atx:
                end_continuations(index)
                headings.append(Heading(index, atx[0], atx[1]))
                paragraph = False
                owner = None
                continue

        if first in "-*_" and _THEMATIC.match(stripped):
            paragraph = False
            owner = None
            continue

        marker = _LIST_MARKER.match(stripped) if first in "-+*0123456789" else None
        if marker is not None:
            after = stripped[marker.end() :]
            marker_cols = cols + marker.end()
            space_cols, space_chars = indent_width(after, start_col + marker_cols)
            rest = after[space_chars:]
            if paragraph and not outdented and (not rest or marker.group(2) not in (None, "1")):
                # Within its paragraph's container, an item may not start empty or,
                # when ordered, at a number other than 1: this line continues the text.
                if owner is not None:
                    owner.extra.append(stripped.strip())
                continue
            checkbox = None
            if not rest:
                content_col = marker_cols + 1
            elif space_cols > 4:
                content_col = marker_cols + 1  # the item starts with indented code
            else:
                content_col = marker_cols + space_cols
                box = _CHECKBOX.match(rest) if rest[0] == "[" else None
                if box is not None:
                    end_continuations(index)
                    rest_offset = content_offset + chars + marker.end() + space_chars
                    checkbox = CheckboxItem(
                        line=index,
                        depth=len(items),
                        quote_depth=quote_depth,
                        status=box.group(1),
                        optional=bool(box.group(2)),
                        status_offset=rest_offset + 1,
                        text=rest[box.end() :].strip(),
                    )
                    found.append(checkbox)
            items.append(_Item(content_col, quote_depth, checkbox))
            paragraph = bool(rest) and space_cols <= 4
            owner = checkbox
            paragraph_lines = []
            continue

        # Plain paragraph text.
        if not paragraph:
            owner = None
            paragraph_lines = [] if items else [index]
        elif not items:
            paragraph_lines.append(index)
        paragraph = True

    close_items(0, len(lines))
    for checkbox_item in found:
        if checkbox_item.end_line < 0:
            checkbox_item.end_line = len(lines)
    return Scan(lines, headings, found)


def _starts_block(stripped: str, outdented: bool) -> bool:
    """Would this line interrupt a paragraph (so that it cannot continue one)?"""
    first = stripped[:1]
    if first == "#":
        return _atx(stripped) is not None
    if first in ("`", "~"):
        fence = _FENCE_OPEN.match(stripped)
        return fence is not None and not (fence.group(1)[0] == "`" and "`" in fence.group(2))
    if first == ">":
        return True
    if first == "<":
        return _html_start(stripped, True) != 0
    if first in ("-", "*", "_") and _THEMATIC.match(stripped):
        return True
    if first and first in "-+*0123456789":
        marker = _LIST_MARKER.match(stripped)
        if marker is None:
            return False
        if outdented:
            return True
        rest = stripped[marker.end() :].strip()
        return bool(rest) and marker.group(2) in (None, "1")
    return False
