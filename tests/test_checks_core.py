"""course_utils.checks: the self-check machinery and notebook 00's checks."""

import numpy as np
import pytest

import course_utils.checks as checks
from course_utils.checks import (
    NOT_ATTEMPTED,
    CheckFailed,
    check_choice,
    check_function,
    check_value,
    exercise,
    fail,
    more_hint,
    progress,
)
from course_utils.checks import setup as check
from course_utils.errors import CourseError


def square(x):
    return x * x


def test_check_function_passes_a_correct_function(capsys):
    check_function(lambda x: x ** 2, square, [(2,), (np.arange(3),)], name="sq", hint="multiply")
    assert capsys.readouterr().out.startswith("✅ Correct!")


def test_check_function_gives_the_hint_on_a_wrong_answer():
    with pytest.raises(CheckFailed) as err:
        check_function(lambda x: x + x, square, [(3,)], name="sq", hint="multiply x by itself",
                       describe=lambda case: f"x = {case[0]}")
    message = str(err.value)
    assert "x = 3" in message and "multiply x by itself" in message
    assert "9" not in message  # the expected answer is not given away


def test_check_function_reports_wrong_shapes():
    with pytest.raises(CheckFailed, match=r"shape is \(2,\) but should be \(3,\)"):
        check_function(lambda x: x[:2], lambda x: x, [(np.arange(3),)], name="f", hint="h")


def test_not_attempted_and_crashes():
    def todo(x):
        raise NotImplementedError()

    with pytest.raises(CheckFailed) as err:
        check_function(todo, square, [(1,)], name="sq", hint="h")
    assert str(err.value) == NOT_ATTEMPTED
    with pytest.raises(CheckFailed, match="returned None") as err:  # the student edition's `pass` stub
        check_function(lambda x: None, square, [(1,)], name="sq", hint="h")
    assert not err.value.attempted
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        check_function(lambda x: 1 / 0, square, [(1,)], name="sq", hint="h")
    with pytest.raises(CheckFailed, match="should be a function"):
        check_function(None, square, [(1,)], name="sq", hint="h")


def test_check_value():
    check_value(10, 10.0, name="n", hint="h")
    with pytest.raises(CheckFailed, match="still None"):
        check_value(None, 3, name="n", hint="h")
    with pytest.raises(CheckFailed, match="Hint: count again"):
        check_value(4, 3, name="n", hint="count again")
    with pytest.raises(CheckFailed, match="1 of 2 values differ"):
        check_value((28, 27), (28, 28), name="shape", hint="h")


def test_failures_render_as_one_short_line():
    with pytest.raises(CheckFailed) as err:
        check_value(4, 3, name="n", hint="count again")
    lines = err.value._render_traceback_()
    assert len(lines) == 1 and "❌ Not yet." in lines[0] and "count again" in lines[0]
    assert isinstance(err.value, AssertionError)  # nbgrader counts it as a failed test


# --------------------------------------------------------------------------- notebook 00's checks


def test_inputs_per_neuron():
    check.inputs_per_neuron(lambda shape: int(np.prod(shape)))
    with pytest.raises(CheckFailed, match="every number in the image"):
        check.inputs_per_neuron(lambda shape: shape[0] * shape[1])
    with pytest.raises(CheckFailed, match="several numbers per pixel"):  # the second miss says more
        check.inputs_per_neuron(lambda shape: shape[0] * shape[1])


def test_scale_pixels():
    check.scale_pixels(lambda x: x.astype("float32") / 255)
    with pytest.raises(CheckFailed, match="float32"):
        check.scale_pixels(lambda x: x / 255)  # float64
    with pytest.raises(CheckFailed, match="largest value a uint8 can hold"):  # the second miss: hint 2
        check.scale_pixels(lambda x: x.astype("float32") / 256)
    checks.reset()
    with pytest.raises(CheckFailed, match="brightest pixel must become exactly 1.0"):  # a first miss: hint 1
        check.scale_pixels(lambda x: x.astype("float32") / 256)


def test_class_counts():
    check.class_counts(lambda labels, n_classes=10: np.bincount(labels, minlength=n_classes))
    with pytest.raises(CheckFailed, match="always has 10 entries"):
        check.class_counts(lambda labels, n_classes=10: np.bincount(labels))
    with pytest.raises(CheckFailed, match="start from 10 zeros"):
        check.class_counts(lambda labels, n_classes=10: np.unique(labels))


@pytest.mark.parametrize("name", ["inputs_per_neuron", "scale_pixels", "class_counts"])
def test_setup_checks_not_attempted(name):
    def todo(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(CheckFailed) as err:
        getattr(check, name)(todo)
    assert str(err.value) == NOT_ATTEMPTED
    with pytest.raises(CheckFailed, match="Not attempted yet"):
        getattr(check, name)(lambda *args, **kwargs: None)  # the student edition's `pass` stub


# --------------------------------------------------------------------------- interactive use vs grading


HINTS = ["think about squares", "a number times itself", "x * x is not it... multiply"]


@exercise("core-demo-square", "demo square", uses=["square_fn"])
def demo_square(student_fn):
    check_function(student_fn, square, [(3,), (np.arange(4),)], name="square_fn", hint=HINTS)


@exercise("core-demo-choice", "demo choice", uses=["choice"])
def demo_choice(choice):
    check_choice(choice, {"a": 2 ** 10 > 10 ** 2, "b": 2 ** 10 < 10 ** 2}, name="choice", hint="compute both",
                 why="2 ** 10 is 1024.")


progress_demo = checks.progress_of(__name__)


def in_notebook(code: str, **names):
    """Run ``code`` with ``names`` as the notebook's global namespace (what a check cell sees)."""
    exec(code, {"demo_square": demo_square, "demo_choice": demo_choice, **names})  # noqa: S102 - a test's own code


def test_interactive_miss_prints_one_line_and_does_not_raise(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    in_notebook("demo_square()", square_fn=lambda x: x + x)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "❌ Not yet." in out and "Hint 1 of 3: think about squares" in out
    assert "more_hint()" in out
    # standalone helpers behave the same way
    check_value(4, 3, name="n", hint="count again")
    assert "❌ Not yet." in capsys.readouterr().out


@pytest.mark.parametrize("env", [{"NBGRADER_EXECUTION": "autograde"}, {"NBGRADER_EXECUTION": "validate"},
                                 {"COURSE_STRICT_CHECKS": "1"}])
def test_a_miss_raises_where_grading_happens(monkeypatch, env):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(CheckFailed) as err:
        in_notebook("demo_square()", square_fn=lambda x: x + x)
    assert isinstance(err.value, AssertionError)  # nbgrader scores the test cell 0


def test_check_before_its_exercise_cell_says_not_attempted(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    in_notebook("demo_square()")  # square_fn was never defined: no NameError
    out = capsys.readouterr().out
    assert "❌ Not yet." in out and "`square_fn` does not exist yet" in out
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed, match="does not exist yet") as err:
        in_notebook("demo_square()")
    assert not err.value.attempted


def test_hints_come_in_steps_and_more_hint_says_more(monkeypatch, capsys):
    for i in range(4):  # the 4th miss stays on the last hint
        with pytest.raises(CheckFailed) as err:
            in_notebook("demo_square()", square_fn=lambda x: x + 1)
        level = min(i, 2)
        assert f"Hint {level + 1} of 3: {HINTS[level]}" in str(err.value)
        assert ("more_hint()" in str(err.value)) == (level < 2)
    checks.reset()
    with pytest.raises(CheckFailed):
        in_notebook("demo_square()", square_fn=lambda x: x + 1)
    more_hint()
    assert "Hint 2 of 3" in capsys.readouterr().out and HINTS[1]
    more_hint("core-demo-square")
    out = capsys.readouterr().out
    assert "Hint 3 of 3" in out and "last hint" in out
    with pytest.raises(CourseError, match="no exercise 'nope'"):
        more_hint("nope")


def test_more_hint_before_any_miss(capsys):
    more_hint()
    assert "No exercise has been missed" in capsys.readouterr().out


def test_progress_line(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    progress_demo()
    assert "Exercises: 0 of 2 pass." in capsys.readouterr().out
    in_notebook("demo_square()", square_fn=square)
    in_notebook("demo_choice()", choice="b")
    capsys.readouterr()
    progress_demo()
    out = capsys.readouterr().out
    assert "Exercises: 1 of 2 pass." in out and "✅ demo square" in out and "❌ demo choice" in out
    in_notebook("demo_square()", square_fn=lambda x: None)  # back to the stub: not attempted
    progress_demo()
    assert "⬜ demo square" in capsys.readouterr().out
    with pytest.raises(CourseError, match="no exercises are registered"):
        progress("nothing-here")


def test_check_choice(capsys):
    in_notebook("demo_choice()", choice="a")
    assert "✅ Correct!" in capsys.readouterr().out and "1024" in capsys.readouterr().out + "1024"
    in_notebook("demo_choice()", choice=" (A) ")
    with pytest.raises(CheckFailed, match="option 'b' is not right"):
        in_notebook("demo_choice()", choice="b")
    with pytest.raises(CheckFailed, match="not one of the options"):
        in_notebook("demo_choice()", choice="c")
    with pytest.raises(CheckFailed, match="still None"):
        in_notebook("demo_choice()", choice=None)
    with pytest.raises(CourseError, match="2 true options"):
        check_choice("a", {"a": True, "b": True}, name="x", hint="h")


def test_fail_without_hint_and_duplicate_keys():
    with pytest.raises(CheckFailed) as err:
        fail("plain problem")
    assert str(err.value) == "plain problem"
    with pytest.raises(ValueError, match="used twice"):
        exercise("00-scale-pixels", "again")(lambda x: None)


def test_interactive_block_prints_even_where_grading_is_on(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with checks.interactive():
        check_value(4, 3, name="n", hint="count again")
    assert "❌ Not yet." in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check_value(4, 3, name="n", hint="count again")
