"""Exercise self-checks: a clear pass, or a hint that helps without giving the answer.

Each notebook has a module of checks (``course_utils.checks.setup`` for notebook
00, ``...convolution`` for 01, and so on) built from the tools here:

* :func:`exercise` turns a check function into a notebook exercise: it registers
  the exercise (for :func:`progress`), finds the student's answer by name when the
  check cell passes none (so a check run before its exercise cell says "not
  attempted" instead of raising ``NameError``), counts misses, and chooses the hint;
* :func:`check_function` runs a student's function and a reference function on
  the same inputs and compares the results;
* :func:`check_value` compares one answer with a reference value computed
  by the caller (by TensorFlow, by a formula, by a reference implementation);
* :func:`check_choice` checks a multiple-choice answer whose right option the caller
  computed (an experiment, a formula), never typed in;
* :func:`call_student` calls a student's function for a check and turns what can go
  wrong (the untouched stub, the student's own exception) into a one-line miss;
* :func:`compare` and :func:`show_value` say what differs between an answer and its
  reference, and show a value briefly, for checks that compare by hand.

What a student sees.  A pass prints a line that starts with ``✅``.  A miss shows one
line that starts with ``❌`` and carries a hint.  Hints come in steps: the first miss of
an exercise shows the first (a nudge), each later miss the next, and
:func:`more_hint` asks for the next one at once; no hint contains the solution's code.

Interactive use versus grading.  In a student's kernel a miss *prints* its ❌ line
and the cell ends normally, so "Run All" goes on past an exercise the student skipped.
Where grading happens a miss *raises* :class:`CheckFailed` (an ``AssertionError``) so
the test cell scores 0: that is whenever nbgrader executes the notebook (it sets
``NBGRADER_EXECUTION`` in the kernel's environment for ``autograde`` and ``validate``)
or ``COURSE_STRICT_CHECKS=1`` is set (the course's own tests set it).

Self-checks never compare with an answer typed into the check: every expected
value is computed when the check runs.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import CourseError
from ..i18n import tr  # what a student sees is shown in the notebook's language (COURSE_LANGUAGE)

NOT_ATTEMPTED = (
    "Not attempted yet: write your answer in the exercise cell above (in place of `pass`), "
    "run that cell, then run this one again."
)

STRICT_ENV = "COURSE_STRICT_CHECKS"
GRADER_ENV = "NBGRADER_EXECUTION"


_FORCE_INTERACTIVE: list[bool] = []


def strict() -> bool:
    """True where a miss must raise: under nbgrader (autograde, validate) or with ``COURSE_STRICT_CHECKS=1``."""
    if _FORCE_INTERACTIVE:
        return False
    if os.environ.get(GRADER_ENV):
        return True
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@contextlib.contextmanager
def interactive():
    """Inside this block a miss prints its line as in a student's kernel, even where grading is on.

    For a notebook's own demonstration of a miss (notebook 00), which must not fail under nbgrader or the tests.
    """
    _FORCE_INTERACTIVE.append(True)
    try:
        yield
    finally:
        _FORCE_INTERACTIVE.pop()


class CheckFailed(CourseError, AssertionError):
    """An exercise answer that does not match the reference; the message is the hint.

    ``problem`` says what is wrong with this answer, ``hints`` are the steps of help
    (first a nudge, then more); ``attempted`` is False when there was no answer yet.
    """

    def __init__(self, problem: str, hints: Sequence[str] = (), *, attempted: bool = True, level: int = 0):
        self.problem = problem
        self.hints = list(hints)
        self.attempted = attempted
        self.level = min(level, len(self.hints) - 1) if self.hints else 0
        super().__init__(self._message())

    def _message(self, problem: str | None = None, hint: str | None = None) -> str:
        problem = self.problem if problem is None else problem
        if not self.hints:
            return problem
        hint = self.hints[self.level] if hint is None else hint
        step = f" {self.level + 1} of {len(self.hints)}" if len(self.hints) > 1 else ""
        more = " Run `more_hint()` for the next hint." if self.level < len(self.hints) - 1 else ""
        return f"{problem} Hint{step}: {hint}{more}"

    def shown(self) -> str:
        """The message in the notebook's language: its frame, problem and hint each translated (course_utils.i18n)."""
        return _fill(tr(self._message(_MARK["problem"], _MARK["hint"])), problem=self.problem,
                     hint=self.hints[self.level] if self.hints else "")

    def at_level(self, level: int) -> CheckFailed:
        return CheckFailed(self.problem, self.hints, attempted=self.attempted, level=level)

    def _render_traceback_(self):
        return [f"\x1b[31m{tr('❌ Not yet.')}\x1b[0m {self.shown()}"]


# Stand-ins for the parts of a shown message, so that the frame and each part are translated separately.
_MARK = {k: f"\x00{k}\x00" for k in ("problem", "hint", "title")}


def _fill(frame: str, **parts: str) -> str:
    for key, text in parts.items():
        frame = frame.replace(_MARK[key], tr(text))
    return frame


def _as_hints(hint: str | Sequence[str] | None) -> list[str]:
    if hint is None:
        return []
    if isinstance(hint, str):
        return [hint]
    return [str(h) for h in hint]


def passed(message: str) -> None:
    print(f"{tr('✅ Correct!')} {tr(message)}")


def fail(problem: str, hint: str | Sequence[str] | None = None) -> None:
    """Report a miss: ``problem`` says what is wrong with the answer, ``hint`` the step(s) of help."""
    raise CheckFailed(problem, _as_hints(hint))


def not_attempted(message: str = NOT_ATTEMPTED) -> None:
    """Report that there is no answer yet (the untouched stub, a missing name, a function returning None)."""
    raise CheckFailed(message, attempted=False)


# --------------------------------------------------------------------------- exercises, progress, hints


@dataclass
class Exercise:
    key: str          # unique across the course, e.g. "02-output-size"
    title: str        # what the progress line shows
    notebook: str     # the checks module's short name, e.g. "padding"
    uses: tuple       # names the check reads from the notebook when the check cell passes none
    misses: int = 0
    status: str = "not attempted"   # "pass", "miss" or "not attempted"
    shown: int = 0                  # hint steps shown so far
    last: CheckFailed | None = field(default=None, repr=False)


_EXERCISES: dict[str, Exercise] = {}
_LAST_MISS: list[str] = []


def exercises(notebook: str | None = None) -> list[Exercise]:
    """The registered exercises (of one checks module, in definition order)."""
    return [e for e in _EXERCISES.values() if notebook is None or e.notebook == notebook]


def reset() -> None:
    """Forget every attempt (as a fresh kernel does); the tests use it."""
    for e in _EXERCISES.values():
        e.misses, e.status, e.shown, e.last = 0, "not attempted", 0, None
    _LAST_MISS.clear()


def _present(err: CheckFailed) -> None:
    if strict():
        raise err
    print(f"\x1b[31m{tr('❌ Not yet.')}\x1b[0m {err.shown()}")


def _record_miss(ex: Exercise | None, err: CheckFailed) -> CheckFailed:
    if ex is None:
        return err
    if not err.attempted:
        ex.status = "not attempted"
        return err
    shown = err.at_level(ex.misses)
    ex.misses += 1
    ex.status = "miss"
    ex.shown = shown.level + 1
    ex.last = shown
    _LAST_MISS[:] = [ex.key]
    return shown


def _caller_namespace(depth: int = 2) -> Mapping[str, Any]:
    try:
        return sys._getframe(depth).f_globals
    except ValueError:  # pragma: no cover - no such frame
        return {}


def exercise(key: str, title: str, *, uses: Sequence[str] = ()):
    """Decorate a check function as the check of one exercise.

    ``uses`` names the notebook variables the check reads, in the order of the check
    function's parameters: a check cell may then call the check with no arguments
    (``check.output_size()``) and the names are looked up in the notebook, so running
    the check before its exercise cell gives the one-line "not attempted" message.
    """
    uses = tuple(uses)

    def decorate(fn: Callable) -> Callable:
        notebook = fn.__module__.rsplit(".", 1)[-1]
        if key in _EXERCISES and _EXERCISES[key].notebook != notebook:
            raise ValueError(f"exercise key {key!r} is used twice")
        _EXERCISES[key] = Exercise(key, title, notebook, uses)

        @functools.wraps(fn)
        def run(*args, **kwargs):
            ex = _EXERCISES[key]
            if not args and not kwargs and uses:
                namespace = _caller_namespace()
                missing = [n for n in uses if n not in namespace]
                if missing:
                    names = ", ".join(f"`{n}`" for n in missing)
                    err = CheckFailed(f"{names} does not exist yet: run the exercise cell above first "
                                      "(with your answer in it), then this check.", attempted=False)
                    _present(_record_miss(ex, err))
                    return None
                args = tuple(namespace[n] for n in uses)
            _DEPTH.append(1)  # the check helpers it calls raise; this wrapper presents the miss
            try:
                fn(*args, **kwargs)
            except CheckFailed as err:
                _present(_record_miss(ex, err))
                return None
            finally:
                _DEPTH.pop()
            ex.status = "pass"
            return None

        run.exercise_key = key
        return run

    return decorate


def more_hint(key: str | None = None) -> None:
    """Show the next hint step of an exercise (by default the one missed last)."""
    if key is None:
        if not _LAST_MISS:
            print(tr("No exercise has been missed in this session yet: run an exercise's check first."))
            return
        key = _LAST_MISS[0]
    if key not in _EXERCISES:
        known = ", ".join(sorted(_EXERCISES)) or "none"
        raise CourseError(f"there is no exercise {key!r}; the exercises are: {known}.")
    ex = _EXERCISES[key]
    if ex.last is None or not ex.last.hints:
        print(tr(f"Run the check of '{ex.title}' first; its hints come after a miss."))
        return
    level = min(ex.shown, len(ex.last.hints) - 1)
    ex.shown = level + 1
    extra = "" if level < len(ex.last.hints) - 1 else " (that is the last hint)"
    frame = tr(f"💡 Hint {level + 1} of {len(ex.last.hints)} for '{_MARK['title']}': {_MARK['hint']}{extra}")
    print(_fill(frame, title=ex.title, hint=ex.last.hints[level]))


_SYMBOL = {"pass": "✅", "miss": "❌", "not attempted": "⬜"}


def progress(notebook: str) -> None:
    """Print one line: which exercises of ``notebook`` pass, miss or were not attempted in this kernel."""
    mine = exercises(notebook)
    if not mine:
        raise CourseError(f"no exercises are registered for {notebook!r}.")
    n_pass = sum(e.status == "pass" for e in mine)
    parts = "  ".join(f"{_SYMBOL[e.status]} {tr(e.title)}" for e in mine)
    print(tr(f"Exercises: {n_pass} of {len(mine)} pass.  {parts}"))
    left = [tr(e.title) for e in mine if e.status != "pass"]
    if left:
        print(tr("Not yet: " + "; ".join(left)
                 + ". Go back to any of them at any time: run its cell, then its check."))


def progress_of(module_name: str) -> Callable[[], None]:
    """``progress = progress_of(__name__)`` in a checks module: its notebook's progress line."""
    notebook = module_name.rsplit(".", 1)[-1]

    def show() -> None:
        progress(notebook)

    show.__doc__ = f"Which exercises of this notebook ({notebook}) pass, miss or were not attempted."
    return show


# --------------------------------------------------------------------------- comparing answers


def show_value(value: Any, limit: int = 160) -> str:
    """``value`` in at most ``limit`` characters (an array larger than 12 numbers by its shape)."""
    if isinstance(value, np.ndarray):
        text = f"array of shape {value.shape}" if value.size > 12 else np.array2string(value, precision=3)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare(got: Any, want: Any, rtol: float, atol: float) -> str | None:
    """None when ``got`` matches ``want``; otherwise what differs (without revealing ``want``'s values)."""
    if want is None:
        return None if got is None else "expected nothing (None) to be returned"
    if isinstance(want, (bool, np.bool_)):
        right = bool(got) == bool(want) and isinstance(got, (bool, np.bool_))
        return None if right else "the True/False answer is wrong"
    if isinstance(want, (tuple, list)) and not _is_numeric_sequence(want):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"expected a {type(want).__name__} of {len(want)} items, got {show_value(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            problem = compare(g, w, rtol, atol)
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
            return f"{show_value(got)} is not the right value"
        wrong = ~np.isclose(got_arr, want_arr, rtol=rtol, atol=atol, equal_nan=True)
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        return f"the shape is right but {int(wrong.sum())} of {wrong.size} values differ (first at index {first})"
    return None


_show, _compare = show_value, compare  # the names before they were public


def _is_numeric_sequence(value) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


def _standalone(fn: Callable) -> Callable:
    """Outside an exercise, a check helper presents its own miss (prints or raises, as :func:`strict` says)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if _DEPTH:
            return fn(*args, **kwargs)
        _DEPTH.append(1)
        try:
            return fn(*args, **kwargs)
        except CheckFailed as err:
            _present(err)
            return None
        finally:
            _DEPTH.pop()

    return run


_DEPTH: list[int] = []


@_standalone
def check_value(value: Any, expected: Any, *, name: str, hint: str | Sequence[str], rtol: float = 1e-6,
                atol: float = 1e-9) -> None:
    """Compare a student's ``value`` with ``expected`` (computed by the caller, never typed in)."""
    if value is None and expected is not None:
        not_attempted(f"`{name}` is still None. " + NOT_ATTEMPTED)
    problem = compare(value, expected, rtol, atol)
    if problem:
        fail(f"`{name}`: {problem}.", hint)
    passed(f"`{name}` matches the reference.")


@_standalone
def check_choice(answer: Any, options: Mapping[str, bool], *, name: str, hint: str | Sequence[str],
                 why: str = "") -> None:
    """A multiple-choice answer: ``options`` maps each letter to whether it is true, computed by the caller.

    Exactly one option must be true (checked, so a broken computation is a bug, not a student's miss).
    ``why`` is printed on a pass: the computed evidence in one sentence.
    """
    truths = {str(k).strip().lower(): bool(v) for k, v in options.items()}
    right = [k for k, v in truths.items() if v]
    if len(right) != 1:
        raise CourseError(f"`{name}`: the check computed {len(right)} true options ({right}); expected one.")
    if answer is None:
        not_attempted(f"`{name}` is still None. " + NOT_ATTEMPTED)
    given = str(answer).strip().lower().strip("()")
    if given not in truths:
        fail(f"`{name}` is {answer!r}, which is not one of the options {sorted(truths)}.",
             "write the letter of one option as a string, e.g. 'a'.")
    if not truths[given]:
        fail(f"`{name}`: option {given!r} is not right.", hint)
    passed(f"`{name}` is right. {why}".rstrip())


@_standalone
def check_function(
    student: Callable | None,
    reference: Callable,
    cases: Iterable[Sequence | dict],
    *,
    name: str,
    hint: str | Sequence[str],
    rtol: float = 1e-5,
    atol: float = 1e-6,
    describe: Callable[[Any], str] | None = None,
) -> None:
    """Call ``student`` and ``reference`` on every case and compare the results.

    A case is a tuple of positional arguments or a dict of keyword arguments.
    ``describe(case)`` may say which input failed in words a student understands.
    A student function that returns None (the untouched stub, or a missing ``return``)
    counts as not attempted.
    """
    if student is None or not callable(student):
        not_attempted(f"`{name}` should be a function, got {show_value(student)}. Define it in the cell above and "
                      "run it.")
    cases = list(cases)
    for case in cases:
        args, kwargs = ((), case) if isinstance(case, dict) else (tuple(case), {})
        want = reference(*args, **kwargs)
        got = call_student(student, args, kwargs, name=name, hint=hint,
                           where=describe(case) if describe else "one of the test inputs")
        if got is None and want is not None:
            not_attempted(f"`{name}` returned None: " + NOT_ATTEMPTED + " (Inside a function, end with `return`.)")
        problem = compare(got, want, rtol, atol)
        if problem:
            where = describe(case) if describe else f"the input {show_value(case)}"
            fail(f"`{name}` on {where}: {problem}.", hint)
    passed(f"`{name}` agrees with the reference on all {len(cases)} test inputs.")


def call_student(fn: Callable, args: Sequence = (), kwargs: Mapping[str, Any] | None = None, *, name: str,
                 hint: str | Sequence[str] | None, where: str | None = None,
                 explain: Callable[[Exception], None] | None = None) -> Any:
    """``fn(*args, **kwargs)`` for a check, with what can go wrong turned into a miss; returns the result.

    ``NotImplementedError`` (the untouched stub) is "not attempted"; a :class:`CourseError` (a course
    helper's one-line error, or a miss the call itself reported) passes through unchanged; any other
    exception is the student's bug, reported in one line: "`name` raised TypeError: ... (on ``where``)."
    with ``hint``.  ``name`` is what the line shows between backticks (e.g. ``f"build({rate})"``).
    ``explain(exc)`` may report a better-worded miss for an exception it recognises (it calls
    :func:`fail`); when it returns, the one-line report follows.
    """
    try:
        return fn(*args, **(kwargs or {}))
    except NotImplementedError:
        not_attempted()
    except CourseError:
        raise
    except Exception as exc:  # noqa: BLE001 - the student's bug, reported in one line
        if explain is not None:
            explain(exc)
        on = f" (on {where})" if where else ""
        fail(f"`{name}` raised {type(exc).__name__}: {exc}{on}.", hint)
