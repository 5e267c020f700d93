"""Keep secrets and environment values out of everything we write.

Two rules: a value that has the shape of a secret is replaced by ``[REDACTED]``; and the
value of any environment variable that could identify something is replaced by
``$NAME``. Shapes: token prefixes that their issuers document (GitHub, GitLab, AWS,
Slack, Stripe, OpenAI and Anthropic, Google, Hugging Face, npm, PyPI, SendGrid), JWTs,
private key blocks (PEM and PGP), ``Authorization`` headers, ``key=value`` and JSON or
dict entries whose key names a secret, credentials in URLs, secret query parameters,
webhook URLs, ``--password value`` and ``-u user -pPASSWORD``.

Only values are replaced, never code (see ``_is_code``): in ``hook(session=session)``,
``session.exitstatus = doit(config, session) or 0`` or ``def f(token: str)`` the value
is a name, a call or a type, not a secret. Replacing is idempotent and never leaves a
stray character behind. Text is redacted before it is cut, so a cut never leaves a
secret's tail behind.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pytest_tasktracker import codetext
from pytest_tasktracker.secretshapes import may_hold_secret as _may_hold_secret
from pytest_tasktracker.secretshapes import rules as _rules

REDACTED = "[REDACTED]"
_MIN_ENV_VALUE = 8
_SAFE_ENV_VALUES = {"true", "false", "utf-8", "xterm-256color"}


def redact_text(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` with secret-shaped values and environment values replaced."""
    if _may_hold_secret(text):
        text = _redact_shapes(text)
    return _replace_env_values(text, os.environ if environ is None else environ)


def _redact_shapes(text: str) -> str:
    """``text`` with every secret shape replaced (no filter, no environment values)."""
    rules = _rules()
    for pattern in rules.patterns:
        text = pattern.sub(REDACTED, text)
    text = rules.auth_header.sub(lambda m: m.group(1) + REDACTED, text)
    text = rules.assignment.sub(_assignment, text)
    text = rules.url_credentials.sub(_url_credentials, text)
    text = rules.query.sub(lambda m: m.group(1) + REDACTED, text)
    text = rules.option_value.sub(_option_value, text)
    return rules.mysql.sub(lambda m: m.group(1) + REDACTED, text)


def _assignment(match: re.Match[str]) -> str:
    key, value, tail = match.group(1), match.group(2), match.group(3) or ""
    if tail:  # password: str = "hunter2", token = x = "abc": a string given to the key
        literal = tail.partition("=")[2].lstrip()
        if not codetext.template_string(literal):
            tail = tail[: len(tail) - len(literal)] + REDACTED
    if value == REDACTED or value.lower() in ("bearer", "basic"):  # a header's scheme
        return key + value + tail
    if _is_location(key, value) or _is_code(match):
        return key + value + tail
    return key + REDACTED + tail


def _url_credentials(match: re.Match[str]) -> str:
    if codetext.placeholder(match.group(3)):  # "postgres://{user}:{password}@{host}"
        return match.group(0)
    return f"{match.group(1)}{REDACTED}@"


def _is_location(key: str, value: str) -> bool:
    """``src/auth.py:12:`` or ``tokens.py: message``: a file and line, not a key."""
    head = key.rstrip()
    return head.endswith(":") and (
        codetext.is_file_name(head[:-1]) or (value.endswith(":") and value[:-1].isdigit())
    )


def _is_code(match: re.Match[str]) -> bool:
    """Whether the value of a ``key = value`` match is code: the key's own name passed on
    (``session=session``), an attribute (``config.option.auth``), a template placeholder
    (``password=%s``), or, where the text reads as Python (``codetext.in_code``), a
    name, call, number or type (``token = get_token()``), or a string made only of
    placeholders (``f"Bearer {token}"``)."""
    rules = _rules()
    key, value = match.group(1), match.group(2)
    name = rules.key.search(key)
    if rules.attribute.match(value) or (name is not None and value == name.group(1)):
        return True
    if codetext.placeholder(value) or codetext.template_string(value):
        return True
    return codetext.in_code(match.string, match.start(), key, value, match.end(2))


def _option_value(match: re.Match[str]) -> str:
    value = match.group(3)
    if value.lstrip("'\"").startswith(REDACTED) or _rules().attribute.match(value):
        return match.group(0)
    if codetext.placeholder(value):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def redact_all(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Every string inside ``value`` (dicts, lists) redacted."""
    if isinstance(value, str):
        return redact_long(value, environ)
    if isinstance(value, dict):
        return {key: redact_all(item, environ) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_all(item, environ) for item in value]
    return value


@functools.cache
def _control() -> re.Pattern[str]:
    """Control characters, ANSI escapes among them; compiled on first use, on its own:
    showing a line of text needs none of the secret patterns."""
    return re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character (an ANSI escape, a NUL, ...); tab and
    newline are not counted. Text that Python finds printable holds none."""
    return not text.isprintable() and _control().search(text) is not None


def printable(text: str) -> str:
    """Control characters (ANSI escapes among them) shown as text, never interpreted:
    never sent to a terminal as they are."""
    if text.isprintable():
        return text
    return _control().sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying so. Redact first, then cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


MAX_ERROR = 64 * 1024
# A one-line text (a summary) may be cut to this before it is redacted and cut to its
# final length: whatever a cut here splits lies far past the final length.
PRE_CUT = 4000


def capped(text: str, redact: Any, limit: int = MAX_ERROR) -> str:
    """``text`` redacted by ``redact``, its head and tail kept when it is longer than
    ``limit``, saying how much was left out. It is cut at line ends first, so no secret is
    split; then each part is redacted: linear in the kept size, not in the whole text."""
    if len(text) <= limit:
        return str(redact(text))
    half = limit // 2
    head_end = text.rfind("\n", 0, half) + 1 or half
    tail_start = text.find("\n", len(text) - half) + 1 or len(text) - half
    left_out = tail_start - head_end
    lines = text.count("\n", head_end, tail_start)
    note = f"\n[... {left_out:,} characters ({lines:,} lines) left out ...]\n"
    return f"{redact(text[:head_end])}{note}{redact(text[tail_start:])}"


def redact_long(text: str, environ: Mapping[str, str] | None = None) -> str:
    """pytest's text (an error, a traceback) without secrets, only its head and tail kept
    when it is very long."""
    return capped(text, lambda part: redact_text(part, environ))


def _replace_env_values(text: str, environ: Mapping[str, str]) -> str:
    values = sorted(
        (
            (value, name)
            for name, value in environ.items()
            if len(value) >= _MIN_ENV_VALUE
            and value in text  # first: the cheap test that rules most out
            and value.lower() not in _SAFE_ENV_VALUES
            and not _is_plain_path(value, name)
        ),
        reverse=True,
        key=lambda pair: len(pair[0]),
    )
    for value, name in values:
        if value in text:  # still there after a longer value was replaced
            text = text.replace(value, f"${name}")
    return text


def _is_plain_path(value: str, name: str = "") -> bool:
    """Folder paths and path lists (HOME, PATH, VIRTUAL_ENV) name places, not secrets;
    replacing them would garble every file name. A value counts as a path when it reads
    as one and either its variable is named as one (``*PATH``, ``*_DIR``, ``*HOME``,
    ``PWD``) or every part of it exists here: about one AWS secret key in 64 starts with
    ``/``, and a variable named like a secret is never a path."""
    rules = _rules()
    if rules.secret_variable.search(name) and not rules.path_variable.search(name):  # not PWD
        return False
    if any(pattern.search(value) for pattern in rules.patterns) or rules.assignment.search(value):
        return False
    parts = [part for part in value.split(os.pathsep) if part]
    looks = bool(parts) and all(
        part.startswith(("/", "~", ".", "\\")) or (len(part) > 2 and part[1] == ":")
        for part in parts
    )
    if not looks:
        return False
    if rules.path_variable.search(name):
        return True
    return all(os.path.exists(os.path.expanduser(part)) for part in parts)


@functools.cache
def _maybe_secret() -> re.Pattern[str]:
    """A parametrize id long enough to hold a secret or an environment value; compiled
    on first use, on its own: most parametrized ids are ruled out by it alone, without
    compiling the secret patterns."""
    return re.compile(r"[\w./+=@:%-]{8,}")


def secret_nodeids(
    nodeids: Iterable[str],
    environ: Mapping[str, str] | None = None,
    key: Callable[[], bytes] | None = None,
) -> dict[str, str]:
    """The test ids whose parametrize values hold a secret, each mapped to the form that
    is written: redacted, and with ``key`` (asked for only when an id holds a secret)
    followed by a keyed hash of the id as pytest wrote it (``...[postgres://[REDACTED]@db]
    #hmac-3f2a9c1b0d4e``), so two ids that differ only in their secret stay two, and the
    same test is the same id from run to run. Ids without parameters, or with only short
    ones, cannot hold one and are not read further: usually the answer is empty and costs
    one look at each id."""
    bracketed = {nodeid for nodeid in nodeids if "[" in nodeid}
    if not bracketed:
        return {}
    maybe = _maybe_secret()
    found: dict[str, str] = {}
    for nodeid in bracketed:
        if not maybe.search(nodeid, nodeid.find("[")):
            continue
        redacted = redact_text(nodeid, environ)
        if redacted != nodeid:
            found[nodeid] = redacted
    if found and key is not None:
        secret = key()
        found = {nodeid: f"{shown}#{id_hash(secret, nodeid)}" for nodeid, shown in found.items()}
    return found


def id_hash(key: bytes, nodeid: str) -> str:
    """The keyed hash that stands beside a redacted test id: HMAC-SHA256 of the id as
    pytest wrote it, 48 bits of it. Without the key (the state folder's ``nodeid.key``),
    a reader of results.json cannot test guesses of the secret against it."""
    import hmac  # only for an id that holds a secret: not every tracked run's cost

    digest = hmac.new(key, nodeid.encode("utf-8", "surrogateescape"), hashlib.sha256)
    return "hmac-" + digest.hexdigest()[:12]


def secret_option(arg: str) -> bool:
    """Whether ``arg`` is an option named like a secret (``--api-token``), whose value
    (the next argument, or after ``=``) is one."""
    return arg.startswith("-") and bool(_rules().secret_option.match(arg.partition("=")[0]))


def option_secrets(argv: Sequence[str]) -> list[str]:
    """The values given to options named like secrets in ``argv`` (``--api-token X``,
    ``--db-password='a b'``), longest first: text that echoes the arguments (pytest's
    usage errors) hides them whole, spaces and all, where no pattern could bound them."""
    found = []
    for index, arg in enumerate(argv):
        if secret_option(arg):
            _, equals, value = arg.partition("=")
            if not equals and index + 1 < len(argv):
                value = argv[index + 1]
            if len(value) >= 3 and value != REDACTED:
                found.append(value)
    return sorted(found, key=len, reverse=True)


def redact_argv(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Command-line arguments with secrets removed: the value of ``--token VALUE`` and of
    ``--token=VALUE`` whole, spaces and all (one argument of addopts may hold them)."""
    result: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            result.append(REDACTED)
            hide_next = False
            continue
        if arg.startswith("-") and _may_hold_secret(arg):
            name, equals, _ = arg.partition("=")
            if _rules().secret_option.match(name):
                hide_next = not equals
                result.append(f"{name}={REDACTED}" if equals else arg)
                continue
        result.append(redact_text(arg, environ))
    return result
