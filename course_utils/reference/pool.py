"""Reference pooling (notebook 03).

:func:`pool2d` is max or average pooling written as plain loops, so a student
can read it line by line.  It follows TensorFlow's rules exactly
(``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d``, ``keras.layers.MaxPool2D`` /
``AveragePooling2D``); tests/test_reference_pool.py checks that against
TensorFlow itself.

The output size comes from :func:`course_utils.reference.conv.conv_output_size`:
a pooling window slides over the input exactly like a convolution kernel, so
there is only one size formula in the course.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import CourseValueError
from .conv import axis_padding, conv_output_size

PADDINGS = ("valid", "same")
MODES = ("max", "avg")
_MODE_ALIASES = {"max": "max", "avg": "avg", "average": "avg", "mean": "avg"}


def positive_pair(name: str, value) -> tuple[int, int]:
    """``value`` as (rows, cols): a positive whole number, or a pair of them."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    ok = len(items) == 2 and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in items
    )
    if not ok:
        raise CourseValueError(
            f"pool2d(): {name}={value!r} is not allowed; {name} must be a positive whole number "
            f"(e.g. {name}=2) or a pair of them (e.g. {name}=(2, 3))."
        )
    return int(items[0]), int(items[1])


def _padding(padding) -> str:
    if isinstance(padding, str) and padding.lower() in PADDINGS:
        return padding.lower()
    raise CourseValueError(f"pool2d(): padding={padding!r} is not allowed; use 'valid' or 'same'.")


def pool_mode(mode) -> str:
    if isinstance(mode, str) and mode.lower() in _MODE_ALIASES:
        return _MODE_ALIASES[mode.lower()]
    raise CourseValueError(f"pool2d(): mode={mode!r} is not allowed; use 'max' or 'avg' (average pooling).")


def pool2d(x, *, size=2, stride=None, padding="valid", mode="max"):
    """Max or average pooling of one image or feature map, the way TensorFlow does it.

    Parameters
    ----------
    x : array of shape (H, W) or (H, W, C)
        One image or feature map (no batch axis).  Each channel is pooled on its own.
    size : int or (int, int)
        The pooling window (``pool_size`` in Keras, ``ksize`` in ``tf.nn``).
    stride : int or (int, int), optional
        How far the window moves each step.  Defaults to ``size`` (windows that
        touch but do not overlap), as in Keras.
    padding : 'valid' or 'same'
        'valid': only windows that fit entirely inside the input; a remainder
        that does not fill a window is dropped (11x11 pooled 2x2 gives 5x5).
        'same': output size ``ceil(n / stride)``; TensorFlow pads the input,
        putting the extra row/column at the bottom/right when the padding is odd.
        Padded cells never count: max pooling ignores them and average pooling
        averages only the real values in the window.
    mode : 'max' or 'avg'
        Keep the largest value of each window, or its mean.

    Returns
    -------
    A float array of shape (H_out, W_out) or (H_out, W_out, C).
    """
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise CourseValueError(
            f"pool2d(): x must be an array of numbers of shape (H, W) or (H, W, C); got {type(x).__name__}."
        ) from None
    if x.ndim not in (2, 3):
        raise CourseValueError(
            f"pool2d(): x has shape {x.shape}, a {x.ndim}-D array; expected (H, W) or (H, W, C). "
            "For a batch, pool each image separately (or use tf.nn.max_pool2d)."
        )
    pool_h, pool_w = positive_pair("size", size)
    stride_h, stride_w = positive_pair("stride", size if stride is None else stride)
    padding = _padding(padding)
    mode = pool_mode(mode)

    height, width = x.shape[:2]
    if padding == "valid" and (pool_h > height or pool_w > width):
        raise CourseValueError(
            f"pool2d(): size={size!r} is larger than the input ({height}x{width}) under padding='valid'; "
            f"use a window of at most {height}x{width}, or padding='same'."
        )

    out_h = conv_output_size(height, pool_h, padding=padding, stride=stride_h)
    out_w = conv_output_size(width, pool_w, padding=padding, stride=stride_w)
    # TensorFlow's 'same' padding: just enough to make out_h windows; the odd cell goes at the end.
    pad_top = axis_padding(height, pool_h, padding, stride_h)[0]
    pad_left = axis_padding(width, pool_w, padding, stride_w)[0]

    image = x if x.ndim == 3 else x[:, :, np.newaxis]
    out = np.zeros((out_h, out_w, image.shape[2]))
    for i in range(out_h):
        for j in range(out_w):
            top = i * stride_h - pad_top
            left = j * stride_w - pad_left
            # Keep only the part of the window that lies on real (not padded) cells.
            window = image[max(top, 0):min(top + pool_h, height), max(left, 0):min(left + pool_w, width), :]
            if mode == "max":
                out[i, j] = window.max(axis=(0, 1))
            else:
                out[i, j] = window.mean(axis=(0, 1))
    return out if x.ndim == 3 else out[:, :, 0]


_positive_pair, _mode = positive_pair, pool_mode  # the names before they were public

__all__ = ["pool2d", "positive_pair", "pool_mode", "PADDINGS", "MODES"]
