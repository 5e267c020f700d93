"""Collection-time hooks: ``task`` marks checked per collector, node ids recorded once.

They run in a serial run and in every xdist worker, which sends what they recorded to
the controller through ``config.workeroutput``. Registered only when a tracker is set.
"""

from __future__ import annotations

import operator
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_tasktracker.plugin.tracker_run import TrackerRun
    from pytest_tasktracker.rules.linking import KnownIds
    from pytest_tasktracker.tracker.model import Tracker


class CollectHooks:
    """Collection-time work, in a serial run and in every xdist worker."""

    def __init__(self, config: pytest.Config, path: Path, name: str) -> None:
        from pytest_tasktracker.plugin.collection import Collected

        self.config = config
        self.path = path
        self.name = name
        self._tracker: Tracker | None = None
        self._known: KnownIds | None = None
        self.collected = Collected()
        self.run: TrackerRun | None = None  # set on the controller or in a serial run
        self.marks: dict[str, list[str]] = {}  # node id -> task ids, of marked tests
        self.items_read = 0  # tests in the collect reports read
        self.pending: set[str] = set()  # collectors made and not (yet) expanded
        self._made: list[Sequence[Any]] = []  # every passing collect report's nodes
        self._is_item: dict[type, bool] = {}  # isinstance on a node class is slow (an ABC)

    def tracker(self) -> Tracker:
        """The tracker, read once: raises TrackerError when it cannot be read."""
        if self._tracker is None:
            from pytest_tasktracker.tracker.editing import load

            self._tracker = load(self.path, self.name)
        return self._tracker

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if report.passed:
            self.pending.discard(collector.nodeid)
        if report.passed and report.result and isinstance(collector, pytest.File):
            outside = self._outside(collector)
            if outside is not None:
                report.outcome = "failed"
                report.longrepr = outside
                report.result = []
                return report
        if report.passed and report.result:
            self._made.append(report.result)
            problems = self._marker_problems(collector, report.result)
            if problems:
                report.outcome = "failed"
                report.longrepr = "\n".join(problems)
                report.result = []
        return report

    def _outside(self, collector: pytest.File) -> str | None:
        """Why a test file outside the rootdir cannot count: pytest names its tests from
        the folder it was given, so ``../other/tests/test_a.py`` would be
        ``tests/test_a.py``, the id of a file of this project that did not run."""
        import os

        root = str(self.config.rootpath)
        where = str(collector.path)
        if where.startswith(root + os.sep) or where == root:
            return None
        return (
            f"{where} is outside the rootdir {root}: its tests would count as "
            f"{collector.nodeid}, a file of the project the tracker {self.name} belongs to. "
            "Run pytest from the project whose tests these are."
        )

    def _marker_problems(self, collector: pytest.Collector, nodes: Sequence[Any]) -> list[str]:
        from pytest_tasktracker.plugin.collection import task_ids

        # The marks of the collector's chain (session, package, module, class) are the same
        # for every item it made: read them once, then only each item's own marks.
        inherited = [
            mark
            for node in collector.listchain()
            for mark in node.own_markers
            if mark.name == "task"
        ]
        problems: list[str] = []
        is_item = self._is_item
        for node in nodes:
            kind = type(node)
            if kind not in is_item:
                is_item[kind] = isinstance(node, pytest.Item)
            if not is_item[kind]:
                self.pending.add(node.nodeid)
                continue
            self.items_read += 1
            own = node.own_markers
            if own:
                own = [mark for mark in own if mark.name == "task"]
            if not own and not inherited:
                continue
            ids, bad = task_ids([*own, *reversed(inherited)])
            self.marks[node.nodeid] = ids
            problems.extend(
                f"{node.nodeid}: {problem} in tracker {self.name} (@pytest.mark.task)"
                for problem in [*bad, *self._unknown(ids)]
            )
        return problems

    def _unknown(self, ids: list[str]) -> list[str]:
        from pytest_tasktracker.errors import TrackerError

        if self._known is None:
            from pytest_tasktracker.rules.linking import KnownIds

            try:
                self._known = KnownIds(self.tracker())
            except TrackerError as error:
                return [f"the ids cannot be checked: {error}"]
        return self._known.unknown(ids)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(
        self, items: list[pytest.Item]
    ) -> Generator[None, None, None]:
        """Every collected test before the other plugins deselect, drop, make or reorder
        tests, and what they left: one call, not one a test."""
        collected = self.collected
        before = list(items)  # also keeps the objects alive, so no id() is reused
        nodeids = collected.nodeids = [item.nodeid for item in before]
        if len(before) == self.items_read:  # every test came from a collect report read
            marks = self.marks
            collected.tasks.update((n, marks[n]) for n in nodeids if n in marks)
        else:
            self._read_marks(before, nodeids)
        if self.items_read > len(before):  # node-id arguments left tests out
            self._read_extra(before)
        self._made.clear()
        result = yield
        if len(items) == len(before) and all(map(operator.is_, items, before)):
            collected.selected = list(nodeids)  # the usual case: nothing changed
            return result
        # Compared by identity: a node id costs a property call, an id() does not.
        kept = {id(item) for item in items}
        old = {id(item) for item in before}
        collected.selected = [
            n for item, n in zip(before, nodeids, strict=True) if id(item) in kept
        ]
        made = [item for item in items if id(item) not in old]
        if made:
            made_ids = [item.nodeid for item in made]
            nodeids.extend(made_ids)
            collected.selected.extend(made_ids)
            self._read_marks(made, made_ids)
        return result

    def _read_extra(self, before: Sequence[pytest.Item]) -> None:
        """The tests collectors made that the session left out (node-id arguments)."""
        chosen = {id(item) for item in before}
        is_item = self._is_item
        extra = self.collected.extra
        for nodes in self._made:
            extra.extend(
                node.nodeid for node in nodes if is_item.get(type(node)) and id(node) not in chosen
            )
        extra[:] = dict.fromkeys(extra)
        marks = self.marks
        self.collected.tasks.update((n, marks[n]) for n in extra if n in marks)

    def _read_marks(self, items: Sequence[pytest.Item], nodeids: Sequence[str]) -> None:
        """Marker ids of tests that came from elsewhere than the collect reports read."""
        from pytest_tasktracker.plugin.collection import task_ids

        for item, nodeid in zip(items, nodeids, strict=True):
            ids = self.marks.get(nodeid) or task_ids(list(item.iter_markers("task")))[0]
            if ids:
                self.collected.tasks[nodeid] = ids

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.collected.deselected.update(item.nodeid for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from pytest_tasktracker.plugin.collection import WORKEROUTPUT_KEY

        if self.collected.selected is None:  # collection stopped before modifyitems
            self.collected.selected = [item.nodeid for item in session.items]
        self.collected.pending = sorted(self.pending)
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKEROUTPUT_KEY] = self.collected.to_json()
        elif self.run is not None:
            self.run.local = self.collected

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """On a worker, pass a usage error on: xdist shows the controller only its own
        INTERNALERROR (a bad -k expression) or "no tests ran" (a missing path)."""
        import sys

        from pytest_tasktracker.plugin.collection import WORKER_ERROR_KEY, WORKER_LOADED_KEY
        from pytest_tasktracker.plugin.tracker_run import modules_loaded_from

        workeroutput = getattr(self.config, "workeroutput", None)
        error = sys.exc_info()[1]
        if workeroutput is not None and type(error).__name__ == "UsageError":
            workeroutput[WORKER_ERROR_KEY] = str(error)
        if workeroutput is not None:  # the controller imports none of them: code too
            loaded = modules_loaded_from(self.config.rootpath)
            workeroutput[WORKER_LOADED_KEY] = "\n".join(sorted(loaded))
