"""The shapes of secrets, as patterns compiled on first use, and the cheap filter that
tells which text may hold one (``redact`` replaces what they find).

A run whose text holds nothing that could be a secret (the usual argv) never compiles
the patterns: about 10 million instructions, on every pytest run with a tracker.
"""

from __future__ import annotations

import functools
import re

from pytest_tasktracker.slotted import Slotted

_SECRET_NAME = (
    r"(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth|credential"
    r"|private[_-]?key|session|cookie|bearer|account[_-]?key|shared[_-]?access[_-]?key"
    r"|client[_-]?secret|signature)"
)


class Rules(Slotted):
    __slots__ = (
        "patterns",
        "auth_header",
        "assignment",
        "url_credentials",
        "query",
        "option_value",
        "mysql",
        "secret_option",
        "attribute",
        "key",
        "secret_variable",
        "path_variable",
    )

    def __init__(
        self,
        patterns: list[re.Pattern[str]],
        auth_header: re.Pattern[str],
        assignment: re.Pattern[str],
        url_credentials: re.Pattern[str],
        query: re.Pattern[str],
        option_value: re.Pattern[str],
        mysql: re.Pattern[str],
        secret_option: re.Pattern[str],
        attribute: re.Pattern[str],
        key: re.Pattern[str],
        secret_variable: re.Pattern[str],
        path_variable: re.Pattern[str],
    ) -> None:
        self.patterns = patterns  # secret shapes, replaced whole
        self.auth_header = auth_header
        self.assignment = assignment
        self.url_credentials = url_credentials
        self.query = query
        self.option_value = option_value
        self.mysql = mysql
        self.secret_option = secret_option
        self.attribute = attribute
        self.key = key
        self.secret_variable = secret_variable  # an environment variable named like a secret
        self.path_variable = path_variable  # ... or like a path


@functools.cache
def rules() -> Rules:
    """The patterns, compiled on first use: a run whose text holds nothing that could be
    a secret (the usual argv) never pays for compiling them (about 10 million
    instructions, on every pytest run with a tracker)."""
    patterns = [
        re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),  # GitHub tokens
        re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
        re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
        re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),  # Slack
        re.compile(r"\bxapp-[0-9]-[A-Za-z0-9-]{10,}\b"),  # Slack app-level tokens
        re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b"),  # OpenAI / Anthropic style
        re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b"),  # Stripe
        re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),  # GitLab
        re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API keys
        re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"),  # Google OAuth access tokens
        re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),  # Hugging Face
        re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),  # npm
        re.compile(r"\bpypi-[A-Za-z0-9_-]{50,}"),  # PyPI upload tokens
        re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),  # SendGrid
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"),  # JWT
        re.compile(
            r"-----BEGIN (?:[A-Z ]*PRIVATE KEY|PGP PRIVATE KEY BLOCK)-----[\s\S]*?"
            r"(?:-----END (?:[A-Z ]*PRIVATE KEY|PGP PRIVATE KEY BLOCK)-----|$)"
        ),
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"),
        re.compile(r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[\w-]+"),
    ]
    # Authorization: Bearer <token>, Basic <base64>
    auth_header = re.compile(r"(?i)\b((?:bearer|basic)[ \t]+)[A-Za-z0-9._~+/=-]{8,}")
    # key=value, key: value, "key": "value", 'key': 'value', where the key names a secret;
    # not ==, !=, <=, >=, := or ::, never across a line's end, and not an option's name
    # (--api-token: a word). [REDACTED] is a value of its own: redacting twice changes
    # nothing.
    assignment = re.compile(
        rf"(?i)(\b(?<!-)[\w.-]{{0,64}}{_SECRET_NAME}[\w.-]{{0,64}}[\"']?[ \t]{{0,8}}"
        r"(?<![=!<>:])(?:=(?!=)|:(?![:=]))[ \t]{0,8})"
        r"(\[REDACTED\]|[rbfu]{0,2}\"[^\"\n]{0,4096}\"|[rbfu]{0,2}'[^'\n]{0,4096}'"
        r"|(?:(?!\[REDACTED\])[^\s,;&\"'})\]])+)"
        r"([ \t]*=[ \t]*(?:[rbfu]{0,2}\"[^\"\n]{0,4096}\"|[rbfu]{0,2}'[^'\n]{0,4096}'))?"
    )
    # scheme://user:password@host, the password may hold "@"
    url_credentials = re.compile(
        r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):(\S+?)@(?=[^@\s/]*(?:[/\s]|$))"
    )
    # ?key=..., &token=..., in URLs
    query = re.compile(rf"(?i)([?&](?:key|{_SECRET_NAME}|sig|access_token)=)[^&\s#]+")
    # --password value, --api-token=value, -token=value in free text (a command in a
    # remedy, an error); not -token * 2, a name negated in code
    option_value = re.compile(
        rf"(?i)((?<![\w-])--[\w-]*{_SECRET_NAME}[\w-]*(?=[ =])|(?<![\w-])-[\w-]*"
        rf"{_SECRET_NAME}[\w-]*(?==))([ =])(?!-)(\S+)"
    )
    # mysql -u user -pPASSWORD (not -u * -p in code, nor -u {user} -p{password})
    mysql = re.compile(r"(?<![\w-])(-u\s*[\w.@%+-]+\s+-p)(?=[^\s)\],;{])(\S+)")
    secret_option = re.compile(rf"(?i)^--?[\w-]*{_SECRET_NAME}[\w-]*$")
    # A value that is code, not a secret: an attribute (``self.token``, ``config.option``), or
    # a keyword argument passed on under its own name (``session=session``).
    attribute = re.compile(r"[a-z_][a-z_0-9]*(?:\.[a-z_][a-z_0-9]*)+\Z")
    key = re.compile(r"([\w-]+)[\"']?[ \t]*[=:][ \t]*\Z")
    return Rules(
        patterns,
        auth_header,
        assignment,
        url_credentials,
        query,
        option_value,
        mysql,
        secret_option,
        attribute,
        key,
        re.compile(rf"(?i){_SECRET_NAME}|pass|key"),
        re.compile(r"(?i)\A(?:_|PWD|OLDPWD|SHELL|TMPDIR|TEMP|TMP)\Z|(?:PATH|DIR|HOME|ROOT|_ENV)\Z"),
    )


# Every secret shape holds one of these (case-folded), as its prefix, its header or the
# name of its key; text with none of them is left as it is without compiling a pattern.
# tests/test_leaks.py checks the filter against the patterns on every shape and on
# random text.
TRIGGERS = (
    "gh",
    "github_pat_",
    "akia",
    "asia",
    "xox",
    "xapp-",
    "sk-",
    "k_live_",
    "k_test_",
    "glpat-",
    "aiza",
    "ya29.",
    "hf_",
    "npm_",
    "pypi-",
    "sg.",
    "eyj",
    "-----begin",
    "hooks.slack.com",
    "discord",
    "bearer",
    "basic",
    "://",
    "key",
    "sig",
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api",
    "access",
    "auth",
    "credential",
    "private",
    "session",
    "cookie",
    "account",
    "shared",
    "client",
)


def may_hold_secret(text: str) -> bool:
    folded = text.casefold()
    if "-u" in folded and "-p" in folded:  # mysql -u user -pPASSWORD
        return True
    return any(trigger in folded for trigger in TRIGGERS)
