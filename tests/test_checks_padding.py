"""Self-checks of notebook 02 (padding and stride).

Each check passes with the notebook's own solution (read from the notebook, the code between
``### BEGIN SOLUTION`` and ``### END SOLUTION``), fails with its hint on typical wrong answers
(derived from the solution or from the notebook's own objects, not typed in), and says "not
attempted" for the student edition's stub (made by the same nbgrader code as ``./course student``).
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest
from conftest import assert_fails
from nbcells import read_notebook, run_exercise_cells, student_edition

from course_utils import checks
from course_utils.checks import NOT_ATTEMPTED, CheckFailed
from course_utils.checks import padding as c02
from course_utils.reference.conv import same_padding
from tools.student import solution_lines

keras = pytest.importorskip("keras")

NOTEBOOK = "02_padding_and_stride.ipynb"

# grade_id of each exercise -> the check it calls and the name(s) it reads
EXERCISES = {
    "ex-same-split": "same_split",
    "ex-why-same-count": "why_same_count",
    "ex-stack-shapes": "predicted_shapes",
    "ex-stack-params": "predicted_params",
    "ex-mult-adds": "mult_adds",
    "ex-design-7x7": "design_stack",
}


def _read(student: bool):
    nb = read_notebook(NOTEBOOK)
    return student_edition(nb) if student else nb


def _namespace(student: bool) -> dict:
    """Run the notebook's exercise cells, their check cells' context and the cell defining ``stack``."""
    return run_exercise_cells(NOTEBOOK, student=student, namespace={"np": np, "math": math, "keras": keras,
                                                                    "check": c02}, lesson=("input_shape = ",))


@pytest.fixture(scope="module")
def nb():
    return _namespace(student=False)


@pytest.fixture(scope="module")
def nb_student():
    return _namespace(student=True)


_fails = functools.partial(assert_fails, attempted=True)


def _check_cells(student: bool) -> dict[str, str]:
    notebook = _read(student)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


# --------------------------------------------------------------------------- the exercise set


def test_the_exercises_of_the_notebook_are_the_ones_tested_here():
    notebook = _read(student=False)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
           if c.metadata.get("nbgrader", {}).get("solution")]
    assert ids == list(EXERCISES)
    # each check cell calls its check with no argument (the names are looked up in the notebook)
    cells = _check_cells(student=False)
    for gid, name in EXERCISES.items():
        assert cells[f"{gid}-check"].strip() == f"check.{name}()"
    # every registered check of notebook 02 has its exercise, and there are enough of them
    registered = [e.key for e in checks.exercises("padding")]
    assert len(registered) == len(EXERCISES) >= 5
    # at least three kinds, named in the statements
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    kinds = set(re.findall(r"Exercise \d+ \((Predict|Design|Debug|Quantify|Explain)\)", text))
    assert len(kinds) >= 3, kinds
    # the last code cell of the notebook is the progress line
    assert [c for c in notebook.cells if c.cell_type == "code"][-1].source.strip() == "check.progress()"


def test_every_check_cell_passes_on_the_solution(nb, capsys):
    for gid in EXERCISES:
        exec(_check_cells(student=False)[f"{gid}-check"], nb)  # noqa: S102 - strict: a miss raises
    out = capsys.readouterr().out
    assert out.count("✅") == len(EXERCISES), out
    c02.progress()
    assert f"{len(EXERCISES)} of {len(EXERCISES)} pass" in capsys.readouterr().out


def test_every_check_cell_says_not_attempted_on_the_student_stub(nb_student):
    for gid in EXERCISES:
        with pytest.raises(CheckFailed) as info:
            exec(_check_cells(student=True)[f"{gid}-check"], nb_student)  # noqa: S102
        assert not info.value.attempted and NOT_ATTEMPTED in str(info.value), gid


def test_a_check_run_before_its_exercise_cell_says_not_attempted():
    with pytest.raises(CheckFailed, match="does not exist yet") as info:
        exec("check.mult_adds()", {"check": c02})  # noqa: S102
    assert not info.value.attempted


def test_interactive_miss_prints_and_does_not_raise(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    c02.mult_adds(1)
    assert "❌ Not yet." in capsys.readouterr().out


def _all_misses(nb) -> list[CheckFailed]:
    """One miss of every exercise (a typical wrong answer each), to inspect what students are shown."""
    sol = nb["same_split"]
    calls = [
        lambda: c02.same_split((sol[0], sol[2], sol[1])),
        lambda: c02.why_same_count("d"),
        lambda: c02.predicted_shapes([(45, 45, 16)] + list(nb["predicted_shapes"][1:]), nb["stack"], nb["input_shape"]),
        lambda: c02.predicted_params([p - 1 for p in nb["predicted_params"]], nb["stack"], nb["input_shape"]),
        lambda: c02.mult_adds(nb["mult_adds"] // c02.MULT_ADDS_CASE["c_in"]),
        lambda: c02.design_stack(nb["design_stack"][:2]),
    ]
    misses = []
    for call in calls:
        for _ in range(4):  # go through every hint step
            misses.append(_fails(call))
    return misses


def test_no_hint_contains_the_solution_code(nb):
    notebook = _read(student=False)
    lines = []
    for cell in notebook.cells:
        for line in solution_lines(cell.source):
            code_part = line.split("#")[0].strip()
            if len(code_part) >= 4 and code_part not in {"]", ")", "["}:
                lines.append(code_part)
    assert lines
    for miss in _all_misses(nb):
        shown = " ".join([miss.problem, *miss.hints])
        for line in lines:
            assert line not in shown, (line, shown)


def test_hints_come_in_steps(nb):
    wrong = nb["mult_adds"] // c02.MULT_ADDS_CASE["c_in"]
    first = _fails(lambda: c02.mult_adds(wrong), "Hint 1 of 3")
    second = _fails(lambda: c02.mult_adds(wrong), "Hint 2 of 3")
    assert first.hints[0] in str(first) and second.hints[1] in str(second)


# --------------------------------------------------------------------------- exercise 1: predict 'same'


def test_tf_same_split_is_tensorflows_rule():
    # the experiment (pad by hand + VALID == SAME) agrees with the reference arithmetic on a grid
    for n in range(1, 10):
        for f in range(1, 6):
            for s in range(1, 4):
                out, before, after = c02.tf_same_split(n, f, s)
                assert out == math.ceil(n / s)
                assert (before, after) == tuple(same_padding(n, f, s)), (n, f, s)


def test_same_split(nb):
    n, f, s = (c02.SAME_CASE[k] for k in "nfs")
    out, before, after = nb["same_split"]
    assert before != after  # the case was chosen to be uneven
    _fails(lambda: c02.same_split((out, after, before)), "wrong side", "extra zero")
    _fails(lambda: c02.same_split((n, before, after)), "output length")             # "same" = same size
    half = (f - 1) // 2
    _fails(lambda: c02.same_split((out, half, half)), "total number of zeros")      # stride-1 rule
    _fails(lambda: c02.same_split([out, before]), "tuple of three")
    message = str(_fails(lambda: c02.same_split((out + 1, before, after))))
    assert str((out, before, after)) not in message


# --------------------------------------------------------------------------- exercise 2: explain


def test_why_same_count_options_are_computed():
    truths = c02.why_options()
    assert sum(truths.values()) == 1
    e = c02.param_count_experiment()
    assert e["counts"][0] == e["counts"][1] == e["formula"] == e["count_same"]
    assert e["out_sizes"][0] != e["out_sizes"][1]


def test_why_same_count(nb, capsys):
    right = nb["why_same_count"]
    for wrong in sorted(set(c02.why_options()) - {right}):
        _fails(lambda wrong=wrong: c02.why_same_count(wrong), f"option {wrong!r} is not right")
    _fails(lambda: c02.why_same_count("e"), "not one of the options")
    c02.why_same_count(right.upper())
    assert "parameters, kernels of shape" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercises 3 and 4: the stack


def test_stack_shapes(nb):
    stack, input_shape, good = nb["stack"], nb["input_shape"], [tuple(s) for s in nb["predicted_shapes"]]
    # 'same' read as "same size": the first layer keeps the input's height and width
    wrong = [(input_shape[0], input_shape[1], good[0][2])] + good[1:]
    _fails(lambda: c02.predicted_shapes(wrong, stack, input_shape), "predicted_shapes[0]", "not what Keras builds",
           "layer by layer")
    # channels carried over from the layer before instead of the layer's filters
    off = good[:3] + [(*good[3][:2], good[2][2])]
    _fails(lambda: c02.predicted_shapes(off, stack, input_shape), "predicted_shapes[3]", "number of channels")
    _fails(lambda: c02.predicted_shapes(good[:3], stack, input_shape), f"a list of {len(stack)} tuples")


def test_stack_shapes_reference_is_keras_and_not_fooled_by_built_layers(nb):
    stack, input_shape = nb["stack"], nb["input_shape"]
    first = c02.keras_stack_shapes(stack, input_shape)
    assert c02.keras_stack_shapes(stack, input_shape) == first  # the notebook's layers are not consumed
    side = math.ceil(64 / stack[0].strides[0])  # the first layer is 'same'
    assert stack[0].padding == "same"
    assert c02.keras_stack_shapes(stack, (64, 64, 1))[0] == (side, side, stack[0].filters)


def test_stack_params(nb):
    stack, input_shape = nb["stack"], nb["input_shape"]
    sizes = [layer.kernel_size[0] for layer in stack]
    filters = [layer.filters for layer in stack]
    c_ins = [input_shape[2]] + filters[:-1]
    no_bias = [k * k * c * f for k, c, f in zip(sizes, c_ins, filters)]
    _fails(lambda: c02.predicted_params(no_bias, stack, input_shape), "predicted_params[0]")
    image_channels_everywhere = [(k * k * input_shape[2] + 1) * f for k, f in zip(sizes, filters)]
    miss = _fails(lambda: c02.predicted_params(image_channels_everywhere, stack, input_shape), "predicted_params[1]")
    assert "EACH channel" in miss.hints[0]
    _fails(lambda: c02.predicted_params(no_bias[:2], stack, input_shape), "a list of 4 whole numbers")
    assert sum(nb["predicted_params"]) == sum(layer.count_params() for layer in keras.Sequential(
        [keras.Input(input_shape), *[type(lay).from_config(lay.get_config()) for lay in stack]]).layers)


# --------------------------------------------------------------------------- exercise 5: quantify


def test_mult_adds(nb):
    case = c02.MULT_ADDS_CASE
    right = nb["mult_adds"]
    _fails(lambda: c02.mult_adds(right // case["c_in"]), "is not the right value")      # forgot the input channels
    _fails(lambda: c02.mult_adds(right * case["s"] ** 2), "is not the right value")     # forgot the stride
    valid_side = (case["n"] - case["k"]) // case["s"] + 1
    same_side = math.ceil(case["n"] / case["s"])
    message = str(_fails(lambda: c02.mult_adds(right // same_side ** 2 * valid_side ** 2)))  # 'valid' instead
    assert str(right) not in message


def test_mult_adds_reference_counts_the_work_of_each_output_value():
    # a 1x1 kernel on one channel does one multiply-add per output pixel
    assert c02.keras_mult_adds(n=10, c_in=1, filters=1, k=1, s=1, padding="valid") == 100
    assert c02.keras_mult_adds(n=10, c_in=2, filters=3, k=3, s=1, padding="same") == 10 * 10 * 3 * 3 * 3 * 2


# --------------------------------------------------------------------------- exercise 6: design


def test_design_stack_accepts_any_valid_design(capsys):
    other = [keras.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3, strides=2),
             keras.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3)]
    c02.design_stack(other)
    assert "✅" in capsys.readouterr().out


def test_design_stack_wrong_designs(nb):
    good = nb["design_stack"]
    _fails(lambda: c02.design_stack(good[:2]), "not the required size", "work backwards")
    _fails(lambda: c02.design_stack([keras.layers.Conv2D(8, 3, strides=2)] * 2), "not the required size")
    _fails(lambda: c02.design_stack([keras.layers.Conv2D(8, 3, strides=2, padding="same")] * 2), "only 'valid'")
    _fails(lambda: c02.design_stack([keras.layers.Conv2D(8, 4, strides=4)]), "kernel at 3x3")
    _fails(lambda: c02.design_stack([keras.layers.Conv2D(8, 3, strides=3)]), "stride 1 or 2")
    _fails(lambda: c02.design_stack([keras.layers.Conv2D(8, 3)] * 6), "at most 5")
    _fails(lambda: c02.design_stack([keras.layers.MaxPooling2D(4)]), "not a keras.layers.Conv2D")
