"""Reference convolution and convolution arithmetic (notebooks 01-02).

Written for clarity, not speed: plain loops a student can read.  TensorFlow is
the oracle (``tests/test_reference_conv.py`` compares these with
``tf.nn.conv2d`` and with the output shapes of ``keras.layers.Conv2D``).

Deep-learning "convolution" is really *cross-correlation*: the kernel is slid
over the image as it is, not flipped.  That is what TensorFlow, Keras and this
module compute.

Shapes (channels last, as in Keras):

==========================  ==========================  ==================
image                       kernel                      result
==========================  ==========================  ==================
``(H, W)`` grayscale        ``(kh, kw)``                ``(oh, ow)``
``(H, W, C)`` C channels    ``(kh, kw, C)``  one filter  ``(oh, ow)``
``(H, W, C)`` C channels    ``(kh, kw, C, F)`` F filters ``(oh, ow, F)``
==========================  ==========================  ==================

``padding`` is ``"valid"`` (no padding), ``"same"`` (TensorFlow's rule: the
output has ``ceil(n / stride)`` rows; the total padding
``max((out - 1) * stride + f - n, 0)`` is split with the extra row/column on
the bottom/right), or an explicit number of zero rows/columns added on every
side (an int, or a pair ``(rows, cols)``).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import CourseValueError

__all__ = ["conv2d", "conv_output_size", "same_padding", "axis_padding", "window_count", "normalize_stride",
           "normalize_padding"]

PADDING_HELP = "'valid', 'same', or a whole number of zero rows/columns >= 0 (e.g. 1)"


# --------------------------------------------------------------------------- argument checks


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def normalize_stride(stride, *, name: str = "stride") -> tuple[int, int]:
    """``stride`` as a pair ``(rows, cols)`` of positive ints, or a CourseValueError."""
    pair = (stride, stride) if _is_int(stride) else stride
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(_is_int(s) for s in pair)
            or min(pair) < 1):
        raise CourseValueError(
            f"{name}={stride!r} is not allowed: the stride is how many pixels the kernel moves per step, "
            f"a whole number >= 1 (e.g. {name}=2) or a pair of them (e.g. {name}=(2, 1)).")
    return int(pair[0]), int(pair[1])


def normalize_padding(padding, *, name: str = "padding"):
    """``'valid'``, ``'same'`` or a pair ``(rows, cols)`` of ints >= 0; otherwise a CourseValueError."""
    if isinstance(padding, str):
        low = padding.lower()
        if low in ("valid", "same"):
            return low
        raise CourseValueError(f"{name}={padding!r} is not a padding I know: use {PADDING_HELP}.")
    pair = (padding, padding) if _is_int(padding) else padding
    if (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(_is_int(p) for p in pair)
            and min(pair) >= 0):
        return int(pair[0]), int(pair[1])
    raise CourseValueError(f"{name}={padding!r} is not allowed: use {PADDING_HELP}.")


def _check_size(value, name: str, minimum: int) -> int:
    if not _is_int(value) or value < minimum:
        raise CourseValueError(f"{name}={value!r} is not allowed: it must be a whole number >= {minimum}.")
    return int(value)


# --------------------------------------------------------------------------- arithmetic


def same_padding(n: int, f: int, stride: int = 1) -> tuple[int, int]:
    """The zero rows TensorFlow's ``padding='same'`` adds ``(before, after)`` along one axis.

    The output has ``ceil(n / stride)`` positions; the total padding is
    ``max((out - 1) * stride + f - n, 0)``, split with the extra one after
    (bottom/right) when the total is odd.
    """
    n = _check_size(n, "n", 1)
    f = _check_size(f, "f", 1)
    stride = _check_size(stride, "stride", 1)
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + f - n, 0)
    return total // 2, total - total // 2


def axis_padding(n: int, f: int, padding, stride: int = 1) -> tuple[int, int]:
    """The zero rows added ``(before, after)`` along one axis: none for ``'valid'``, TensorFlow's rule
    (:func:`same_padding`) for ``'same'``, ``p`` on both sides for an int ``p``.  ``padding`` must already be
    normalized (:func:`normalize_padding`) with equal rows and columns."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return same_padding(n, f, stride)
    p = padding[0] if isinstance(padding, (tuple, list)) else padding
    return int(p), int(p)


def window_count(padded: int, f: int, stride: int = 1) -> int:
    """How many positions a window of size ``f`` takes along an axis of ``padded`` cells (padding included),
    moving ``stride`` cells a step: ``floor((padded - f) / stride) + 1``, or 0 when it does not fit.

    The one size formula of the course: convolution, pooling, their diagrams and widgets all use it.
    """
    return (padded - f) // stride + 1 if padded >= f else 0


def conv_output_size(n: int, f: int, *, padding="valid", stride: int = 1) -> int:
    """Output length along one axis of a convolution (or pooling) window of size ``f``.

    Matches TensorFlow / Keras exactly:

    * ``padding='valid'``: ``floor((n - f) / stride) + 1`` (the window stays inside the input;
      a kernel larger than the input is an error);
    * ``padding='same'``: ``ceil(n / stride)`` for any kernel size, odd or even;
    * an int ``p`` (zeros on both sides): ``floor((n + 2p - f) / stride) + 1``.
    """
    n = _check_size(n, "n", 1)
    f = _check_size(f, "f", 1)
    s = normalize_stride(stride)
    if s[0] != s[1]:
        raise CourseValueError(f"stride={stride!r}: conv_output_size works on one axis, give one whole number >= 1.")
    s = s[0]
    pad = normalize_padding(padding)
    if pad == "same":
        return math.ceil(n / s)
    if pad == "valid":
        p = 0
    else:
        if pad[0] != pad[1]:
            raise CourseValueError(
                f"padding={padding!r}: conv_output_size works on one axis, give one whole number >= 0.")
        p = pad[0]
    if f > n + 2 * p:
        raise CourseValueError(
            f"f={f} is larger than the input n={n}" + (f" plus padding 2*{p}" if p else "")
            + f": with padding={padding!r} the kernel must fit inside the (padded) input, so f <= {n + 2 * p}. "
            "Use a smaller kernel, more padding, or padding='same'.")
    return window_count(n + 2 * p, f, s)


# --------------------------------------------------------------------------- convolution


def _as_float_array(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CourseValueError(f"{name} must be an array of numbers, got {type(value).__name__}.") from None
    return arr


def conv2d(image, kernel, *, stride=1, padding="valid", bias=0.0) -> np.ndarray:
    """Cross-correlate ``image`` with ``kernel`` as ``tf.nn.conv2d`` does (one image, channels last).

    ``image``: ``(H, W)`` grayscale or ``(H, W, C)``; ``kernel``: ``(kh, kw)`` for a
    grayscale image, ``(kh, kw, C)`` (one filter) or ``(kh, kw, C, F)`` (F filters) for
    a C-channel image.  ``stride``: int or ``(rows, cols)``.  ``padding``: ``'valid'``,
    ``'same'`` or an int / ``(rows, cols)`` of zeros added on every side.  ``bias``: a
    number, or one number per filter.  Returns float64 ``(oh, ow)`` or ``(oh, ow, F)``.
    """
    image = _as_float_array(image, "image")
    kernel = _as_float_array(kernel, "kernel")
    if image.ndim not in (2, 3):
        raise CourseValueError(
            f"image has shape {image.shape}: expected a grayscale (H, W) or a channels-last (H, W, C) image. "
            "For a batch, call conv2d on one image at a time.")
    if image.ndim == 2:
        if kernel.ndim != 2:
            raise CourseValueError(
                f"kernel has shape {kernel.shape} ({kernel.ndim}-D), but a grayscale (H, W) image needs a 2-D "
                "kernel of shape (kh, kw), e.g. np.ones((3, 3)) / 9.")
        image = image[:, :, None]
        kernel4 = kernel[:, :, None, None]
        squeeze = True
    else:
        if kernel.ndim == 2:
            raise CourseValueError(
                f"image has shape {image.shape}: a {image.shape[2]}-channel (e.g. colour) image, but the kernel "
                f"has shape {kernel.shape}, which expects a grayscale (H, W) image. Convert the image to "
                f"grayscale (e.g. image.mean(axis=-1)) or give a kernel of shape (kh, kw, {image.shape[2]}).")
        if kernel.ndim not in (3, 4):
            raise CourseValueError(
                f"kernel has shape {kernel.shape} ({kernel.ndim}-D), but an (H, W, C) image needs a kernel of "
                f"shape (kh, kw, C) or (kh, kw, C, F) with C = {image.shape[2]}.")
        if kernel.shape[2] != image.shape[2]:
            raise CourseValueError(
                f"kernel has shape {kernel.shape} with {kernel.shape[2]} input channels, but the image has shape "
                f"{image.shape} with {image.shape[2]}: they must match.")
        squeeze = kernel.ndim == 3
        kernel4 = kernel[..., None] if squeeze else kernel
    if min(kernel4.shape) < 1 or min(image.shape) < 1:
        raise CourseValueError(f"image {image.shape} and kernel {kernel.shape} must not have an empty axis.")

    sh, sw = normalize_stride(stride)
    pad = normalize_padding(padding)
    H, W, C = image.shape
    kh, kw, _, F = kernel4.shape
    if pad == "valid":
        (top, bottom), (left, right) = (0, 0), (0, 0)
        if kh > H or kw > W:
            raise CourseValueError(
                f"kernel has shape {kernel.shape}, larger than the image {image.shape[:2]} under padding='valid': "
                "the kernel must fit inside the image (kh <= H and kw <= W). Use a smaller kernel, "
                "padding='same', or some zero padding.")
    elif pad == "same":
        top, bottom = same_padding(H, kh, sh)
        left, right = same_padding(W, kw, sw)
    else:
        (top, bottom), (left, right) = (pad[0], pad[0]), (pad[1], pad[1])
        if kh > H + 2 * pad[0] or kw > W + 2 * pad[1]:
            raise CourseValueError(
                f"kernel has shape {kernel.shape}, larger than the padded image "
                f"({H + 2 * pad[0]}, {W + 2 * pad[1]}) with padding={padding!r}: add padding or use a smaller kernel.")

    bias = _as_float_array(bias, "bias")
    if bias.ndim != 0 and bias.shape != (F,):
        raise CourseValueError(f"bias has shape {bias.shape}: give one number, or one per filter ({F},).")
    bias = np.broadcast_to(bias, (F,))

    padded = np.zeros((H + top + bottom, W + left + right, C))
    padded[top:top + H, left:left + W, :] = image
    out_h = window_count(padded.shape[0], kh, sh)
    out_w = window_count(padded.shape[1], kw, sw)
    out = np.zeros((out_h, out_w, F))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * sh:i * sh + kh, j * sw:j * sw + kw, :]  # (kh, kw, C)
            for k in range(F):
                out[i, j, k] = np.sum(window * kernel4[:, :, :, k]) + bias[k]
    return out[:, :, 0] if squeeze else out
