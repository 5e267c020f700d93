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
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pytest_tasktracker.rules.intent import Intent, read_intent
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.model import SubTask, Tracker

Rule = Literal["marker", "explicit", "named", "step", "suite"]


class Link(Slotted):
    __slots__ = ("subtask", "intent", "rule", "targets", "nodeids")

    def __init__(
        self,
        subtask: SubTask,
        intent: Intent,
        rule: Rule | None,
        targets: tuple[str, ...],
        nodeids: tuple[str, ...],
    ) -> None:
        self.subtask = subtask
        self.intent = intent
        self.rule = rule  # None: unlinked
        self.targets = targets  # the names it was linked through (ids, paths, node ids)
        self.nodeids = nodeids  # the collected tests it is linked to, in collection order


def _split(nodeid: str) -> tuple[str, str]:
    path, _, rest = nodeid.partition("::")
    return path, rest


def split_target(target: str) -> tuple[str, str]:
    """A linked name as (file or folder path, node): the path with ``/`` and without a
    leading ``./``; the node as pytest writes it in node ids, where a parametrized id's
    non-ASCII characters are escaped (``test_w[größe]`` is ``test_w[gr\\xf6\\xdfe]``)."""
    path, node = _split(target.strip())
    path = path.replace("\\", "/").removeprefix("./")
    if not node.isascii():
        node = "".join(c if c.isascii() else c.encode("unicode_escape").decode() for c in node)
    return path, node


class _Index:
    """Collected tests by file name, for matching names by path suffix."""

    def __init__(self, nodeids: Sequence[str]) -> None:
        self.all = tuple(nodeids)
        self._order: dict[str, int] | None = None
        self._matched: dict[tuple[str, ...], tuple[str, ...]] = {}
        # file path -> its tests; a file's tests are usually collected one after another
        self.by_path: dict[str, list[str]] = {}
        last, tests = None, []
        for nodeid in nodeids:
            path = nodeid.partition("::")[0]
            if path != last:
                last, tests = path, self.by_path.setdefault(path, [])
            tests.append(nodeid)
        self.by_name: dict[str, list[str]] = defaultdict(list)  # file name -> paths
        for path in self.by_path:
            self.by_name[path.rpartition("/")[2]].append(path)

    def sort(self, nodeids: Iterable[str]) -> tuple[str, ...]:
        """``nodeids`` once each, in collection order."""
        if self._order is None:
            self._order = {nodeid: n for n, nodeid in enumerate(self.all)}
        return tuple(sorted(set(nodeids), key=self._order.__getitem__))

    def match(self, target: str) -> list[str]:
        """The collected tests ``target`` names, in collection order: a folder, a file by
        path suffix, or a node id (a class, a test, or one parametrized case)."""
        path, node = split_target(target)
        if not path.endswith(".py") and not self._is_file(path):  # a folder
            folder = path.rstrip("/") + "/"
            return [
                nodeid
                for nodeid in self.all
                if nodeid.startswith(folder) or f"/{folder}" in _split(nodeid)[0]
            ]
        paths = [
            p
            for p in self.by_name.get(path.rpartition("/")[2], ())
            if p == path or p.endswith("/" + path)
        ]
        found = [nodeid for p in paths for nodeid in self.by_path[p]]
        if len(paths) > 1:
            found = list(self.sort(found))
        if node:
            prefixes = (node + "::", node + "[")
            found = [
                n for n in found if (rest := _split(n)[1]) == node or rest.startswith(prefixes)
            ]
        return found

    def _is_file(self, path: str) -> bool:
        """Whether ``path`` names a collected file that is not a module (a doctest file,
        ``README.rst``), by path suffix."""
        name = path.rpartition("/")[2]
        return any(p == path or p.endswith("/" + path) for p in self.by_name.get(name, ()))

    def match_all(self, targets: tuple[str, ...]) -> tuple[str, ...]:
        """The tests ``targets`` name, once each, in collection order. Sub-tasks naming
        the same targets get the same tuple: judging and writing them is then done once
        (outcomes.judge_subtasks, evidence.results_parts)."""
        found = self._matched.get(targets)
        if found is None:
            if len(targets) == 1:  # one target's matches are unique and in order already
                found = tuple(self.match(targets[0]))
            else:
                found = self.sort(nodeid for target in targets for nodeid in self.match(target))
            self._matched[targets] = found
        return found


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


def link(
    tracker: Tracker,
    nodeids: Sequence[str],
    tasks: Mapping[str, Sequence[str]],
    suite: Sequence[str] | None = None,
) -> list[Link]:
    """Link every sub-task of ``tracker`` to the collected tests: their ``nodeids`` in
    collection order, and the ``task`` marker ids of the marked ones. ``suite`` is the
    part of ``nodeids`` in the configured suite (default: all of them)."""
    index = _Index(nodeids)
    by_marker: dict[str, list[str]] = defaultdict(list)
    for nodeid, task_list in tasks.items():
        for task_id in task_list:
            by_marker[task_id.casefold()].append(nodeid)
    intents = {id(subtask): read_intent(subtask) for subtask in tracker.subtasks}
    whole_suite = index.all if suite is None else tuple(suite)  # one tuple for them all

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
        linked: tuple[str, ...]
        if marked:
            rule, targets = "marker", (subtask.id,)
            linked = index.sort(marked)
        elif intent.explicit:
            rule, targets = "explicit", intent.explicit
            linked = index.match_all(targets)
        elif intent.named:
            rule, targets = "named", intent.named
            linked = index.match_all(targets)
        elif intent.runs_tests:
            in_step = tuple(dict.fromkeys(step_targets[subtask.step]))
            if in_step and not intent.whole_suite:
                rule, targets = "step", in_step
                linked = index.match_all(targets)
            else:
                rule, targets, linked = "suite", (), whole_suite
        else:
            rule, targets, linked = None, (), ()
        links.append(Link(subtask, intent, rule, targets, linked))
    return links
