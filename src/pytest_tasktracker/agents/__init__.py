"""The surfaces where a coding agent acts: an MCP server (``mcp_server``), hooks that
guard its edits (``guard`` decides, ``claude`` speaks Claude Code's JSON), and ``init``,
which sets a project up for both."""
