"""A module that could not be imported: which distribution provides it, and how this
project installs it.

The distribution is found, first that answers: the project's own code (``src/NAME`` or
``NAME/`` beside its ``pyproject.toml``, not installed); the project's declared
dependencies (``[project]`` dependencies and extras, ``[dependency-groups]``, Poetry's,
``requirements*.txt``) that provide the module by name, through the table below or
through the installed distributions' metadata; else the table alone; else the module's
own name. When the project declares it, its install command comes first
(``pip install -e .``; ``uv sync`` or ``poetry install`` when pytest ran in the
environment those manage), then the distribution alone.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any, NamedTuple

from pytest_tasktracker.blockers.facts import Facts
from pytest_tasktracker.blockers.model import Remedy

# Modules whose distribution is named otherwise (PyPI names, as their projects write them).
COMMON = {
    "git": "GitPython",
    "yaml": "PyYAML",
    "cv2": "opencv-python",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "PyJWT",
    "OpenSSL": "pyOpenSSL",
    "Crypto": "pycryptodome",
    "serial": "pyserial",
    "usb": "pyusb",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "PyMuPDF",
    "github": "PyGithub",
    "jenkins": "python-jenkins",
    "pythonjsonlogger": "python-json-logger",
    "zmq": "pyzmq",
    "MySQLdb": "mysqlclient",
    "attr": "attrs",
    "google.protobuf": "protobuf",
    "win32api": "pywin32",
    "gi": "PyGObject",
    "slugify": "python-slugify",
    "multipart": "python-multipart",
    "websocket": "websocket-client",
    "mpl_toolkits": "matplotlib",
    "pkg_resources": "setuptools",
    "claude_code_sdk": "claude-code-sdk",
}
_PREFIXES = ("python-", "py-", "py")
_SUFFIXES = ("-python", "-py", "-binary")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalized(name: str) -> str:
    """A distribution's name as PyPI compares them (PEP 503); a module's too
    (``google.cloud.storage`` -> ``google-cloud-storage``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Declared(NamedTuple):
    distribution: str
    where: str  # "dependencies", "extra test", "group dev", "requirements-test.txt", ...
    install: list[str]  # the arguments after "pip install" (or the whole tool command)


def remedies(module: str, file: str, facts: Facts) -> list[Remedy]:
    """What to run when ``file`` cannot import ``module`` (dotted, as pytest said)."""
    python = facts.python
    root = project_root(facts)
    shown_root = facts.rel(root) if root is not None else "."
    top = module.split(".")[0]
    check = Remedy(
        shlex.join([python, "-c", f"import {module}"]),
        "check that the import works before running pytest again",
    )
    own = _own_package(root, top)
    if own is not None:
        return [
            Remedy(
                shlex.join([python, "-m", "pip", "install", "-e", shown_root]),
                f"{file} imports {module!r}, this project's own code ({facts.rel(own)}), "
                f"which is not installed in the interpreter that ran pytest ({python}): "
                "install the project",
            ),
            check,
        ]
    names = candidates(module)
    declared = next((d for d in _declared(root, shown_root, facts) if _provides(d, names)), None)
    distribution = declared.distribution if declared else names[0]
    found = "" if normalized(distribution) == normalized(top) else f", from {distribution}"
    install = Remedy(
        shlex.join([python, "-m", "pip", "install", distribution]),
        f"{file} imports {module!r}{found}, which is not installed in the interpreter that "
        f"ran pytest ({python}); install {distribution}"
        + ("" if declared or found else " (its name on PyPI may differ)"),
    )
    if declared is None:
        return [install, check]
    source = "pyproject.toml" if not declared.where.startswith("requirements") else ""
    where = f"{source} ({declared.where})" if source else declared.where
    first = Remedy(
        shlex.join(declared.install),
        f"{file} imports {module!r}, from {distribution}, which this project declares in "
        f"{where}: install the project's dependencies into the interpreter that ran pytest "
        f"({python})",
    )
    return [first, install, check]


def candidates(module: str) -> list[str]:
    """The distributions that may provide ``module``, likeliest first: the table's (for
    its longest dotted part), the installed ones that provide its top package, its top
    package's name, its whole name (``google.cloud.storage`` is google-cloud-storage)."""
    found: list[str] = []
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in COMMON:
            found.append(COMMON[".".join(parts[:end])])
            break

    found += packages_distributions().get(parts[0], [])
    found += [parts[0], module]  # the top package; a namespace's part ("google.cloud.storage")
    return list(dict.fromkeys(found))


def _provides(declared: Declared, names: list[str]) -> bool:
    name = normalized(declared.distribution)
    if name in {normalized(n) for n in names}:
        return True
    for prefix in _PREFIXES:
        name = name.removeprefix(prefix)
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return name in {normalized(n) for n in names}


def project_root(facts: Facts) -> Path | None:
    """The folder of the project's ``pyproject.toml`` (or ``setup.py``, ``setup.cfg``,
    ``requirements.txt``), from the rootdir up."""
    for folder in (facts.rootdir, *facts.rootdir.parents):
        if any((folder / name).is_file() for name in _MARKERS):
            return folder
    return None


_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt")


def _own_package(root: Path | None, top: str) -> Path | None:
    """``top``'s code in the project itself (``src/top``, ``top/``, ``top.py``), when the
    project can be installed (it has a pyproject.toml or setup.py)."""
    if root is None or not top.isidentifier():
        return None
    if not ((root / "pyproject.toml").is_file() or (root / "setup.py").is_file()):
        return None
    for base in (root / "src", root):
        if (base / top / "__init__.py").is_file():
            return base / top
        if (base / f"{top}.py").is_file() and base != root:
            return base / f"{top}.py"
    return None


def _declared(root: Path | None, shown: str, facts: Facts) -> Iterator[Declared]:
    """Every dependency the project declares, each with the command that installs it."""
    if root is None:
        return
    pip = [facts.python, "-m", "pip", "install"]
    data = _pyproject(root / "pyproject.toml")
    tool = _managed_by(root, facts.python)
    project: dict[str, Any] = data["project"] if isinstance(data.get("project"), dict) else {}
    for requirement in _strings(project.get("dependencies")):
        yield Declared(_name(requirement), "dependencies", tool[0] if tool else [*pip, "-e", shown])
    extras = project.get("optional-dependencies")
    for extra, requirements in extras.items() if isinstance(extras, dict) else []:
        command = [*tool[0], tool[1], extra] if tool else [*pip, "-e", f"{shown}[{extra}]"]
        for requirement in _strings(requirements):
            yield Declared(_name(requirement), f"extra {extra}", command)
    groups = data.get("dependency-groups")
    for group, requirements in groups.items() if isinstance(groups, dict) else []:
        where = group if shown == "." else f"{shown}/pyproject.toml:{group}"
        command = [*tool[0], tool[2], group] if tool else [*pip, "--group", where]
        for requirement in _strings(requirements):
            yield Declared(_name(requirement), f"group {group}", command)
    tools = data.get("tool")
    poetry = tools.get("poetry") if isinstance(tools, dict) else None
    if isinstance(poetry, dict):  # Poetry 1: dependencies under [tool.poetry]
        command = tool[0] if tool else [*pip, "-e", shown]
        for name in poetry.get("dependencies") or {}:
            yield Declared(str(name), "tool.poetry.dependencies", command)
    for requirements in sorted(root.glob("requirements*.txt")):
        try:
            lines = requirements.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        command = [*pip, "-r", facts.rel(requirements)]
        for line in lines:
            if line.strip() and not line.lstrip().startswith(("#", "-")):
                yield Declared(_name(line), requirements.name, command)


_TOOLS = {  # lock file: (install command, option for an extra, option for a group)
    "uv.lock": (["uv", "sync"], "--extra", "--group"),
    "poetry.lock": (["poetry", "install"], "--extras", "--with"),
}


def _managed_by(root: Path, python: str) -> tuple[list[str], str, str] | None:
    """The project's own install command when it has a lock file and pytest ran in the
    environment the tool manages for it (``.venv`` beside it); else None: pip installs
    into ``python``, wherever it is."""
    if not Path(python).absolute().is_relative_to(root.absolute() / ".venv"):
        return None
    for lock, tool in _TOOLS.items():
        if (root / lock).is_file():
            return tool
    return None


def _pyproject(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _name(requirement: str) -> str:
    found = _NAME.match(requirement)
    return found.group(1) if found else requirement.strip()
