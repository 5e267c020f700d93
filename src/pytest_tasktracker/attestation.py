"""An in-toto Statement of a tracked run, and its check against what the gate judges.

Evidence written on the agent's machine can be forged by anything running as the same
user; a statement signed in CI cannot. ``pytest --tracker-attest FILE`` writes an in-toto
Statement v1 with the test-result predicate (v0.1) whose subjects are what the gate
judges: the tracker as the run left it, the results.json it wrote, and the code state it
ran on. The code
state is written as a file too (``<state>/code/manifest.txt``), and the predicate alone
beside the statement (``NAME.predicate.json``): CI signs them with ``actions/attest``
(the three files as subjects, the predicate as is), and ``tasktracker gate
--attestation FILE`` checks that the tracker, results.json and code here are among the
subjects of the statement it verified.

Standard library only. Test names are node ids as results.json writes them (one that
holds a secret is redacted, beside a keyed hash).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_tasktracker.errors import TrackerReadError
from pytest_tasktracker.redact import secret_nodeids

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
MANIFEST = "manifest.txt"  # in the state folder's code/: the code state as a file
RESULTS = ("PASSED", "WARNED", "FAILED")


class AttestationError(TrackerReadError):
    """A statement that cannot be read, or is not one of ours."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_text(files: Mapping[str, str]) -> bytes:
    """The code state as a file: one ``path TAB digest`` line per file, sorted. The
    environment's entries (``/python``, ``/installed/NAME``) are left out: a judge on
    another machine than CI's cannot look at CI's environment, and the files are what
    the statement binds."""
    lines = (f"{name}\t{files[name]}\n" for name in sorted(files) if not name.startswith("/"))
    return "".join(lines).encode("utf-8", "surrogateescape")


def manifest_sha256(files: Mapping[str, str]) -> str:
    """The code state's subject digest: SHA-256 of ``manifest_text``."""
    return hashlib.sha256(manifest_text(files)).hexdigest()


def result_of(outcomes: Mapping[str, str], blocked: bool) -> str:
    """FAILED when a test failed or errored or the run could not verify; WARNED when a
    test was skipped; else PASSED."""
    values = set(outcomes.values())
    if blocked or values & {"failed", "error"} or not outcomes:
        return "FAILED"
    return "WARNED" if values - {"passed"} else "PASSED"


def run_url(environ: Mapping[str, str]) -> str | None:
    """The CI run's address, where the environment names one (GitHub Actions)."""
    server, repository = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
    run = environ.get("GITHUB_RUN_ID")
    if server and repository and run:
        return f"{server}/{repository}/actions/runs/{run}"
    return None


def statement(
    *,
    tracker: tuple[str, Path],
    results: tuple[str, Path],
    manifest: tuple[str, Path],
    outcomes: Mapping[str, str],
    blocked: bool,
    configuration: Sequence[dict[str, Any]],
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The statement of one run. ``tracker``, ``results`` and ``manifest`` (the code
    state's ``manifest_text``, written): (name as shown, path); ``outcomes``: each
    test's outcome by node id; ``configuration``: resource descriptors of what
    configured the run."""
    shown = secret_nodeids(outcomes, key=None)

    def names(*kinds: str) -> list[str]:
        # sorted: the same run under pytest-xdist, whose tests end in any order, says the same
        return sorted(shown.get(n, n) for n, outcome in outcomes.items() if outcome in kinds)

    predicate: dict[str, Any] = {
        "result": result_of(outcomes, blocked),
        "configuration": list(configuration),
        "passedTests": names("passed"),
        "warnedTests": names("skipped", "xfailed", "not-run"),
        "failedTests": names("failed", "error"),
    }
    url = run_url(os.environ if environ is None else environ)
    if url:
        predicate["url"] = url
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": name, "digest": {"sha256": file_sha256(path)}}
            for name, path in (tracker, results, manifest)
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def configuration_of(ini: Path | None, ini_name: str, args: Sequence[str]) -> list[dict[str, Any]]:
    """The run's configuration as resource descriptors: its ini file (with its digest)
    and pytest's arguments."""
    found: list[dict[str, Any]] = []
    if ini is not None and ini.is_file():
        found.append({"name": ini_name, "digest": {"sha256": file_sha256(ini)}})
    found.append({"name": "pytest", "annotations": {"args": list(args)}})
    return found


def read(path: Path, shown: str) -> dict[str, Any]:
    """A statement from a file: a Statement v1 with our predicate type and subjects, or
    one line saying why not."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as error:
        raise AttestationError(shown, f"cannot be read ({error.strerror})") from None
    except ValueError as error:
        raise AttestationError(shown, f"is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise AttestationError(shown, "is not an in-toto statement (not a JSON object)")
    if "payload" in data and "payloadType" in data:
        raise AttestationError(
            shown, "is a signed envelope; give the statement it signs (its decoded payload)"
        )
    if data.get("_type") != STATEMENT_TYPE:
        raise AttestationError(
            shown, f"is not an in-toto Statement v1 (_type {data.get('_type')!r})"
        )
    if data.get("predicateType") != PREDICATE_TYPE:
        raise AttestationError(
            shown, f"has predicateType {data.get('predicateType')!r}, not {PREDICATE_TYPE}"
        )
    subjects = data.get("subject")
    if not isinstance(subjects, list) or not all(
        isinstance(s, dict) and isinstance(s.get("digest"), dict) for s in subjects
    ):
        raise AttestationError(shown, "has no list of subjects with digests")
    return data


def differences(
    data: Mapping[str, Any],
    *,
    tracker: tuple[str, Path],
    results: tuple[str, Path],
    code_files: Mapping[str, str] | None,
) -> list[str]:
    """What here differs from what the statement names, one line each; [] when the
    tracker, results.json and code state are among its subjects. Subjects are matched
    by digest, not name: a statement that ``actions/attest`` made names them its own way."""
    attested = {
        subject["digest"].get("sha256"): str(subject.get("name", "")) for subject in data["subject"]
    }
    problems = []
    for name, path in (tracker, results):
        try:
            have = file_sha256(path)
        except OSError as error:
            problems.append(f"{name} cannot be read ({error.strerror})")
            continue
        if have not in attested:
            problems.append(f"{name} is not an attested file (sha256 {_short(have)} here)")
    if code_files is None:
        problems.append("the code state here cannot be taken")
    elif manifest_sha256(code_files) not in attested:
        problems.append("the code is not the attested code state (a file changed since the run)")
    predicate = data.get("predicate")
    if not isinstance(predicate, dict) or predicate.get("result") not in RESULTS:
        problems.append("the statement's result is not one of PASSED, WARNED, FAILED")
    return problems


def _short(digest: object) -> str:
    return str(digest)[:12]
