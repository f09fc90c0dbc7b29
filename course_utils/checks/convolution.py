"""Self-checks for notebook 01 (convolution filters).

Every expected value is computed when the check runs: by Keras (parameter counts),
by TensorFlow (output shapes) or by the reference convolution
(``course_utils.reference.conv2d``, itself tested against ``tf.nn.conv2d``).
"""

from __future__ import annotations

import numpy as np

from ..reference.conv import conv2d as _reference_conv2d
from . import NOT_ATTEMPTED, check_function, fail, passed


def _keras():
    import keras  # lazy: importing TensorFlow takes seconds

    return keras


# --------------------------------------------------------------------------- exercise 1


def _dense_params_keras(image_shape, units):
    keras = _keras()
    layer = keras.layers.Dense(units)
    layer.build((None, int(np.prod(image_shape))))
    return int(layer.count_params())


def dense_params(student_fn) -> None:
    """Exercise 1: parameters of a Dense layer of ``units`` neurons on a flattened image."""
    cases = [((28, 28, 3), 1), ((28, 28), 128), ((28, 28, 3), 100), ((32, 32, 3), 64), ((64, 48, 3), 10)]
    check_function(
        student_fn, _dense_params_keras, cases, name="dense_params",
        hint="every neuron has one weight per input value (all pixels of all channels) plus one bias; "
             "and there are `units` neurons.",
        describe=lambda c: f"image_shape={c[0]}, units={c[1]}",
    )


# --------------------------------------------------------------------------- exercise 2


def _conv_cases():
    rng = np.random.default_rng(101)
    cases = [
        (np.arange(16.0).reshape(4, 4), np.array([[1.0, 0.0], [0.0, -1.0]])),  # asymmetric: catches flipping
        (np.eye(5), np.ones((3, 3))),
        (rng.normal(size=(6, 9)), rng.normal(size=(3, 3))),  # not square
        (rng.normal(size=(7, 5)), rng.normal(size=(2, 4))),  # neither is the kernel
        (rng.normal(size=(5, 5)), rng.normal(size=(5, 5))),  # kernel as large as the image
        (rng.normal(size=(8, 8)), rng.normal(size=(1, 1))),
    ]
    return cases


def conv2d(student_fn) -> None:
    """Exercise 2: a single-channel 'valid' convolution (cross-correlation, stride 1) in NumPy."""
    check_function(
        student_fn, lambda image, kernel: _reference_conv2d(image, kernel), _conv_cases(), name="my_conv2d",
        hint="the output has (H - kh + 1) x (W - kw + 1) cells; cell (i, j) is the sum of "
             "image[i:i+kh, j:j+kw] * kernel. Don't flip the kernel, and let the kernel be non-square.",
        describe=lambda c: f"a {c[0].shape[0]}x{c[0].shape[1]} image with a {c[1].shape[0]}x{c[1].shape[1]} kernel",
    )


# --------------------------------------------------------------------------- exercise 3


def _tf_valid_shape(image_shape, kernel_shape):
    import tensorflow as tf

    x = np.zeros((1, *image_shape, 1), np.float32)
    k = np.zeros((*kernel_shape, 1, 1), np.float32)
    return tuple(int(d) for d in tf.nn.conv2d(x, k, strides=1, padding="VALID").shape[1:3])


def valid_output_shape(student_fn) -> None:
    """Exercise 3: the (rows, cols) of a 'valid', stride-1 output, checked against tf.nn.conv2d."""
    cases = [((28, 28), (3, 3)), ((28, 28), (5, 5)), ((6, 6), (3, 3)), ((32, 20), (7, 3)), ((9, 9), (9, 9)),
             ((10, 4), (2, 4))]

    def as_tuple(fn):
        def wrapped(image_shape, kernel_shape):
            result = fn(image_shape, kernel_shape)
            return tuple(int(v) for v in result) if isinstance(result, (tuple, list, np.ndarray)) else result
        return wrapped

    check_function(
        as_tuple(student_fn) if callable(student_fn) else student_fn, _tf_valid_shape, cases,
        name="valid_output_shape",
        hint="along each axis the kernel fits in n - f + 1 positions; rows and columns are separate.",
        describe=lambda c: f"image_shape={c[0]}, kernel_shape={c[1]}",
    )


# --------------------------------------------------------------------------- exercise 4


def edge_patterns(size: int = 9) -> dict[str, np.ndarray]:
    """Test images (0 = dark, 1 = bright) for the 45-degree edge exercise, computed, not typed."""
    r, c = np.mgrid[0:size, 0:size]
    return {
        "45° edge (/)": (r + c >= size).astype(float),         # boundary runs bottom-left to top-right
        "135° edge (\\)": (c - r >= 1).astype(float),          # the other diagonal
        "vertical edge": (c >= size // 2).astype(float),
        "horizontal edge": (r >= size // 2).astype(float),
        "flat": np.ones((size, size)),
    }


def edge_responses(kernel) -> dict[str, float]:
    """The strongest absolute response of ``kernel`` on each test pattern ('valid' convolution)."""
    kernel = np.asarray(kernel, dtype=float)
    return {name: float(np.abs(_reference_conv2d(img, kernel)).max()) for name, img in edge_patterns().items()}


def diagonal_kernel(kernel, *, margin: float = 1.25) -> None:
    """Exercise 4: a 3x3 kernel that answers a 45° (/) edge more strongly than any other edge; 0 on flat areas."""
    if kernel is None:
        fail("`diagonal_kernel` is still None. " + NOT_ATTEMPTED)
    try:
        k = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        fail(f"`diagonal_kernel` should be a 3x3 array of numbers, got {type(kernel).__name__}.")
    if k.shape != (3, 3):
        fail(f"`diagonal_kernel` has shape {k.shape}; it should be a 3x3 array.")
    scale = float(np.abs(k).sum())
    if scale == 0:
        fail("`diagonal_kernel` is all zeros, so it responds to nothing. Hint: give it positive weights on one "
             "side of the diagonal and negative weights on the other.")
    resp = edge_responses(k)
    target = resp["45° edge (/)"]
    if resp["flat"] > 0.05 * scale:
        fail("your kernel responds to a flat, edge-free area (its weights don't sum to 0), so it would light up "
             "bright regions, not edges. Hint: balance the positive and the negative weights.")
    rivals = {name: v for name, v in resp.items() if name not in ("45° edge (/)", "flat")}
    worst = max(rivals, key=rivals.get)
    if target < margin * rivals[worst]:
        fail(f"on the test patterns your kernel's strongest response to the 45° edge is {target:.2f}, but to the "
             f"{worst} it is {rivals[worst]:.2f}; the 45° edge should win by a factor of {margin}. Hint: the "
             "weights should change along the direction that crosses a / edge (from the top-left corner to the "
             "bottom-right one) and stay the same along the edge.")
    passed(f"`diagonal_kernel` answers the 45° edge ({target:.2f}) at least {margin}x more strongly than the "
           f"others (best rival: {worst}, {rivals[worst]:.2f}), and ignores flat areas.")
