"""Self-checks of notebooks 01 and 02: each passes with the notebook's own solution, and fails with
CheckFailed and its hint on a wrong answer and on a not-attempted one (the student edition).

The solutions are read from the notebooks themselves (the code between ``### BEGIN SOLUTION`` and
``### END SOLUTION``); the student edition replaces that code by ``raise NotImplementedError()``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils.checks import NOT_ATTEMPTED, CheckFailed
from course_utils.checks import convolution as c01
from course_utils.checks import padding as c02

keras = pytest.importorskip("keras")

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)


def _cells(notebook: str) -> list[str]:
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _namespace(notebook: str, *, student: bool) -> dict:
    """Run every exercise cell of ``notebook`` (and the cell defining ``stack``) in a fresh namespace."""
    ns = {"np": np, "math": math, "keras": keras}
    for src in _cells(notebook):
        if "### BEGIN SOLUTION" in src:
            if student:
                src = SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()", src)
            try:
                exec(src, ns)  # noqa: S102 - our own notebook's code
            except NotImplementedError:
                pass  # a value exercise in the student edition: the name stays None
        elif src.lstrip().startswith("input_shape = (45, 45, 3)"):
            exec(src, ns)  # noqa: S102
    return ns


@pytest.fixture(scope="module")
def nb01():
    return _namespace("01_convolution_filters.ipynb", student=False)


@pytest.fixture(scope="module")
def nb01_student():
    return _namespace("01_convolution_filters.ipynb", student=True)


@pytest.fixture(scope="module")
def nb02():
    return _namespace("02_padding_and_stride.ipynb", student=False)


@pytest.fixture(scope="module")
def nb02_student():
    return _namespace("02_padding_and_stride.ipynb", student=True)


def _fails(call, *fragments):
    with pytest.raises(CheckFailed) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def test_every_exercise_of_both_notebooks_is_covered():
    # if an exercise is added to a notebook, this test file must learn about it
    ids = []
    for name in ("01_convolution_filters.ipynb", "02_padding_and_stride.ipynb"):
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        ids += [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("solution")]
    assert ids == ["ex-dense-params", "ex-conv2d", "ex-valid-shape", "ex-diagonal-kernel",
                   "ex-output-size", "ex-same-rule", "ex-stack-shapes", "ex-conv-params"]


# --------------------------------------------------------------------------- notebook 01


def test_dense_params(nb01, nb01_student, capsys):
    c01.dense_params(nb01["dense_params"])
    assert "✅" in capsys.readouterr().out
    _fails(lambda: c01.dense_params(lambda shape, units: int(np.prod(shape)) * units),  # forgot the biases
           "dense_params", "plus one bias")
    _fails(lambda: c01.dense_params(lambda shape, units: (shape[0] * shape[1] + 1) * units),  # forgot channels
           "all pixels of all channels")
    _fails(lambda: c01.dense_params(nb01_student["dense_params"]), NOT_ATTEMPTED)


def test_conv2d(nb01, nb01_student, capsys):
    c01.conv2d(nb01["my_conv2d"])
    assert "✅" in capsys.readouterr().out

    def flipped(image, kernel):  # true convolution: flips the kernel
        return nb01["my_conv2d"](image, np.flip(kernel))

    def square_only(image, kernel):  # assumes a square kernel
        f = kernel.shape[0]
        return nb01["my_conv2d"](image, kernel[:f, :f]) if kernel.shape[1] >= f else np.zeros(1)

    def same_size(image, kernel):  # pads instead of 'valid'
        return np.zeros(image.shape)

    _fails(lambda: c01.conv2d(flipped), "Don't flip the kernel")
    _fails(lambda: c01.conv2d(square_only), "non-square")
    _fails(lambda: c01.conv2d(same_size), "the shape is", "(H - kh + 1) x (W - kw + 1)")
    _fails(lambda: c01.conv2d(nb01_student["my_conv2d"]), NOT_ATTEMPTED)


def test_valid_output_shape(nb01, nb01_student, capsys):
    c01.valid_output_shape(nb01["valid_output_shape"])
    assert "✅" in capsys.readouterr().out
    _fails(lambda: c01.valid_output_shape(lambda im, k: (im[0] - k[0], im[1] - k[1])), "n - f + 1")
    _fails(lambda: c01.valid_output_shape(lambda im, k: (im[0] - k[0] + 1, im[0] - k[0] + 1)),  # rows twice
           "rows and columns are separate")
    _fails(lambda: c01.valid_output_shape(nb01_student["valid_output_shape"]), NOT_ATTEMPTED)


def test_diagonal_kernel(nb01, nb01_student, capsys):
    c01.diagonal_kernel(nb01["diagonal_kernel"])
    assert "✅" in capsys.readouterr().out
    sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    _fails(lambda: c01.diagonal_kernel(sobel_x), "vertical edge", "Hint:")
    _fails(lambda: c01.diagonal_kernel(np.rot90(nb01["diagonal_kernel"])), "135° edge", "Hint:")  # wrong diagonal
    _fails(lambda: c01.diagonal_kernel(np.ones((3, 3))), "flat", "balance the positive and the negative")
    _fails(lambda: c01.diagonal_kernel(np.zeros((3, 3))), "all zeros")
    _fails(lambda: c01.diagonal_kernel(np.ones((5, 5))), "shape (5, 5)")
    assert nb01_student["diagonal_kernel"] is None
    _fails(lambda: c01.diagonal_kernel(nb01_student["diagonal_kernel"]), NOT_ATTEMPTED)


def test_diagonal_kernel_accepts_either_sign_and_scale(nb01, capsys):
    c01.diagonal_kernel(-3 * np.asarray(nb01["diagonal_kernel"]))
    assert "✅" in capsys.readouterr().out


# --------------------------------------------------------------------------- notebook 02


def test_output_size(nb02, nb02_student, capsys):
    c02.output_size(nb02["output_size"])
    assert "✅" in capsys.readouterr().out
    _fails(lambda: c02.output_size(lambda n, f, p, s: math.ceil((n + 2 * p - f) / s) + 1), "rounding DOWN")
    _fails(lambda: c02.output_size(lambda n, f, p, s: (n + p - f) // s + 1), "n + 2p")  # padding on one side
    _fails(lambda: c02.output_size(nb02_student["output_size"]), NOT_ATTEMPTED)


def test_same_rule(nb02, nb02_student, capsys):
    c02.same_rule(nb02["same_rule"])
    assert "✅" in capsys.readouterr().out

    def extra_before(n, f, s):
        out, before, after = nb02["same_rule"](n, f, s)
        return out, after, before

    def symmetric(n, f, s):  # the stride-1 textbook rule, wrong for s > 1
        return n, (f - 1) // 2, (f - 1) // 2

    _fails(lambda: c02.same_rule(extra_before), "extra zero goes AFTER")
    _fails(lambda: c02.same_rule(symmetric), "round n / s UP")
    _fails(lambda: c02.same_rule(nb02_student["same_rule"]), NOT_ATTEMPTED)


def test_stack_shapes(nb02, nb02_student, capsys):
    stack, input_shape = nb02["stack"], nb02["input_shape"]
    c02.stack_shapes(nb02["predicted_shapes"], stack, input_shape)
    assert "✅" in capsys.readouterr().out
    # 'same' treated as keeping the size even with stride 2
    wrong = [(45, 45, 16), (43, 43, 32), (43, 43, 32), (21, 21, 64)]
    _fails(lambda: c02.stack_shapes(wrong, stack, input_shape), "predicted_shapes[0]", "ceil(n / s)")
    # right sizes, wrong channels in the last layer
    off = [tuple(s) for s in nb02["predicted_shapes"]]
    off[3] = off[3][:2] + (32,)
    _fails(lambda: c02.stack_shapes(off, stack, input_shape), "predicted_shapes[3]", "number of filters")
    _fails(lambda: c02.stack_shapes(off[:3], stack, input_shape), "a list of 4 tuples")
    assert nb02_student["predicted_shapes"] is None
    _fails(lambda: c02.stack_shapes(nb02_student["predicted_shapes"], stack, input_shape), NOT_ATTEMPTED)


def test_stack_shapes_reference_is_keras_and_not_fooled_by_built_layers(nb02):
    # the reference builds fresh copies, so the notebook's layer objects can be checked repeatedly
    stack, input_shape = nb02["stack"], nb02["input_shape"]
    first = c02.keras_stack_shapes(stack, input_shape)
    assert c02.keras_stack_shapes(stack, input_shape) == first
    assert c02.keras_stack_shapes(stack, (64, 64, 1))[0] == (32, 32, 16)


def test_conv_params(nb02, nb02_student, capsys):
    c02.conv_params(nb02["conv_params"])
    assert "✅" in capsys.readouterr().out
    _fails(lambda: c02.conv_params(lambda k, c_in, c_out: k * k * c_in * c_out), "plus one bias")
    _fails(lambda: c02.conv_params(lambda k, c_in, c_out: (k * k + 1) * c_out), "per input channel")
    _fails(lambda: c02.conv_params(nb02_student["conv_params"]), NOT_ATTEMPTED)
