"""Self-checks of notebook 05 (LeNet-5): each passes with the notebook's own solution, and fails with its
hint on typical wrong answers and with the 'not attempted' message on the untouched student stub.

The solutions are read from the notebook itself (the code between ``### BEGIN SOLUTION`` and
``### END SOLUTION``, run by tests/nbcells.py); the student edition is nbgrader's (``# YOUR CODE HERE`` + ``pass``).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from conftest import assert_fails, assert_not_attempted  # noqa: E402
from nbcells import exercise_sources, read_notebook, run_exercise_cells  # noqa: E402

from course_utils import checks  # noqa: E402
from course_utils.checks import lenet  # noqa: E402
from tools.student import solution_lines  # noqa: E402

NOTEBOOK = "05_lenet5.ipynb"
EXERCISES = ["ex-c3-mult-adds", "ex-layer-params", "ex-epochs-run", "ex-debug-callbacks", "ex-why-sigmoid"]


def _namespace(*, student: bool) -> dict:
    return run_exercise_cells(NOTEBOOK, student=student, namespace={"np": np, "keras": keras})


@pytest.fixture(scope="module")
def nb():
    return _namespace(student=False)


@pytest.fixture(scope="module")
def stub():
    return _namespace(student=True)


def _solution_lines() -> list[str]:
    lines = [line.strip() for src in exercise_sources(NOTEBOOK) for line in solution_lines(src)]
    return [line for line in lines if len(line) > 12]  # a bare ")" or "]," is not code worth hiding


SOLUTION_LINES = _solution_lines()


# The check misses with these fragments in its message, and none of its hints holds a solution line.
_fails = functools.partial(assert_fails, solution_lines=SOLUTION_LINES)
# The untouched stub: the one-line 'not attempted' message, no hint, no miss counted.
_not_attempted = assert_not_attempted


def test_every_exercise_is_covered_and_registered():
    nb = read_notebook(NOTEBOOK)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert ids == EXERCISES
    keys = [e.key for e in checks.exercises("lenet")]
    assert keys == ["05-c3-mult-adds", "05-layer-params", "05-epochs-run", "05-debug-callbacks", "05-why-sigmoid"]
    # every check cell calls its check with no argument, and the notebook ends with the progress line
    calls = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all(re.fullmatch(r"check\.\w+\(\)", s.strip()) for s in calls), calls
    last_code = [c.source for c in nb.cells if c.cell_type == "code"][-1]
    assert last_code.strip() == "check.progress()"


def test_layer_params(nb, stub, capsys):
    lenet.layer_params(nb["layer_params"])
    assert "✅" in capsys.readouterr().out
    right = dict(nb["layer_params"])
    big_flatten = {**right, "fc1": (28 * 28 * 16 + 1) * 120}  # forgot that the maps shrink
    _fails(lambda: lenet.layer_params(big_flatten), "['fc1']", "Hint 1 of 3")
    no_channels = {**right, "conv2": (5 * 5 + 1) * 16}  # conv2's filters read one map only
    _fails(lambda: lenet.layer_params(no_channels), "['conv2']", "Hint 2 of 3")  # the second miss: step 2
    no_bias = {k: v - {"conv1": 6, "conv2": 16, "fc1": 120, "fc2": 84, "output": 10}[k] for k, v in right.items()}
    _fails(lambda: lenet.layer_params(no_bias), "0 of 5 layers")
    _fails(lambda: lenet.layer_params({"conv1": 1}), "exactly the keys")
    assert stub["layer_params"] == {k: None for k in lenet.LENET_LAYERS}
    _not_attempted(lambda: lenet.layer_params(stub["layer_params"]))


def test_layer_params_reference_is_keras():
    model = lenet._keras_lenet()
    assert sum(model.get_layer(n).count_params() for n in lenet.LENET_LAYERS) == model.count_params()


def test_c3_mult_adds(nb, stub, capsys):
    lenet.c3_mult_adds(nb["c3_mult_adds_keras"], nb["c3_mult_adds_1998"])
    assert "✅" in capsys.readouterr().out
    keras_count, paper_count = nb["c3_mult_adds_keras"], nb["c3_mult_adds_1998"]
    one_position = keras_count // 100  # forgot that the kernel visits every output position
    _fails(lambda: lenet.c3_mult_adds(one_position, paper_count), "c3_mult_adds_keras", "Hint")
    input_positions = keras_count // 100 * 14 * 14  # counted input positions, not output ones
    _fails(lambda: lenet.c3_mult_adds(input_positions, paper_count), "c3_mult_adds_keras")
    _fails(lambda: lenet.c3_mult_adds(keras_count, keras_count), "c3_mult_adds_1998")  # ignored the table
    _not_attempted(lambda: lenet.c3_mult_adds(stub["c3_mult_adds_keras"], stub["c3_mult_adds_1998"]))


def test_c3_table_is_the_papers():
    sizes = [len(t) for t in lenet.C3_TABLE]
    assert sizes == [3] * 6 + [4] * 9 + [6]
    assert all(len(set(t)) == len(t) and set(t) <= set(range(6)) for t in lenet.C3_TABLE)
    assert 25 * sum(sizes) + 16 == 1516  # the paper's trainable parameters for C3


def test_epochs_run(nb, stub, capsys):
    lenet.epochs_run(nb["epochs_run"])
    assert "✅" in capsys.readouterr().out
    _fails(lambda: lenet.epochs_run(lambda b, p, m: min(b + p - 1, m)), "epochs_run", "Hint 1 of 3")
    _fails(lambda: lenet.epochs_run(lambda b, p, m: b + p), "epochs_run", "Hint 2 of 3")  # ignores the maximum
    _fails(lambda: lenet.epochs_run(lambda b, p, m: m), "epochs_run")  # early stopping never stops
    _not_attempted(lambda: lenet.epochs_run(stub["epochs_run"]))


def test_epochs_run_reference_is_what_fit_does():
    # the scripted reference agrees with a real fit whose val_loss is lowest at epoch 2
    class Script(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = [3.0, 1.0, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9][epoch]

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((4, 1), "float32")
    h = model.fit(x, x, validation_data=(x, x), epochs=8, verbose=0,
                  callbacks=[Script(), keras.callbacks.EarlyStopping(monitor="val_loss", patience=3)])
    assert len(h.history["loss"]) == lenet._keras_epochs_run(2, 3, 8)


def _variant(nb, **changes):
    """The notebook's fixed callbacks with one thing broken again."""

    def make(checkpoint_dir):
        stop = dict(monitor="val_accuracy", mode="max", patience=3, restore_best_weights=True)
        save = dict(monitor="val_accuracy", mode="max", save_best_only=True)
        stop.update(changes.get("stop", {}))
        save.update(changes.get("save", {}))
        name = changes.get("name", "best.keras")
        return [keras.callbacks.EarlyStopping(**stop),
                keras.callbacks.ModelCheckpoint(Path(checkpoint_dir) / name, **save)]

    return make


def test_debug_callbacks(nb, stub, capsys):
    lenet.training_callbacks(nb["training_callbacks"])
    assert "✅" in capsys.readouterr().out
    _fails(lambda: lenet.training_callbacks(_variant(nb, name="best")), "file name")  # no .keras
    _fails(lambda: lenet.training_callbacks(_variant(nb, stop={"mode": "min"})), "stopped after epoch")
    _fails(lambda: lenet.training_callbacks(_variant(nb, stop={"restore_best_weights": False})), "holds the weights")
    _fails(lambda: lenet.training_callbacks(_variant(nb, save={"mode": "min"})), "checkpoint holds epoch")
    _fails(lambda: lenet.training_callbacks(_variant(nb, stop={"patience": 5})), "patience of 3")
    _not_attempted(lambda: lenet.training_callbacks(stub["training_callbacks"]))


def test_debug_callbacks_accepts_mode_auto(capsys):
    lenet.training_callbacks(_variant(None, stop={"mode": "auto"}, save={"mode": "auto"}))
    assert "✅" in capsys.readouterr().out


def test_the_broken_cell_of_the_notebook_fails_the_check():
    nb = read_notebook(NOTEBOOK)
    statement = next(c.source for c in nb.cells if c.cell_type == "markdown" and "def training_callbacks" in c.source)
    broken = re.search(r"```python\n(.*?)```", statement, re.S).group(1)
    ns = {"keras": keras, "np": np}
    exec(broken, ns)  # noqa: S102
    _fails(lambda: lenet.training_callbacks(ns["training_callbacks"]), "file name")


def test_why_sigmoid(nb, stub, capsys):
    lenet.why_sigmoid(nb["why_sigmoid"])
    assert "✅" in capsys.readouterr().out
    options, ratio, slope = lenet._sigmoid_options()
    assert options["a"] and ratio < 0.1 and slope == pytest.approx(0.25, abs=1e-3)
    for wrong in [k for k, v in options.items() if not v][:2]:
        _fails(lambda wrong=wrong: lenet.why_sigmoid(wrong), "not right", "Hint")
    _fails(lambda: lenet.why_sigmoid("z"), "not one of the options")
    _not_attempted(lambda: lenet.why_sigmoid(stub["why_sigmoid"]))


def test_checks_without_arguments_say_not_attempted_when_the_name_is_missing():
    for check in (lenet.layer_params, lenet.c3_mult_adds, lenet.epochs_run, lenet.training_callbacks,
                  lenet.why_sigmoid):
        _fails(check, "does not exist yet")


def test_the_notebooks_c3_table_is_the_checks():
    import ast

    nb = read_notebook(NOTEBOOK)
    src = next(c.source for c in nb.cells if c.cell_type == "code" and "C3_TABLE = [" in c.source)
    table = ast.literal_eval(re.search(r"C3_TABLE = (\[.*?\])", src, re.S).group(1))
    assert [tuple(int(ch) for ch in reads) for reads in table] == list(lenet.C3_TABLE)
