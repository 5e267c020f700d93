"""The bundled example: a blocked run and a verified run (filled in with the plugin)."""

from __future__ import annotations

raise SystemExit("the example project arrives with the plugin")
