"""course_utils.reference.pool2d against TensorFlow, the oracle.

Hundreds of seeded random cases: shapes, window sizes (square and not),
strides (smaller than, equal to and larger than the window), 'valid' and
'same' padding, max and average.  Then bad input.
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from course_utils.errors import CourseValueError  # noqa: E402
from course_utils.reference import conv_output_size, pool2d  # noqa: E402

TF_OPS = {"max": tf.nn.max_pool2d, "avg": tf.nn.avg_pool2d}
KERAS_LAYERS = {"max": keras.layers.MaxPool2D, "avg": keras.layers.AveragePooling2D}


def random_cases(seed: int, count: int):
    """(x, size, stride, padding) tuples; 'valid' cases always have a window that fits."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        h, w = (int(v) for v in rng.integers(1, 14, size=2))
        channels = int(rng.integers(1, 4))
        size = tuple(int(v) for v in rng.integers(1, 5, size=2)) if rng.random() < 0.4 else int(rng.integers(1, 5))
        stride = None if rng.random() < 0.3 else (
            tuple(int(v) for v in rng.integers(1, 5, size=2)) if rng.random() < 0.4 else int(rng.integers(1, 5)))
        padding = str(rng.choice(["valid", "same"]))
        ph, pw = size if isinstance(size, tuple) else (size, size)
        if padding == "valid" and (ph > h or pw > w):
            continue
        x = rng.normal(size=(h, w, channels)).astype(np.float32)  # TF's max_pool2d computes in float32
        cases.append((x, size, stride, padding))
    return cases


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool2d_matches_tf_nn_on_random_cases(mode):
    for x, size, stride, padding in random_cases(seed=3 if mode == "max" else 4, count=200):
        strides = _pair(size if stride is None else stride)
        want = TF_OPS[mode](x[np.newaxis], ksize=_pair(size), strides=strides, padding=padding.upper())[0].numpy()
        got = pool2d(x, size=size, stride=stride, padding=padding, mode=mode)
        where = f"x{x.shape} size={size} stride={stride} padding={padding} mode={mode}"
        assert got.shape == want.shape, where
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=where)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool2d_2d_input_equals_one_channel(mode):
    rng = np.random.default_rng(7)
    for x, size, stride, padding in random_cases(seed=5, count=20):
        x2 = x[:, :, 0] + np.float32(rng.normal())
        got = pool2d(x2, size=size, stride=stride, padding=padding, mode=mode)
        want = TF_OPS[mode](x2[np.newaxis, :, :, np.newaxis], ksize=_pair(size),
                            strides=_pair(size if stride is None else stride), padding=padding.upper())
        assert got.ndim == 2
        np.testing.assert_allclose(got, want.numpy()[0, :, :, 0], rtol=1e-6, atol=1e-6)


def test_output_size_and_values_match_keras_layers():
    """Keras pooling layers: output shape, values, and conv_output_size (the course's one size formula)."""
    for i, (x, size, stride, padding) in enumerate(random_cases(seed=11, count=60)):
        mode = "max" if i % 2 else "avg"
        layer = KERAS_LAYERS[mode](pool_size=size, strides=stride, padding=padding)
        out = np.asarray(layer(x[np.newaxis].astype("float32")))[0]
        ph, pw = _pair(size)
        sh, sw = _pair(size if stride is None else stride)
        expected_hw = (conv_output_size(x.shape[0], ph, padding=padding, stride=sh),
                       conv_output_size(x.shape[1], pw, padding=padding, stride=sw))
        where = f"x{x.shape} size={size} stride={stride} padding={padding} {layer.__class__.__name__}"
        assert out.shape == expected_hw + (x.shape[2],), where
        got = pool2d(x, size=size, stride=stride, padding=padding, mode=mode)
        assert got.shape == out.shape, where
        np.testing.assert_allclose(got, out, rtol=1e-5, atol=1e-5, err_msg=where)
        assert layer.count_params() == 0


def test_teaching_facts():
    """The facts notebook 03 teaches, computed by pool2d."""
    x = np.arange(11 * 11, dtype=float).reshape(11, 11)
    assert pool2d(x, size=2).shape == (5, 5)  # remainder dropped
    assert pool2d(x, size=2, padding="same").shape == (6, 6)
    y = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(pool2d(y), [[5, 7], [13, 15]])
    np.testing.assert_array_equal(pool2d(y, mode="avg"), [[2.5, 4.5], [10.5, 12.5]])
    # 'same' average pooling divides by the number of REAL cells (corner window of 3x3 on 2x2 input).
    z = np.ones((2, 2))
    np.testing.assert_array_equal(pool2d(z, size=3, stride=1, padding="same", mode="avg"), np.ones((2, 2)))
    assert pool2d(x, size=2, mode="average").shape == (5, 5)


@pytest.mark.parametrize(
    "kwargs, x_shape, fragments",
    [
        ({"size": 5}, (4, 4), ["size=5", "4x4", "'valid'"]),
        ({"size": (2, 6)}, (8, 5), ["size=(2, 6)", "8x5"]),
        ({"stride": 0}, (4, 4), ["stride=0", "positive whole number"]),
        ({"stride": -1}, (4, 4), ["stride=-1", "positive whole number"]),
        ({"stride": 1.5}, (4, 4), ["stride=1.5"]),
        ({"size": 0}, (4, 4), ["size=0", "positive whole number"]),
        ({"size": (2, 2, 2)}, (4, 4), ["size=(2, 2, 2)", "pair"]),
        ({"size": True}, (4, 4), ["size=True"]),
        ({"padding": "full"}, (4, 4), ["padding='full'", "'valid' or 'same'"]),
        ({"padding": 1}, (4, 4), ["padding=1", "'valid' or 'same'"]),
        ({"mode": "min"}, (4, 4), ["mode='min'", "'max' or 'avg'"]),
        ({}, (4,), ["shape (4,)", "(H, W) or (H, W, C)"]),
        ({}, (1, 4, 4, 1), ["shape (1, 4, 4, 1)", "(H, W) or (H, W, C)"]),
    ],
)
def test_bad_input_names_argument_value_and_what_is_allowed(kwargs, x_shape, fragments):
    with pytest.raises(CourseValueError) as info:
        pool2d(np.zeros(x_shape), **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_bad_input_not_numbers():
    with pytest.raises(CourseValueError, match="x must be an array of numbers"):
        pool2d([["a", "b"], ["c", "d"]])


def test_same_padding_accepts_window_larger_than_input():
    x = np.random.default_rng(0).normal(size=(3, 2, 2)).astype(np.float32)
    want = tf.nn.max_pool2d(x[None], ksize=5, strides=2, padding="SAME")[0].numpy()
    np.testing.assert_allclose(pool2d(x, size=5, stride=2, padding="same"), want)
