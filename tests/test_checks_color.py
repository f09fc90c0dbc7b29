"""Notebook 06's self-checks: each passes with a right answer and fails with its hint on a wrong one."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.checks import NOT_ATTEMPTED, CheckFailed
from course_utils.checks import color as check


# --------------------------------------------------------------------------- right answers (written independently)


def conv_rgb_loops(image, kernels, bias):
    kh, kw, _ = kernels.shape
    h, w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw, :] * kernels) + bias
    return out


def conv_params_formula(kernel_size, in_channels, filters):
    return (kernel_size * kernel_size * in_channels + 1) * filters


def mult_adds_formula(height, width, in_channels, kernel_size, filters):
    return height * width * filters * kernel_size * kernel_size * in_channels


def flatten_formula(image_size, filters=(32, 64, 128)):
    side = image_size
    for _ in filters:
        side //= 2
    return side * side * filters[-1]


def gray_formula(rgb):
    return rgb @ np.array([0.2125, 0.7154, 0.0721])


# --------------------------------------------------------------------------- wrong answers (typical mistakes)


def conv_rgb_per_channel_only(image, kernels, bias):  # forgets to sum the channels: uses the red one only
    return conv_rgb_loops(image[..., :1], kernels[..., :1], bias)


def conv_rgb_bias_per_channel(image, kernels, bias):  # adds the bias once per channel
    return conv_rgb_loops(image, kernels, bias) + (image.shape[-1] - 1) * bias


def params_without_bias(kernel_size, in_channels, filters):
    return kernel_size * kernel_size * in_channels * filters


def params_ignoring_channels(kernel_size, in_channels, filters):
    return (kernel_size * kernel_size + 1) * filters


def mult_adds_ignoring_channels(height, width, in_channels, kernel_size, filters):
    return height * width * filters * kernel_size * kernel_size


def flatten_rounding_up(image_size, filters=(32, 64, 128)):
    side = image_size
    for _ in filters:
        side = -(-side // 2)
    return side * side * filters[-1]


def flatten_ignoring_filters(image_size, filters=(32, 64, 128)):
    return (image_size // 8) ** 2 * 128


def gray_mean(rgb):
    return rgb.mean(axis=-1)


def not_attempted(*args, **kwargs):
    raise NotImplementedError()


CASES = [
    (check.conv_rgb, conv_rgb_loops, [conv_rgb_per_channel_only, conv_rgb_bias_per_channel], "channels"),
    (check.conv_params, conv_params_formula, [params_without_bias, params_ignoring_channels], "bias"),
    (check.conv_mult_adds, mult_adds_formula, [mult_adds_ignoring_channels], "multiply-adds"),
    (check.flatten_size, flatten_formula, [flatten_rounding_up, flatten_ignoring_filters], "rounding DOWN"),
    (check.to_gray, gray_formula, [gray_mean], "0.7154"),
]


@pytest.mark.parametrize("checker, right, wrongs, hint_word", CASES, ids=[c[0].__name__ for c in CASES])
def test_check_passes_on_a_right_answer(checker, right, wrongs, hint_word, capsys):
    checker(right)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("checker, right, wrongs, hint_word", CASES, ids=[c[0].__name__ for c in CASES])
def test_check_fails_with_its_hint_on_wrong_answers(checker, right, wrongs, hint_word):
    for wrong in wrongs:
        with pytest.raises(CheckFailed) as info:
            checker(wrong)
        assert hint_word in str(info.value), (wrong.__name__, str(info.value))


@pytest.mark.parametrize("checker, right, wrongs, hint_word", CASES, ids=[c[0].__name__ for c in CASES])
def test_check_says_not_attempted(checker, right, wrongs, hint_word):
    with pytest.raises(CheckFailed) as info:
        checker(not_attempted)
    assert str(info.value) == NOT_ATTEMPTED


def test_conv_rgb_check_does_not_accept_a_single_channel_shortcut():
    # A right answer on 1-channel input only is not enough: the RGB cases must catch it.
    def gray_only(image, kernels, bias):
        if image.shape[-1] != 1:
            return conv_rgb_loops(image.mean(axis=-1, keepdims=True), kernels.sum(axis=-1, keepdims=True), bias)
        return conv_rgb_loops(image, kernels, bias)

    with pytest.raises(CheckFailed):
        check.conv_rgb(gray_only)
