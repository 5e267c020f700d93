"""The rules that decide ticks: pure functions that the plugin, the CLI and every other
surface call, with no pytest import.

- ``intent``: what a sub-task's words ask for; ``linking``: which tests verify it;
- ``scope``: what part of its tests a run did not collect; ``outcomes``: its outcome;
- ``evidence``: results.json; ``gate``: the one verdict on a tick; ``update``: ticking.
"""
