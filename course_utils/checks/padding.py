"""Self-checks for notebook 02 (padding and stride).

Every expected value is computed when the check runs: by Keras (output shapes,
parameter counts) or by the reference arithmetic in ``course_utils.reference.conv``
(itself tested against ``tf.nn.conv2d`` and ``keras.layers.Conv2D``).
"""

from __future__ import annotations

import math

import numpy as np

from ..reference.conv import conv_output_size, same_padding
from . import NOT_ATTEMPTED, _compare, check_function, fail, passed


def _keras():
    import keras  # lazy: importing TensorFlow takes seconds

    return keras


# --------------------------------------------------------------------------- exercise 1


def output_size(student_fn) -> None:
    """Exercise 1: floor((n + 2p - f) / s) + 1 for explicit zero padding p and stride s."""
    cases = [(28, 3, 0, 1), (28, 3, 1, 1), (28, 5, 2, 2), (32, 3, 1, 2), (7, 3, 0, 2), (6, 3, 0, 2),
             (11, 4, 1, 3), (5, 5, 0, 1), (224, 7, 3, 2), (10, 2, 0, 3)]
    check_function(
        student_fn, lambda n, f, p, s: conv_output_size(n, f, padding=p, stride=s), cases, name="output_size",
        hint="pad first (the input becomes n + 2p long), count how far the kernel can travel (n + 2p - f), "
             "divide by the step s rounding DOWN (a last step that doesn't fit is not taken), then add the "
             "starting position.",
        describe=lambda c: f"n={c[0]}, f={c[1]}, p={c[2]}, s={c[3]}",
    )


# --------------------------------------------------------------------------- exercise 2


def _same_reference(n, f, s):
    return (math.ceil(n / s), *same_padding(n, f, s))


def same_rule(student_fn) -> None:
    """Exercise 2: TensorFlow's 'same': (output size, zeros before, zeros after) along one axis."""
    cases = [(28, 3, 1), (28, 3, 2), (7, 3, 2), (8, 3, 2), (7, 4, 2), (6, 2, 1), (5, 6, 2), (10, 1, 3),
             (9, 5, 3), (32, 4, 1)]
    check_function(
        student_fn, _same_reference, cases, name="same_rule",
        hint="with 'same' the output size depends only on n and s (round n / s UP); the total padding is what "
             "makes the last window end at the input's end, never negative; when the total is odd the extra "
             "zero goes AFTER (bottom/right). Return a tuple (out, before, after).",
        describe=lambda c: f"n={c[0]}, f={c[1]}, s={c[2]}",
    )


# --------------------------------------------------------------------------- exercise 3


def keras_stack_shapes(layers, input_shape) -> list[tuple]:
    """Output shape (without the batch axis) after each layer, from Keras itself (fresh copies of the layers)."""
    keras = _keras()
    x = keras.Input(shape=tuple(input_shape))
    shapes = []
    for layer in layers:
        fresh = type(layer).from_config(layer.get_config())
        x = fresh(x)
        shapes.append(tuple(int(d) for d in x.shape[1:]))
    return shapes


def stack_shapes(predicted, layers, input_shape) -> None:
    """Exercise 3: predicted (height, width, channels) after each layer of ``layers``, checked against Keras."""
    if predicted is None:
        fail("`predicted_shapes` is still None. " + NOT_ATTEMPTED)
    want = keras_stack_shapes(layers, input_shape)
    if not isinstance(predicted, (list, tuple)) or len(predicted) != len(want):
        fail(f"`predicted_shapes` should be a list of {len(want)} tuples (height, width, channels), one per "
             f"layer; got {predicted!r}.")
    for i, (got, exp) in enumerate(zip(predicted, want)):
        got_t = tuple(got) if isinstance(got, (list, tuple, np.ndarray)) else got
        if _compare(got_t, exp, 0, 0):
            layer = layers[i]
            fail(f"`predicted_shapes[{i}]` (after layer {i + 1}, {type(layer).__name__} with "
                 f"kernel_size={layer.kernel_size}, strides={layer.strides}, padding={layer.padding!r}) is "
                 f"{got!r}, which is not what Keras builds. Hint: each layer's input is the previous layer's "
                 "output; 'same' gives ceil(n / s), 'valid' floor((n - f) / s) + 1; the channels are the "
                 "layer's number of filters.")
    passed(f"all {len(want)} predicted shapes match the model Keras builds.")


# --------------------------------------------------------------------------- exercise 4


def _keras_conv_params(k, c_in, c_out):
    keras = _keras()
    layer = keras.layers.Conv2D(c_out, k)
    layer.build((None, 2 * k + 3, 2 * k + 3, c_in))
    return int(layer.count_params())


def conv_params(student_fn) -> None:
    """Exercise 4: the number of parameters of Conv2D(c_out, k) on c_in input channels, checked against Keras."""
    cases = [(3, 1, 32), (3, 3, 32), (5, 1, 6), (5, 6, 16), (3, 32, 64), (1, 64, 16), (7, 3, 64)]
    check_function(
        student_fn, _keras_conv_params, cases, name="conv_params",
        hint="each of the c_out filters has one k x k slice of weights per input channel, plus one bias; the "
             "image size does not appear anywhere.",
        describe=lambda c: f"k={c[0]}, c_in={c[1]}, c_out={c[2]}",
    )
