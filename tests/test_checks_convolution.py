"""Self-checks of notebook 01: each passes with the notebook's own solution, and fails with CheckFailed
and its hint on typical wrong answers and on the untouched stub (the student edition).

The solutions are read from the notebook itself (the code between ``### BEGIN SOLUTION`` and
``### END SOLUTION``); the student edition replaces that code by ``pass`` (tools/nbgrader_config.py).
Nothing here copies a number from a run: wrong answers are built from the solutions or from the
mistakes students make, and the checks compute their own references.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import checks
from course_utils.checks import NOT_ATTEMPTED, CheckFailed
from course_utils.checks import convolution as c01
from course_utils.kernels import KERNELS, SOBEL_X

tf = pytest.importorskip("tensorflow")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_convolution_filters.ipynb"
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
EXERCISES = {  # grade_id -> the check function that its check cell calls
    "ex-impulse-picture": "impulse_picture",
    "ex-which-kernel": "which_kernel",
    "ex-predict-shape": "predicted_shape",
    "ex-multiplies": "multiplies",
    "ex-odd-kernels": "odd_kernels",
    "ex-filter-bank": "filter_bank",
    "ex-diagonal-kernel": "diagonal_kernel",
}


def _nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def _code_cells() -> list[str]:
    return [c.source for c in _nb().cells if c.cell_type == "code"]


def _solutions() -> dict[str, str]:
    """grade_id -> the code between the markers."""
    return {c.metadata["nbgrader"]["grade_id"]: SOLUTION.search(c.source).group(2)
            for c in _nb().cells if c.metadata.get("nbgrader", {}).get("solution")}


def _namespace(*, student: bool) -> dict:
    """Run every exercise cell of the notebook (and the cells defining what the checks read) in a fresh namespace."""
    from skimage import data, transform

    ns = {"np": np, "tf": tf, "data": data, "transform": transform, "SOBEL_X": SOBEL_X, "KERNELS": KERNELS}
    for src in _code_cells():
        if "### BEGIN SOLUTION" in src:
            if student:  # what tools/nbgrader_config.py leaves in the student edition
                src = SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}pass\n", src)
            exec(src, ns)  # noqa: S102 - our own notebook's code
        elif src.lstrip().startswith(("line_filters = np.zeros", "def apply_bank_broken")):
            exec(src.split("\nfew = ")[0], ns)  # noqa: S102 - the definitions only (no data loading)
    ns["mystery_image"] = _item_like()  # the notebook shows a Fashion-MNIST item; any garment-like image will do
    ns["mystery_maps"] = c01.mystery_maps(ns["mystery_image"])
    return ns


@pytest.fixture(scope="module")
def nb01():
    return _namespace(student=False)


@pytest.fixture(scope="module")
def nb01_student():
    return _namespace(student=True)


@pytest.fixture(autouse=True)
def fresh_attempts():
    checks.reset()
    yield
    checks.reset()


def _fails(call, *fragments) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return info.value


def _passes(call, capsys):
    call()
    out = capsys.readouterr().out
    assert "✅" in out, out


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
        lambda: c01.impulse_picture("a"),
        lambda: c01.which_kernel({k: "box blur" for k in "ABCD"}, nb01["mystery_image"], nb01["mystery_maps"]),
        lambda: c01.which_kernel({"A": 1}, nb01["mystery_image"], nb01["mystery_maps"]),
        lambda: c01.predicted_shape((0, 0, 0, 0), nb01["photos"], nb01["line_filters"]),
        lambda: c01.predicted_shape((0,), nb01["photos"], nb01["line_filters"]),
        lambda: c01.multiplies(lambda s, k, n: 0),
        lambda: c01.odd_kernels("a"),
        lambda: c01.filter_bank(lambda images, kernels: np.zeros(1)),
        lambda: c01.diagonal_kernel(np.ones((3, 3))),
        lambda: c01.diagonal_kernel(SOBEL_X),
        lambda: c01.diagonal_kernel(np.zeros((2, 2))),
    ]
    hints = []
    for miss in misses:
        hints += _fails(miss).hints
    assert hints
    lines = set()
    for solution in _solutions().values():
        for line in solution.splitlines():
            line = line.split("#")[0].strip()
            if len(line) >= 8:
                lines.add(line)
    assert lines
    for hint in hints:
        for line in lines:
            assert line not in hint, (line, hint)


def test_hints_come_in_steps():
    first = _fails(lambda: c01.impulse_picture("a"), "Hint 1 of 2")
    second = _fails(lambda: c01.impulse_picture("d"), "Hint 2 of 2")
    assert first.hints == second.hints and len(first.hints) == 2


def test_a_missing_name_is_not_attempted_not_a_name_error():
    # the check cell calls with no argument: the names are looked up in the caller's globals (here: this module)
    err = _fails(lambda: c01.odd_kernels(), "does not exist yet")
    assert not err.attempted


# --------------------------------------------------------------------------- predict: the impulse picture


def test_impulse_picture(nb01, nb01_student, capsys):
    _passes(lambda: c01.impulse_picture(nb01["impulse_answer"]), capsys)
    _fails(lambda: c01.impulse_picture("a"), "option 'a' is not right")   # believes the textbook convolution
    _fails(lambda: c01.impulse_picture("c"), "option 'c' is not right")   # a transpose
    _fails(lambda: c01.impulse_picture("e"), "not one of the options")
    assert nb01_student["impulse_answer"] is None
    _fails(lambda: c01.impulse_picture(nb01_student["impulse_answer"]), NOT_ATTEMPTED)


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
    _passes(lambda: c01.which_kernel(nb01["kernel_of"], image, maps), capsys)
    right = dict(nb01["kernel_of"])
    x_letter = next(k for k, v in right.items() if v == "Sobel x")
    y_letter = next(k for k, v in right.items() if v == "Sobel y")
    swapped = {**right, x_letter: "Sobel y", y_letter: "Sobel x"}       # orientation mixed up
    _fails(lambda: c01.which_kernel(swapped, image, maps), "2 of 4", "sum to 0")
    b_letter = next(k for k, v in right.items() if v == "box blur")
    s_letter = next(k for k, v in right.items() if v == "sharpen")
    _fails(lambda: c01.which_kernel({**right, b_letter: "sharpen", s_letter: "box blur"}, image, maps), "2 of 4")
    _fails(lambda: c01.which_kernel({**right, "A": "Sobel"}, image, maps), "not one of the four kernels")
    _fails(lambda: c01.which_kernel({"A": "box blur"}, image, maps), "keys")
    assert nb01_student["kernel_of"] is None
    _fails(lambda: c01.which_kernel(nb01_student["kernel_of"], image, maps), "still None")


def test_which_kernel_truth_comes_from_the_maps_not_from_the_order(nb01):
    # the truth is recomputed from the maps: relabelled maps need relabelled answers
    image = _item_like()
    maps = c01.mystery_maps(image)
    relabelled = {"A": maps["B"], "B": maps["A"], "C": maps["C"], "D": maps["D"]}
    answer = dict(nb01["kernel_of"])
    answer["A"], answer["B"] = answer["B"], answer["A"]
    c01.which_kernel(answer, image, relabelled)
    _fails(lambda: c01.which_kernel(nb01["kernel_of"], image, relabelled), "2 of 4")


# --------------------------------------------------------------------------- predict: a batch's output shape


def test_predicted_shape(nb01, nb01_student, capsys):
    photos, filters = nb01["photos"], nb01["line_filters"]
    _passes(lambda: c01.predicted_shape(nb01["predicted_shape"], photos, filters), capsys)
    n, h, w, _ = photos.shape
    k, f = filters.shape[0], filters.shape[-1]
    _fails(lambda: c01.predicted_shape((n, h, w, f), photos, filters), "height", "width")        # 'SAME' sizes
    _fails(lambda: c01.predicted_shape((n, h - k, w - k, f), photos, filters), "height")        # off by one
    _fails(lambda: c01.predicted_shape((n, h - k + 1, w - k + 1, 1), photos, filters), "channel axis")
    _fails(lambda: c01.predicted_shape((n, w - k + 1, h - k + 1, f), photos, filters), "height")  # axes swapped
    _fails(lambda: c01.predicted_shape((h - k + 1, w - k + 1, f), photos, filters), "tuple of 4")
    _fails(lambda: c01.predicted_shape(nb01_student["predicted_shape"], photos, filters), "still None")


def test_predicted_shape_reference_follows_the_arrays(nb01):
    photos = np.zeros((3, 20, 11, 1), "float32")
    c01.predicted_shape((3, 20 - 6, 11 - 6, 2), photos, nb01["line_filters"])
    _fails(lambda: c01.predicted_shape(nb01["predicted_shape"], photos, nb01["line_filters"]), "not right")


# --------------------------------------------------------------------------- quantify: multiplications


def test_multiplies(nb01, nb01_student, capsys):
    _passes(lambda: c01.multiplies(nb01["conv_multiplies"]), capsys)
    right = nb01["conv_multiplies"]
    _fails(lambda: c01.multiplies(lambda s, k, n: s[0] * s[1] * k[0] * k[1] * n),      # counts input pixels
           "conv_multiplies", "ONE output value")
    _fails(lambda: c01.multiplies(lambda s, k, n: right(s, k, 1)), "n_filters")          # forgets the filters
    _fails(lambda: c01.multiplies(lambda s, k, n: right(s, (k[0], k[0]), n)), "kernel_shape")  # square only
    _fails(lambda: c01.multiplies(nb01_student["conv_multiplies"]), NOT_ATTEMPTED)


# --------------------------------------------------------------------------- explain: odd kernels


def test_odd_kernels(nb01, nb01_student, capsys):
    _passes(lambda: c01.odd_kernels(nb01["odd_answer"]), capsys)
    for wrong in sorted(set("abcd") - {nb01["odd_answer"]}):
        _fails(lambda: c01.odd_kernels(wrong), f"option {wrong!r} is not right")
    _fails(lambda: c01.odd_kernels(nb01_student["odd_answer"]), "still None")


def test_odd_facts_are_computed_with_exactly_one_true():
    facts = c01._odd_facts()
    assert sorted(facts) == ["a", "b", "c", "d"] and sum(facts.values()) == 1


# --------------------------------------------------------------------------- debug: the filter bank


def test_filter_bank(nb01, nb01_student, capsys):
    _passes(lambda: c01.filter_bank(nb01["apply_bank"]), capsys)
    _fails(lambda: c01.filter_bank(nb01["apply_bank_broken"]), "raised", "Read the error")

    def reshaped(images, kernels):  # reshape instead of moving the axis: scrambles the kernels
        w = np.stack(kernels).reshape(*kernels[0].shape, 1, len(kernels))
        return tf.nn.conv2d(np.asarray(images)[..., None], w, 1, "VALID").numpy()

    def transposed(images, kernels):  # each kernel transposed
        return nb01["apply_bank"](images, [k.T for k in kernels]) if kernels[0].shape[0] == kernels[0].shape[1] \
            else nb01["apply_bank"](images, kernels)[..., :0]

    def squeezed(images, kernels):  # one map per image, the kernel axis dropped
        return nb01["apply_bank"](images, kernels)[..., 0]

    _fails(lambda: c01.filter_bank(reshaped), "values differ")
    _fails(lambda: c01.filter_bank(transposed), "apply_bank")
    _fails(lambda: c01.filter_bank(squeezed), "the shape is")
    _fails(lambda: c01.filter_bank(nb01_student["apply_bank"]), NOT_ATTEMPTED)


def test_filter_bank_survives_a_3d_input(nb01):
    # TensorFlow aborts the process on a 3-D input to tf.nn.conv2d; the check must turn it into a miss
    def no_channel_axis(images, kernels):
        w = np.stack(kernels, axis=-1)[:, :, None, :]
        return tf.nn.conv2d(np.asarray(images, "float32"), w, 1, "VALID").numpy()

    original = tf.nn.conv2d
    _fails(lambda: c01.filter_bank(no_channel_axis), "4 axes")
    assert tf.nn.conv2d is original  # the guard is removed after the check


# --------------------------------------------------------------------------- design: the 45° kernel


def test_diagonal_kernel(nb01, nb01_student, capsys):
    _passes(lambda: c01.diagonal_kernel(nb01["diagonal_kernel"]), capsys)
    _fails(lambda: c01.diagonal_kernel(SOBEL_X), "vertical edge", "Hint 1 of 3")
    _fails(lambda: c01.diagonal_kernel(np.rot90(nb01["diagonal_kernel"])), "135° edge", "Hint 2 of 3")
    _fails(lambda: c01.diagonal_kernel(np.ones((3, 3))), "flat", "don't sum to 0")
    _fails(lambda: c01.diagonal_kernel(np.zeros((3, 3))), "all zeros")
    _fails(lambda: c01.diagonal_kernel(np.ones((5, 5))), "shape (5, 5)")
    assert nb01_student["diagonal_kernel"] is None
    _fails(lambda: c01.diagonal_kernel(nb01_student["diagonal_kernel"]), "still None")


def test_diagonal_kernel_accepts_either_sign_and_scale(nb01, capsys):
    _passes(lambda: c01.diagonal_kernel(-3 * np.asarray(nb01["diagonal_kernel"])), capsys)


# --------------------------------------------------------------------------- interactive use


def test_interactive_miss_prints_and_returns(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert c01.odd_kernels("a") is None
    assert "❌ Not yet." in capsys.readouterr().out
