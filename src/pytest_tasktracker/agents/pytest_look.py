"""The guard's look, taken at the end of a tracked pytest run where hooks guard its
tracker: what the hook would do after the tool that ran pytest (``agents.hook.after_run``),
done in the run's own process, where the judge is loaded already. The hook after that
tool call then finds its look current and answers on its quick path (1.1x Python's
start) where it would judge in full (10x).

A pytest plugin of its own (entry point ``tasktracker_look``), so the plugin's layer
never imports the agents'. It acts only when the run was tracked (the plugin's run hooks
are registered) and on xdist's controller or a serial run; anything that goes wrong is
left to the hook, which looks in full.
"""

from __future__ import annotations

import os
import sys

import pytest

RUN_PLUGIN = "tasktracker-run"  # the name ``pytest_tasktracker.plugin`` registers
BACKUP, VERDICTS = ".guard", "verdicts.json"  # the look's records (``agents.verdicts``)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    hooks = config.pluginmanager.get_plugin(RUN_PLUGIN)
    settings = getattr(getattr(hooks, "run", None), "settings", None)
    if settings is None or hasattr(config, "workerinput"):
        return
    if not os.path.isfile(os.path.join(settings.state, BACKUP, VERDICTS)):
        return  # no hook has looked here: nothing to import, nothing to take
    try:
        from pytest_tasktracker.agents.hook import after_run

        told = after_run(settings, config.invocation_params.dir)
    except Exception:  # the hook after this tool call looks in full
        return
    if told:
        sys.stderr.write(told + "\n")
