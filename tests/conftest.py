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
