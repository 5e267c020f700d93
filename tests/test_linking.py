"""Linking, table-driven: which collected tests each rule links, in milliseconds."""

from __future__ import annotations

import pytest

from pytest_tasktracker.rules.linking import KnownIds, link
from pytest_tasktracker.tracker.model import parse

NODES = [
    "tests/t.py::TestX::test_a",
    "tests/t.py::TestX::test_b[1]",
    "tests/t.py::TestXY::test_c",
    "tests/t.py::test_w[1]",
    "tests/t.py::test_w[2]",
    "tests/t.py::test_wx",
    "tests/at.py::test_d",
    "tests/unit/test_u.py::test_e",
    "tests/unit2/test_v.py::test_f",
    "other/t.py::test_g",
]


def linked(
    text: str, tasks: dict[str, list[str]] | None = None
) -> tuple[str | None, tuple[str, ...]]:
    tracker = parse(f"### Step 1: S\n- [ ] {text}\n")
    (found,) = link(tracker, NODES, tasks or {})
    return found.rule, found.nodeids


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("tests/t.py::TestX", NODES[:2]),
        ("tests/t.py::test_w", NODES[3:5]),
        ("tests/t.py::test_w[2]", NODES[4:5]),
        ("./tests/t.py::test_wx", NODES[5:6]),
        ("tests\\t.py::test_wx", NODES[5:6]),
        ("t.py", [*NODES[:6], NODES[9]]),
        ("tests/t.py", NODES[:6]),
        ("tests/unit/", NODES[7:8]),
        ("tests/unit", NODES[7:8]),
        ("unit", NODES[7:8]),
        ("nowhere.py", []),
    ],
)
def test_an_explicit_link_matches_by_path_suffix_and_node_prefix(
    target: str, expected: list[str]
) -> None:
    assert linked(f"Cache <!-- tests: {target} -->") == ("explicit", tuple(expected))


@pytest.mark.parametrize(
    ("text", "rule", "expected"),
    [
        ("Fix tests/unit/test_u.py::test_e", "named", NODES[7:8]),
        ("Run pytest on test_u.py", "named", NODES[7:8]),
        ("Run pytest on test_v.py and test_u.py", "named", (NODES[7], NODES[8])),
        ("Run tests to verify they pass", "suite", NODES),
        ("Run the full test suite", "suite", NODES),
        ("Implement the cache", None, []),
    ],
)
def test_the_rule_that_links_a_sub_task(
    text: str, rule: str | None, expected: list[str] | tuple[str, ...]
) -> None:
    assert linked(text) == (rule, tuple(expected))


def test_a_marker_wins_over_the_words() -> None:
    rule, nodeids = linked("Fix tests/t.py", {"tests/at.py::test_d": ["1.1"]})
    assert (rule, nodeids) == ("marker", ("tests/at.py::test_d",))


def test_run_the_tests_links_the_files_its_step_names_unless_it_asks_for_all() -> None:
    tracker = parse(
        "### Step 1: S\n- [ ] Write tests/unit/test_u.py\n- [ ] Run tests to verify they pass\n"
        "- [ ] Run the full test suite\n- [ ] Run tests to verify they fail (TDD)\n"
        "### Step 2: T\n- [ ] Run tests to verify they pass\n"
    )
    links = {found.subtask.id: found for found in link(tracker, NODES, {})}
    assert (links["1.2"].rule, links["1.2"].nodeids) == ("step", tuple(NODES[7:8]))
    assert (links["1.3"].rule, links["1.3"].nodeids) == ("suite", tuple(NODES))
    assert (links["1.4"].rule, links["1.4"].intent.red_phase) == ("step", True)
    assert (links["2.1"].rule, links["2.1"].nodeids) == ("suite", tuple(NODES))
    suite = link(tracker, NODES, {}, suite=NODES[:3])
    assert suite[2].nodeids == tuple(NODES[:3])


def test_unknown_marker_ids_name_the_nearest_known_ones() -> None:
    known = KnownIds(parse("### Step 2: S\n" + "- [ ] x\n" * 11))
    assert known.unknown(["2.11", "2.1", "2.12", "T1"]) == [
        "unknown sub-task id '2.12'; nearest known ids: 2.2, 2.1, 2.11",
        "unknown sub-task id 'T1'",
    ]
