"""The tracker library: read a markdown task tracker and edit its checkboxes byte for
byte. Pure Python, no pytest import: usable on its own.

- ``scanner``: the CommonMark block structure a tracker needs (headings, checkbox items).
- ``model``: steps, sub-tasks and their ids for every tracker family.
- ``editing``: one-byte status changes, applied with ``fileio``'s atomic, locked writes.
"""
