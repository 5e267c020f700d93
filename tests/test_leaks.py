"""Nothing leaked, no crash on our own files: secrets in errors, options and test ids
never reach a report, and hand-edited or hostile state files are set aside, never
trusted and never a crash."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import blocker_front, cli_in, evidence_file
from pytest_tasktracker.redact import REDACTED, cut, redact_text

TRACKER = "### Step 1: S\n- [ ] Run pytest on test_a.py\n- [ ] Implement it\n"


def project(pytester: pytest.Pytester, conftest: str = "", ini: str = "") -> Path:
    pytester.makepyprojecttoml(f'[tool.pytest.ini_options]\ntestpaths = ["tests"]\n{ini}')
    (pytester.path / "tests").mkdir(exist_ok=True)
    (pytester.path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    if conftest:
        (pytester.path / "conftest.py").write_text(conftest)
    path = pytester.path / "TASKS.md"
    path.write_text(TRACKER)
    return path


def everything_written(pytester: pytest.Pytester) -> str:
    state = pytester.path / ".tasktracker"
    return "\n".join(p.read_text() for p in state.rglob("*") if p.is_file())


def test_an_environment_value_in_a_conftest_error_is_redacted_everywhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "/Zq8+kP2vW9xR4mT7nB1"  # an AWS-style secret key that starts with "/"
    monkeypatch.setenv("DB_PASSWORD", secret)
    project(
        pytester, 'import os\nraise RuntimeError("cannot connect: " + os.environ["DB_PASSWORD"])\n'
    )
    result = pytester.runpytest("--tracker", "TASKS.md")
    written = everything_written(pytester)
    assert "cannot connect: $DB_PASSWORD" in written
    assert secret not in written
    assert not [
        line for line in result.outlines + result.errlines if "BLOCKED" in line and secret in line
    ]


def test_a_summary_is_redacted_before_it_is_cut(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
    project(pytester, f'raise RuntimeError("{"x" * 170} {token}")\n')
    result = pytester.runpytest("--tracker", "TASKS.md")
    blocked = [line for line in result.outlines + result.errlines if line.startswith("BLOCKED")]
    assert blocked
    for text in (everything_written(pytester), *blocked):
        for size in range(8, len(token)):
            assert token[-size:] not in text, size


def test_credentials_in_addopts_stay_out_of_the_remedies(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(pytester, ini='addopts = "-n 2 --db-url=postgres://admin:Pw0rd123@db/app"\n')
    pytester.runpytest("--tracker", "TASKS.md", "-p", "no:xdist")
    written = everything_written(pytester)
    assert "missing-plugin" in written
    assert "Pw0rd123" not in written
    _, out, _ = cli_in(pytester, capsys, "blockers", "--json", "--tracker", "TASKS.md")
    assert "Pw0rd123" not in out
    assert json.loads(out)["open"]


@pytest.mark.parametrize(
    "option",
    ["--api-token=s3cr3tV4lu3xyz", "--api-token s3cr3tV4lu3xyz", "'--api-token=s3cr3t V4lu3xyz'"],
    ids=["joined", "apart", "quoted-with-a-space"],
)
def test_a_token_in_addopts_stays_out_of_the_remedies_which_still_run(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    pytester.makeini(f"[pytest]\naddopts = -n 2 {option}\n")
    (pytester.path / "test_a.py").write_text("def test_a():\n    pass\n")
    (pytester.path / "TASKS.md").write_text(TRACKER)
    pytester.runpytest("--tracker", "TASKS.md", "-p", "no:xdist")
    written = everything_written(pytester)
    assert "missing-plugin" in written
    assert "s3cr3t" not in written
    assert "V4lu3" not in written
    _, out, _ = cli_in(pytester, capsys, "blockers", "--json", "--tracker", "TASKS.md")
    assert "s3cr3t" not in out
    assert "V4lu3" not in out
    rows = json.loads(out)["open"]
    commands = [remedy["command"] for row in rows for remedy in row["remedies"]]
    assert any("-o 'addopts=" in command for command in commands)
    for command in commands:
        args = shlex.split(command)  # a shell reads it: no quote lost to a redaction
        args += [a for arg in args if arg.startswith("addopts=") for a in shlex.split(arg[8:])]
        for before, arg in zip(["", *args], args, strict=False):  # hidden beside its option
            if REDACTED in arg and not arg.startswith("addopts="):
                assert arg == f"--api-token={REDACTED}" or (before, arg) == (
                    "--api-token",
                    REDACTED,
                )


def test_a_crashed_test_whose_id_holds_the_database_password_leaves_it_out(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://app:Sup3rS3cretPw@db.internal:5432/app")
    project(pytester)
    (pytester.path / "tests" / "test_a.py").write_text(
        "import os, pytest\n\n"
        "@pytest.mark.parametrize('url', [os.environ['DATABASE_URL']])\n"
        "def test_a(url):\n    os._exit(1)\n"
    )
    result = pytester.runpytest_subprocess("--tracker", "TASKS.md", "-n", "2")
    assert any(line.startswith("BLOCKED (worker-crash)") for line in result.outlines)
    assert "Sup3rS3cretPw" not in everything_written(pytester)
    assert "Sup3rS3cretPw" not in "\n".join(
        line for line in result.outlines + result.errlines if "BLOCKED" in line
    )


def test_a_secret_parametrize_value_never_reaches_results(pytester: pytest.Pytester) -> None:
    token = "ghp_" + "Q" * 36
    project(pytester)
    (pytester.path / "tests" / "test_a.py").write_text(
        f"import pytest\n\n@pytest.mark.parametrize('t', ['{token}', 'ok'])\ndef test_a(t):\n"
        "    pass\n"
    )
    pytester.runpytest("--tracker", "TASKS.md")
    text = (pytester.path / ".tasktracker" / "results.json").read_text()
    assert token not in text
    assert f"tests/test_a.py::test_a[{REDACTED}]#hmac-" in text
    assert "tests/test_a.py::test_a[ok]" in text


def test_ids_that_differ_only_in_their_secret_stay_two_and_name_their_test(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """results.json names each test pytest ran: the redacted id, beside a hash of the id
    as pytest wrote it, keyed by the state folder's nodeid.key. So two tests stay two
    (combine counts both), and the same test has the same id in the next run."""
    from pytest_tasktracker.redact import id_hash

    urls = ["postgres://app:Pw0rdOne1@db/app", "postgres://app:Pw0rdTwo2@db/app"]
    project(pytester)
    (pytester.path / "tests" / "test_a.py").write_text(
        f"import pytest\n\n@pytest.mark.parametrize('url', {urls!r})\ndef test_a(url):\n    pass\n"
    )
    pytester.runpytest("--tracker", "TASKS.md")
    state = pytester.path / ".tasktracker"
    first = (state / "results.json").read_text()
    assert "Pw0rd" not in first
    key = (state / "nodeid.key").read_bytes()
    assert (state / "nodeid.key").stat().st_mode & 0o777 == 0o600
    entry = next(e for e in evidence_file(state / "results.json")["subtasks"] if e["id"] == "1.1")
    assert entry["outcome"] == "passed"
    shown = f"tests/test_a.py::test_a[postgres://{REDACTED}@db/app]"
    as_run = [f"tests/test_a.py::test_a[{url}]" for url in urls]
    assert sorted(t["nodeid"] for t in entry["tests"]) == sorted(
        f"{shown}#{id_hash(key, nodeid)}" for nodeid in as_run
    )
    pytester.runpytest("--tracker", "TASKS.md")
    assert (state / "results.json").read_text().split('"time"')[0] == first.split('"time"')[0]
    shard = pytester.path / "shard"
    shard.mkdir()
    (state / "results.json").rename(shard / "results.json")
    (state / "journal.jsonl").rename(shard / "journal.jsonl")  # a shard's, as CI keeps it
    code, out, _ = cli_in(pytester, capsys, "combine", "shard", "--tracker", "TASKS.md")
    assert (code, out) == (
        0,
        "combined 1 shards: 1 passed, 1 unlinked -> .tasktracker/results.json\n",
    )
    combined = evidence_file(state / "results.json")["subtasks"]
    assert len(next(e for e in combined if e["id"] == "1.1")["tests"]) == 2


def test_escape_sequences_never_reach_the_terminal(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(pytester, 'raise RuntimeError("\\x1b[2J\\x1b[31mgone")\n')
    result = pytester.runpytest("--tracker", "TASKS.md")
    blocked = [line for line in result.outlines + result.errlines if line.startswith("BLOCKED")]
    assert blocked
    assert "\x1b" not in "".join(blocked)
    assert "\\x1b[31mgone" in "".join(blocked)
    _, out, _ = cli_in(pytester, capsys, "blockers", "--tracker", "TASKS.md")
    assert "\x1b" not in out


def test_a_ten_megabyte_error_is_kept_short(pytester: pytest.Pytester) -> None:
    """(Its time is measured in benchmarks, not asserted here.)"""
    project(pytester, 'raise RuntimeError("boom\\n" * 1_250_000)\n')
    pytester.runpytest("--tracker", "TASKS.md")
    (report,) = (pytester.path / ".tasktracker" / "blockers").glob("*.md")
    text = report.read_text()
    assert len(text) < 300_000
    assert "lines) left out ...]" in text


# python-dateutil's conftest (2.9) on pytest 9: an unknown mark, with warnings as errors,
# raises inside pytest_collection_modifyitems, an INTERNALERROR through wrap_session.
DATEUTIL_CONFTEST = """\
import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        marker = item.get_closest_marker('xfail')
        if marker and (not marker.args or marker.args[0]):
            item.add_marker(pytest.mark.no_cover)
"""


def test_dateutils_internal_error_is_kept_as_pytest_wrote_it(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makeini("[pytest]\nxfail_strict = true\nfilterwarnings =\n    error\n")
    pytester.makeconftest(DATEUTIL_CONFTEST)
    pytester.makepyfile(test_a="import pytest\n\n@pytest.mark.xfail\ndef test_a():\n    assert 0\n")
    (pytester.path / "TASKS.md").write_text(TRACKER)
    # pytest-cov registers the no_cover marker; dateutil's suite ran without it.
    result = pytester.runpytest_subprocess("--tracker", "TASKS.md", "-p", "no:pytest_cov")
    assert any(line.startswith("BLOCKED (internal-error): ") for line in result.errlines)
    front = blocker_front(pytester.path / ".tasktracker" / "blockers")
    assert "    session.exitstatus = doit(config, session) or 0\n" in front["error"]
    assert "item.add_marker(pytest.mark.no_cover)" in front["error"]
    assert REDACTED not in everything_written(pytester)
    _, out, _ = cli_in(pytester, capsys, "blockers", "--json", "--tracker", "TASKS.md")
    assert "session.exitstatus = doit(config, session) or 0" in json.loads(out)["open"][0]["error"]


@pytest.mark.parametrize(
    "text",
    [
        "config.hook.pytest_collection(session=session)",
        "self.token = token",
        "auth=config.option.auth",
        "def f(password=password):",
    ],
)
def test_code_is_not_mangled(text: str) -> None:
    assert redact_text(text, {}) == text


SHAPES = {
    "github": ("ghp_", st.text("abcdefXYZ0123456789", min_size=36, max_size=40)),
    "stripe": ("sk_live_", st.text("abcXYZ0123456789", min_size=24, max_size=30)),
    "stripe-restricted": ("rk_live_", st.text("abcXYZ0123456789", min_size=24, max_size=30)),
    "huggingface": ("hf_", st.text("abcdXYZ012345", min_size=34, max_size=38)),
    "npm": ("npm_", st.text("abcXYZ0123456789", min_size=36, max_size=36)),
    "pypi": ("pypi-", st.text("abcXYZ0123456789_-", min_size=60, max_size=80)),
    "google-oauth": ("ya29.", st.text("abcXYZ0123456789_-", min_size=30, max_size=60)),
    "slack-app": ("xapp-1-", st.text("ABC0123456789abc-", min_size=20, max_size=40)),
    "bearer": (
        "Authorization: Bearer ",
        st.text("abcXYZ0123456789._~+/", min_size=12, max_size=40),
    ),
    "url": ("postgres://admin:", st.text("abcXYZ0123456789@!", min_size=8, max_size=20)),
    "json": ('{"password": "', st.text("abcXYZ0123456789!#", min_size=8, max_size=20)),
    "dict": ("{'api_key': '", st.text("abcXYZ0123456789!#", min_size=8, max_size=20)),
    "query": ("https://x.example/v1?key=", st.text("abcXYZ0123456789", min_size=12, max_size=30)),
    "azure": ("AccountKey=", st.text("abcXYZ0123456789+/=", min_size=20, max_size=40)),
    "option": ("--password ", st.text("abcXYZ0123456789!#", min_size=8, max_size=20)),
    "mysql": ("mysql -u root -p", st.text("abcXYZ0123456789!#", min_size=8, max_size=20)),
}
# An Azure account key is base64 ending in "=="; without it, "(x, AccountKey=abcdef)"
# is a keyword argument passed a name, which is code (test_code_is_not_mangled).
TAILS = {"url": "@db.example/app", "json": '"}', "dict": "'}", "azure": "=="}


@settings(max_examples=200, deadline=None)
@given(
    shape=st.sampled_from(sorted(SHAPES)),
    data=st.data(),
    before=st.text("abc xyz.,:()", max_size=30),
)
def test_every_secret_shape_is_redacted_wherever_it_stands(
    shape: str, data: st.DataObject, before: str
) -> None:
    prefix, bodies = SHAPES[shape]
    body = data.draw(bodies.filter(lambda b: b.strip() and b[0] not in "-@="))
    text = f"{before} {prefix}{body}{TAILS.get(shape, '')} and then more"
    redacted = redact_text(text, {})
    assert REDACTED in redacted
    assert body not in redacted
    assert cut(redacted, 40) == redacted[:39] + "\u2026" or len(redacted) <= 40


HOSTILE_BLOCKERS = {
    "affected-not-a-list": "affected: 5",
    "no-error": None,
    "infinite-count": "occurrences: .inf",
    "alias-bomb": "a: &a ['x','x']\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: &d [*c,*c]\ne: [*d,*d]",
}
BASE_FRONT = (
    "schema: pytest-tasktracker/blocker/1\nstatus: open\nkind: conftest-error\nexit_code: 4\n"
    "summary: s\nerror: e\nremedies: []\naffected:\n- {id: '1.1', text: t}\n"
)


@pytest.mark.parametrize("name", HOSTILE_BLOCKERS)
def test_a_hostile_blocker_file_is_set_aside_never_trusted_never_a_crash(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = project(pytester)
    folder = pytester.path / ".tasktracker" / "blockers"
    folder.mkdir(parents=True)
    change = HOSTILE_BLOCKERS[name]
    front = BASE_FRONT.replace("error: e\n", "") if change is None else BASE_FRONT
    if change and change.startswith("affected"):
        front = front.split("affected:")[0] + change + "\n"
    elif change:
        front += change + "\n"
    (folder / "hostile.md").write_text(f"---\n{front}---\n\nbody\n")
    path.write_text(TRACKER.replace("- [ ] Implement", "- [x] Implement"))
    code, out, _ = cli_in(pytester, capsys, "gate", "--tracker", "TASKS.md")
    assert code == 1
    assert "hostile.md (unreadable: " in out
    code, _, err = cli_in(pytester, capsys, "check", "1.1", "--tracker", "TASKS.md")
    assert code == 1
    assert "hostile.md (unreadable" in err
    code, out, _ = cli_in(pytester, capsys, "blockers", "--tracker", "TASKS.md")
    assert "unreadable:" in out
    result = pytester.runpytest("--tracker", "TASKS.md")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*hostile.md*set it aside as hostile.md.corrupt-*"])
    assert not (folder / "hostile.md").exists()


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "1.1", "subtasks": [1]},
        {"text": "no id"},
        {"id": "1.1", "text": "Run pytest on test_a.py", "outcome": "passed", "tests": [1, 2]},
        {"id": "1.1", "text": "Run pytest on test_a.py", "outcome": "passed", "tests": "x"},
        "not an object",
    ],
)
def test_a_hand_edited_results_entry_is_not_trusted_and_not_a_crash(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], entry: object
) -> None:
    path = project(pytester)
    path.write_text(TRACKER.replace("- [ ] Run", "- [x] Run"))
    state = pytester.path / ".tasktracker"
    state.mkdir()
    (state / "results.json").write_text(
        json.dumps({"schema": "pytest-tasktracker/results/1", "subtasks": [entry]})
    )
    code, out, _ = cli_in(pytester, capsys, "gate", "--tracker", "TASKS.md")
    assert code == 1
    assert "1.1 Run pytest on test_a.py: asks for a test run and has no passing" in out
    path.write_text(TRACKER)
    code, _, err = cli_in(pytester, capsys, "check", "1.1", "--tracker", "TASKS.md")
    assert (code, "refused to tick 1.1" in err) == (1, True)
    assert pytester.runpytest("--tracker", "TASKS.md").ret == 0


FRAGMENTS = [
    *(prefix for prefix, _ in SHAPES.values()),
    *TAILS.values(),
    "AKIA",
    "ASIA",
    "xoxb-",
    "glpat-",
    "AIza",
    "SG.",
    "eyJ",
    "sk-proj-",
    "github_pat_",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "https://hooks.slack.com/services/",
    "https://discord.com/api/webhooks/1/",
    "Basic ",
    "://",
    "@",
    "=",
    ": ",
    "'",
    '"',
    "?",
    "&",
    "-u ",
    " -p",
    "--",
    "TOKEN",
    "Secret",
    "pa\u017f\u017fword",
    "\u212aey",
    "Pwd",
    "SIG",
    "cookie",
    "x" * 40,
    "0123456789" * 4,
    " ",
    "\n",
    "-",
    "_",
    ".",
    "/",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=12).map("".join))
def test_the_cheap_filter_never_skips_text_a_pattern_would_change(text: str) -> None:
    """redact_text looks for a secret's prefix or key name before it compiles and runs
    the patterns: text it skips must be text the patterns leave as it is."""
    from pytest_tasktracker import redact, secretshapes

    if not secretshapes.may_hold_secret(text):
        assert redact._redact_shapes(text) == text


@settings(max_examples=200, deadline=None)
@given(shape=st.sampled_from(sorted(SHAPES)), data=st.data())
def test_every_secret_shape_passes_the_filter(shape: str, data: st.DataObject) -> None:
    from pytest_tasktracker import secretshapes

    prefix, bodies = SHAPES[shape]
    assert secretshapes.may_hold_secret(f"{prefix}{data.draw(bodies)}")


# Control characters in what we print: shown as text, never interpreted. `printable`
# returns text Python finds printable as it is, without a pattern; the rest goes through
# the pattern.
CONTROL_CHARACTERS = "".join(map(chr, [*range(9), *range(11, 32), 0x7F, 0x85, 0x2028, 0x2029]))


def test_printable_shows_control_characters_as_text() -> None:
    from pytest_tasktracker.redact import has_control, printable

    assert printable("\x1b[31mred\x1b[0m\ttab\nline\u2028\x85") == (
        "\\x1b[31mred\\x1b[0m\ttab\nline\\x2028\\x85"
    )
    assert printable("größe ✓") == "größe ✓"
    assert not has_control("plain\ttext\nwith lines ✓")
    assert has_control("bell\x07")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(CONTROL_CHARACTERS + "\t\n\u00ad\u200bab ü")))
def test_printable_agrees_with_the_pattern_on_any_text(text: str) -> None:
    import re

    from pytest_tasktracker.redact import has_control, printable

    pattern = re.compile(f"[{re.escape(CONTROL_CHARACTERS)}]")
    assert printable(text) == pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    assert has_control(text) == bool(pattern.search(text))


def test_parametrized_ids_and_shown_text_do_not_compile_the_secret_patterns() -> None:
    """Every run checks its parametrized ids for secrets, and blocker reports show text:
    the patterns that rule most ids out, and that show control characters, are compiled
    on their own. The thirty secret patterns (about 10 million instructions) wait for
    text that may hold a secret."""
    from pytest_tasktracker import redact, secretshapes

    secretshapes.rules.cache_clear()
    assert redact.secret_nodeids(["t.py::test_x[1-2-3]", "t.py::test_y[some/path.txt]"]) == {}
    assert redact.printable("a\nb\x1b") == "a\nb\\x1b"
    assert secretshapes.rules.cache_info().currsize == 0
    assert redact.secret_nodeids(["t.py::test_z[ghp_" + "a" * 36 + "]"]) == {
        "t.py::test_z[ghp_" + "a" * 36 + "]": "t.py::test_z[[REDACTED]]"
    }
