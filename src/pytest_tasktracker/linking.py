"""Link collected tests to sub-tasks (DESIGN.md, "Linking"): first rule that applies wins.

1. ``@pytest.mark.task("2.11")`` on the test, its class, module or parametrized case.
2. ``<!-- tests: path, path::node -->`` in the sub-task's lines.
3. Test files or node ids the sub-task's text names, matched by path suffix.
4. A sub-task that asks to run tests without naming any: the test files named elsewhere
   in its step, or else the whole suite (which only an unnarrowed run can verify).
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pytest_tasktracker.intent import Intent, read_intent
from pytest_tasktracker.tracker import SubTask, Tracker

Rule = Literal["marker", "explicit", "named", "step", "suite"]


@dataclass(frozen=True, slots=True)
class CollectedTest:
    """What linking needs of a collected test: its node id and its ``task`` marker ids."""

    nodeid: str
    tasks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    subtask: SubTask
    intent: Intent
    rule: Rule | None  # None: unlinked
    targets: tuple[str, ...]  # the names it was linked through (ids, paths, node ids)
    nodeids: tuple[str, ...]  # the collected tests it is linked to, in collection order


def _split(nodeid: str) -> tuple[str, str]:
    path, _, rest = nodeid.partition("::")
    return path, rest


class _Index:
    """Collected tests by file name, for matching names by path suffix."""

    def __init__(self, tests: Sequence[CollectedTest]) -> None:
        self.order = {test.nodeid: n for n, test in enumerate(tests)}
        self.by_name: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for test in tests:
            path, rest = _split(test.nodeid)
            self.by_name[path.rsplit("/", 1)[-1]].append((path, rest, test.nodeid))
        self.all = tuple(test.nodeid for test in tests)

    def match(self, target: str) -> list[str]:
        target = target.strip().replace("\\", "/").removeprefix("./")
        path, node = _split(target)
        if not path.endswith(".py"):  # a folder
            folder = path.rstrip("/") + "/"
            return [
                nodeid
                for nodeid in self.all
                if nodeid.startswith(folder) or f"/{folder}" in _split(nodeid)[0]
            ]
        found = []
        for item_path, item_rest, nodeid in self.by_name.get(path.rsplit("/", 1)[-1], ()):
            if item_path != path and not item_path.endswith("/" + path):
                continue
            if node and not (item_rest == node or item_rest.startswith((node + "::", node + "["))):
                continue
            found.append(nodeid)
        return found

    def match_all(self, targets: Iterable[str]) -> tuple[str, ...]:
        found = {nodeid for target in targets for nodeid in self.match(target)}
        return tuple(sorted(found, key=self.order.__getitem__))


class KnownIds:
    """The tracker's sub-task ids, for checking ``task`` markers: built once per run, so
    checking every collected test costs a set lookup, not a walk over the tracker."""

    def __init__(self, tracker: Tracker) -> None:
        self.ids = list(dict.fromkeys(subtask.id for subtask in tracker.subtasks))
        self.folded = {subtask_id.casefold() for subtask_id in self.ids}

    def unknown(self, ids: Iterable[str]) -> list[str]:
        """Messages for the ids the tracker does not have."""
        return [
            _unknown(task_id, self.ids) for task_id in ids if task_id.casefold() not in self.folded
        ]


def _unknown(task_id: str, all_ids: list[str]) -> str:
    near = difflib.get_close_matches(task_id, all_ids, n=3, cutoff=0.5)
    hint = f"; nearest known ids: {', '.join(near)}" if near else ""
    return f"unknown sub-task id {task_id!r}{hint}"


def link(tracker: Tracker, tests: Sequence[CollectedTest]) -> list[Link]:
    """Link every sub-task of ``tracker`` to the collected ``tests``."""
    index = _Index(tests)
    by_marker: dict[str, list[str]] = defaultdict(list)
    for test in tests:
        for task_id in test.tasks:
            by_marker[task_id.casefold()].append(test.nodeid)
    intents = {id(subtask): read_intent(subtask) for subtask in tracker.subtasks}

    step_targets: dict[str, list[str]] = defaultdict(list)
    for subtask in tracker.subtasks:
        intent = intents[id(subtask)]
        step_targets[subtask.step].extend(_split(t)[0] for t in intent.explicit + intent.named)

    links = []
    for subtask in tracker.subtasks:
        intent = intents[id(subtask)]
        marked = by_marker.get(subtask.id.casefold())
        rule: Rule | None
        targets: tuple[str, ...]
        nodeids: tuple[str, ...]
        if marked:
            rule, targets = "marker", (subtask.id,)
            nodeids = tuple(sorted(set(marked), key=index.order.__getitem__))
        elif intent.explicit:
            rule, targets = "explicit", intent.explicit
            nodeids = index.match_all(targets)
        elif intent.named:
            rule, targets = "named", intent.named
            nodeids = index.match_all(targets)
        elif intent.runs_tests:
            in_step = tuple(dict.fromkeys(step_targets[subtask.step]))
            if in_step and not intent.whole_suite:
                rule, targets = "step", in_step
                nodeids = index.match_all(targets)
            else:
                rule, targets, nodeids = "suite", (), index.all
        else:
            rule, targets, nodeids = None, (), ()
        links.append(Link(subtask, intent, rule, targets, nodeids))
    return links
