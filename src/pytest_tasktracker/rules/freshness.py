"""Whether evidence was proven on the code as it is now (``codestate.py`` takes the state).

Pure: the current state and the remembered manifests come in; a description of what
changed goes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pytest_tasktracker.rules.evidence import Evidence


@dataclass(frozen=True)
class CodeNow:
    digest: str
    files: Mapping[str, str]
    earlier: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # by digest

    def stale(self, evidence: Evidence) -> str | None:
        """What changed since ``evidence`` was proven, or None when it is fresh (or
        older than code states: evidence without one is never called stale)."""
        if evidence.code is None or evidence.code == self.digest:
            return None
        old = self.earlier.get(evidence.code)
        if old is None:
            return "the code changed since the run"
        paths = set(old) | set(self.files)
        changed = sorted(p for p in paths if old.get(p) != self.files.get(p))
        if not changed:
            return "the code changed since the run"
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
