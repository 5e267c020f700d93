"""``--tracker-junit``: JUnit XML whose test cases name the sub-tasks they verify, read
by a requirement tool's own parser (ub-test-reports, the reader of sphinx-test-reports).

(That package also bundles the Apache Ant JUnit schema, which has no test-case
properties and no ``skipped``, and requires ``system-out``: pytest's own --junitxml
output fails it too, and its parser does not use it.)"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

TRACKER = """\
# Tasks

### Step 1: Cache
- [ ] Write tests/test_cache.py
- [ ] Run pytest on tests/test_cache.py::test_get and fix all failures

### Step 2: Orchestrator
- [ ] Make tests/test_orch.py pass
"""
CACHE = """\
import pytest

def test_get():
    pass

def test_put():
    assert 1 == 2, "put lost \\x1b[31mthe value\\x1b[0m"

@pytest.mark.skip(reason="needs a server")
def test_server():
    pass

@pytest.mark.parametrize("url", ["postgres://app:Pw0rd1234@db/app"])
def test_connect(url):
    pass
"""
ORCH = """\
import pytest

@pytest.mark.task("1.1")
def test_orchestrate():
    pass
"""


def junit(pytester: pytest.Pytester, *args: str) -> Path:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntracker = "TASKS.md"\n')
    pytester.makefile(".md", TASKS=TRACKER)
    tests = pytester.path / "tests"
    tests.mkdir(exist_ok=True)
    (tests / "test_cache.py").write_text(CACHE)
    (tests / "test_orch.py").write_text(ORCH)
    result = pytester.run(
        sys.executable, "-m", "pytest", "-p", "no:randomly", "--tracker-junit", "junit.xml", *args
    )
    assert result.ret == 1, result.stdout.str()
    return pytester.path / "junit.xml"


def cases(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {f"{case.get('classname')}::{case.get('name')}": case for case in root.iter("testcase")}


def properties(case: ET.Element) -> list[tuple[str | None, str | None]]:
    return [(p.get("name"), p.get("value")) for p in case.iter("property")]


def test_each_test_case_names_the_sub_tasks_it_verifies(pytester: pytest.Pytester) -> None:
    found = cases(junit(pytester))
    assert list(found) == [
        "tests.test_cache::test_get",
        "tests.test_cache::test_put",
        "tests.test_cache::test_server",
        "tests.test_cache::test_connect[postgres://[REDACTED]@db/app]",
        "tests.test_orch::test_orchestrate",
    ]
    assert properties(found["tests.test_cache::test_get"]) == [
        ("verifies", "1.2"),
        ("verifies:1.2", "Run pytest on tests/test_cache.py::test_get and fix all failures"),
    ]
    # 1.1 names tests/test_cache.py, but a task marker links it: the marker decides
    assert properties(found["tests.test_cache::test_put"]) == []
    assert properties(found["tests.test_orch::test_orchestrate"]) == [
        ("verifies", "1.1,2.1"),
        ("verifies:1.1", "Write tests/test_cache.py"),
        ("verifies:2.1", "Make tests/test_orch.py pass"),
    ]
    failure = found["tests.test_cache::test_put"].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "AssertionError: put lost \\x1b[31mthe value\\x1b[0m"  # XML 1.0 cannot hold ESC
    )
    assert found["tests.test_cache::test_server"].find("skipped") is not None
    assert found["tests.test_cache::test_get"].get("file") == "tests/test_cache.py"
    text = (pytester.path / "junit.xml").read_text()
    assert "Pw0rd1234" not in text


def test_the_suite_names_the_tracker_the_run_and_the_code_state(
    pytester: pytest.Pytester,
) -> None:
    root = ET.parse(junit(pytester)).getroot()
    (suite,) = root.iter("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "1")
    suite_properties = {p.get("name"): p.get("value") for p in suite.find("properties") or []}
    assert suite_properties["tracker"] == "TASKS.md"
    assert re.fullmatch(r"[0-9a-f]{16}", suite_properties["run"] or "")
    assert re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]{8}", suite_properties["code_state"] or "")


def test_under_xdist_the_file_says_what_a_serial_run_says(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")

    def without_times(path: Path) -> str:
        text = path.read_text()
        text = re.sub(r' time="[0-9.]+"', "", text)
        text = re.sub(r"(<failure [^>]*>)[^<]*", r"\1", text)  # the traceback's layout
        return re.sub(r'name="(run|code_state)" value="[^"]*"', "", text)

    serial = without_times(junit(pytester))
    parallel = without_times(junit(pytester, "-n", "2"))
    assert parallel == serial


def test_a_requirement_tool_reads_what_each_test_verifies(pytester: pytest.Pytester) -> None:
    """In ``tox -e traceability``, where ub-test-reports is installed (Python 3.11+)."""
    reader = pytest.importorskip("ub_test_reports.junitparser")
    (suite,) = reader.JUnitParser(str(junit(pytester))).parse()
    found = {case["name"]: case for case in suite["testcases"]}
    assert found["test_get"]["properties"]["verifies"] == "1.2"
    assert found["test_orchestrate"]["properties"]["verifies"] == "1.1,2.1"
    assert found["test_put"]["result"] == "failed"
    assert found["test_server"]["result"] == "skipped"
    assert suite["properties"]["tracker"] == "TASKS.md"
