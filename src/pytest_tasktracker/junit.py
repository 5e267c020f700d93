"""JUnit XML of a tracked run, each test case naming the sub-tasks it verifies.

Requirement tools import test results from JUnit XML and link a test case to the item it
verifies by a property (sphinx-test-reports since 1.4: ``<property name="verifies"
value="REQ_1,REQ_2"/>`` inside ``<testcase><properties>``; StrictDoc asks for the same).
``pytest --tracker-junit FILE`` writes one such file from the run's reports: every test
that ran, with its outcome and duration, ``verifies`` (the ids of the sub-tasks whose
scope holds it, comma-separated) and ``verifies:ID`` (each sub-task's text). The suite's
properties name the tracker and the run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_tasktracker.redact import redact_text, secret_nodeids
from pytest_tasktracker.rules.linking import Link

_CHILD = {"failed": "failure", "error": "error", "skipped": "skipped"}
_WORKER_LINE = re.compile(r"\A\[gw\d+\] [^\n]*\n(?:\n)?")
# What XML 1.0 cannot hold (a test's output may: terminal colours, NUL), shown escaped.
_ILLEGAL = {c: f"\\x{c:02x}" for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))}


def _xml(text: str) -> str:
    return text.translate(_ILLEGAL)


def _names(nodeid: str) -> tuple[str, str, str]:
    """(file, classname, name) of a node id, as pytest's own junitxml writes them:
    ``tests/test_a.py::TestX::test_y[1]`` is ``tests.test_a.TestX`` and ``test_y[1]``."""
    path, _, rest = nodeid.partition("::")
    parts = rest.split("::") if rest else [path]
    module = path.removesuffix(".py").replace("/", ".")
    return path, ".".join([module, *parts[:-1]]), parts[-1]


def _details(reports: Iterable[Any]) -> dict[str, tuple[float, str, str]]:
    """Each test's duration (all its phases), and the message and text of its first
    failure or skip (without the line pytest-xdist adds to name its worker)."""
    found: dict[str, tuple[float, str, str]] = {}
    for report in reports:
        took, message, text = found.get(report.nodeid, (0.0, "", ""))
        took += float(getattr(report, "duration", 0.0) or 0.0)
        if not text and report.outcome in ("failed", "skipped"):
            text = _WORKER_LINE.sub("", str(getattr(report, "longreprtext", "") or ""), 1)
            crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
            said = getattr(crash, "message", None)
            if isinstance(said, str):
                message = said.splitlines()[0] if said else ""
            elif isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
                message = str(report.longrepr[2])  # a skip: (path, line, reason)
            else:
                message = text.strip().splitlines()[-1] if text.strip() else ""
        found[report.nodeid] = (took, message, text)
    return found


def junit_xml(
    outcomes: Mapping[str, str],
    reports: Sequence[Any],
    links: Sequence[Link],
    suite: Mapping[str, str],
    order: Sequence[str] = (),
) -> bytes:
    """The JUnit XML of a run: ``outcomes`` by node id, the run's reports (durations
    and failure texts), the links of sub-tasks to tests, and the suite's properties.
    Test cases come in collection order (``order``: the collected node ids), so a run
    under pytest-xdist, whose tests end in any order, writes them as a serial one."""
    verifies: dict[str, list[Link]] = {}
    for link in links:
        for nodeid in link.nodeids:
            verifies.setdefault(nodeid, []).append(link)
    details = _details(reports)
    shown = secret_nodeids(outcomes, key=None)
    counts = {kind: sum(1 for o in outcomes.values() if o == kind) for kind in _CHILD}
    total = sum(details.get(nodeid, (0.0, "", ""))[0] for nodeid in outcomes)
    root = ET.Element("testsuites")
    testsuite = ET.SubElement(
        root,
        "testsuite",
        name="pytest",
        tests=str(len(outcomes)),
        failures=str(counts["failed"]),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"]),
        time=f"{total:.3f}",
    )
    properties = ET.SubElement(testsuite, "properties")
    for name, value in suite.items():
        ET.SubElement(properties, "property", name=name, value=value)
    place = {nodeid: index for index, nodeid in enumerate(order)}
    for nodeid in sorted(outcomes, key=lambda n: (place.get(n, len(place)), n)):
        outcome = outcomes[nodeid]
        path, classname, name = _names(_xml(shown.get(nodeid, nodeid)))
        took, said, text = details.get(nodeid, (0.0, "", ""))
        case = ET.SubElement(
            testsuite, "testcase", classname=classname, name=name, file=path, time=f"{took:.3f}"
        )
        linked = verifies.get(nodeid, [])
        if linked:
            props = ET.SubElement(case, "properties")
            ids = ",".join(dict.fromkeys(link.subtask.id for link in linked))
            ET.SubElement(props, "property", name="verifies", value=ids)
            for link in linked:
                text_of = _xml(" ".join(link.subtask.text.split()))
                ET.SubElement(props, "property", name=f"verifies:{link.subtask.id}", value=text_of)
        child = _CHILD.get(outcome)
        if child is not None:
            message = redact_text(said or outcome)
            element = ET.SubElement(case, child, message=_xml(message[:500]))
            if child != "skipped":
                element.text = _xml(redact_text(text))
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"
