"""Self-checks for notebook 04 (DNN vs CNN on Fashion-MNIST).

Every expected value is computed when the check runs: parameter counts and
output sizes by Keras itself, the confusion matrix by TensorFlow, shifted
images by an independent NumPy implementation.
"""

from __future__ import annotations

import numpy as np

from . import check_function


def _keras_conv2d_params(kernel_size, in_channels, filters):
    import keras

    layer = keras.layers.Conv2D(filters, kernel_size)
    layer.build((None, 32, 32, in_channels))
    return int(layer.count_params())


def conv2d_params(student_fn) -> None:
    """Exercise: the number of parameters of a Conv2D layer (weights + biases)."""
    cases = [(3, 1, 32), (3, 32, 64), (5, 1, 6), (5, 6, 16), (1, 64, 10), (7, 3, 8)]
    check_function(
        student_fn,
        _keras_conv2d_params,
        cases,
        name="conv2d_params",
        hint="each filter has one weight per kernel position AND per input channel, plus one bias.",
        describe=lambda c: f"a {c[0]}x{c[0]} Conv2D with {c[1]} input channel(s) and {c[2]} filters",
    )


def _keras_flatten_length(size):
    import keras

    layers = keras.layers
    model = keras.Sequential([
        keras.Input((size, size, 1)),
        layers.Conv2D(32, 3), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3), layers.MaxPooling2D(2),
        layers.Flatten(),
    ])
    return int(model.output_shape[-1])


def flatten_length(student_fn) -> None:
    """Exercise: the length of the Flatten output of the notebook's CNN for a size x size image."""
    cases = [(28,), (32,), (29,), (64,), (100,), (10,)]
    check_function(
        student_fn,
        _keras_flatten_length,
        cases,
        name="flatten_length",
        hint="a 3x3 'valid' convolution removes 2 pixels, a 2x2 pooling halves the size rounding DOWN; "
             "Flatten multiplies height x width x the last layer's number of filters.",
        describe=lambda c: f"a {c[0]}x{c[0]} input image",
    )


def _reference_shift(images, dx, dy):
    """Shift by (dx right, dy down) with zeros coming in: roll, then blank the wrapped band."""
    images = np.asarray(images)
    out = np.roll(images, shift=(dy, dx), axis=(1, 2)).copy()
    if dy > 0:
        out[:, :dy] = 0
    elif dy < 0:
        out[:, dy:] = 0
    if dx > 0:
        out[:, :, :dx] = 0
    elif dx < 0:
        out[:, :, dx:] = 0
    return out


def shift_images(student_fn) -> None:
    """Exercise: shift a batch of images by dx pixels right and dy pixels down, filling with zeros."""
    rng = np.random.default_rng(7)
    batch = rng.random((3, 6, 5)).astype("float32")
    cases = [(batch, 1, 0), (batch, 0, 2), (batch, -2, 1), (batch, 3, -3), (batch, 0, 0), (batch[:1], -1, -1)]
    check_function(
        student_fn,
        _reference_shift,
        cases,
        name="shift_images",
        hint="positive dx moves the content right, positive dy moves it down; the pixels that enter are 0 "
             "(np.roll wraps around: blank the band that wrapped). Return a new array, same shape.",
        describe=lambda c: f"images of shape {c[0].shape} with dx={c[1]}, dy={c[2]}",
    )


def _tf_confusion_matrix(y_true, y_pred, n_classes):
    import tensorflow as tf

    return tf.math.confusion_matrix(y_true, y_pred, num_classes=n_classes).numpy()


def confusion_matrix(student_fn) -> None:
    """Exercise: count the (true class, predicted class) pairs, as tf.math.confusion_matrix does."""
    rng = np.random.default_rng(3)
    cases = [
        (np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1]), 3),
        (rng.integers(0, 10, 300), rng.integers(0, 10, 300), 10),
        (np.array([1, 1, 1]), np.array([1, 1, 1]), 4),  # a class never seen still gets a row and a column
    ]
    check_function(
        student_fn,
        _tf_confusion_matrix,
        cases,
        name="confusion_matrix",
        hint="make an (n_classes, n_classes) array of zeros; for each example add 1 at [true, predicted] "
             "(rows = true class, columns = predicted class).",
        describe=lambda c: f"{len(c[0])} labels and {c[2]} classes",
    )
