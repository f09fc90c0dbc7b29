"""Self-checks for notebook 05 (LeNet-5 on MNIST).

Expected values are computed when the check runs: by Keras (output shapes,
parameter counts), by a reference NumPy implementation, or by inspecting the
callbacks the student built.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import NOT_ATTEMPTED, check_function, fail, passed


def _keras_same_padding(kernel_size):
    """Zeros per side that 'same' adds: read from Keras by comparing with a manually padded 'valid' conv."""
    import keras

    n = 9
    x = np.random.default_rng(kernel_size).random((1, n, n, 1)).astype("float32")
    same = keras.layers.Conv2D(1, kernel_size, padding="same", use_bias=False)
    same.build(x.shape)
    valid = keras.layers.Conv2D(1, kernel_size, padding="valid", use_bias=False)
    valid.build(x.shape)
    valid.set_weights(same.get_weights())
    want = np.asarray(same(x))
    for p in range(kernel_size):
        padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        got = np.asarray(valid(padded))
        if got.shape == want.shape and np.allclose(got, want, atol=1e-5):
            return p
    raise RuntimeError(f"no symmetric padding reproduces 'same' for kernel {kernel_size}")


def same_padding(student_fn) -> None:
    """Exercise: how many zeros 'same' padding adds on each side for an odd k x k kernel (stride 1)."""
    check_function(
        student_fn,
        _keras_same_padding,
        [(1,), (3,), (5,), (7,)],
        name="same_padding",
        hint="'same' keeps the size: a k x k kernel removes k - 1 pixels, so half of them must come back "
             "on each side.",
        describe=lambda c: f"a {c[0]}x{c[0]} kernel",
    )


def _keras_lenet_params(n_classes, channels):
    import keras

    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, channels)),
        layers.Conv2D(6, 5, padding="same"), layers.MaxPooling2D(2),
        layers.Conv2D(16, 5), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(120), layers.Dense(84), layers.Dense(n_classes),
    ])
    return int(model.count_params())


def lenet_params(student_fn) -> None:
    """Exercise: LeNet-5's total parameter count for 28x28 inputs with `channels` channels and `n_classes` outputs."""
    check_function(
        student_fn,
        _keras_lenet_params,
        [(10, 1), (26, 1), (10, 3), (2, 1)],
        name="lenet_params",
        hint="add the layers up: a conv layer has (k*k*in_channels + 1) * filters parameters, a dense layer "
             "(inputs + 1) * units; pooling and Flatten have none. What does Flatten receive: 5 x 5 x 16?",
        describe=lambda c: f"{c[0]} classes and {c[1]} input channel(s)",
    )


def make_callbacks(student_fn) -> None:
    """Exercise: the training callbacks (early stopping, checkpoint, TensorBoard) with the asked settings."""
    import tempfile

    import keras

    if student_fn is None or not callable(student_fn):
        fail("`make_callbacks` should be a function. Define it in the cell above and run it.")
    with tempfile.TemporaryDirectory() as tmp:
        log_dir, ckpt = Path(tmp) / "logs", Path(tmp) / "best.keras"
        try:
            got = student_fn(log_dir, ckpt)
        except NotImplementedError:
            fail(NOT_ATTEMPTED)
        except Exception as exc:
            fail(f"`make_callbacks` raised {type(exc).__name__}: {exc}. Hint: return a list of three callbacks.")
        if not isinstance(got, (list, tuple)):
            fail(f"`make_callbacks` returned a {type(got).__name__}; return a list of callbacks.")
        kinds = {type(cb).__name__: cb for cb in got}
        wanted = {"EarlyStopping": keras.callbacks.EarlyStopping,
                  "ModelCheckpoint": keras.callbacks.ModelCheckpoint,
                  "TensorBoard": keras.callbacks.TensorBoard}
        for name, cls in wanted.items():
            if not any(isinstance(cb, cls) for cb in got):
                fail(f"no keras.callbacks.{name} in the list (got {sorted(kinds)}).")
        stop = next(cb for cb in got if isinstance(cb, keras.callbacks.EarlyStopping))
        if stop.monitor != "val_loss" or stop.patience != 3:
            fail(f"EarlyStopping watches {stop.monitor!r} with patience {stop.patience}; the exercise asks for "
                 "the validation loss with a patience of 3 epochs.")
        if not getattr(stop, "restore_best_weights", False):
            fail("EarlyStopping should give you back the best epoch's weights, not the last ones: look at its "
                 "`restore_best_weights` argument.")
        check = next(cb for cb in got if isinstance(cb, keras.callbacks.ModelCheckpoint))
        if Path(str(check.filepath)) != ckpt:
            fail(f"ModelCheckpoint writes to {check.filepath!r}; use the `checkpoint_path` argument.")
        if not check.save_best_only or check.monitor != "val_loss":
            fail("ModelCheckpoint should keep only the best model so far, judged by the validation loss.")
        board = next(cb for cb in got if isinstance(cb, keras.callbacks.TensorBoard))
        if Path(str(board.log_dir)) != log_dir:
            fail(f"TensorBoard writes to {board.log_dir!r}; use the `log_dir` argument.")
    passed("`make_callbacks` builds the three callbacks with the right settings.")


def _reference_misclassified(probabilities, labels):
    probabilities, labels = np.asarray(probabilities), np.asarray(labels)
    return np.array([i for i in range(len(labels)) if int(np.argmax(probabilities[i])) != int(labels[i])],
                    dtype=int)


def misclassified_indices(student_fn) -> None:
    """Exercise: the indices of the examples whose most probable class is not the true label."""
    rng = np.random.default_rng(11)
    probs = rng.dirichlet(np.ones(10), size=40)
    labels = rng.integers(0, 10, 40)
    right = np.eye(4)[[0, 1, 2, 3]] * 0.9 + 0.025
    cases = [(probs, labels), (right, np.array([0, 1, 2, 3])), (right, np.array([1, 1, 3, 3]))]
    check_function(
        student_fn,
        _reference_misclassified,
        cases,
        name="misclassified_indices",
        hint="the predicted class is the argmax of each row (axis=1); keep the positions where it differs "
             "from the label (np.flatnonzero or np.where).",
        describe=lambda c: f"{len(c[1])} predictions over {c[0].shape[1]} classes",
    )
