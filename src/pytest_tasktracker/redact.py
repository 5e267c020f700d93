"""Keep secrets and environment values out of everything we write.

Two rules: a value that has the shape of a secret (a GitHub, AWS, Slack, OpenAI-style or
other token, ``password=...``, credentials in a URL, the value of an option named like a
secret) is replaced by ``[REDACTED]``; and the value of any environment variable that
could be sensitive or that is long enough to identify is replaced by ``$NAME``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

REDACTED = "[REDACTED]"
_SECRET_NAME = (
    r"(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth|credential"
    r"|private[_-]?key|session|cookie|bearer)"
)
_PATTERNS = [
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),  # Slack
    re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b"),  # OpenAI / Anthropic style
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),  # GitLab
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API keys
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"),  # JWT
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
]
# key=value or key: value where the key names a secret
_ASSIGNMENT = re.compile(
    rf"(?i)(\b[\w.-]{{0,64}}{_SECRET_NAME}[\w.-]{{0,64}}\s{{0,8}}[=:]\s{{0,8}})"
    r"(\"[^\"]{0,4096}\"|'[^']{0,4096}'|[^\s,;&\"']+)"
)
# scheme://user:password@host
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@")
_SECRET_OPTION = re.compile(rf"(?i)^--?[\w-]*{_SECRET_NAME}[\w-]*$")
_MIN_ENV_VALUE = 8
_SAFE_ENV_VALUES = {"true", "false", "utf-8", "xterm-256color"}


def redact_text(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` with secret-shaped values and environment values replaced."""
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = _ASSIGNMENT.sub(lambda m: m.group(1) + REDACTED, text)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return _replace_env_values(text, os.environ if environ is None else environ)


def _replace_env_values(text: str, environ: Mapping[str, str]) -> str:
    values = sorted(
        (
            (value, name)
            for name, value in environ.items()
            if len(value) >= _MIN_ENV_VALUE
            and value in text  # first: the cheap test that rules most out
            and value.lower() not in _SAFE_ENV_VALUES
            and not _is_plain_path(value)
        ),
        reverse=True,
        key=lambda pair: len(pair[0]),
    )
    for value, name in values:
        if value in text:  # still there after a longer value was replaced
            text = text.replace(value, f"${name}")
    return text


def _is_plain_path(value: str) -> bool:
    """Folder paths and path lists (HOME, PATH, VIRTUAL_ENV) name places, not secrets;
    replacing them would garble every file name. A value that looks like a secret is
    never treated as a path."""
    if any(pattern.search(value) for pattern in _PATTERNS) or _ASSIGNMENT.search(value):
        return False
    parts = [part for part in value.split(os.pathsep) if part]
    return bool(parts) and all(
        part.startswith(("/", "~", ".")) or (len(part) > 2 and part[1] == ":") for part in parts
    )


def redact_argv(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Command-line arguments with secrets removed, also ``--token VALUE`` pairs."""
    result: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            result.append(REDACTED)
            hide_next = False
            continue
        if _SECRET_OPTION.match(arg):
            hide_next = True
            result.append(arg)
            continue
        result.append(redact_text(arg, environ))
    return result
