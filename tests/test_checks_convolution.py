"""Self-checks of notebook 01: each passes with the notebook's own solution, and fails with CheckFailed
and its hint on typical wrong answers and on the untouched stub (the student edition).

The solutions are read from the notebook itself (the code between ``### BEGIN SOLUTION`` and
``### END SOLUTION``, run by tests/nbcells.py); the student edition is nbgrader's (tools/nbgrader_config.py).
Nothing here copies a number from a run: wrong answers are built from the solutions or from the
mistakes students make, and the checks compute their own references.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import assert_fails, assert_passes
from nbcells import exercise_sources, read_notebook, run_exercise_cells

from course_utils import checks
from course_utils.checks import NOT_ATTEMPTED
from course_utils.checks import convolution as c01
from course_utils.kernels import KERNELS, SOBEL_X

tf = pytest.importorskip("tensorflow")

NOTEBOOK = "01_convolution_filters.ipynb"
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
EXERCISES = {  # grade_id -> the check function that its check cell calls
    "ex-impulse-picture": "impulse_answer",
    "ex-which-kernel": "kernel_of",
    "ex-predict-shape": "predicted_shape",
    "ex-multiplies": "conv_multiplies",
    "ex-odd-kernels": "odd_answer",
    "ex-filter-bank": "apply_bank",
    "ex-diagonal-kernel": "diagonal_kernel",
}


def _nb():
    return read_notebook(NOTEBOOK)


def _solutions() -> list[str]:
    """The code between the markers of every exercise cell."""
    return [SOLUTION.search(src).group(2) for src in exercise_sources(NOTEBOOK)]


def _namespace(*, student: bool) -> dict:
    """Run every exercise cell of the notebook (and the cells defining what the checks read) in a fresh namespace."""
    from skimage import data, transform

    ns = {"np": np, "tf": tf, "data": data, "transform": transform, "SOBEL_X": SOBEL_X, "KERNELS": KERNELS}
    run_exercise_cells(NOTEBOOK, student=student, namespace=ns,
                       lesson=("line_filters = np.zeros", "def apply_bank_broken"),
                       trim=lambda src: src.split("\nfew = ")[0])  # the definitions only (no data loading)
    ns["mystery_image"] = _item_like()  # the notebook shows a Fashion-MNIST item; any garment-like image will do
    ns["mystery_maps"] = c01.mystery_maps(ns["mystery_image"])
    return ns


@pytest.fixture(scope="module")
def nb01():
    return _namespace(student=False)


@pytest.fixture(scope="module")
def nb01_student():
    return _namespace(student=True)


# --------------------------------------------------------------------------- the notebook's exercise layout


def test_every_exercise_is_covered_and_registered():
    nb = _nb()
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert sorted(ids) == sorted(EXERCISES), "a new exercise in notebook 01 needs its tests here"
    assert len({e.key for e in checks.exercises("convolution")}) == len(EXERCISES)
    kinds = {k for k in ("(predict)", "(design)", "(debug)", "(quantify)", "(explain)")
             for c in nb.cells if c.cell_type == "markdown" and k in c.source}
    assert len(kinds) >= 3, kinds


def test_check_cells_take_no_argument_and_progress_comes_last():
    nb = _nb()
    check_cells = [c.source.strip() for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert sorted(check_cells) == sorted(f"check.{fn}()" for fn in EXERCISES.values())
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[-1].startswith("check.progress()")
    summary = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Summary"))
    assert nb.cells.index(next(c for c in nb.cells if c.source.startswith("check.progress()"))) > summary


def test_no_hint_contains_a_solution_line(nb01):
    """Every hint step of every exercise (collected from real misses) is free of the solution's code."""
    misses = [
        lambda: c01.impulse_answer("a"),
        lambda: c01.kernel_of({k: "box blur" for k in "ABCD"}, nb01["mystery_image"], nb01["mystery_maps"]),
        lambda: c01.kernel_of({"A": 1}, nb01["mystery_image"], nb01["mystery_maps"]),
        lambda: c01.predicted_shape((0, 0, 0, 0), nb01["photos"], nb01["line_filters"]),
        lambda: c01.predicted_shape((0,), nb01["photos"], nb01["line_filters"]),
        lambda: c01.conv_multiplies(lambda s, k, n: 0),
        lambda: c01.odd_answer("a"),
        lambda: c01.apply_bank(lambda images, kernels: np.zeros(1)),
        lambda: c01.diagonal_kernel(np.ones((3, 3))),
        lambda: c01.diagonal_kernel(SOBEL_X),
        lambda: c01.diagonal_kernel(np.zeros((2, 2))),
    ]
    hints = []
    for miss in misses:
        hints += assert_fails(miss).hints
    assert hints
    lines = set()
    for solution in _solutions():
        for line in solution.splitlines():
            line = line.split("#")[0].strip()
            if len(line) >= 8:
                lines.add(line)
    assert lines
    for hint in hints:
        for line in lines:
            assert line not in hint, (line, hint)


def test_hints_come_in_steps():
    first = assert_fails(lambda: c01.impulse_answer("a"), "Hint 1 of 2")
    second = assert_fails(lambda: c01.impulse_answer("d"), "Hint 2 of 2")
    assert first.hints == second.hints and len(first.hints) == 2


def test_a_missing_name_is_not_attempted_not_a_name_error():
    # the check cell calls with no argument: the names are looked up in the caller's globals (here: this module)
    err = assert_fails(lambda: c01.odd_answer(), "does not exist yet")
    assert not err.attempted


# --------------------------------------------------------------------------- predict: the impulse picture


def test_impulse_picture(nb01, nb01_student, capsys):
    assert_passes(lambda: c01.impulse_answer(nb01["impulse_answer"]), capsys)
    assert_fails(lambda: c01.impulse_answer("a"), "option 'a' is not right")   # believes the textbook convolution
    assert_fails(lambda: c01.impulse_answer("c"), "option 'c' is not right")   # a transpose
    assert_fails(lambda: c01.impulse_answer("e"), "not one of the options")
    assert nb01_student["impulse_answer"] is None
    assert_fails(lambda: c01.impulse_answer(nb01_student["impulse_answer"]), NOT_ATTEMPTED)


def test_impulse_truth_is_what_tensorflow_paints(nb01):
    painted = tf.nn.conv2d(np.pad([[1.0]], 2)[None, :, :, None].astype("float32"),
                           np.arange(1, 10, dtype="float32").reshape(3, 3, 1, 1), 1, "SAME")[0, 1:4, 1:4, 0]
    _, transform = c01.IMPULSE_OPTIONS[nb01["impulse_answer"]]
    assert np.array_equal(painted.numpy(), transform(np.arange(1, 10, dtype="float32").reshape(3, 3)))


# --------------------------------------------------------------------------- predict: which kernel


def _item_like():
    """A garment-like test image: a bright blob with a notch on a dark background."""
    r, c = np.mgrid[0:28, 0:28]
    img = ((abs(r - 14) < 9) & (abs(c - 13) < 7)).astype("float32")
    img[4:10, 11:16] = 0.0
    return img


def test_which_kernel(nb01, nb01_student, capsys):
    image, maps = nb01["mystery_image"], nb01["mystery_maps"]
    assert_passes(lambda: c01.kernel_of(nb01["kernel_of"], image, maps), capsys)
    right = dict(nb01["kernel_of"])
    x_letter = next(k for k, v in right.items() if v == "Sobel x")
    y_letter = next(k for k, v in right.items() if v == "Sobel y")
    swapped = {**right, x_letter: "Sobel y", y_letter: "Sobel x"}       # orientation mixed up
    assert_fails(lambda: c01.kernel_of(swapped, image, maps), "2 of 4", "sum to 0")
    b_letter = next(k for k, v in right.items() if v == "box blur")
    s_letter = next(k for k, v in right.items() if v == "sharpen")
    assert_fails(lambda: c01.kernel_of({**right, b_letter: "sharpen", s_letter: "box blur"}, image, maps), "2 of 4")
    assert_fails(lambda: c01.kernel_of({**right, "A": "Sobel"}, image, maps), "not one of the four kernels")
    assert_fails(lambda: c01.kernel_of({"A": "box blur"}, image, maps), "keys")
    assert nb01_student["kernel_of"] is None
    assert_fails(lambda: c01.kernel_of(nb01_student["kernel_of"], image, maps), "still None")


def test_which_kernel_truth_comes_from_the_maps_not_from_the_order(nb01):
    # the truth is recomputed from the maps: relabelled maps need relabelled answers
    image = _item_like()
    maps = c01.mystery_maps(image)
    relabelled = {"A": maps["B"], "B": maps["A"], "C": maps["C"], "D": maps["D"]}
    answer = dict(nb01["kernel_of"])
    answer["A"], answer["B"] = answer["B"], answer["A"]
    c01.kernel_of(answer, image, relabelled)
    assert_fails(lambda: c01.kernel_of(nb01["kernel_of"], image, relabelled), "2 of 4")


# --------------------------------------------------------------------------- predict: a batch's output shape


def test_predicted_shape(nb01, nb01_student, capsys):
    photos, filters = nb01["photos"], nb01["line_filters"]
    assert_passes(lambda: c01.predicted_shape(nb01["predicted_shape"], photos, filters), capsys)
    n, h, w, _ = photos.shape
    k, f = filters.shape[0], filters.shape[-1]
    assert_fails(lambda: c01.predicted_shape((n, h, w, f), photos, filters), "height", "width")        # 'SAME' sizes
    assert_fails(lambda: c01.predicted_shape((n, h - k, w - k, f), photos, filters), "height")        # off by one
    assert_fails(lambda: c01.predicted_shape((n, h - k + 1, w - k + 1, 1), photos, filters), "channel axis")
    assert_fails(lambda: c01.predicted_shape((n, w - k + 1, h - k + 1, f), photos, filters), "height")  # axes swapped
    assert_fails(lambda: c01.predicted_shape((h - k + 1, w - k + 1, f), photos, filters), "tuple of 4")
    assert_fails(lambda: c01.predicted_shape(nb01_student["predicted_shape"], photos, filters), "still None")


def test_predicted_shape_reference_follows_the_arrays(nb01):
    photos = np.zeros((3, 20, 11, 1), "float32")
    c01.predicted_shape((3, 20 - 6, 11 - 6, 2), photos, nb01["line_filters"])
    assert_fails(lambda: c01.predicted_shape(nb01["predicted_shape"], photos, nb01["line_filters"]), "not right")


# --------------------------------------------------------------------------- quantify: multiplications


def test_multiplies(nb01, nb01_student, capsys):
    assert_passes(lambda: c01.conv_multiplies(nb01["conv_multiplies"]), capsys)
    right = nb01["conv_multiplies"]
    assert_fails(lambda: c01.conv_multiplies(lambda s, k, n: s[0] * s[1] * k[0] * k[1] * n),  # counts input pixels
                 "conv_multiplies", "ONE output value")
    assert_fails(lambda: c01.conv_multiplies(lambda s, k, n: right(s, k, 1)), "n_filters")  # forgets the filters
    assert_fails(lambda: c01.conv_multiplies(lambda s, k, n: right(s, (k[0], k[0]), n)), "kernel_shape")  # square only
    assert_fails(lambda: c01.conv_multiplies(nb01_student["conv_multiplies"]), NOT_ATTEMPTED)


# --------------------------------------------------------------------------- explain: odd kernels


def test_odd_kernels(nb01, nb01_student, capsys):
    assert_passes(lambda: c01.odd_answer(nb01["odd_answer"]), capsys)
    for wrong in sorted(set("abcd") - {nb01["odd_answer"]}):
        assert_fails(lambda wrong=wrong: c01.odd_answer(wrong), f"option {wrong!r} is not right")
    assert_fails(lambda: c01.odd_answer(nb01_student["odd_answer"]), "still None")


def test_odd_facts_are_computed_with_exactly_one_true():
    facts = c01._odd_facts()
    assert sorted(facts) == ["a", "b", "c", "d"] and sum(facts.values()) == 1


# --------------------------------------------------------------------------- debug: the filter bank


def test_filter_bank(nb01, nb01_student, capsys):
    assert_passes(lambda: c01.apply_bank(nb01["apply_bank"]), capsys)
    assert_fails(lambda: c01.apply_bank(nb01["apply_bank_broken"]), "raised", "Read the error")

    def reshaped(images, kernels):  # reshape instead of moving the axis: scrambles the kernels
        w = np.stack(kernels).reshape(*kernels[0].shape, 1, len(kernels))
        return tf.nn.conv2d(np.asarray(images)[..., None], w, 1, "VALID").numpy()

    def transposed(images, kernels):  # each kernel transposed
        return nb01["apply_bank"](images, [k.T for k in kernels]) if kernels[0].shape[0] == kernels[0].shape[1] \
            else nb01["apply_bank"](images, kernels)[..., :0]

    def squeezed(images, kernels):  # one map per image, the kernel axis dropped
        return nb01["apply_bank"](images, kernels)[..., 0]

    assert_fails(lambda: c01.apply_bank(reshaped), "values differ")
    assert_fails(lambda: c01.apply_bank(transposed), "apply_bank")
    assert_fails(lambda: c01.apply_bank(squeezed), "the shape is")
    assert_fails(lambda: c01.apply_bank(nb01_student["apply_bank"]), NOT_ATTEMPTED)


def test_filter_bank_survives_a_3d_input(nb01):
    # TensorFlow aborts the process on a 3-D input to tf.nn.conv2d; the check must turn it into a miss
    def no_channel_axis(images, kernels):
        w = np.stack(kernels, axis=-1)[:, :, None, :]
        return tf.nn.conv2d(np.asarray(images, "float32"), w, 1, "VALID").numpy()

    original = tf.nn.conv2d
    assert_fails(lambda: c01.apply_bank(no_channel_axis), "4 axes")
    assert tf.nn.conv2d is original  # the guard is removed after the check


# --------------------------------------------------------------------------- design: the 45° kernel


def test_diagonal_kernel(nb01, nb01_student, capsys):
    assert_passes(lambda: c01.diagonal_kernel(nb01["diagonal_kernel"]), capsys)
    assert_fails(lambda: c01.diagonal_kernel(SOBEL_X), "vertical edge", "Hint 1 of 3")
    assert_fails(lambda: c01.diagonal_kernel(np.rot90(nb01["diagonal_kernel"])), "135° edge", "Hint 2 of 3")
    assert_fails(lambda: c01.diagonal_kernel(np.ones((3, 3))), "flat", "don't sum to 0")
    assert_fails(lambda: c01.diagonal_kernel(np.zeros((3, 3))), "all zeros")
    assert_fails(lambda: c01.diagonal_kernel(np.ones((5, 5))), "shape (5, 5)")
    assert nb01_student["diagonal_kernel"] is None
    assert_fails(lambda: c01.diagonal_kernel(nb01_student["diagonal_kernel"]), "still None")


def test_diagonal_kernel_accepts_either_sign_and_scale(nb01, capsys):
    assert_passes(lambda: c01.diagonal_kernel(-3 * np.asarray(nb01["diagonal_kernel"])), capsys)


# --------------------------------------------------------------------------- interactive use


def test_interactive_miss_prints_and_returns(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert c01.odd_answer("a") is None
    assert "❌ Not yet." in capsys.readouterr().out
