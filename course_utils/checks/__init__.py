"""Exercise self-checks: a clear pass, or a hint that helps without giving the answer.

Each notebook has a module of checks (``course_utils.checks.setup`` for notebook
00, ``...convolution`` for 01, and so on) built from the tools here:

* :func:`check_function` runs a student's function and a reference function on
  the same inputs and compares the results;
* :func:`check_value` compares one answer with a reference value computed
  by the caller (by TensorFlow, by a formula, by a reference implementation);
* a pass prints a line that starts with ``✅``; a miss raises :class:`CheckFailed`
  (an ``AssertionError``, so nbgrader counts it as a failed test), which Jupyter
  shows as one short line that starts with ``❌`` and carries the hint.

Self-checks never compare with an answer typed into the check: every expected
value is computed when the check runs.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..errors import CourseError

NOT_ATTEMPTED = (
    "Not attempted yet: replace `raise NotImplementedError()` in the cell above with your code, "
    "run that cell, then run this one again."
)


class CheckFailed(CourseError, AssertionError):
    """An exercise answer that does not match the reference; the message is the hint."""

    def _render_traceback_(self):
        return [f"\x1b[31m❌ Not yet.\x1b[0m {self}"]


def passed(message: str) -> None:
    print(f"✅ Correct! {message}")


def fail(hint: str) -> None:
    raise CheckFailed(hint)


def _show(value: Any, limit: int = 160) -> str:
    if isinstance(value, np.ndarray):
        text = f"array of shape {value.shape}" if value.size > 12 else np.array2string(value, precision=3)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _compare(got: Any, want: Any, rtol: float, atol: float) -> str | None:
    """None when ``got`` matches ``want``; otherwise what differs (without revealing ``want``'s values)."""
    if want is None:
        return None if got is None else "expected nothing (None) to be returned"
    if isinstance(want, (bool, np.bool_)):
        return None if bool(got) == bool(want) and isinstance(got, (bool, np.bool_)) else "the True/False answer is wrong"
    if isinstance(want, (tuple, list)) and not _is_numeric_sequence(want):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"expected a {type(want).__name__} of {len(want)} items, got {_show(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = _compare(g, w, rtol, atol)
            if problem:
                return f"item {i}: {problem}"
        return None
    if isinstance(want, str):
        return None if got == want else f"got {got!r}"
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"expected a number or an array, got {type(got).__name__}"
    want_arr = np.asarray(want, dtype=float)
    if got_arr.shape != want_arr.shape:
        return f"the shape is {got_arr.shape} but should be {want_arr.shape}"
    if not np.allclose(got_arr, want_arr, rtol=rtol, atol=atol, equal_nan=True):
        if got_arr.ndim == 0:
            return f"{_show(got)} is not the right value"
        wrong = ~np.isclose(got_arr, want_arr, rtol=rtol, atol=atol, equal_nan=True)
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        return f"the shape is right but {int(wrong.sum())} of {wrong.size} values differ (first at index {first})"
    return None


def _is_numeric_sequence(value) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def check_value(value: Any, expected: Any, *, name: str, hint: str, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Compare a student's ``value`` with ``expected`` (computed by the caller, never typed in)."""
    if value is None and expected is not None:
        fail(f"`{name}` is still None. " + NOT_ATTEMPTED)
    problem = _compare(value, expected, rtol, atol)
    if problem:
        fail(f"`{name}`: {problem}. Hint: {hint}")
    passed(f"`{name}` matches the reference.")


def check_function(
    student: Callable | None,
    reference: Callable,
    cases: Iterable[Sequence | dict],
    *,
    name: str,
    hint: str,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    describe: Callable[[Any], str] | None = None,
) -> None:
    """Call ``student`` and ``reference`` on every case and compare the results.

    A case is a tuple of positional arguments or a dict of keyword arguments.
    ``describe(case)`` may say which input failed in words a student understands.
    """
    if student is None or not callable(student):
        fail(f"`{name}` should be a function, got {_show(student)}. Define it in the cell above and run it.")
    cases = list(cases)
    for case in cases:
        args, kwargs = ((), case) if isinstance(case, dict) else (tuple(case), {})
        want = reference(*args, **kwargs)
        try:
            got = student(*args, **kwargs)
        except NotImplementedError:
            fail(NOT_ATTEMPTED)
        except CourseError:
            raise
        except Exception as exc:  # the student's bug, reported in one line
            where = describe(case) if describe else "one of the test inputs"
            fail(f"`{name}` raised {type(exc).__name__}: {exc} (on {where}). Hint: {hint}")
        problem = _compare(got, want, rtol, atol)
        if problem:
            where = describe(case) if describe else f"the input {_show(case)}"
            fail(f"`{name}` on {where}: {problem}. Hint: {hint}")
    passed(f"`{name}` agrees with the reference on all {len(cases)} test inputs.")
