"""pytest hooks of pytest-tasktracker (filled in by the plugin issue)."""

from __future__ import annotations
