"""Notebook 06's self-checks: each passes with the notebook's own solution, and fails with
CheckFailed and its hint on typical wrong answers and on the untouched stub (the student edition).

The solutions are read from the notebook itself (the code between ``### BEGIN SOLUTION`` and
``### END SOLUTION``); the student edition replaces that code by the course's stub.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils.checks import NOT_ATTEMPTED, CheckFailed, exercises, reset
from course_utils.checks import color as check
from tools.student import solution_lines

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
skimage_color = pytest.importorskip("skimage.color")
from keras import layers  # noqa: E402
from nbcells import run_exercise_cells  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06_color_cifar10.ipynb"
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)
# the lesson cells the exercises build on (no data needed), found by how they start
LESSON_CELLS = ("weights = skimage.color.rgb2gray", "def conv2d_one_channel", "card = np.zeros",
                "def conv_block", "def build_model", "def build_broken")


def _notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def _namespace(*, student: bool) -> dict:
    import skimage

    from course_utils.kernels import SOBEL_X

    ns = {"np": np, "keras": keras, "layers": layers, "tf": tf, "skimage": skimage, "SOBEL_X": SOBEL_X,
          "check": check}
    return run_exercise_cells(NOTEBOOK.name, student=student, namespace=ns, lesson=LESSON_CELLS)


@pytest.fixture(scope="module")
def nb():
    return _namespace(student=False)


@pytest.fixture(scope="module")
def nb_student():
    return _namespace(student=True)


@pytest.fixture(autouse=True)
def _fresh_attempts():
    reset()
    yield
    reset()


def _fails(call, *fragments, fresh=True):
    """The call misses with every fragment in its message; ``fresh`` starts from the first hint step."""
    if fresh:
        reset()
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


def test_every_exercise_is_covered():
    # if an exercise is added to the notebook, this test file must learn about it
    ids = [c.metadata["nbgrader"]["grade_id"] for c in _notebook().cells
           if c.metadata.get("nbgrader", {}).get("solution")]
    assert ids == ["ex06-which-weights", "ex06-same-gray", "ex06-model-mult-adds", "ex06-fix-model",
                   "ex06-design-budget"]
    assert [e.key for e in exercises("color")] == ["06-which-weights", "06-same-gray", "06-model-mult-adds",
                                                         "06-fix-model", "06-design-budget"]


def test_check_cells_call_the_checks_by_name_and_progress_is_last():
    cells = [c for c in _notebook().cells if c.cell_type == "code"]
    checks = [c.source.strip() for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks == ["check.which_weights()", "check.green_level()", "check.model_mult_adds()",
                      "check.build_fixed()", "check.design_model()"]
    assert cells[-1].source.startswith("check.progress()")


# --------------------------------------------------------------------------- 1. which weights (predict)


def test_which_weights(nb, nb_student, capsys):
    card, mystery = nb["card"], nb["mystery"]
    _passes(lambda: check.which_weights(nb["which_weights"], card, mystery), capsys)
    right = list(nb["which_weights"])
    # the truth is recomputed: the notebook's answer really names the weights behind each map
    for letter, fmap in zip(right, mystery):
        assert np.allclose(check.colour_filter_map(card, check.CANDIDATE_WEIGHTS[letter]), fmap)
    swapped = [right[1], right[0], right[2]]
    err = _fails(lambda: check.which_weights(tuple(swapped), card, mystery), "2 of 3 maps", "Hint 1 of 3",
                 "top strip")
    assert err.attempted
    # the sign error: b and d are each other's negative
    sign = ["d" if x == "b" else "b" if x == "d" else x for x in right]
    _fails(lambda: check.which_weights(tuple(sign), card, mystery), "1 of 3 maps", "Hint 2 of 3", "middle strip",
           fresh=False)  # the second miss shows the second hint step
    _fails(lambda: check.which_weights(("a", "b"), card, mystery), "give 3 letters")
    _fails(lambda: check.which_weights(("a", "b", "z"), card, mystery), "give 3 letters")
    assert "".join(right) != "abc"
    check.which_weights("".join(right), card, mystery)  # a string of letters is fine too
    assert nb_student["which_weights"] is None
    err = _fails(lambda: check.which_weights(nb_student["which_weights"], card, mystery), "still None")
    assert not err.attempted


def test_mystery_maps_are_three_distinct_candidates():
    card = np.random.default_rng(1).random((10, 12, 3))
    maps = check.mystery_maps(card)
    assert len(maps) == 3
    candidates = {k: check.colour_filter_map(card, w) for k, w in check.CANDIDATE_WEIGHTS.items()}
    found = [[k for k, m in candidates.items() if np.allclose(m, fmap)] for fmap in maps]
    assert all(len(f) == 1 for f in found) and len({f[0] for f in found}) == 3


def test_colour_filter_map_is_a_channel_sum_of_loops(nb):
    image = np.random.default_rng(2).random((7, 9, 3))
    weights = (0.5, -2.0, 1.5)
    by_loops = sum(nb["conv2d_one_channel"](image[:, :, c], nb["SOBEL_X"] * w) for c, w in enumerate(weights))
    assert np.allclose(check.colour_filter_map(image, weights), by_loops)


# --------------------------------------------------------------------------- 2. same gray (explain)


def test_green_level(nb, nb_student, capsys):
    _passes(lambda: check.green_level(nb["green_level"]), capsys)
    red = skimage_color.rgb2gray(np.array([[[1.0, 0.0, 0.0]]]))[0, 0]
    full_green = skimage_color.rgb2gray(np.array([[[0.0, 1.0, 0.0]]]))[0, 0]
    _fails(lambda: check.green_level(1.0), "brighter", "weighted sum")   # 'same intensity' is not 'same gray'
    # forgot to divide by the green weight
    _fails(lambda: check.green_level(float(red)), "darker", "Hint 2 of 2", fresh=False)
    _fails(lambda: check.green_level(float(full_green / red)), "outside [0, 1]")  # the ratio upside down
    _fails(lambda: check.green_level("half"), "one number")
    err = _fails(lambda: check.green_level(nb_student["green_level"]), "still None")
    assert not err.attempted


# --------------------------------------------------------------------------- 3. multiply-adds (quantify)


def test_keras_mult_adds_follows_the_formula_on_another_model():
    model = keras.Sequential([keras.Input((10, 12, 3)), layers.Conv2D(5, 3, strides=2),
                              layers.Conv2D(4, (1, 2), padding="same"), layers.Flatten(), layers.Dense(7)])
    counts = list(check.keras_mult_adds(model).values())
    assert counts == [4 * 5 * 5 * 3 * 3 * 3, 4 * 5 * 4 * 1 * 2 * 5, (4 * 5 * 4) * 7]


def test_model_mult_adds(nb, nb_student, capsys):
    model = nb["model"]
    _passes(lambda: check.model_mult_adds(nb["model_mult_adds"], model), capsys)
    convs_only = 32 * 32 * 32 * 27 + 16 * 16 * 64 * 288 + 8 * 8 * 128 * 576
    same_size_everywhere = 32 * 32 * (32 * 27 + 64 * 288 + 128 * 576) + 2048 * 128 + 1280  # forgot the pooling
    _fails(lambda: check.model_mult_adds(convs_only, model), "convolutions only", "pooling before it")
    _fails(lambda: check.model_mult_adds(same_size_everywhere, model), "too large")
    _fails(lambda: check.model_mult_adds(nb["model_mult_adds"] - 1280, model), "too small")
    err = _fails(lambda: check.model_mult_adds(nb_student["model_mult_adds"], model), "still None")
    assert not err.attempted


# --------------------------------------------------------------------------- 4. fix the model (debug)


def _variant(*, rescale: bool, softmax: bool, from_logits: bool, loss: str = "sparse"):
    def build():
        stack = [keras.Input(shape=(32, 32, 3))]
        stack += [layers.Rescaling(1 / 255)] if rescale else []
        stack += [layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                  layers.Dense(10, activation="softmax" if softmax else None)]
        model = keras.Sequential(stack)
        if loss == "sparse":
            loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
        else:
            loss_fn = keras.losses.CategoricalCrossentropy(from_logits=from_logits)
        model.compile(optimizer="adam", loss=loss_fn)
        return model

    return build


def test_build_fixed(nb, nb_student, capsys):
    _passes(lambda: check.build_fixed(nb["build_fixed"]), capsys)
    # the other correct fix: keep softmax, tell the loss it gets probabilities
    _passes(lambda: check.build_fixed(_variant(rescale=True, softmax=True, from_logits=False)), capsys)
    _fails(lambda: check.build_fixed(nb["build_broken"]), "up to 255", "what did section 4's model do")
    _fails(lambda: check.build_fixed(_variant(rescale=True, softmax=True, from_logits=True)),
           "outputs probabilities", "applies it again")
    _fails(lambda: check.build_fixed(_variant(rescale=True, softmax=False, from_logits=False)), "raw scores")
    _fails(lambda: check.build_fixed(_variant(rescale=True, softmax=False, from_logits=True, loss="dense")),
           "not one-hot")

    def uncompiled():
        return keras.Sequential([keras.Input((32, 32, 3)), layers.Rescaling(1 / 255), layers.Conv2D(4, 3),
                                 layers.Flatten(), layers.Dense(10)])

    def crashes():
        raise ValueError("a typo")

    _fails(lambda: check.build_fixed(uncompiled), "not compiled")
    _fails(lambda: check.build_fixed(crashes), "raised ValueError")
    err = _fails(lambda: check.build_fixed(nb_student["build_fixed"]), "returned None")
    assert not err.attempted


# --------------------------------------------------------------------------- 5. design to a budget


def _stack(convs, dense, flatten=True):
    def build():
        stack = [keras.Input(shape=(32, 32, 3))]
        for filters in convs:
            stack += [layers.Conv2D(filters, 3, padding="same", activation="relu"), layers.MaxPooling2D()]
        stack += [layers.Flatten()] if flatten else [layers.GlobalAveragePooling2D()]
        stack += [layers.Dense(dense, activation="relu"), layers.Dense(10)]
        return keras.Sequential(stack)

    return build


def test_design_model(nb, nb_student, capsys):
    _passes(lambda: check.design_model(nb["design_model"]), capsys)
    _passes(lambda: check.design_model(_stack((8, 16, 32), 32)), capsys)  # another valid design
    _fails(lambda: check.design_model(nb["make_model"]), "Flatten receives 2,048", "Hint 1 of 2")
    _fails(lambda: check.design_model(_stack((16, 32, 32), 256)), "over the budget", "where do the parameters")
    _fails(lambda: check.design_model(_stack((16, 32), 64)), "2 Conv2D layers")
    _fails(lambda: check.design_model(_stack((16, 32, 32), 64, flatten=False)), "0 Flatten layers")
    _fails(lambda: check.design_model(lambda: keras.Sequential([keras.Input((28, 28, 3)), layers.Flatten(),
                                                                 layers.Dense(10)])), "input of shape")
    err = _fails(lambda: check.design_model(nb_student["design_model"]), "returned None")
    assert not err.attempted


def test_design_statement_names_the_checks_spec():
    cells = _notebook().cells
    i = next(k for k, c in enumerate(cells) if "### BEGIN SOLUTION" in c.source and "def design_model" in c.source)
    statement = next(cells[k].source for k in range(i - 1, -1, -1) if cells[k].cell_type == "markdown")
    assert f"exactly {check.DESIGN_FLATTEN:,} values" in statement
    assert f"at most {check.DESIGN_BUDGET:,} parameters" in statement
    assert f"at least {check.DESIGN_MIN_CONVS} `Conv2D` layers" in statement


# --------------------------------------------------------------------------- the notebook's check cells


def test_check_cells_look_up_the_answers_and_progress_counts(nb, nb_student, capsys):
    """`check.x()` with no argument reads the answer from the notebook's namespace (as the check cell does)."""
    checks = ["check.which_weights()", "check.green_level()", "check.model_mult_adds()", "check.build_fixed()",
              "check.design_model()"]
    for call in checks:
        exec(call, nb)  # noqa: S102
    out = capsys.readouterr().out
    assert out.count("✅") == len(checks), out
    check.progress()
    assert f"{len(checks)} of {len(checks)} pass" in capsys.readouterr().out
    reset()
    for call in checks:  # the student edition: every check says "not attempted", none raises anything else
        with pytest.raises(CheckFailed) as info:
            exec(call, nb_student)  # noqa: S102
        assert not info.value.attempted
    with pytest.raises(CheckFailed, match="does not exist yet"):  # a check run before its exercise cell
        exec("check.green_level()", {"check": check})  # noqa: S102
    check.progress()
    assert f"0 of {len(checks)} pass" in capsys.readouterr().out


def test_not_attempted_message_is_the_course_one_for_a_missing_name():
    with pytest.raises(CheckFailed) as info:
        exec("check.design_model()", {"check": check})  # noqa: S102
    assert "design_model" in str(info.value) and not info.value.attempted
    assert NOT_ATTEMPTED  # the shared wording exists


def test_no_hint_contains_solution_code():
    """No line of any solution appears in a string of the checks module (hints, problems)."""
    tree = ast.parse((ROOT / "course_utils" / "checks" / "color.py").read_text(encoding="utf-8"))
    strings = " ".join(node.value for node in ast.walk(tree)
                       if isinstance(node, ast.Constant) and isinstance(node.value, str))
    lines = [line.split("#")[0].strip() for c in _notebook().cells for line in solution_lines(c.source)]
    lines = [line for line in lines if len(line) >= 8 and re.search(r"[A-Za-z0-9]", line)]
    assert lines
    for line in lines:
        assert line not in strings, f"solution line {line!r} appears in a hint or message of checks/color.py"
