"""Notebook 03's self-checks: each passes with the notebook's own solution, misses with its hint on typical
wrong answers, and says "not attempted" on the student edition's untouched stub.

The solutions are read from the notebook (the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION``);
the student edition is made as tools/student.py makes it (nbgrader's ClearSolutions and the course's stub).
No hint may contain a line of the solution's code.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from conftest import assert_fails, assert_passes  # noqa: E402
from nbcells import exercise_sources, read_notebook, run_exercise_cells  # noqa: E402

from course_utils import checks  # noqa: E402
from course_utils.checks import NOT_ATTEMPTED, CheckFailed  # noqa: E402
from course_utils.checks import pooling as check  # noqa: E402
from course_utils.kernels import SOBEL_X  # noqa: E402

NOTEBOOK = "03_pooling.ipynb"
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)

EXERCISES = ["ex-predict-pools", "ex-design-stack", "ex-stack-params", "ex-gap-head", "ex-rotation-explain",
             "ex-depth-max-pool", "ex-shift-predict"]


def _nb():
    return read_notebook(NOTEBOOK)


def _namespace(*, student: bool) -> dict:
    """Run every exercise cell of the instructor edition, or of the student edition (nbgrader's stubs)."""
    return run_exercise_cells(NOTEBOOK, student=student, namespace={"np": np, "keras": keras, "tf": tf})


def _solution_lines() -> list[str]:
    """Every code line of every solution, without its comment (the things a hint must never contain)."""
    lines = []
    for src in exercise_sources(NOTEBOOK):
        for match in SOLUTION.finditer(src):
            for line in match.group(2).splitlines():
                code = line.split("#", 1)[0].strip()
                if len(code) >= 6:
                    lines.append(code)
    return lines


SOLUTION_LINES = _solution_lines()


@pytest.fixture(scope="module")
def solved():
    return _namespace(student=False)


@pytest.fixture(scope="module")
def stub():
    return _namespace(student=True)


# The check must miss; its problem or hints mention every fragment; no hint holds a solution line.
_fails = functools.partial(assert_fails, all_hints=True, solution_lines=SOLUTION_LINES)
_passes = assert_passes


# --------------------------------------------------------------------------- the notebook and the module agree


def test_every_exercise_is_covered_in_notebook_order():
    nb = _nb()
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert ids == EXERCISES
    called = re.findall(r"^check\.(\w+)\(\)$", "\n".join(c.source for c in nb.cells if c.cell_type == "code"), re.M)
    keys = [getattr(check, name).exercise_key for name in called if name != "progress"]
    assert keys == [e.key for e in checks.exercises("pooling")]  # progress lists them in the notebook's order
    assert [c.source for c in nb.cells if c.cell_type == "code"][-1] == "check.progress()"  # the last code cell


def test_notebook_states_the_specs_the_checks_use():
    text = "\n".join(c.source for c in _nb().cells)
    ns = {"np": np}
    z_src = next(c.source for c in _nb().cells if c.source.startswith("z = np.array("))
    exec(z_src, ns)  # noqa: S102
    assert np.array_equal(ns["z"], check.PREDICT_MAP)
    assert "MaxPool2D(pool_size=3, strides=2)" in text and "AveragePooling2D(pool_size=2)" in text
    assert "2x8 feature map" in text and check.SHIFT_WIDTH == 8
    h, w, c = check.DESIGN_INPUT
    assert f"{h}x{w}x{c} inputs" in text
    assert f"exactly **{check.DESIGN_SIDE}x{check.DESIGN_SIDE}**" in text
    assert f"at least **{check.DESIGN_FIELD}x{check.DESIGN_FIELD}**" in text
    assert "Input(shape=(32, 32, 3))" in text and check.STACK_INPUT == (32, 32, 3)
    assert "Conv2D(16, 3" in text and "Conv2D(32, 3" in text and check.STACK_FILTERS == (16, 32)
    assert "7x7x512" in text and f"Dense({check.GAP_UNITS})" in text and check.GAP_MAP == (7, 7, 512)
    assert "np.stack([SOBEL_X, np.rot90(SOBEL_X), diagonal, np.rot90(diagonal)]" in text
    assert 'diagonal = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], dtype="float32")' in text


def test_notebook_uses_the_course_sobel_and_terms():
    text = "\n".join(c.source for c in _nb().cells)
    assert "sobel_x = np.array" not in text and "SOBEL_X" in text
    assert "과대적합" not in text and "과적합" in text


# --------------------------------------------------------------------------- 03-predict-pools


def test_predict_pools(solved, stub, capsys):
    _passes(lambda: check.predict_pools(solved["max_pred"], solved["avg_pred"]), capsys)
    z = check.PREDICT_MAP
    non_overlapping = z[:4, :4].reshape(2, 2, 2, 2).max(axis=(1, 3))  # 2x2 windows instead of 3x3
    _fails(lambda: check.predict_pools(non_overlapping, solved["avg_pred"]), "max_pred", "values differ", "overlap")
    keeps_remainder = [[z[i:i + 2, j:j + 2].mean() for j in range(0, 5, 2)] for i in range(0, 5, 2)]
    _fails(lambda: check.predict_pools(solved["max_pred"], keeps_remainder), "avg_pred", "the shape is", "dropped")
    _fails(lambda: check.predict_pools(solved["max_pred"], np.asarray(solved["avg_pred"]) + 1), "avg_pred")
    _fails(lambda: check.predict_pools(stub["max_pred"], stub["avg_pred"]), NOT_ATTEMPTED)


def test_hints_come_in_steps(solved):
    wrong = np.zeros((2, 2))
    steps = [_fails(lambda: check.predict_pools(wrong, solved["avg_pred"])) for _ in range(3)]
    assert [str(s).count("Hint 1 of 3") for s in steps] == [1, 0, 0]
    assert "Hint 2 of 3" in str(steps[1]) and "Hint 3 of 3" in str(steps[2])


# --------------------------------------------------------------------------- 03-design-stack


def _stack(codes: str, *, padding="valid", shape=(28, 28, 1)):
    layers = [keras.layers.Conv2D(4, 3, padding=padding) if t == "c" else keras.layers.MaxPool2D(2) for t in codes]
    return keras.Sequential([keras.Input(shape), *layers])


def test_design_stack(solved, stub, capsys):
    _passes(lambda: check.design(solved["design"]), capsys)
    _passes(lambda: check.design(_stack("cccppc")), capsys)  # another design that meets the spec
    _fails(lambda: check.design(_stack("cpcp")), "last map of `design` is 5x5", "two conv-pool blocks")
    _fails(lambda: check.design(_stack("cppp")), "sees 10x10 input pixels", "doubles the step")
    _fails(lambda: check.design(_stack("cpcpc", padding="same")), "padding 'same'", "only 3x3")
    _fails(lambda: check.design(_stack("cpcpc", shape=(32, 32, 3))), "(32, 32, 3)")
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 5), keras.layers.MaxPool2D(2),
                              keras.layers.Conv2D(4, 3), keras.layers.MaxPool2D(2)])
    _fails(lambda: check.design(model), "kernel (5, 5)")
    _fails(lambda: check.design(_stack("cpcpc").layers), "should be a Keras model")
    assert stub["design"] is None
    _fails(lambda: check.design(stub["design"]), "still None")


@pytest.mark.parametrize("layers", [
    [keras.layers.Conv2D(1, 3), keras.layers.MaxPool2D(2), keras.layers.Conv2D(1, 3), keras.layers.MaxPool2D(2)],
    [keras.layers.Conv2D(1, 3), keras.layers.MaxPool2D(2), keras.layers.Conv2D(1, 3), keras.layers.MaxPool2D(2),
     keras.layers.Conv2D(1, 3)],
    [keras.layers.Conv2D(1, 5, strides=2), keras.layers.MaxPool2D(3, strides=2), keras.layers.Conv2D(1, 3)],
])
def test_receptive_field_rule_matches_a_measurement(layers):
    """The rule the check uses, against the gradient of one output cell of an all-ones linear twin."""
    twin = []
    for layer in layers:
        if isinstance(layer, keras.layers.Conv2D):
            twin.append(keras.layers.Conv2D(1, layer.kernel_size, strides=layer.strides, kernel_initializer="ones"))
        else:
            twin.append(keras.layers.AveragePooling2D(layer.pool_size, strides=layer.strides))
    model = keras.Sequential([keras.Input((40, 40, 1)), *twin])
    image = tf.zeros((1, 40, 40, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        cell = model(image)[0, 1, 1, 0]
    rows = np.flatnonzero((tape.gradient(cell, image)[0, :, :, 0].numpy() != 0).any(axis=1))
    assert rows[-1] - rows[0] + 1 == check.receptive_field(layers)


# --------------------------------------------------------------------------- 03-stack-params


def test_stack_params(solved, stub, capsys):
    _passes(lambda: check.n_params(solved["n_params"]), capsys)
    right = check.stack_model().count_params()
    side = ((32 - 2) // 2 - 2) // 2  # independent of the notebook: the reference is Keras
    assert right == (3 * 3 * 3 + 1) * 16 + (3 * 3 * 16 + 1) * 32 + (side * side * 32 + 1) * 10
    no_bias = right - 16 - 32 - 10
    rounded_up = (3 * 3 * 3 + 1) * 16 + (3 * 3 * 16 + 1) * 32 + (7 * 7 * 32 + 1) * 10  # 13 / 2 taken as 7
    one_channel = right - 3 * 3 * 2 * 16  # the first layer counted for a grayscale image
    for wrong in (no_bias, rounded_up, one_channel):
        _fails(lambda wrong=wrong: check.n_params(wrong), "no weights at all")
    _fails(lambda: check.n_params(stub["n_params"]), "still None", NOT_ATTEMPTED)


# --------------------------------------------------------------------------- 03-gap-head


def test_gap_head(solved, stub, capsys):
    _passes(lambda: check.head_params(solved["head_params"]), capsys)
    h, w, c = check.GAP_MAP
    units = check.GAP_UNITS
    right = ((h * w * c + 1) * units, (c + 1) * units)
    assert tuple(solved["head_params"]) == right  # the notebook's answer, independently
    _fails(lambda: check.head_params((h * w * c * units, c * units)), "values differ", "what shape leaves Flatten")
    _fails(lambda: check.head_params(((h * w + 1) * units, right[1])), "first at index (0,)")  # forgot the channels
    _fails(lambda: check.head_params(right[::-1]), "values differ")
    _fails(lambda: check.head_params(right[0]), "the shape is")
    _fails(lambda: check.head_params(stub["head_params"]), NOT_ATTEMPTED)


# --------------------------------------------------------------------------- 03-rotation-explain


def test_rotation_measurement_and_options():
    changes = check.rotation_changes((90, 45))
    assert changes["depth max"][90] < 1e-4 < changes["one channel"][90]
    assert changes["depth max"][45] > 1.25 * changes["reference"][45]
    assert changes["depth max"][45] < changes["one channel"][45]
    assert check._bank_closed_under_quarter_turns()
    assert not np.array_equal(np.rot90(SOBEL_X), SOBEL_X)


def test_rotation_explain(solved, stub, capsys):
    _passes(lambda: check.why_rotation(solved["why_rotation"]), capsys)
    _fails(lambda: check.why_rotation("a"), "option 'a' is not right", "turn each one by 90°")
    _fails(lambda: check.why_rotation("c"), "option 'c' is not right")
    _fails(lambda: check.why_rotation("d"), "not one of the options")
    _fails(lambda: check.why_rotation(stub["why_rotation"]), NOT_ATTEMPTED)


# --------------------------------------------------------------------------- 03-depth-pool-debug


def test_depth_max_pool(solved, stub, capsys):
    _passes(lambda: check.depth_max_pool(solved["depth_max_pool"]), capsys)
    nb_source = "\n".join(c.source for c in _nb().cells)
    ns = {"np": np}
    exec(re.search(r"def depth_max_pool_buggy.*?\n\n", nb_source, re.S).group(0), ns)  # noqa: S102
    _fails(lambda: check.depth_max_pool(ns["depth_max_pool_buggy"]), "values differ", "channel numbers as values")

    def spatial(x, k):  # pools space instead of depth
        h, w, c = x.shape
        return x[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k, c).max(axis=(1, 3))

    def every_kth(x, k):  # channels j, j + k, ... (a strided slice)
        return np.stack([x[:, :, j::x.shape[2] // k].max(axis=-1) for j in range(x.shape[2] // k)], axis=-1)

    _fails(lambda: check.depth_max_pool(spatial), "`depth_max_pool`")
    _fails(lambda: check.depth_max_pool(every_kth), "values differ")
    _fails(lambda: check.depth_max_pool(stub["depth_max_pool"]), NOT_ATTEMPTED)


# --------------------------------------------------------------------------- 03-shift-predict


def test_shift_predict(solved, stub, capsys):
    _passes(lambda: check.unchanged(solved["unchanged"]), capsys)
    assert check.unchanged_positions(1) == list(range(0, check.SHIFT_WIDTH, 2))  # independent of Keras
    assert check.unchanged_positions(2) == []
    for wrong in ((check.SHIFT_WIDTH, check.SHIFT_WIDTH), (4, 4), (check.SHIFT_WIDTH, 0)):
        _fails(lambda wrong=wrong: check.unchanged(wrong), "unchanged", "try one position by hand")
    _fails(lambda: check.unchanged(stub["unchanged"]), NOT_ATTEMPTED)


# --------------------------------------------------------------------------- progress and the check cells


def test_check_cells_find_answers_by_name_and_progress(solved, capsys, monkeypatch):
    """Called with no argument (as the notebook does), a check looks its answer up in the caller's namespace."""
    ns = {"check": check}
    with pytest.raises(CheckFailed, match="does not exist yet"):  # the name is missing: no NameError
        exec("check.unchanged()", ns)  # noqa: S102
    ns["unchanged"] = solved["unchanged"]
    with pytest.raises(CheckFailed, match="does not exist yet"):
        exec("check.head_params()", ns)  # noqa: S102
    capsys.readouterr()
    exec("check.unchanged()", ns)  # noqa: S102
    check.progress()
    out = capsys.readouterr().out
    assert "1 of 7 pass" in out and "✅ predict what a shift changes" in out and "⬜ design a stack" in out
