"""The pytest plugin's entry point (``pytest11``: ``tasktracker``): the hooks of
``plugin.hooks``, by name.

pytest loads an entry point's module with its assertion rewriter, which reads cached
code with ``marshal.load`` on the open file: for the hooks' 25 KB, 4.9 M instructions on
every pytest run, tracked or not, against 0.5 M with Python's own loader. So this module
is small, and loads ``hooks`` with Python's path finder and loader first; the import
below then finds it loaded.
"""

from __future__ import annotations

import sys
from importlib.machinery import PathFinder
from importlib.util import module_from_spec


def _load_plainly(name: str) -> None:
    """Load ``pytest_tasktracker.plugin.<name>`` with Python's own finder and loader;
    where they cannot, the import that follows loads it as any other."""
    full = f"{__name__}.{name}"
    spec = PathFinder.find_spec(full, __path__)
    if full in sys.modules or spec is None or spec.loader is None:
        return
    module = module_from_spec(spec)
    sys.modules[full] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[full]
        raise
    setattr(sys.modules[__name__], name, module)


_load_plainly("hooks")

from pytest_tasktracker.plugin.hooks import (  # noqa: E402
    RUN_PLUGIN,
    pytest_addoption,
    pytest_configure,
    pytest_load_initial_conftests,
    pytest_report_header,
)

__all__ = [
    "RUN_PLUGIN",
    "pytest_addoption",
    "pytest_configure",
    "pytest_load_initial_conftests",
    "pytest_report_header",
]
