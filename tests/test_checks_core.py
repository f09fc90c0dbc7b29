"""course_utils.checks: the self-check machinery and notebook 00's checks."""

import numpy as np
import pytest

from course_utils.checks import NOT_ATTEMPTED, CheckFailed, check_function, check_value
from course_utils.checks import setup as check


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
    with pytest.raises(CheckFailed, match="every colour channel"):
        check.inputs_per_neuron(lambda shape: shape[0] * shape[1])


def test_scale_pixels():
    check.scale_pixels(lambda x: x.astype("float32") / 255)
    with pytest.raises(CheckFailed, match="float32"):
        check.scale_pixels(lambda x: x / 255)  # float64
    with pytest.raises(CheckFailed, match="divide by it"):
        check.scale_pixels(lambda x: x.astype("float32") / 256)


def test_class_counts():
    check.class_counts(lambda labels, n_classes=10: np.bincount(labels, minlength=n_classes))
    with pytest.raises(CheckFailed, match="must still get its 0"):
        check.class_counts(lambda labels, n_classes=10: np.bincount(labels))


@pytest.mark.parametrize("name", ["inputs_per_neuron", "scale_pixels", "class_counts"])
def test_setup_checks_not_attempted(name):
    def todo(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(CheckFailed) as err:
        getattr(check, name)(todo)
    assert str(err.value) == NOT_ATTEMPTED
