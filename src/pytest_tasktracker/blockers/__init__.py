"""Blockers: why a run could not verify, as reports an agent can act on.

- ``facts``: what a run left behind; ``diagnose`` and ``usage`` (with ``known_plugins``):
  the blockers those facts show, each a ``model.Blocker`` with its remedies;
- ``reports``: the files (YAML front matter and a jinja2 body from ``templates/``);
- ``record``: writing them, the sub-tasks each affects, and resolving them.

Secrets are redacted by ``pytest_tasktracker.redact``, which results.json uses too.
"""
