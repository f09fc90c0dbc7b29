"""Notebook 03's self-checks: pass with the notebook's own solutions, fail with a hint otherwise.

The solutions are read from the notebook's solution cells (so the test follows the
notebook); each check is also given a wrong answer and a not-attempted one
(NotImplementedError / None), and must raise CheckFailed carrying its hint.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

pytest.importorskip("tensorflow")

from course_utils.checks import NOT_ATTEMPTED, CheckFailed  # noqa: E402
from course_utils.checks import pooling as check  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_pooling.ipynb"


@pytest.fixture(scope="module")
def solutions():
    """Run every solution cell of the notebook (grade_id ex-...) and collect what it defines."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    namespace = {"np": np}
    ids = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id.startswith("ex-"):
            exec(compile(cell.source, f"{NOTEBOOK.name}:{grade_id}", "exec"), namespace)
            ids.append(grade_id)
    assert ids == ["ex-max-pool2d", "ex-pool-output-size", "ex-stack-output-size", "ex-stack-params",
                   "ex-depth-max-pool"]
    return namespace


def not_attempted(*_args, **_kwargs):
    raise NotImplementedError()


def assert_fails(call, *fragments):
    with pytest.raises(CheckFailed) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


# --------------------------------------------------------------------------- exercise 1


def test_max_pool2d_passes_with_solution(solutions, capsys):
    check.max_pool2d(solutions["max_pool2d"])
    assert "✅" in capsys.readouterr().out


def test_max_pool2d_wrong_answers_get_hints():
    hint = "keep each window's largest value"

    def averages(x, size):  # average instead of max
        x = np.asarray(x, float)
        r, c = x.shape[0] // size, x.shape[1] // size
        return x[:r * size, :c * size].reshape(r, size, c, size).mean(axis=(1, 3))

    def starts_at_zero(x, size):  # max that starts from 0: wrong on negative maps
        x = np.asarray(x, float)
        r, c = x.shape[0] // size, x.shape[1] // size
        out = np.zeros((r, c))
        for i in range(r):
            for j in range(c):
                out[i, j] = max(0.0, x[i * size:(i + 1) * size, j * size:(j + 1) * size].max())
        return out

    def keeps_remainder(x, size):  # ceil instead of floor: keeps the partial windows
        x = np.asarray(x, float)
        r, c = -(-x.shape[0] // size), -(-x.shape[1] // size)
        return np.array([[x[i * size:(i + 1) * size, j * size:(j + 1) * size].max() for j in range(c)]
                         for i in range(r)])

    assert_fails(lambda: check.max_pool2d(averages), hint, "values differ")
    assert_fails(lambda: check.max_pool2d(starts_at_zero), hint, "values differ")
    assert_fails(lambda: check.max_pool2d(keeps_remainder), hint, "the shape is", "11x11")
    assert_fails(lambda: check.max_pool2d(not_attempted), NOT_ATTEMPTED)
    assert_fails(lambda: check.max_pool2d(None), "should be a function")


# --------------------------------------------------------------------------- exercise 2


def test_pool_output_size_passes_with_solution(solutions, capsys):
    check.pool_output_size(solutions["pool_output_size"])
    assert "✅" in capsys.readouterr().out


def test_pool_output_size_wrong_answers_get_hints():
    hint = "floor((n - size) / stride) + 1"
    assert_fails(lambda: check.pool_output_size(lambda n, size, stride, padding="valid": n // stride), hint)
    assert_fails(lambda: check.pool_output_size(lambda n, size, stride, padding="valid": (n - size) // stride + 1),
                 hint, "padding='same'")
    assert_fails(lambda: check.pool_output_size(
        lambda n, size, stride, padding="valid": round((n - size) / stride + 1)), hint)
    assert_fails(lambda: check.pool_output_size(not_attempted), NOT_ATTEMPTED)


# --------------------------------------------------------------------------- exercise 3


def test_stack_output_size_passes_with_solution(solutions, capsys):
    check.stack_output_size(solutions["stack_output_size"])
    assert "✅" in capsys.readouterr().out


def test_stack_output_size_wrong_answers_get_hints():
    hint = "a 3x3 'valid' convolution removes 2 rows"
    assert_fails(lambda: check.stack_output_size(lambda n: n // 4), hint)  # forgot the convolutions
    assert_fails(lambda: check.stack_output_size(lambda n: -(-(-(-(n - 2) // 2) - 2) // 2)), hint)  # rounds up
    assert_fails(lambda: check.stack_output_size(not_attempted), NOT_ATTEMPTED)


# --------------------------------------------------------------------------- exercise 4


def test_stack_params_passes_with_solution(solutions, capsys):
    check.stack_params(solutions["n_params"])
    assert "✅" in capsys.readouterr().out


def test_stack_params_reference_is_keras():
    """The expected count comes from Keras: conv-pool stack, computed independently here."""
    conv1 = (3 * 3 * 3 + 1) * 16
    conv2 = (3 * 3 * 16 + 1) * 32
    side = ((32 - 2) // 2 - 2) // 2
    assert check.stack_model().count_params() == conv1 + conv2 + (side * side * 32 + 1) * 10


def test_stack_params_wrong_answers_get_hints(solutions):
    hint = "pooling and Flatten have none"
    right = solutions["n_params"]
    no_bias = right - 16 - 32 - 10
    rounded_up = (3 * 3 * 3 + 1) * 16 + (3 * 3 * 16 + 1) * 32 + (7 * 7 * 32 + 1) * 10  # 13 // 2 taken as 7
    for wrong in (no_bias, rounded_up, right + 1):
        assert_fails(lambda wrong=wrong: check.stack_params(wrong), hint)
    assert_fails(lambda: check.stack_params(None), "still None", NOT_ATTEMPTED)


# --------------------------------------------------------------------------- exercise 5


def test_depth_max_pool_passes_with_solution(solutions, capsys):
    check.depth_max_pool(solutions["depth_max_pool"])
    assert "✅" in capsys.readouterr().out


def test_depth_max_pool_wrong_answers_get_hints():
    hint = "consecutive channels, not every k-th one"

    def strided_groups(x, k):  # groups channels j, j + C/k, ...: the classic reshape mistake
        h, w, c = x.shape
        return x.reshape(h, w, k, c // k).max(axis=2)

    def spatial(x, k):  # pools space instead of depth
        h, w, c = x.shape
        return x[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k, c).max(axis=(1, 3))

    assert_fails(lambda: check.depth_max_pool(strided_groups), hint, "values differ")
    assert_fails(lambda: check.depth_max_pool(spatial), hint)
    assert_fails(lambda: check.depth_max_pool(not_attempted), NOT_ATTEMPTED)
