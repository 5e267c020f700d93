"""Whether evidence was proven on the code as it is now (``codestate.py`` takes the state).

Pure: the current state and the remembered manifests come in; a description of what
changed goes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pytest_tasktracker.rules.codefiles import counted_by_default
from pytest_tasktracker.rules.environment import described, is_environment
from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.slotted import Slotted


def same_state(proven: str, now: str) -> bool:
    """Whether code state ``proven`` is ``now``: the files' part of the digests equal, and
    the environment's part too where both have one (``<files>-<environment>``; a judge
    on another machine, and evidence from before environments were counted, have none)."""
    files, _, environment = proven.partition("-")
    files_now, _, environment_now = now.partition("-")
    return files == files_now and (
        not environment or not environment_now or environment == environment_now
    )


class CodeNow(Slotted):
    """The code as it is now: its digest and files, the earlier states' files by their
    digest, and the folder digested (the run's root)."""

    __slots__ = ("digest", "files", "earlier", "root")

    def __init__(
        self,
        digest: str,
        files: Mapping[str, str],
        earlier: Mapping[str, Mapping[str, str]] | None = None,
        root: Path | None = None,
    ) -> None:
        self.digest = digest
        self.files = files
        self.earlier: Mapping[str, Mapping[str, str]] = {} if earlier is None else earlier
        self.root = root

    def stale(self, evidence: Evidence) -> str | None:
        """What changed since ``evidence`` was proven, or None when it is fresh (or
        older than code states: evidence without one is never called stale)."""
        if evidence.code is None or same_state(evidence.code, self.digest):
            return None
        old = self.earlier.get(evidence.code)
        files_alike = evidence.code.partition("-")[0] == self.digest.partition("-")[0]
        if old is None:
            if files_alike:
                return "the environment changed since the run (Python or an installed package)"
            return "the code changed since the run"
        compare_environment = "-" in evidence.code and "-" in self.digest
        changed, environment, newly_counted = [], [], False
        try:
            paths = set(old) | set(self.files)  # listed now, when the digest came from a record
        except OSError:
            return "the code changed since the run"
        for path in paths:
            before, now = old.get(path), self.files.get(path)
            if before == now:
                continue
            if is_environment(path):
                if compare_environment:
                    environment.append(path)
            elif before is None and not counted_by_default(path):
                newly_counted = True  # a file a later run collected: not this run's
            else:
                changed.append(path)
        if not changed and not environment:
            return None if newly_counted else "the code changed since the run"
        said = _files_changed(sorted(changed), evidence) if changed else ""
        if environment:
            environment.sort(key=lambda path: (path != "/python", path))
            listed = [described(path, old.get(path), self.files.get(path)) for path in environment]
            shown = ", ".join(listed[:3]) + (", ..." if len(listed) > 3 else "")
            if said:
                return f"{said}; and the environment ({shown})"
            return f"the environment changed since the run ({shown})"
        return said


def _files_changed(changed: list[str], evidence: Evidence) -> str:
    own = sorted({nodeid.split("::")[0] for nodeid, _ in evidence.tests} & set(changed))
    count = f"{len(changed)} file{'s' if len(changed) != 1 else ''} changed since the run"
    if own:
        return f"{count}, among them its test file {', '.join(own[:3])}"
    return f"{count} ({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''})"


def passed_here(evidence: Evidence | None, code: CodeNow | None) -> bool:
    """Whether ``evidence`` is a pass a recorded run proved on the code as it is now
    (``code`` None: the state is unknown, and evidence is never called stale)."""
    if evidence is None or evidence.outcome != "passed" or evidence.untrusted:
        return False
    return code is None or code.stale(evidence) is None
