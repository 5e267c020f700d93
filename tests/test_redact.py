"""redact and codetext: code is not a secret, a secret never survives, and redacting
changes nothing twice.

Exact texts first (what a traceback, an argv or an ini line becomes), then properties:
any line of formatted Python without a secret shape comes out byte for byte as it went
in, and redacting leaves no stray character behind.
"""

from __future__ import annotations

import keyword
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_tasktracker.redact import REDACTED, id_hash, redact_argv, redact_text, secret_nodeids

# Lines as pytest shows them in tracebacks, INTERNALERRORs and source listings.
CODE = [
    # python-dateutil on pytest 9: the INTERNALERROR goes through pytest's wrap_session
    "INTERNALERROR>     session.exitstatus = doit(config, session) or 0",
    "    session.exitstatus = doit(config, session) or 0",
    ">       session.exitstatus = doit(config, session) or 0",
    "config.hook.pytest_collection(session=session)",
    "self.token = token",
    "auth=config.option.auth",
    "def f(password=password):",
    "def f(token: str, session: Session) -> None:",
    "def f(*, token: str | None = None) -> str:",
    "if token == expected:",
    "assert session.token != token",
    "if (token := get_token()) is None:",
    "token = get_token()",
    "auth = HTTPBasicAuth(user, pw)",
    "self._session = requests.Session()",
    'secret_key = os.environ["SECRET"]',
    "cookies = jar[0]",
    "session_id = 5",
    "token_count += 1",
    "access_key, secret_key = pair",
    "lambda token: token.strip()",
    "requests.get(url, auth=(user, pw))",
    'headers = {"Authorization": f"Bearer {token}"}',
    'return {"token": token, "session": self.session}',
    "x = -token * 2",
    'url = f"postgres://{user}:{password}@{host}/db"',
    'cmd = f"mysql -u {user} -p{password}"',
    '"password=%s" % password',
    "        token=token_value,",
    "    token: str,",
    "    session: Session | None = None,",
    "token: Session",
    "def f() -> Token:\n    return make()",
    "tests/test_auth.py::test_login",
    "tests/test_auth.py:23: in test_login",
    "src/tokens.py:5: AssertionError",
    "E       assert token == expected",
    'exitstatus: Session = "a"',
    'def f(x: Session = "abc"):',
]


@pytest.mark.parametrize("text", CODE)
def test_code_comes_out_as_it_went_in(text: str) -> None:
    assert redact_text(text, {}) == text


# (text, redacted): a value where the text does not read as code, or a string literal.
SECRETS = [
    ("api_key=abcdefgh123", "api_key=[REDACTED]"),
    ("MY_TOKEN=abcdefgh123", "MY_TOKEN=[REDACTED]"),
    ("DB_PASSWORD=hunter2", "DB_PASSWORD=[REDACTED]"),
    ("password: hunter2", "password: [REDACTED]"),
    ("password: Hunter2", "password: [REDACTED]"),
    ("E   RuntimeError: token = abc123", "E   RuntimeError: token = [REDACTED]"),
    ('password = "hunter2"', "password = [REDACTED]"),
    ('{"password": "hunter2"}', '{"password": [REDACTED]}'),
    ("AccountKey=abc+def/ghi==;", "AccountKey=[REDACTED];"),
    ("--api-token=s3cr3tV4lu3xyz", "--api-token=[REDACTED]"),
    ("--password hunter2 -x", "--password [REDACTED] -x"),
    ("mysql -u root -pS3cret!", "mysql -u root -p[REDACTED]"),
    ("a=1&token=abc", "a=1&token=[REDACTED]"),
    ("postgres://admin:Pw0rd@db/app", "postgres://[REDACTED]@db/app"),
    ("[token=abc]", "[token=[REDACTED]]"),  # the "]" was the text's own
    ("f(x, token='s3cr3t')", "f(x, token=[REDACTED])"),
    ('password: str = "hunter2"', "password: str = [REDACTED]"),
    ('token = x = "abc"', "token = x = [REDACTED]"),
]


@pytest.mark.parametrize(("text", "expected"), SECRETS)
def test_a_secret_becomes_redacted_once_and_for_all(text: str, expected: str) -> None:
    assert redact_text(text, {}) == expected
    assert redact_text(expected, {}) == expected  # no "[REDACTED]]" the second time


def test_an_argument_named_like_a_secret_hides_its_whole_value() -> None:
    """One argument may hold spaces (``--api-token='a b'`` in addopts): all of it goes."""
    assert redact_argv(["--api-token=s3cr3t V4lu3", "--token", "a b", "-k", "x"], {}) == [
        "--api-token=[REDACTED]",
        "--token",
        "[REDACTED]",
        "-k",
        "x",
    ]


def test_a_test_id_holding_a_secret_is_written_redacted_beside_its_keyed_hash() -> None:
    ids = [
        "t.py::test_db[postgres://app:pw1secret@db/x]",
        "t.py::test_db[postgres://app:pw2secret@db/x]",
    ]
    asked = []

    def key() -> bytes:
        asked.append(1)
        return b"k" * 32

    found = secret_nodeids([*ids, "t.py::test_db[plain-value-here]", "t.py::test_x"], {}, key)
    assert found == {
        ids[0]: "t.py::test_db[postgres://[REDACTED]@db/x]#hmac-ac20e8b04003",
        ids[1]: "t.py::test_db[postgres://[REDACTED]@db/x]#hmac-c8a485274708",
    }
    assert found[ids[0]].endswith(id_hash(b"k" * 32, ids[0]))
    assert asked == [1]  # the key is asked for once, and only when an id holds a secret
    assert secret_nodeids(["t.py::test_db[plain-value-here]"], {}, key) == {}
    assert asked == [1]


# Formatted Python (as ruff or black writes it) made of names that look like secrets:
# assignments, annotations, signatures, calls split over lines, dicts, lambdas. No string
# stands right after a key named like a secret: that is the one secret shape code has.
SECRET_NAME = re.compile(
    r"(?i)password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth|credential"
    r"|private[_-]?key|session|cookie|bearer|account[_-]?key|shared[_-]?access[_-]?key"
    r"|client[_-]?secret|signature"
)
VOCABULARY = [
    "token",
    "password",
    "passwd",
    "pwd",
    "secret",
    "api_key",
    "access_key",
    "auth",
    "author",
    "credentials",
    "private_key",
    "session",
    "cookies",
    "bearer",
    "basic",
    "signature",
    "client_secret",
    "session_id",
    "token_count",
    "MY_TOKEN",
    "API_KEY",
    "SECRET_KEY",
    "DB_PASSWORD",
    "exitstatus",
    "config",
    "self",
    "os",
    "environ",
    "user",
    "pw",
    "key",
    "u",
    "p",
]
TYPES = ["str", "int", "bytes", "None", "Any", "Session", "Token", "Path", "Optional[str]"]
names = st.sampled_from(VOCABULARY) | st.from_regex(r"[a-z_][a-z0-9_]{0,11}", fullmatch=True)
names = names.filter(lambda name: not keyword.iskeyword(name))
attributes = st.lists(names, min_size=1, max_size=4).map(".".join)
numbers = st.sampled_from(["0", "5", "3.5", "0x1F", "1_000", "-1", "None", "True"])
strings = st.from_regex(r"[a-z]{1,7}( [a-z]{1,7}){0,2}", fullmatch=True).map(lambda s: f'"{s}"')
templates = names.map(lambda name: f'f"Bearer {{{name}}}"')
types = st.sampled_from(TYPES) | st.sampled_from(TYPES).map(lambda t: f"{t} | None")


def named(key: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A value for ``key``: never a string when the key is named like a secret."""
    if SECRET_NAME.search(key):
        return value.filter(lambda text: not text.startswith('"'))
    return value


@st.composite
def expressions(draw: st.DrawFn, depth: int = 2) -> str:
    atom = draw(st.one_of(attributes, numbers, strings, templates))
    if depth == 0:
        return atom
    inner = expressions(depth - 1)
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return f"{draw(attributes)}({draw(arguments(depth - 1))})"
    if shape == 1:
        return f"{draw(attributes)}[{draw(inner)}]"
    if shape == 2:
        op = draw(st.sampled_from(["+", "-", "*", "/", "or", "and", "==", "!=", "<", "in", "is"]))
        return f"{draw(inner)} {op} {draw(inner)}"
    if shape == 3:
        return f"not {draw(inner)}" if draw(st.booleans()) else f"-{draw(attributes)}"
    if shape == 4:
        return f"{draw(inner)} if {draw(inner)} else {draw(inner)}"
    if shape == 5:
        return f"lambda {draw(names)}: {draw(inner)}"
    if shape == 6:
        return f"({draw(inner)}, {draw(inner)})"
    if shape == 7:
        key = draw(names)
        return f'{{"{key}": {draw(named(key, inner))}}}'
    return atom


@st.composite
def arguments(draw: st.DrawFn, depth: int) -> str:
    parts = draw(st.lists(expressions(depth), max_size=2))
    for key in draw(st.lists(names, max_size=3, unique=True)):
        parts.append(f"{key}={draw(named(key, expressions(depth)))}")
    return ", ".join(parts)


@st.composite
def parameters(draw: st.DrawFn) -> str:
    parts = []
    for key in draw(st.lists(names, min_size=1, max_size=4, unique=True)):
        shape = draw(st.integers(0, 3))
        if shape == 0:
            parts.append(key)
        elif shape == 1:
            parts.append(f"{key}: {draw(types)}")
        elif shape == 2:
            parts.append(f"{key}: {draw(types)} = {draw(named(key, numbers | attributes))}")
        else:
            parts.append(f"{key}={draw(named(key, numbers | attributes))}")
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), "*")
    return ", ".join(parts)


@st.composite
def python_lines(draw: st.DrawFn) -> str:
    indent = draw(st.sampled_from(["", "    ", "        ", ">       ", "INTERNALERROR>     "]))
    key = draw(names)
    shape = draw(st.integers(0, 15))
    if shape < 6:
        target = draw(attributes)
        value = draw(named(target, expressions()))
        line = [
            f"{target} = {value}",
            f"{key}, {target} = {value}",
            f"{target} += {value}",
            f"return {value}",
            f"if {value}:",
            f"for {key} in {value}:",
        ][shape]
    elif shape == 6:
        line = f"{key}: {draw(types)} = {draw(named(key, expressions()))}"
    elif shape == 7:
        line = f"{key}: {draw(types)}" + draw(st.sampled_from(["", ","]))
    elif shape == 8:
        line = f"with {draw(attributes)}({draw(arguments(1))}) as {key}:"
    elif shape == 9:
        line = f"def {key}({draw(parameters())}) -> {draw(types)}:"
    elif shape == 10:
        line = f"{draw(attributes)}({draw(arguments(2))})"
    elif shape == 11:  # a keyword argument on a line of its own
        line = f"{key}={draw(named(key, expressions()))},"
    elif shape == 12:
        line = f'"{key}": {draw(named(key, expressions()))},'
    elif shape == 13:
        line = f"class {key.title()}({draw(names)}, metaclass={draw(attributes)}):"
    elif shape == 14:
        line = f"{key}: {draw(types)} = {draw(named(key, numbers | attributes))},"
    else:
        line = f"assert {draw(expressions())}"
    return indent + line


@settings(max_examples=max(150, settings().max_examples), deadline=None)
@given(st.lists(python_lines(), min_size=1, max_size=4).map("\n".join))
def test_any_line_of_python_without_a_secret_shape_comes_out_byte_for_byte(text: str) -> None:
    assert redact_text(text, {}) == text


FRAGMENTS = [
    "token",
    "password",
    "api_key",
    "MY_TOKEN",
    "=",
    " = ",
    ": ",
    "==",
    ":",
    "[",
    "]",
    "(",
    ")",
    "'",
    '"',
    "{x}",
    ",",
    "\n",
    " ",
    "--api-token",
    "-u ",
    " -p",
    "postgres://u:",
    "@h/db",
    "s3cr3tV4lu3",
    "abc",
    REDACTED,
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14).map("".join))
def test_redacting_twice_changes_nothing_and_adds_no_bracket(text: str) -> None:
    once = redact_text(text, {})
    assert redact_text(once, {}) == once
    assert once.count("]") - once.count(REDACTED) <= text.count("]") - text.count(REDACTED)
