"""Self-checks of notebooks 04 and 05: each passes with the notebook's own solution, and fails with its
hint on a wrong answer and with the 'not attempted' message on the student edition's NotImplementedError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("keras")

from course_utils.checks import NOT_ATTEMPTED, CheckFailed  # noqa: E402
from course_utils.checks import dnn_cnn, lenet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def solution(notebook: str, name: str):
    """Run the solution cell that defines ``name`` in the notebook, so the test follows the notebook."""
    nb = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "code" and "### BEGIN SOLUTION" in src and f"def {name}(" in src:
            import keras

            namespace = {"np": np, "keras": keras}
            exec(src, namespace)  # noqa: S102 - our own notebook
            return namespace[name]
    raise AssertionError(f"no solution cell defines {name} in {notebook}")


def not_attempted(*args, **kwargs):
    raise NotImplementedError()


def assert_fails(check, answer, *fragments):
    with pytest.raises(CheckFailed) as info:
        check(answer)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


# --------------------------------------------------------------------------- notebook 04


def test_conv2d_params(capsys):
    dnn_cnn.conv2d_params(solution("04_dnn_vs_cnn.ipynb", "conv2d_params"))
    assert "✅" in capsys.readouterr().out
    assert_fails(dnn_cnn.conv2d_params, lambda k, c, f: k * k * c * f, "plus one bias")  # forgot the biases
    assert_fails(dnn_cnn.conv2d_params, lambda k, c, f: (k * k + 1) * f, "input channel")  # forgot channels
    assert_fails(dnn_cnn.conv2d_params, not_attempted, NOT_ATTEMPTED)


def test_flatten_length(capsys):
    dnn_cnn.flatten_length(solution("04_dnn_vs_cnn.ipynb", "flatten_length"))
    assert "✅" in capsys.readouterr().out
    rounded_up = lambda n: int(np.ceil((np.ceil((n - 2) / 2) - 2) / 2)) ** 2 * 64  # noqa: E731
    assert_fails(dnn_cnn.flatten_length, rounded_up, "rounding DOWN")
    assert_fails(dnn_cnn.flatten_length, lambda n: ((n - 2) // 2 - 2) // 2, "number of filters")  # side only
    assert_fails(dnn_cnn.flatten_length, not_attempted, NOT_ATTEMPTED)


def test_shift_images(capsys):
    dnn_cnn.shift_images(solution("04_dnn_vs_cnn.ipynb", "shift_images"))
    assert "✅" in capsys.readouterr().out
    wrapping = lambda im, dx, dy: np.roll(im, (dy, dx), axis=(1, 2))  # noqa: E731 - forgets the zeros
    assert_fails(dnn_cnn.shift_images, wrapping, "np.roll wraps")
    swapped = lambda im, dx, dy: dnn_cnn._reference_shift(im, dy, dx)  # noqa: E731 - x and y mixed up
    assert_fails(dnn_cnn.shift_images, swapped, "positive dx moves the content right")
    assert_fails(dnn_cnn.shift_images, not_attempted, NOT_ATTEMPTED)


def test_confusion_matrix(capsys):
    dnn_cnn.confusion_matrix(solution("04_dnn_vs_cnn.ipynb", "confusion_matrix"))
    assert "✅" in capsys.readouterr().out

    def transposed(t, p, n):
        m = np.zeros((n, n), int)
        np.add.at(m, (p, t), 1)
        return m

    assert_fails(dnn_cnn.confusion_matrix, transposed, "rows = true class")
    too_small = lambda t, p, n: transposed(p, t, max(max(t), max(p)) + 1)  # noqa: E731 - ignores n_classes
    assert_fails(dnn_cnn.confusion_matrix, too_small, "shape")
    assert_fails(dnn_cnn.confusion_matrix, not_attempted, NOT_ATTEMPTED)


# --------------------------------------------------------------------------- notebook 05


def test_same_padding(capsys):
    lenet.same_padding(solution("05_lenet5.ipynb", "same_padding"))
    assert "✅" in capsys.readouterr().out
    assert_fails(lenet.same_padding, lambda k: k - 1, "half of them")
    assert_fails(lenet.same_padding, not_attempted, NOT_ATTEMPTED)


def test_lenet_params(capsys):
    lenet.lenet_params(solution("05_lenet5.ipynb", "lenet_params"))
    assert "✅" in capsys.readouterr().out
    right = solution("05_lenet5.ipynb", "lenet_params")
    assert_fails(lenet.lenet_params, lambda n, c: right(10, 1), "26 classes")  # ignores the arguments
    assert_fails(lenet.lenet_params, lambda n, c: right(n, c) - (5 * 5 * c + 1) * 6 + 5 * 5 * c * 6, "+ 1")
    assert_fails(lenet.lenet_params, not_attempted, NOT_ATTEMPTED)


def test_make_callbacks(capsys, tmp_path):
    import keras

    lenet.make_callbacks(solution("05_lenet5.ipynb", "make_callbacks"))
    assert "✅" in capsys.readouterr().out

    def variant(**changes):
        def make(log_dir, ckpt):
            stop = dict(patience=3, monitor="val_loss", restore_best_weights=True) | changes.get("stop", {})
            save = dict(monitor="val_loss", save_best_only=True) | changes.get("save", {})
            cbs = [keras.callbacks.EarlyStopping(**stop), keras.callbacks.ModelCheckpoint(ckpt, **save),
                   keras.callbacks.TensorBoard(log_dir=changes.get("log_dir", log_dir))]
            return cbs[: changes.get("n", 3)]
        return make

    assert_fails(lenet.make_callbacks, variant(stop={"patience": 5}), "patience 5")
    assert_fails(lenet.make_callbacks, variant(stop={"monitor": "loss"}), "validation loss")
    assert_fails(lenet.make_callbacks, variant(stop={"restore_best_weights": False}), "restore_best_weights")
    assert_fails(lenet.make_callbacks, variant(save={"save_best_only": False}), "only the best")
    assert_fails(lenet.make_callbacks, variant(log_dir=str(tmp_path)), "log_dir")
    assert_fails(lenet.make_callbacks, variant(n=2), "TensorBoard")
    assert_fails(lenet.make_callbacks, lambda a, b: None, "list of callbacks")
    assert_fails(lenet.make_callbacks, not_attempted, NOT_ATTEMPTED)


def test_misclassified_indices(capsys):
    lenet.misclassified_indices(solution("05_lenet5.ipynb", "misclassified_indices"))
    assert "✅" in capsys.readouterr().out
    right_ones = lambda p, y: np.flatnonzero(np.argmax(p, axis=1) == y)  # noqa: E731 - the opposite
    assert_fails(lenet.misclassified_indices, right_ones, "argmax")
    wrong_axis = lambda p, y: np.flatnonzero(np.argmax(p, axis=0)[: len(y)] != y)  # noqa: E731
    assert_fails(lenet.misclassified_indices, wrong_axis, "axis=1")
    assert_fails(lenet.misclassified_indices, not_attempted, NOT_ATTEMPTED)
