"""OpenAI Codex CLI: Claude Code's wire format. Edits arrive as ``apply_patch`` with the
patch in ``tool_input.command``; project hooks live in ``.codex/hooks.json`` and run
only once the user has reviewed and trusted them."""

from __future__ import annotations

from pytest_tasktracker.agents.hosts.claude import ClaudeShaped

HOST = ClaudeShaped("codex", ".codex/hooks.json")
