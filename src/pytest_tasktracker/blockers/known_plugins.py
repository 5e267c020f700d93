"""Which distribution provides a command-line option that pytest did not recognize."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    distribution: str  # what to pip install
    plugin: str  # the name for -p no:NAME
    options: tuple[str, ...]  # options it adds; the first is the one people know
    takes_value: tuple[str, ...] = ()  # options among them that take a value


PROVIDERS = (
    Provider(
        "pytest-xdist",
        "xdist",
        ("-n", "--numprocesses", "--maxprocesses", "--dist", "--max-worker-restart", "--tx"),
        ("-n", "--numprocesses", "--maxprocesses", "--dist", "--max-worker-restart", "--tx"),
    ),
    Provider(
        "pytest-cov",
        "pytest_cov",
        (
            "--cov",
            "--cov-report",
            "--cov-config",
            "--cov-fail-under",
            "--cov-branch",
            "--no-cov",
            "--cov-append",
            "--cov-context",
        ),
        ("--cov-report", "--cov-config", "--cov-fail-under", "--cov-context"),
    ),
    Provider(
        "pytest-json-report",
        "json-report",
        (
            "--json-report",
            "--json-report-file",
            "--json-report-omit",
            "--json-report-indent",
            "--json-report-summary",
            "--json-report-verbosity",
        ),
        (
            "--json-report-file",
            "--json-report-omit",
            "--json-report-indent",
            "--json-report-verbosity",
        ),
    ),
    Provider(
        "pytest-timeout",
        "timeout",
        ("--timeout", "--timeout-method", "--timeout_method"),
        ("--timeout", "--timeout-method", "--timeout_method"),
    ),
    Provider(
        "pytest-rerunfailures",
        "rerunfailures",
        ("--reruns", "--reruns-delay", "--only-rerun", "--rerun-except"),
        ("--reruns", "--reruns-delay", "--only-rerun", "--rerun-except"),
    ),
    Provider(
        "pytest-html", "html", ("--html", "--self-contained-html", "--css"), ("--html", "--css")
    ),
    Provider("pytest-reportlog", "reportlog", ("--report-log",), ("--report-log",)),
    Provider(
        "pytest-randomly",
        "randomly",
        ("--randomly-seed", "--randomly-dont-reorganize", "--randomly-dont-reset-seed"),
        ("--randomly-seed",),
    ),
    Provider(
        "pytest-benchmark",
        "benchmark",
        (
            "--benchmark-only",
            "--benchmark-skip",
            "--benchmark-disable",
            "--benchmark-autosave",
            "--benchmark-json",
        ),
        ("--benchmark-json",),
    ),
    Provider("pytest-asyncio", "asyncio", ("--asyncio-mode",), ("--asyncio-mode",)),
    Provider(
        "pytest-django",
        "django",
        ("--ds", "--dc", "--reuse-db", "--create-db", "--nomigrations"),
        ("--ds", "--dc"),
    ),
    Provider(
        "pytest-md-report",
        "md_report",
        ("--md-report", "--md-report-output"),
        ("--md-report-output",),
    ),
    Provider(
        "allure-pytest", "allure_pytest", ("--alluredir", "--clean-alluredir"), ("--alluredir",)
    ),
    Provider("pytest-testmon", "testmon", ("--testmon", "--testmon-noselect"), ()),
    Provider(
        "pytest-repeat", "repeat", ("--count", "--repeat-scope"), ("--count", "--repeat-scope")
    ),
    Provider("pytest-split", "split", ("--splits", "--group"), ("--splits", "--group")),
    Provider("pytest-instafail", "instafail", ("--instafail",), ()),
    Provider("pytest-mypy", "mypy", ("--mypy",), ()),
    Provider("pytest-env", "env", ("--envfile",), ("--envfile",)),
)

_BY_OPTION = {option: provider for provider in PROVIDERS for option in provider.options}


def provider_of(option: str) -> Provider | None:
    """The distribution that adds ``option`` (``--opt=value`` and ``-n4`` forms too)."""
    name = option.split("=", 1)[0]
    if name in _BY_OPTION:
        return _BY_OPTION[name]
    if len(name) > 2 and not name.startswith("--") and name[:2] in _BY_OPTION:
        return _BY_OPTION[name[:2]]  # "-n4", "-nauto"
    return None


def takes_value(option: str) -> bool:
    provider = provider_of(option)
    return provider is not None and "=" not in option and option in provider.takes_value
