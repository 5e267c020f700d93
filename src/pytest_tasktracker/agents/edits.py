"""What a coding agent's tool call would write, whatever the host calls its tools.

Each host names its edit tools and their arguments its own way (Claude Code's ``Edit``
with ``old_string``, Gemini's ``replace``, Copilot's ``edit`` with ``old_str``, Codex's
``apply_patch`` with a patch). ``edits_of`` reads any of them as ``Edit``s: a path and
how the file's text becomes the new text. A shell command is not an edit: what it wrote
is looked at after it ran.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs the hook's quick path 40 M instructions (it imports re)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

_PATH = ("file_path", "path", "filePath", "target_file", "absolute_path")
_CONTENT = ("content", "contents", "file_text", "text")
_OLD = ("old_string", "old_str", "oldText", "old_text")
_NEW = ("new_string", "new_str", "newText", "new_text")
PATCH_START = "*** Begin Patch"


class Edit:
    """One file an edit writes: its path as the tool gave it, and how its text before
    becomes its text after (None: the edit cannot apply, and the tool will refuse it).
    A plain class: the hook's quick path reads edits too, without ``typing``."""

    __slots__ = ("apply", "deleted", "path", "source")

    def __init__(
        self,
        path: str,
        apply: Callable[[str], str | None],
        source: str | None = None,  # a file moved onto ``path``: ``apply`` takes its text
        deleted: bool = False,  # it removes ``path`` (a patch's Delete File, a move's source)
    ) -> None:
        self.path = path
        self.apply = apply
        self.source = source
        self.deleted = deleted

    def __repr__(self) -> str:
        return f"Edit({self.path!r}, source={self.source!r}, deleted={self.deleted!r})"


def _gone(_text: str) -> str:
    return ""


def _text(data: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str):
            return value
    return None


def _replace(old: str, new: str, every: bool) -> Callable[[str], str | None]:
    def apply(text: str) -> str | None:
        if old not in text:
            return None
        return text.replace(old, new) if every else text.replace(old, new, 1)

    return apply


def _chain(steps: list[Callable[[str], str | None]]) -> Callable[[str], str | None]:
    def apply(text: str) -> str | None:
        result: str | None = text
        for step in steps:
            if result is None:
                return None
            result = step(result)
        return result

    return apply


def _one(data: Mapping[str, Any]) -> Callable[[str], str | None] | None:
    """How one replacement (``old``/``new``, all of them with ``replace_all``) applies."""
    old, new = _text(data, _OLD), _text(data, _NEW)
    if old is None or new is None:
        return None
    every = bool(data.get("replace_all")) or (
        isinstance(data.get("expected_replacements"), int) and data["expected_replacements"] > 1
    )
    return _replace(old, new, every)


def edits_of(tool_input: Mapping[str, Any]) -> list[Edit]:
    """The files a tool's input would write, and how; [] when it writes none (a read, a
    shell command, a search)."""
    patch = _patch_text(tool_input)
    if patch is not None:
        return patch_edits(patch)
    path = _text(tool_input, _PATH)
    if path is None:
        return []
    content = _text(tool_input, _CONTENT)
    edits = tool_input.get("edits")
    if content is not None and not isinstance(edits, list):
        whole = content
        return [Edit(path, lambda _text: whole)]
    if isinstance(edits, list):
        steps = [_one(edit) if isinstance(edit, dict) else None for edit in edits]
        if any(step is None for step in steps):
            return [Edit(path, lambda _text: None)]
        return [Edit(path, _chain([step for step in steps if step is not None]))]
    step = _one(tool_input)
    return [Edit(path, step)] if step is not None else []


def _patch_text(tool_input: Mapping[str, Any]) -> str | None:
    """A patch in Codex's ``apply_patch`` form, wherever the input holds it (``command``
    as a string or as an argument list, ``input``, ``patch``)."""
    for key in ("command", "input", "patch"):
        value = tool_input.get(key)
        candidates = value if isinstance(value, list) else [value]
        for candidate in candidates:
            if isinstance(candidate, str) and PATCH_START in candidate:
                return candidate[candidate.index(PATCH_START) :]
    return None


def patch_edits(patch: str) -> list[Edit]:
    """The files a patch in Codex's ``apply_patch`` form writes (``*** Update File:``,
    ``*** Add File:``, and where an update moves a file, ``*** Move to:``: the file it
    lands on, with the moved file's text, and the file it leaves, gone; ``*** Delete
    File:``: the file, gone)."""
    edits: list[Edit] = []
    path: str | None = None
    moved_to: str | None = None
    kind = ""
    hunks: list[list[str]] = []
    added: list[str] = []

    def close() -> None:
        if path is None:
            return
        if kind == "add":
            whole = "".join(line + "\n" for line in added)
            edits.append(Edit(path, lambda _text: whole))
        elif kind == "update":
            apply = _hunks([hunk for hunk in hunks if hunk])
            if moved_to is None:
                edits.append(Edit(path, apply))
            else:
                edits.append(Edit(moved_to, apply, source=path))
                edits.append(Edit(path, _gone, deleted=True))

    for line in patch.splitlines():
        if line.startswith(("*** Update File: ", "*** Add File: ")):
            close()
            kind = "update" if line.startswith("*** Update") else "add"
            path = line.split(": ", 1)[1].strip()
            moved_to = None
            hunks, added = [[]], []
        elif line.startswith("*** Delete File: "):
            close()
            path = None
            edits.append(Edit(line.split(": ", 1)[1].strip(), _gone, deleted=True))
        elif line.startswith("*** End Patch"):
            close()
            path = None
        elif line.startswith("*** Move to: "):
            moved_to = line.split(": ", 1)[1].strip()
        elif line.startswith(PATCH_START):
            continue
        elif path is not None and kind == "add" and line.startswith("+"):
            added.append(line[1:])
        elif path is not None and kind == "update":
            if line.startswith("@@"):
                hunks.append([])
            elif line[:1] in (" ", "-", "+") or line == "":
                hunks[-1].append(line or " ")
    close()
    return edits


def _hunks(hunks: list[list[str]]) -> Callable[[str], str | None]:
    """Apply hunks of context (`` ``), removed (``-``) and added (``+``) lines in order,
    finding each as Codex's ``apply_patch`` does: exactly, else with the lines' trailing
    whitespace ignored, else with their leading and trailing whitespace ignored."""

    def apply(text: str) -> str | None:
        position = 0
        for hunk in hunks:
            old = "".join(line[1:] + "\n" for line in hunk if line[0] in " -")
            new = "".join(line[1:] + "\n" for line in hunk if line[0] in " +")
            found = text.find(old, position)
            if found < 0 and old.endswith("\n") and text.endswith(old[:-1]):
                found, old, new = len(text) - len(old) + 1, old[:-1], new.removesuffix("\n")
            if found < 0:
                loose = _loosely(text, position, old.splitlines(), new)
                if loose is None:
                    return None
                text, position = loose
                continue
            text = text[:found] + new + text[found + len(old) :]
            position = found + len(new)
        return text

    return apply


def _loosely(text: str, position: int, old: list[str], new: str) -> tuple[str, int] | None:
    """``text`` with the first run of lines at or after ``position`` that reads as
    ``old`` when whitespace at the lines' ends is ignored replaced by ``new``, and where
    the replacement ends; None when there is none."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    first = next((i for i, start in enumerate(starts) if start >= position), len(lines))
    for same in (str.rstrip, str.strip):
        wanted = [same(line) for line in old]
        for i in range(first, len(lines) - len(old) + 1):
            if all(same(lines[i + k]) == wanted[k] for k in range(len(old))):
                replaced = text[: starts[i]] + new + text[starts[i + len(old)] :]
                return replaced, starts[i] + len(new)
    return None
