"""Test-session settings, and the helpers the tests of the self-checks share.

Self-checks raise on a miss in the tests (``COURSE_STRICT_CHECKS=1``, as under nbgrader), so a
notebook whose solution stops passing its own check fails its nbval run. Tests of what a
student sees in interactive use unset it themselves (``tools.student.run_edition`` does).

Every test starts and ends with no exercise attempt recorded (:func:`fresh_exercises`), so hint
steps never carry over from one test to the next.  A test file imports the helpers below with
``from conftest import assert_fails, ...``; running a notebook's exercise cells is ``tests/nbcells.py``.
"""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("COURSE_STRICT_CHECKS", "1")


@pytest.fixture(autouse=True)
def fresh_exercises():
    """No attempts, misses or hint steps recorded before or after a test (as in a fresh kernel)."""
    from course_utils import checks

    checks.reset()
    yield
    checks.reset()


def assert_fails(call, *fragments, match: str | None = None, attempted: bool | None = None, all_hints=False,
                 solution_lines=(), fresh: bool = False):
    """``call()`` misses: it raises ``CheckFailed``, whose message holds every fragment (and matches the regular
    expression ``match``); returns the ``CheckFailed``.

    ``attempted``: also require the miss to count as attempted (True) or not (False).  ``all_hints``: look for
    the fragments in the problem and every hint step, not only in the message (which shows one step).
    ``solution_lines``: no hint may contain one of them.  ``fresh``: start from the first hint step.
    """
    from course_utils import checks
    from course_utils.checks import CheckFailed

    if fresh:
        checks.reset()
    with pytest.raises(CheckFailed) as info:
        call()
    err = info.value
    text = " ".join([err.problem, *err.hints]) if all_hints else str(err)
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    if match is not None:
        assert re.search(match, str(err)), (match, str(err))
    if attempted is not None:
        assert err.attempted is attempted, str(err)
    for hint in [err.problem, *err.hints]:
        for line in solution_lines:
            assert line not in hint, f"hint {hint!r} contains the solution line {line!r}"
    return err


def assert_not_attempted(call):
    """``call()`` reports "not attempted": a ``CheckFailed`` that is not counted as a miss and has no hint."""
    err = assert_fails(call, attempted=False)
    assert not err.hints, str(err)
    return err


def assert_passes(call, capsys) -> str:
    """``call()`` passes: it prints the ✅ line; returns what it printed."""
    call()
    out = capsys.readouterr().out
    assert "✅" in out, out
    return out


def untouched_stub(*args, **kwargs):
    """A student function still as the student edition gives it: it raises NotImplementedError."""
    raise NotImplementedError()


# --- Two workers (pytest-xdist) ----------------------------------------------------------------------------------
# `./course test` runs the suite on two workers with `--dist loadscope` (a notebook's cells, a module's tests or
# a class's tests stay together, in order, on one worker) and `--no-loadscope-reorder`, so the order below is the
# order in which work is handed out. The long single items go first, so that neither worker is left with one of
# them at the end while the other waits: the full-mode result gates, the JupyterHub class, the JupyterLab
# browser run, then the notebooks (their cells), then everything else in the usual order.
FIRST = (
    "tests/test_results_gates.py::TestNotebook04",
    "tests/test_results_gates.py::TestNotebook07",
    "tests/test_hub.py",
    "tests/test_jupyterlab.py",
    "tests/test_student_editions.py",   # runs every student edition (a module-scoped fixture, two at a time)
    "notebooks/",
)


def _rank(item) -> int:
    nodeid = item.nodeid
    return next((i for i, prefix in enumerate(FIRST) if nodeid.startswith(prefix)), len(FIRST))


def gated_notebooks(items) -> set[str]:
    """The notebooks whose full-mode result gate (tests/test_results_gates.py) is collected and will run here.

    Their quick-mode nbval run is then left out: the gate runs every cell of the same notebook, in full mode,
    with the notebook's asserts (the quick-mode directions are still checked on the oldest stack by
    ``./course test-oldest``, on the real data where it is present)."""
    from test_results_gates import GATED, gates_enabled

    collected = {item.nodeid for item in items}
    classes = {name: f"tests/test_results_gates.py::TestNotebook{name[:2]}" for name in GATED}
    wanted = [name for name, cls in classes.items() if any(nodeid.startswith(cls) for nodeid in collected)]
    if not wanted or not gates_enabled():
        return set()
    return {f"notebooks/{name}" for name in wanted}


def pytest_report_header(config):
    from test_results_gates import GATED, gates_enabled

    if gates_enabled():
        return (f"result gates on: {' and '.join(GATED)} run in full mode on the real Fashion-MNIST when collected, "
                "and then their quick-mode nbval runs are left out (deselected)")
    return "result gates off (COURSE_RESULT_GATES=0 or no real Fashion-MNIST): every collected notebook runs quick"


def pytest_collection_modifyitems(config, items):
    gated = gated_notebooks(items)
    if gated:
        dropped = [item for item in items if item.nodeid.split("::")[0] in gated]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item.nodeid.split("::")[0] not in gated]
    items.sort(key=_rank)  # stable: within a rank, collection order (a notebook's cells stay in order)


# Each worker writes the notebooks' outputs (checkpoints, logs) into a work directory of its own: two editions of
# one notebook (English and Korean 05 both save lenet5_best.keras) may run at once.
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("COURSE_WORK_DIR"):
    os.environ["COURSE_WORK_DIR"] = os.path.join(os.environ["COURSE_WORK_DIR"], os.environ["PYTEST_XDIST_WORKER"])
