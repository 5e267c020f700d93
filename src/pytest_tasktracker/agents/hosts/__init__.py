"""The coding-agent hosts the guard speaks to, one module each (``protocol.Host``)."""

from __future__ import annotations

import importlib

from pytest_tasktracker.agents.hosts.protocol import Host

NAMES = ("claude", "codex", "gemini", "cursor", "copilot")


def host(name: str) -> Host:
    """The host called ``name`` (one of NAMES)."""
    if name not in NAMES:
        raise ValueError(f"unknown agent {name!r}: one of {', '.join(NAMES)}")
    found: Host = importlib.import_module(f"pytest_tasktracker.agents.hosts.{name}").HOST
    return found
