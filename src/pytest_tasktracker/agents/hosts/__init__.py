"""The coding-agent hosts the guard speaks to, one module each (``protocol.Host``)."""

from __future__ import annotations

TYPE_CHECKING = False  # the hook's quick path imports this package (hosts.wire)
if TYPE_CHECKING:
    from pytest_tasktracker.agents.hosts.protocol import Host

NAMES = ("claude", "codex", "gemini", "cursor", "copilot")


def host(name: str) -> Host:
    """The host called ``name`` (one of NAMES)."""
    if name not in NAMES:
        raise ValueError(f"unknown agent {name!r}: one of {', '.join(NAMES)}")
    import importlib  # not at the top: the quick path imports this package (hosts.wire)

    found: Host = importlib.import_module(f"pytest_tasktracker.agents.hosts.{name}").HOST
    return found
