"""The reference convolution (course_utils.reference.conv) against TensorFlow, the oracle.

A seeded random sweep over image sizes, channels, filters, kernel sizes (odd and
even), strides and paddings: ``conv2d`` must give the values of ``tf.nn.conv2d``,
and ``conv_output_size`` the shapes of ``tf.nn.conv2d`` and ``keras.layers.Conv2D``.
Then every bad input the helpers handle gets a CourseValueError that names the
argument, the value received and what is allowed.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.errors import CourseValueError
from course_utils.reference import conv2d, conv_output_size
from course_utils.reference.conv import same_padding

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

PADDINGS = ["valid", "same", 0, 1, 2, 3]


def _tf_padding(padding):
    if isinstance(padding, str):
        return padding.upper()
    return [[0, 0], [padding, padding], [padding, padding], [0, 0]]


def _random_cases(count, seed):
    """Seeded random (H, W, C, F, kh, kw, sh, sw, padding) where the kernel fits."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        H, W = (int(v) for v in rng.integers(1, 15, 2))
        kh, kw = (int(v) for v in rng.integers(1, 7, 2))
        sh, sw = (int(v) for v in rng.integers(1, 5, 2))
        C, F = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        padding = PADDINGS[int(rng.integers(len(PADDINGS)))]
        p = 0 if padding in ("valid",) else (padding if isinstance(padding, int) else None)
        if p is not None and (kh > H + 2 * p or kw > W + 2 * p):
            continue
        cases.append((H, W, C, F, kh, kw, sh, sw, padding))
    return cases


SWEEP = _random_cases(300, seed=2024)


def test_sweep_covers_the_hard_cases():
    # the sweep must include what the lesson is about: even kernels, 'same' with stride > 1
    assert any(c[8] == "same" and c[6] > 1 and c[4] % 2 == 0 for c in SWEEP)
    assert any(c[8] == "same" and c[6] > 1 and c[4] % 2 == 1 for c in SWEEP)
    assert sum(isinstance(c[8], int) for c in SWEEP) > 50
    assert any(c[2] > 1 and c[3] > 1 for c in SWEEP)


def test_conv2d_matches_tf_nn_conv2d_on_random_shapes():
    rng = np.random.default_rng(7)
    for H, W, C, F, kh, kw, sh, sw, padding in SWEEP:
        image = rng.normal(size=(H, W, C))
        kernel = rng.normal(size=(kh, kw, C, F))
        bias = rng.normal(size=F)
        want = tf.nn.conv2d(image[None], kernel, strides=[1, sh, sw, 1], padding=_tf_padding(padding))
        want = want.numpy()[0] + bias
        got = conv2d(image, kernel, stride=(sh, sw), padding=padding, bias=bias)
        assert got.shape == want.shape, (H, W, C, F, kh, kw, sh, sw, padding)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9,
                                   err_msg=str((H, W, C, F, kh, kw, sh, sw, padding)))


def test_conv2d_single_channel_and_single_filter_shapes_match_tf():
    rng = np.random.default_rng(3)
    for H, W, _, _, kh, kw, sh, sw, padding in SWEEP[:80]:
        image = rng.normal(size=(H, W))
        kernel = rng.normal(size=(kh, kw))
        want = tf.nn.conv2d(image[None, :, :, None], kernel[:, :, None, None], strides=[1, sh, sw, 1],
                            padding=_tf_padding(padding)).numpy()[0, :, :, 0]
        got = conv2d(image, kernel, stride=(sh, sw), padding=padding)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
        # (H, W, C) image with a (kh, kw, C) kernel: one output map, no filter axis
        image3 = rng.normal(size=(H, W, 2))
        kernel3 = rng.normal(size=(kh, kw, 2))
        want3 = tf.nn.conv2d(image3[None], kernel3[..., None], strides=[1, sh, sw, 1],
                             padding=_tf_padding(padding)).numpy()[0, :, :, 0]
        np.testing.assert_allclose(conv2d(image3, kernel3, stride=(sh, sw), padding=padding), want3,
                                   rtol=1e-9, atol=1e-9)


def test_conv2d_is_cross_correlation_not_flipped():
    image = np.arange(16.0).reshape(4, 4)
    kernel = np.array([[1.0, 0.0], [0.0, 0.0]])  # picks the top-left pixel of each window
    np.testing.assert_array_equal(conv2d(image, kernel), image[:3, :3])


def test_conv_output_size_matches_tf_and_keras_shapes():
    rng = np.random.default_rng(11)
    for n, _, _, _, f, _, s, _, padding in SWEEP:
        x = np.zeros((1, n, n, 1), np.float32)
        k = np.zeros((f, f, 1, 1), np.float32)
        tf_size = tf.nn.conv2d(x, k, strides=s, padding=_tf_padding(padding)).shape[1]
        assert conv_output_size(n, f, padding=padding, stride=s) == tf_size, (n, f, s, padding)
        if isinstance(padding, str):
            layer = keras.layers.Conv2D(int(rng.integers(1, 4)), f, strides=s, padding=padding)
            keras_shape = layer.compute_output_shape((None, n, n, 3))
            assert conv_output_size(n, f, padding=padding, stride=s) == keras_shape[1], (n, f, s, padding)


def test_conv_output_size_on_a_grid_including_even_kernels():
    for n in range(1, 20):
        for f in range(1, 7):
            for s in range(1, 5):
                for padding in ("valid", "same"):
                    if padding == "valid" and f > n:
                        continue
                    want = tf.nn.conv2d(np.zeros((1, n, 1, 1), np.float32), np.zeros((f, 1, 1, 1), np.float32),
                                        strides=s, padding=padding.upper()).shape[1]
                    assert conv_output_size(n, f, padding=padding, stride=s) == want, (n, f, s, padding)


def test_same_padding_splits_the_extra_row_at_the_bottom():
    # padding the image ourselves with same_padding's amounts and running 'VALID' gives TF's 'SAME'
    rng = np.random.default_rng(5)
    for n, f, s in [(7, 4, 2), (8, 3, 2), (6, 2, 1), (10, 5, 3), (5, 6, 2)]:
        image = rng.normal(size=(1, n, n, 1))
        kernel = rng.normal(size=(f, f, 1, 1))
        top, bottom = same_padding(n, f, s)
        assert bottom - top in (0, 1)
        padded = np.pad(image, [(0, 0), (top, bottom), (top, bottom), (0, 0)])
        np.testing.assert_allclose(tf.nn.conv2d(padded, kernel, s, "VALID").numpy(),
                                   tf.nn.conv2d(image, kernel, s, "SAME").numpy(), atol=1e-9)


def test_string_padding_is_case_insensitive_like_tf():
    image, kernel = np.ones((5, 5)), np.ones((3, 3))
    np.testing.assert_array_equal(conv2d(image, kernel, padding="SAME"), conv2d(image, kernel, padding="same"))
    assert conv_output_size(5, 3, padding="VALID") == 3


# --------------------------------------------------------------------------- bad input


def _raises(fn, *words):
    with pytest.raises(CourseValueError) as info:
        fn()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    return message


def test_kernel_larger_than_image_under_valid():
    _raises(lambda: conv2d(np.ones((4, 4)), np.ones((5, 5))), "kernel", "(5, 5)", "(4, 4)", "padding='same'")
    _raises(lambda: conv_output_size(4, 5), "f=5", "n=4", "f <= 4")
    _raises(lambda: conv_output_size(4, 9, padding=2), "f=9", "f <= 8")


def test_kernel_of_the_wrong_rank_for_a_grayscale_image():
    _raises(lambda: conv2d(np.ones((6, 6)), np.ones(3)), "kernel", "(3,)", "2-D", "(kh, kw)")
    _raises(lambda: conv2d(np.ones((6, 6)), np.ones((3, 3, 3))), "kernel", "(3, 3, 3)", "2-D", "(kh, kw)")


def test_stride_zero_negative_or_not_whole():
    for bad in (0, -1, 1.5, (1, 0), "2"):
        _raises(lambda bad=bad: conv2d(np.ones((6, 6)), np.ones((3, 3)), stride=bad), f"stride={bad!r}", ">= 1")
    _raises(lambda: conv_output_size(6, 3, stride=0), "stride=0", ">= 1")


def test_unknown_padding():
    for bad in ("full", "SAMEE", -1, 1.5):
        _raises(lambda bad=bad: conv2d(np.ones((6, 6)), np.ones((3, 3)), padding=bad), f"padding={bad!r}",
                "'valid', 'same'")
    _raises(lambda: conv_output_size(6, 3, padding="full"), "padding='full'", "'valid', 'same'")


def test_colour_image_where_grayscale_is_expected():
    _raises(lambda: conv2d(np.ones((6, 6, 3)), np.ones((3, 3))), "image", "(6, 6, 3)", "grayscale",
            "(kh, kw, 3)")


def test_other_bad_shapes():
    _raises(lambda: conv2d(np.ones(6), np.ones((3, 3))), "image", "(6,)", "(H, W)")
    _raises(lambda: conv2d(np.ones((6, 6, 3)), np.ones((3, 3, 2))), "kernel", "(3, 3, 2)", "must match")
    _raises(lambda: conv2d(np.ones((6, 6)), np.ones((3, 3)), bias=[1, 2]), "bias", "(2,)")
    _raises(lambda: conv_output_size(0, 3), "n=0", ">= 1")
    _raises(lambda: conv_output_size(5, 0), "f=0", ">= 1")
