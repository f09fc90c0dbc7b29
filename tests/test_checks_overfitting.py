"""Notebook 07's self-checks: each passes the notebook's own solution (read from the notebook), and fails
a wrong answer or the untouched student stub with its hint.  Plus the figure helpers' bad-input errors."""

from __future__ import annotations

import re
from pathlib import Path

import keras
import matplotlib
import nbformat
import numpy as np
import pytest

matplotlib.use("Agg")

from nbcells import run_exercise_cells  # noqa: E402

from course_utils import checks  # noqa: E402
from course_utils.checks import NOT_ATTEMPTED, CheckFailed  # noqa: E402
from course_utils.checks import overfitting as check  # noqa: E402
from course_utils.errors import CourseError, CourseValueError  # noqa: E402
from course_utils.regularization_plots import multiply_adds, plot_bars  # noqa: E402
from tools.student import solution_lines  # noqa: E402

layers = keras.layers
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "07_overfitting_dropout_augmentation.ipynb"
NOT_YET = "Not attempted yet"


def _exercise_cells():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def _namespace(student: bool) -> dict:
    """Run every exercise cell of notebook 07 in a fresh namespace (as the student edition has them, if asked)."""
    return run_exercise_cells(NOTEBOOK.name, student=student, namespace={"np": np, "keras": keras, "layers": layers})


@pytest.fixture(scope="module")
def solution():
    return _namespace(student=False)


@pytest.fixture(scope="module")
def stub():
    return _namespace(student=True)


@pytest.fixture(autouse=True)
def _fresh_hints():
    checks.reset()


def test_every_exercise_is_covered():
    ids = [c.metadata["nbgrader"]["grade_id"] for c in _exercise_cells()]
    assert ids == ["ex-dropout-why", "ex-deeper-prediction", "ex-dropout-forward", "ex-dropout-placement",
                   "ex-augmenter", "ex-debug-evaluation", "ex-augment-variants"]
    assert len(checks.exercises("overfitting")) == len(ids)


def not_attempted(*args, **kwargs):
    raise NotImplementedError()


def assert_fails(check_fn, answer, *hint_parts):
    with pytest.raises(CheckFailed) as info:
        check_fn(answer)
    for part in hint_parts:
        assert part in str(info.value), f"{part!r} not in {str(info.value)!r}"
    return str(info.value)


def assert_passes(check_fn, answer, capsys):
    check_fn(answer)
    assert "✅" in capsys.readouterr().out


# --------------------------------------------------------------------------- dropout by hand


def test_dropout_reference_cases_are_keras_outputs():
    """The cases come from Keras: the formula the notebook teaches must reproduce them."""
    cases, outputs = check._keras_dropout_cases()
    for (x, keep, rate), out in zip(cases, outputs):
        np.testing.assert_allclose(np.where(keep, x / (1 - rate), 0.0), out, rtol=1e-6)
        if rate > 0 and x.size >= 100:  # a large case really drops about `rate` of the units
            assert abs((~keep).mean() - rate) < 0.1


def test_dropout_forward_passes_the_notebook_solution(solution, capsys):
    assert_passes(check.dropout_forward, solution["dropout_forward"], capsys)


def test_dropout_forward_stub_is_not_attempted(stub):
    assert_fails(check.dropout_forward, stub["dropout_forward"], NOT_YET)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, keep, rate: x * keep, "did not rescale"),
    (lambda x, keep, rate: x * keep * (1 - rate), "scaled the wrong way"),
    (lambda x, keep, rate: x * ~keep / (1 - rate), "SURVIVE"),
    (lambda x, keep, rate: x * keep / max(rate, 1e-9), "fraction KEPT"),
    (lambda x, keep, rate: x, "Hint"),
    (lambda x, keep, rate: 1 / 0, "ZeroDivisionError"),
    (not_attempted, NOT_ATTEMPTED),
    (None, "should be a function"),
    (lambda x, keep, rate: None, NOT_YET),
])
def test_dropout_forward_fails_wrong(wrong, hint):
    assert_fails(check.dropout_forward, wrong, hint)


# --------------------------------------------------------------------------- where dropout goes


def _cnn(rate, where="classifier"):
    stack = [keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D()]
    if where == "features":
        stack.append(layers.Dropout(rate))
    stack.append(layers.Flatten())
    if where == "classifier":
        stack.append(layers.Dropout(rate))
    stack.append(layers.Dense(10, activation="softmax"))
    if where == "after-output":
        stack.append(layers.Dropout(rate))
    return keras.Sequential(stack)


def test_dropout_placement_passes_correct(capsys):
    assert_passes(check.build_dropout_cnn, lambda rate: _cnn(rate), capsys)


def test_dropout_placement_passes_the_notebook_solution(solution, capsys):
    assert_passes(check.build_dropout_cnn, solution["build_dropout_cnn"], capsys)


def test_dropout_placement_stub_is_not_attempted(stub):
    assert_fails(check.build_dropout_cnn, stub["build_dropout_cnn"], NOT_YET)


@pytest.mark.parametrize("wrong, hint", [
    (lambda rate: _cnn(rate, where="features"), "before Flatten"),
    (lambda rate: _cnn(rate, where="after-output"), "must end with the output Dense"),
    (lambda rate: _cnn(rate, where="none"), "no Dropout"),
    (lambda rate: _cnn(0.5), "use the `rate` argument"),
    (lambda rate: keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), layers.Dropout(rate),
                                    layers.Dense(10, activation="softmax")]), "no Conv2D"),
    (lambda rate: keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(),
                                    layers.Dropout(rate), layers.Dense(3, activation="softmax")]), "(2, 10)"),
    (lambda rate: keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(),
                                    layers.Dropout(rate), layers.Dense(10)]), "do not sum to 1"),
    (lambda rate: "model", "return the keras model"),
    (not_attempted, NOT_ATTEMPTED),
])
def test_dropout_placement_fails_wrong(wrong, hint):
    assert_fails(check.build_dropout_cnn, wrong, hint)


# --------------------------------------------------------------------------- augmentation pipeline


def _augmenter(*extra, flip="horizontal", rotation=0.05, translate=0.1):
    stack = [layers.RandomFlip(flip, seed=1)] if flip else []
    if rotation:
        stack.append(layers.RandomRotation(rotation, seed=2))
    stack.append(layers.RandomZoom(0.1, seed=3))
    if translate:
        stack.append(layers.RandomTranslation(translate, translate, seed=4))
    return keras.Sequential(stack + list(extra))


def test_augmentation_passes_correct(capsys):
    assert_passes(check.make_augmenter, _augmenter, capsys)


def test_augmentation_passes_the_notebook_solution(solution, capsys):
    assert_passes(check.make_augmenter, solution["make_augmenter"], capsys)


def test_augmentation_stub_is_not_attempted(stub):
    assert_fails(check.make_augmenter, stub["make_augmenter"], NOT_YET)


class _AlwaysNoise(layers.Layer):
    """Adds noise even at inference: the mistake of augmenting outside the Random... layers."""

    def call(self, x, training=None):
        return x + 0.1


@pytest.mark.parametrize("wrong, hint", [
    (lambda: _augmenter(flip="horizontal_and_vertical"), "upside down"),
    (lambda: _augmenter(rotation=0.5), "upside down"),
    (lambda: _augmenter(flip=None), "left-heavy"),
    (lambda: _augmenter(translate=0), "never moved"),
    (lambda: _augmenter(rotation=0), "never tilted"),
    (lambda: _augmenter(_AlwaysNoise()), "inference mode"),
    (lambda: _augmenter(layers.RandomCrop(20, 20)), "shape"),
    (lambda: _augmenter(layers.RandomContrast(0.9, seed=5)), "[0, 1]"),
    (lambda: keras.Sequential([layers.Identity()]), "changed"),
    (lambda: 42, "return the pipeline"),
    (not_attempted, NOT_ATTEMPTED),
])
def test_augmentation_fails_wrong(wrong, hint):
    assert_fails(check.make_augmenter, wrong, hint)


# --------------------------------------------------------------------------- predict: the deeper CNN


def test_deeper_pair_differs_in_depth_only():
    """The reference networks: same filters, padding and head; twice the convolutions."""
    base, deeper = check._cnn_pair()
    def convs(m):
        return [(layer.filters, layer.padding) for layer in m.layers if isinstance(layer, layers.Conv2D)]

    def dense(m):
        return [layer.units for layer in m.layers if isinstance(layer, layers.Dense)]

    assert convs(deeper) == [c for c in convs(base) for _ in range(2)]
    assert dense(deeper) == dense(base)


def test_multiply_adds_counts_a_known_layer():
    model = keras.Sequential([keras.Input(shape=(6, 6, 2)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(5)])
    assert multiply_adds(model) == 4 * 4 * 4 * 3 * 3 * 2 + 4 * 4 * 4 * 5
    with pytest.raises(CourseValueError, match="built Keras model"):
        multiply_adds("model")


def test_deeper_prediction_passes_the_notebook_solution(solution, capsys):
    assert_passes(check.deeper_prediction, solution["deeper_prediction"], capsys)


def test_deeper_prediction_stub_is_not_attempted(stub):
    assert_fails(check.deeper_prediction, stub["deeper_prediction"], NOT_YET)


@pytest.mark.parametrize("wrong, hint", [
    ({"parameters": "more", "multiply_adds": "more"}, "1 of your 2 predictions"),
    ({"parameters": "fewer", "multiply_adds": "fewer"}, "1 of your 2 predictions"),
    ({"parameters": "more", "multiply_adds": "fewer"}, "2 of your 2 predictions"),
    ({"parameters": "lots", "multiply_adds": "more"}, "'more' or 'fewer'"),
    ({"parameters": "more"}, "keys"),
    (None, NOT_YET),
])
def test_deeper_prediction_fails_wrong(solution, wrong, hint):
    message = assert_fails(check.deeper_prediction, wrong, hint)
    right = solution["deeper_prediction"]
    assert f"'{right['parameters']}'" not in message.split("Hint")[0] or "'more' or 'fewer'" in message


# --------------------------------------------------------------------------- explain: fit's training accuracy


@pytest.fixture(scope="module")
def dropout_setup():
    """A model whose class is the larger of two inputs, behind Dropout(0.9): exact in inference mode."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(400, 2)).astype("float32")
    y = np.argmax(x, axis=1)
    y_val = np.where(np.arange(400) % 5 == 0, 1 - y, y)   # 80 % right: the validation set is not easier
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Dropout(0.9, seed=1),
                              layers.Dense(2, activation="softmax")])
    model.layers[-1].set_weights([np.eye(2, dtype="float32") * 5, np.zeros(2, "float32")])
    return model, x, y, x, y_val


def test_dropout_why_options_are_measured(dropout_setup):
    options, why = check.dropout_why_options(*dropout_setup)
    assert options == {"a": True, "b": False, "c": False}
    assert "inference mode" in why


def test_accuracy_in_batches_equals_one_call_over_all_images(dropout_setup):
    # the checks measure in batches (memory); the figure must be the one a single call gives
    model, x, y, _, y_val = dropout_setup
    whole = float(np.mean(np.argmax(keras.ops.convert_to_numpy(model(x, training=False)), axis=-1) == y_val))
    assert check._accuracy(model, x, y_val, training=False, batch_size=64) == whole   # 400 = 6 x 64 + 16
    assert check._accuracy(model, x, y_val, training=False, batch_size=1_000) == whole
    assert whole == pytest.approx(0.8)


def test_dropout_why_passes_the_notebook_solution(solution, dropout_setup, capsys):
    check.dropout_why(solution["dropout_why"], *dropout_setup)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [("b", "not right"), ("c", "not right"), ("z", "not one of the options"),
                                         (None, NOT_YET)])
def test_dropout_why_fails_wrong(dropout_setup, wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        check.dropout_why(wrong, *dropout_setup)


def test_dropout_why_stub_is_not_attempted(stub, dropout_setup):
    with pytest.raises(CheckFailed, match=NOT_YET):
        check.dropout_why(stub["dropout_why"], *dropout_setup)


def test_dropout_why_refuses_a_model_without_the_effect(dropout_setup):
    """If the measurement does not single out one option, that is the check's bug, not the student's miss."""
    _, x, y, x_val, y_val = dropout_setup
    plain = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(2, activation="softmax")])
    plain.layers[-1].set_weights([np.eye(2, dtype="float32") * 5, np.zeros(2, "float32")])
    with pytest.raises(CourseError, match="expected one"):
        check.dropout_why("a", plain, x, y, x_val, y_val)


# --------------------------------------------------------------------------- debug: an evaluation


def _buggy(model, x, y, augment):  # the cell the notebook gives
    x = augment(x, training=True)
    probs = model(x, training=True)
    return float(np.mean(np.argmax(probs, axis=-1) == y))


def test_debug_evaluation_passes_the_notebook_solution(solution, capsys):
    assert_passes(check.accuracy_of, solution["accuracy_of"], capsys)


def test_debug_evaluation_stub_is_not_attempted(stub):
    assert_fails(check.accuracy_of, stub["accuracy_of"], NOT_YET)


@pytest.mark.parametrize("wrong, hint", [
    (_buggy, "different accuracies"),
    (lambda m, x, y, a: float(np.mean(np.argmax(m(x, training=True), axis=-1) == y)), "different accuracies"),
    (lambda m, x, y, a: float(np.mean(np.argmax(m(a(x, training=True), training=False), axis=-1) == y)),
     "different accuracies"),
    (lambda m, x, y, a: float(np.mean(np.argmax(m(x, training=False), axis=-1) != y)), "not the accuracy"),
    (lambda m, x, y, a: "high", "one number"),
])
def test_debug_evaluation_fails_wrong(wrong, hint):
    assert_fails(check.accuracy_of, wrong, hint)


def test_debug_cases_catch_a_deterministic_augmentation():
    """An augmentation left on but drawing the same shift every call must still give a wrong accuracy."""
    for model, x, y, _augment in check._debug_cases():
        inference = check._accuracy(model, x, y, training=False)
        mirrored = check._accuracy(model, x[:, :, ::-1], y, training=False)
        assert 0 < inference < 1 and abs(mirrored - inference) > 1e-6


# --------------------------------------------------------------------------- quantify: distinct augmented images


def test_count_variants_enumerates():
    assert check.count_variants(0) == 2       # the image and its mirror image
    assert check.count_variants(2) > check.count_variants(1)


def test_augment_variants_passes_the_notebook_solution(solution, capsys):
    assert_passes(check.n_variants, solution["n_variants"], capsys)


def test_augment_variants_stub_is_not_attempted(stub):
    assert_fails(check.n_variants, stub["n_variants"], NOT_YET)


@pytest.mark.parametrize("wrong", [
    lambda s: (2 * s + 1) ** 2,           # forgot the mirror
    lambda s: 2 * (2 * s + 1),            # one shift axis only
    lambda s: 2 * (s + 1) ** 2,           # shifts in one direction only
    lambda s: 2 * (2 * s) ** 2,           # forgot the shift of 0
])
def test_augment_variants_fails_wrong(wrong):
    assert_fails(check.n_variants, wrong, "Hint")


def test_hints_come_in_steps():
    first = assert_fails(check.n_variants, lambda s: (2 * s + 1) ** 2, "Hint 1 of 3")
    second = assert_fails(check.n_variants, lambda s: 2 * (s + 1) ** 2, "Hint 2 of 3")
    assert first.split("Hint")[1] != second.split("Hint")[1]


def test_no_hint_contains_a_solution_line(dropout_setup):
    """Every hint step of every exercise (collected from real misses) is free of the solution's code."""
    misses = [
        lambda: check.dropout_forward(lambda x, keep, rate: x * keep),
        lambda: check.dropout_forward(lambda x, keep, rate: x),
        lambda: check.deeper_prediction({"parameters": "more", "multiply_adds": "more"}),
        lambda: check.dropout_why("b", *dropout_setup),
        lambda: check.build_dropout_cnn(lambda rate: _cnn(rate, where="features")),
        lambda: check.make_augmenter(lambda: _augmenter(flip="horizontal_and_vertical")),
        lambda: check.make_augmenter(lambda: _augmenter(_AlwaysNoise())),
        lambda: check.accuracy_of(_buggy),
        lambda: check.n_variants(lambda s: (2 * s + 1) ** 2),
    ]
    hints = []
    for miss in misses:
        with pytest.raises(CheckFailed) as info:
            miss()
        hints += info.value.hints
    assert len(hints) >= len(misses)
    lines = {line.split("#")[0].strip() for c in _exercise_cells() for line in solution_lines(c.source)}
    lines = {line for line in lines if len(line) >= 8}
    assert lines
    for hint in hints:
        for line in lines:
            assert line not in hint, (line, hint)


# --------------------------------------------------------------------------- figure helpers


def test_plot_bars_one_panel_per_quantity():
    fig = plot_bars(["base", "deeper"], {"seconds per epoch": [1.0, 2.0], "test accuracy": [0.8, 0.9]})
    assert [ax.get_ylabel() for ax in fig.axes] == ["seconds per epoch", "test accuracy"]
    assert all(len(ax.patches) == 2 for ax in fig.axes)


@pytest.mark.parametrize("names, panels, message", [
    ([], {"x": []}, "at least one model"),
    (["a"], {}, "non-empty dict"),
    (["a", "b"], {"x": [1.0]}, "one value per model"),
])
def test_plot_bars_bad_input(names, panels, message):
    with pytest.raises(CourseValueError, match=message):
        plot_bars(names, panels)
