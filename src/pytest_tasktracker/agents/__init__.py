"""The surfaces where a coding agent acts: an MCP server (``mcp_server``), hooks that
guard its edits (``guard`` decides, ``hosts`` speak each host's JSON), the look a
tracked run takes for them (``pytest_look``), and ``init``, which sets a project up."""
