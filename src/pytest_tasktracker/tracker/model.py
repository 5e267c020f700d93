"""The tracker model: steps and sub-tasks with ids, read from markdown.

No pytest import here: this module is the library that other tools can use on their own.
"""

# No ``from __future__ import annotations``: the public named tuples' fields are then
# types, not strings that typing.NamedTuple compiles one by one (1.8 M instructions a run).

import gc
import re
from collections.abc import Iterator
from operator import attrgetter
from typing import Literal, NamedTuple

from pytest_tasktracker import words
from pytest_tasktracker.errors import SubTaskReferenceError
from pytest_tasktracker.lazyre import Lazy
from pytest_tasktracker.paths import slug
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.scanner import CheckboxItem, Heading, scan

State = Literal["done", "open", "other"]
StepKind = Literal["heading", "item", "section"]

# The words a step's name starts with: the patterns' alternatives and the str readers'.
_STEP_WORD_LIST = ("step", "phase", "stage", "milestone", "part")
_STEP_WORDS = "(?:" + "|".join(_STEP_WORD_LIST) + ")"
_HEADING_STEP = Lazy(
    rf"^[*_]*{_STEP_WORDS}\s+(\d+(?:\.\d+)*)[*_]*\s*(?:[:.)\-\u2013\u2014]\s*)?(.*)$",
    re.IGNORECASE,
)
_NUMBERED_HEADING = Lazy(r"^(\d+(?:\.\d+)+|\d+(?=[.)]))[.)]?\s+(.*)$")
_ITEM_STEP = Lazy(
    rf"^[*_]*{_STEP_WORDS}\s+(\d+(?:\.\d+)*)\s*[:.)\-\u2013\u2014]\s*(.*?)$", re.IGNORECASE
)
_PULL_REQUEST = Lazy(r"^pull[ -]request\b", re.IGNORECASE)
_EXPLICIT_ID = Lazy(r"^(T\d+|\d+(?:\.\d+)+)\.?(?=\s|$)|^(\d+)\.(?=\s|$)")
_ID_STARTS = frozenset("T0123456789")
_TRAILING_LINK = Lazy(r"\s+[-\u2013\u2014]\s+\[[^\]]*\]\([^)]*\)\s*$")
_LINK = Lazy(r"\[([^\]]*)\]\([^)]*\)")
_TITLE_LINK = Lazy(r"\s*(?:[-\u2013\u2014]\s*)?\[[^\]]*\]\(([^)\s]*)\)\s*$")
_EMPHASIS = Lazy(r"\*\*|__|`")
_SPACE = Lazy(r"\s+")


def _plain(text: str) -> str:
    """Text as a reader sees it: no emphasis, code ticks or link targets."""
    if "](" in text:
        text = _LINK().sub(r"\1", text)
    if "**" in text or "__" in text or "`" in text:
        text = _EMPHASIS().sub("", text)
    return _spaced(text)


def _spaced(text: str) -> str:
    """Each run of white space as one space, and none at the ends: what ``\\s+`` to " "
    and ``strip()`` make (``str.split`` and ``re``'s ``\\s`` agree on white space)."""
    return " ".join(text.split())


def _without_trailing_link(text: str) -> str:
    """``text`` without a link at its end after a dash (``Title - [x](y)``)."""
    return _TRAILING_LINK().sub("", text) if "](" in text else text


def _unwrap(text: str) -> str:
    """A title without the emphasis around it (``**Step 1: Title**`` leaves ``Title**``
    after the step words), keeping emphasis inside it (``**Bold** title``)."""
    text = text.strip(" ")
    for mark in ("**", "__", "*", "_"):
        if text.startswith(mark) and text.count(mark) % 2:
            text = text[len(mark) :]
        if text.endswith(mark) and text.count(mark) % 2:
            text = text[: -len(mark)]
    return text.strip(" ")


def strip_comments(text: str) -> str:
    """``text`` without its complete HTML comments, in linear time."""
    parts = []
    position = 0
    while True:
        start = text.find("<!--", position)
        end = text.find("-->", start + 4) if start >= 0 else -1
        if end < 0:
            parts.append(text[position:])
            return " ".join(parts)
        parts.append(text[position:start])
        position = end + 3


def slugify(text: str) -> str:
    return slug(_plain(text), 48) or "section"


class SubTask(NamedTuple):
    """A checkbox list item: an immutable record, a named tuple because a tracker makes
    one per checkbox (on Python 3.11 a frozen dataclass costs 20,500 instructions to
    make; this costs 8,200 made by keyword, 3,700 by position, as the parser makes it)."""

    id: str
    text: str  # the item's first paragraph, comments removed, whitespace collapsed
    status: str  # the raw bracket content: " ", "x", "X", "-", "~", "" ...
    line: int  # 1-based line of the checkbox
    step: str  # id of the step (or section) it belongs to
    offset: int  # character offset of the bracket content in the tracker text
    continuation: tuple[str, ...]  # the item's further lines, up to the next checkbox
    depth: int
    optional: bool  # "[ ]*": Kiro's optional task
    source: str = ""  # the checkbox line as written

    @property
    def done(self) -> bool:
        return self.status in ("x", "X")

    @property
    def state(self) -> State:
        if self.done:
            return "done"
        return "open" if self.status.isspace() else "other"

    @property
    def mark(self) -> str:
        """The checkbox as written, e.g. ``[ ]``, ``[x]``, ``[-]`` or ``[ ]*``."""
        return f"[{self.status}]" + ("*" if self.optional else "")

    @property
    def plain_text(self) -> str:
        return _plain(self.text)

    @property
    def full_text(self) -> str:
        """The first line and every continuation line, for searching claims and links."""
        return "\n".join((self.source or self.text, *self.continuation))


class Step(NamedTuple):
    """A step: a step heading, a step-level checkbox item, or a section of loose items."""

    id: str
    title: str
    line: int  # 1-based
    kind: StepKind
    subtasks: tuple[SubTask, ...]
    status: str | None  # the step's own checkbox, if it has one
    status_offset: int | None

    @property
    def done_count(self) -> int:
        return sum(1 for subtask in self.subtasks if subtask.done)

    @property
    def plain_title(self) -> str:
        """The title without the link that mcp-coder puts after it
        (``Build the cache [step_1.md](./steps/step_1.md)`` -> ``Build the cache``)."""
        if "](" not in self.title:
            return self.title.strip() or self.title
        return _TITLE_LINK().sub("", self.title).strip() or self.title

    @property
    def link(self) -> str | None:
        """The target of that link (``./steps/step_1.md``), if the title ends with one."""
        match = _TITLE_LINK().search(self.title) if "](" in self.title else None
        return match.group(1) if match else None

    @property
    def open_subtasks(self) -> tuple[SubTask, ...]:
        return tuple(subtask for subtask in self.subtasks if not subtask.done)


class Tracker(Slotted):
    """A parsed tracker. ``text`` is the decoded file; offsets point into it."""

    __slots__ = ("text", "steps", "subtasks", "path")

    def __init__(
        self, text: str, steps: tuple[Step, ...], subtasks: tuple[SubTask, ...], path: str
    ) -> None:
        self.text = text
        self.steps = steps
        self.subtasks = subtasks
        self.path = path

    def __iter__(self) -> Iterator[SubTask]:
        return iter(self.subtasks)

    def __len__(self) -> int:
        return len(self.subtasks)

    @property
    def done_count(self) -> int:
        return sum(1 for subtask in self.subtasks if subtask.done)

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def next_step(self) -> Step | None:
        """The first step that still has sub-tasks that are not done."""
        return next((step for step in self.steps if step.open_subtasks), None)

    def by_id(self, subtask_id: str) -> list[SubTask]:
        key = subtask_id.casefold()
        return [subtask for subtask in self.subtasks if subtask.id.casefold() == key]

    def find(self, reference: str) -> SubTask:
        """Find one sub-task by its id or by a unique, case-insensitive prefix of its text."""
        ref = reference.strip()
        matches = self.by_id(ref)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            lines = ", ".join(str(subtask.line) for subtask in matches)
            raise SubTaskReferenceError(
                self.path, f"sub-task id {ref!r} is ambiguous: it is on lines {lines}"
            )
        prefix = _SPACE().sub(" ", ref).casefold()
        if prefix:
            matches = [
                subtask
                for subtask in self.subtasks
                if subtask.text.casefold().startswith(prefix)
                or subtask.plain_text.casefold().startswith(prefix)
            ]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                ids = ", ".join(subtask.id for subtask in matches[:8])
                raise SubTaskReferenceError(
                    self.path, f"{ref!r} is ambiguous: it starts sub-tasks {ids}"
                )
        step = self.step(ref)
        if step is not None:
            ids = ", ".join(subtask.id for subtask in step.subtasks[:8])
            raise SubTaskReferenceError(
                self.path, f"{ref!r} is a step, not a sub-task; its sub-tasks are {ids}"
            )
        raise SubTaskReferenceError(self.path, f"no sub-task {ref!r}{self.suggest(ref)}")

    def suggest(self, reference: str) -> str:
        """A hint naming the known ids nearest to ``reference``."""
        ids = list(dict.fromkeys(subtask.id for subtask in self.subtasks))
        import difflib  # only for a reference that matched nothing

        near = difflib.get_close_matches(reference, ids, n=3, cutoff=0.5)
        if not near:
            return f" (the tracker has {len(ids)} sub-tasks)" if ids else " (no sub-tasks)"
        return " (did you mean " + ", ".join(near) + "?)"


def _clean_text(item: CheckboxItem) -> str:
    text = " ".join((item.text, *item.extra)) if item.extra else item.text
    if "<!--" in text:
        text = strip_comments(text)
    if "  " in text or "\t" in text or "\n" in text:
        return _spaced(text)
    return text.strip()


_STEP_PREFIXES = tuple(word[:4] for word in _STEP_WORD_LIST)
_STEP_FIRST = frozenset("*_ SsPpMm")  # how a body naming a step may start: tested first


# Headings read without _HEADING_STEP before it is compiled: a tracker of a few dozen
# steps never pays for compiling it, one of thousands reads the rest with it.
_HEADINGS_BEFORE_PATTERN = [64]


def _step_heading_parts(text: str) -> tuple[str, str] | None:
    """``_HEADING_STEP``'s groups (the step's number, the title), or None where it does
    not match: read from ASCII text with ``str`` methods (every part after the number is
    optional, so the longest number is the one the pattern takes); other text, text with
    a line break, and every heading after the first 64 of a process, by the pattern."""
    left = _HEADINGS_BEFORE_PATTERN
    if left[0] <= 0 or not text.isascii() or "\n" in text:
        match = _HEADING_STEP().match(text)
        return (match.group(1), match.group(2)) if match else None
    left[0] -= 1
    lower = text.lower()
    at = len(text) - len(text.lstrip("*_"))
    for word in _STEP_WORD_LIST:
        if lower.startswith(word, at):
            break
    else:
        return None
    start = words.after_space(lower, at + len(word))
    if start is None or not lower[start : start + 1].isdigit():
        return None
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
        if text[end : end + 1] == "." and text[end + 1 : end + 2].isdigit():
            end += 1
    title = end + len(text[end:]) - len(text[end:].lstrip("*_"))
    title = words.after_space(text, title) or title
    if text[title : title + 1] in (":", ".", ")", "-"):
        title = words.after_space(text, title + 1) or title + 1
    return text[start:end], text[title:]


def _pull_request(text: str) -> bool:
    """Whether ``text`` starts with "Pull Request" (``_PULL_REQUEST``)."""
    if text.isascii():
        return words.word_at(text.lower(), 0, ("pull request", "pull-request"))
    return _PULL_REQUEST().match(text) is not None


def _may_name_a_step(body: str) -> bool:
    return body[:1] in _STEP_FIRST and body.lstrip("*_ ")[:4].lower() in _STEP_PREFIXES


class _StepBuilder:
    """A step being built (a plain class: a dataclass costs more to create than to use)."""

    def __init__(self, id: str, title: str, line: int, kind: StepKind, level: int) -> None:
        self.id = id
        self.title = title
        self.line = line
        self.kind = kind
        self.level = level  # heading level for heading steps; 0 for item steps and sections
        self.status: str | None = None
        self.status_offset: int | None = None
        self.subtasks: list[SubTask] = []


def _heading_step(heading: Heading) -> tuple[str, str] | None:
    text = heading.text
    parts = _step_heading_parts(text)
    if parts is None and text[:1].isdecimal():  # what ``\d`` matches
        match = _NUMBERED_HEADING().match(text)
        parts = (match.group(1), match.group(2)) if match else None
    if parts is not None:
        return parts[0], _unwrap(parts[1]) or text
    if text[:1] in ("p", "P") and _pull_request(text):
        return slugify(text), text
    return None


def parse(text: str, path: str = "<tracker>") -> Tracker:
    """Parse tracker markdown into steps and sub-tasks.

    The objects made here hold no reference cycles, so the cyclic garbage collector is
    paused while they are made: on a 100,000-sub-task tracker it would otherwise spend
    a quarter of the time scanning them (see benchmarks/bench_library.py).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(text, path)
    finally:
        if enabled:
            gc.enable()


_BY_LINE = attrgetter("line")
_BY_OFFSET = attrgetter("offset")


def _parse(text: str, path: str) -> Tracker:
    result = scan(text)
    events: list[Heading | CheckboxItem] = [*result.headings, *result.items]
    events.sort(key=_BY_LINE)
    builder = _TrackerBuilder(result.lines)
    for event in events:
        if isinstance(event, Heading):
            builder.heading(event)
        else:
            builder.item(event)
    steps = tuple(step for step in map(_built_step, builder.steps) if step is not None)
    ordered = sorted((s for step in steps for s in step.subtasks), key=_BY_OFFSET)
    return Tracker(text=text, steps=steps, subtasks=tuple(ordered), path=path)


class _TrackerBuilder:
    """Steps and their sub-tasks, built from the scan's headings and items in order."""

    def __init__(self, lines: list[tuple[int, str, str]]) -> None:
        self.lines = lines
        self.steps: list[_StepBuilder] = []
        self.current: _StepBuilder | None = None
        self.section, self.section_title = "tasks", "Tasks"
        self.counters: dict[str, int] = {}

    def _open(self, step: _StepBuilder) -> _StepBuilder:
        self.steps.append(step)
        self.current = step
        return step

    def heading(self, heading: Heading) -> None:
        current = self.current
        named = _heading_step(heading)
        if named is not None:
            self._open(_StepBuilder(named[0], named[1], heading.line + 1, "heading", heading.level))
        elif current is not None and current.kind == "heading" and heading.level > current.level:
            pass  # a sub-heading inside the step, like Spec Kit's "### Tests for ..."
        else:
            self.current = None
            if heading.text:
                self.section, self.section_title = slugify(heading.text), heading.text

    def item(self, item: CheckboxItem) -> None:
        body = _clean_text(item)
        if body[:1] in ("=", ":"):
            return  # "- [x] = Task complete": a legend explaining the notation
        explicit = _EXPLICIT_ID().match(body) if body[:1] in _ID_STARTS else None
        if not self._step_item(item, body, explicit):
            self._subtask(item, body, explicit)

    def _step_item(self, item: CheckboxItem, body: str, explicit: re.Match[str] | None) -> bool:
        """An item that is a step ("- [ ] Step 2: ...", Kiro's "- [ ] 3. Title")."""
        current = self.current
        step_match = (
            _ITEM_STEP().match(_plain(_without_trailing_link(body)))
            if _may_name_a_step(body)
            else None
        )
        if step_match is not None:
            step_id, title = step_match.group(1), _unwrap(step_match.group(2))
        elif (
            explicit is not None
            and explicit.group(2) is not None
            and item.depth == 0
            and (current is None or current.kind != "heading")
        ):
            step_id, title = explicit.group(2), body[explicit.end() :].strip()
        else:
            return False
        title = _unwrap(_without_trailing_link(title)) or body
        if current is None or current.kind != "heading" or current.id != step_id:
            current = self._open(_StepBuilder(step_id, title, item.line + 1, "item", 0))
        current.status, current.status_offset = item.status, item.status_offset
        return True

    def _subtask(self, item: CheckboxItem, body: str, explicit: re.Match[str] | None) -> None:
        current = self.current
        if current is None:
            section = _StepBuilder(self.section, self.section_title, item.line + 1, "section", 0)
            current = self._open(section)
        counters = self.counters
        counters[current.id] = counters.get(current.id, 0) + 1
        if explicit is not None and explicit.group(1) is not None:
            subtask_id = explicit.group(1)
            body = body[explicit.end() :].strip()
        elif explicit is not None and current.kind != "heading":
            subtask_id = explicit.group(2)
            body = body[explicit.end() :].strip()
        else:
            subtask_id = f"{current.id}.{counters[current.id]}"
        lines = self.lines
        first, end = item.line + 1, item.end_line
        while end > first and not lines[end - 1][1].strip():
            end -= 1
        continuation = tuple(line for _, line, _ in lines[first:end]) if end > first else ()
        # In the order of SubTask's fields: a call by keyword costs twice as much (8,200
        # instructions against 3,700), and a tracker makes one a checkbox.
        current.subtasks.append(
            SubTask(
                subtask_id,  # id
                body,  # text
                item.status,  # status
                first,  # line
                current.id,  # step
                item.status_offset,  # offset
                continuation,  # continuation
                item.depth,  # depth
                item.optional,  # optional
                lines[item.line][1],  # source
            )
        )


def _built_step(builder: _StepBuilder) -> Step | None:
    subtasks = builder.subtasks
    if not subtasks and builder.kind == "item" and builder.status_offset is not None:
        # A step item with no sub-tasks (Kiro's "- [ ] 3. Checkpoint") is its own sub-task.
        subtasks = [
            SubTask(
                id=builder.id,
                text=builder.title,
                status=builder.status or "",
                line=builder.line,
                step=builder.id,
                offset=builder.status_offset,
                continuation=(),
                depth=0,
                optional=False,
            )
        ]
    if builder.kind == "section" and not subtasks:
        return None
    return Step(
        id=builder.id,
        title=builder.title,
        line=builder.line,
        kind=builder.kind,
        subtasks=tuple(subtasks),
        status=builder.status,
        status_offset=builder.status_offset,
    )
