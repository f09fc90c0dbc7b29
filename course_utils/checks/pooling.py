"""Self-checks for notebook 03 (pooling).

Every expected answer is computed when the check runs: by the NumPy reference
:func:`course_utils.reference.pool2d` (itself tested against TensorFlow), or by
TensorFlow / Keras directly.  TensorFlow is imported only inside the checks
that need it.
"""

from __future__ import annotations

import numpy as np

from ..reference import pool2d
from . import check_function, check_value

# The conv-pool stack whose parameters an exercise counts: a small CNN for 32x32 colour images.
STACK_INPUT = (32, 32, 3)
STACK_FILTERS = (16, 32)
STACK_CLASSES = 10


def _maps(seed: int = 0):
    """Test maps for max pooling: even and odd sizes, negative values, a rectangle."""
    rng = np.random.default_rng(seed)
    return [
        (np.arange(16.0).reshape(4, 4), 2),
        (rng.normal(size=(6, 6)), 2),
        (rng.normal(size=(6, 6)), 3),
        (rng.normal(size=(11, 11)), 2),  # odd: the last row and column are dropped
        (rng.normal(size=(7, 10)) - 5.0, 2),  # all negative: a max that starts at 0 is wrong
        (rng.normal(size=(9, 8)), 4),
        (rng.integers(0, 255, size=(28, 28)).astype(float), 2),
        (rng.normal(size=(3, 3)), 1),
    ]


def max_pool2d(student_fn) -> None:
    """Exercise: ``max_pool2d(x, size)``, max pooling of a 2-D map, stride = size, 'valid'."""
    check_function(
        student_fn,
        lambda x, size: pool2d(x, size=size, stride=size, padding="valid", mode="max"),
        _maps(),
        name="max_pool2d",
        hint=("slide a size x size window in steps of `size`; the output has n // size rows and columns "
              "(a leftover row or column that does not fill a window is dropped); keep each window's "
              "largest value, even when every value is negative."),
        describe=lambda case: f"a {case[0].shape[0]}x{case[0].shape[1]} map with size={case[1]}",
    )


def _keras_pool_size(n: int, size: int, stride: int, padding: str) -> int:
    import keras

    layer = keras.layers.MaxPool2D(pool_size=size, strides=stride, padding=padding)
    return int(layer.compute_output_shape((None, n, n, 1))[1])


def pool_output_size(student_fn) -> None:
    """Exercise: ``pool_output_size(n, size, stride, padding)`` against Keras's MaxPool2D."""
    cases = [(28, 2, 2, "valid"), (11, 2, 2, "valid"), (13, 3, 2, "valid"), (10, 3, 3, "valid"),
             (7, 2, 1, "valid"), (32, 5, 4, "valid"), (11, 2, 2, "same"), (28, 3, 2, "same"),
             (7, 3, 3, "same"), (5, 2, 1, "same")]
    check_function(
        student_fn,
        _keras_pool_size,
        cases,
        name="pool_output_size",
        hint=("'valid': count the window positions, floor((n - size) / stride) + 1; "
              "'same': TensorFlow pads just enough for ceil(n / stride) positions, whatever the size. "
              "Use // for floor division."),
        describe=lambda c: f"n={c[0]}, size={c[1]}, stride={c[2]}, padding='{c[3]}'",
    )


def _stack_layers(filters=(4, 4)):
    """Conv 3x3 ('valid') -> MaxPool 2x2 -> Conv 3x3 ('valid') -> MaxPool 2x2, as Keras layers."""
    import keras

    return [keras.layers.Conv2D(filters[0], 3, activation="relu"), keras.layers.MaxPool2D(2),
            keras.layers.Conv2D(filters[1], 3, activation="relu"), keras.layers.MaxPool2D(2)]


def _keras_stack_size(n: int) -> int:
    shape = (None, n, n, 1)
    for layer in _stack_layers():
        shape = layer.compute_output_shape(shape)
    return int(shape[1])


def stack_output_size(student_fn) -> None:
    """Exercise: ``stack_output_size(n)``, the side of the map after conv-pool-conv-pool."""
    check_function(
        student_fn,
        _keras_stack_size,
        [(28,), (32,), (29,), (64,), (10,), (100,)],
        name="stack_output_size",
        hint=("apply the layers one at a time: a 3x3 'valid' convolution removes 2 rows (n - 2); "
              "a 2x2 pooling halves and rounds down (n // 2); then the same again."),
        describe=lambda c: f"an input of {c[0]}x{c[0]}",
    )


def stack_model():
    """The model whose parameters the exercise counts (built afresh by the check)."""
    import keras

    layers = _stack_layers(STACK_FILTERS)
    return keras.Sequential([keras.Input(STACK_INPUT), *layers, keras.layers.Flatten(),
                             keras.layers.Dense(STACK_CLASSES)])


def stack_params(n_params) -> None:
    """Exercise: the number of trainable parameters of :func:`stack_model`, counted by Keras."""
    check_value(
        n_params,
        int(stack_model().count_params()),
        name="n_params",
        hint=("a Conv2D layer has (3 * 3 * input channels + 1) * filters parameters; pooling and Flatten have "
              "none; the Dense layer has (inputs + 1) * units, where inputs = rows * cols * channels of the map "
              "after the second pooling (work out its size first: 32 -> 30 -> ...; a colour image has 3 input channels)."),
    )


def _tf_depth_pool(x, k: int):
    import tensorflow as tf

    y = tf.nn.max_pool(x[np.newaxis].astype(np.float32), ksize=(1, 1, 1, k), strides=(1, 1, 1, k),
                       padding="VALID")
    return y.numpy()[0]


def depth_max_pool(student_fn) -> None:
    """Exercise: ``depth_max_pool(x, k)``, max over each group of k channels, against tf.nn.max_pool."""
    rng = np.random.default_rng(3)
    cases = [(rng.normal(size=(4, 4, 6)).astype(np.float32), 3),
             (rng.normal(size=(5, 3, 6)).astype(np.float32), 2),
             (rng.normal(size=(2, 2, 4)).astype(np.float32) - 4.0, 4),
             (rng.normal(size=(3, 3, 8)).astype(np.float32), 1),
             (np.arange(2 * 2 * 6, dtype=np.float32).reshape(2, 2, 6)[:, :, ::-1].copy(), 3)]
    check_function(
        student_fn,
        _tf_depth_pool,
        cases,
        name="depth_max_pool",
        hint=("the output has the same height and width and C // k channels; output channel j is the max of "
              "input channels j*k, ..., j*k + k - 1 (consecutive channels, not every k-th one). "
              "x.reshape(H, W, C // k, k) groups them."),
        describe=lambda c: f"a map of shape {c[0].shape} with k={c[1]}",
    )
