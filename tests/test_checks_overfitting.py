"""Notebook 07's self-checks: each passes a correct answer, and fails a wrong one (or an
unattempted one) with its hint.  Plus the figure helpers' bad-input errors."""

from __future__ import annotations

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils.checks import NOT_ATTEMPTED, CheckFailed  # noqa: E402
from course_utils.checks import overfitting as check  # noqa: E402
from course_utils.errors import CourseValueError  # noqa: E402
from course_utils.regularization_plots import plot_bars  # noqa: E402

layers = keras.layers


def not_attempted(*args, **kwargs):
    raise NotImplementedError()


def assert_fails(check_fn, answer, *hint_parts):
    with pytest.raises(CheckFailed) as info:
        check_fn(answer)
    for part in hint_parts:
        assert part in str(info.value), f"{part!r} not in {str(info.value)!r}"


def assert_passes(check_fn, answer, capsys):
    check_fn(answer)
    assert "✅" in capsys.readouterr().out


# --------------------------------------------------------------------------- dropout by hand


def test_dropout_reference_cases_are_keras_outputs():
    """The cases come from Keras: the formula the notebook teaches must reproduce them."""
    cases, outputs = check._keras_dropout_cases()
    for (x, keep, rate), out in zip(cases, outputs):
        np.testing.assert_allclose(np.where(keep, x / (1 - rate), 0.0), out, rtol=1e-6)
        if rate > 0 and x.size >= 100:  # a large case really drops about `rate` of the units
            assert abs((~keep).mean() - rate) < 0.1


def test_dropout_forward_passes_correct(capsys):
    assert_passes(check.dropout_forward, lambda x, keep, rate: x * keep / (1 - rate), capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, keep, rate: x * keep, "did not rescale"),
    (lambda x, keep, rate: x * keep * (1 - rate), "scaled the wrong way"),
    (lambda x, keep, rate: x * ~keep / (1 - rate), "SURVIVE"),
    (lambda x, keep, rate: x * keep / max(rate, 1e-9), "1 - rate"),
    (lambda x, keep, rate: x, "Hint"),
    (lambda x, keep, rate: 1 / 0, "ZeroDivisionError"),
    (not_attempted, NOT_ATTEMPTED),
    (None, "should be a function"),
])
def test_dropout_forward_fails_wrong(wrong, hint):
    assert_fails(check.dropout_forward, wrong, hint)


# --------------------------------------------------------------------------- where dropout goes


def _cnn(rate, where="classifier"):
    stack = [keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D()]
    if where == "features":
        stack.append(layers.Dropout(rate))
    stack.append(layers.Flatten())
    if where == "classifier":
        stack.append(layers.Dropout(rate))
    stack.append(layers.Dense(10, activation="softmax"))
    if where == "after-output":
        stack.append(layers.Dropout(rate))
    return keras.Sequential(stack)


def test_dropout_placement_passes_correct(capsys):
    assert_passes(check.dropout_placement, lambda rate: _cnn(rate), capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda rate: _cnn(rate, where="features"), "before Flatten"),
    (lambda rate: _cnn(rate, where="after-output"), "must end with the output Dense"),
    (lambda rate: _cnn(rate, where="none"), "no Dropout"),
    (lambda rate: _cnn(0.5), "use the `rate` argument"),
    (lambda rate: keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), layers.Dropout(rate),
                                    layers.Dense(10, activation="softmax")]), "no Conv2D"),
    (lambda rate: keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(),
                                    layers.Dropout(rate), layers.Dense(3, activation="softmax")]), "(2, 10)"),
    (lambda rate: keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(),
                                    layers.Dropout(rate), layers.Dense(10)]), "softmax"),
    (lambda rate: "model", "return the keras model"),
    (not_attempted, NOT_ATTEMPTED),
])
def test_dropout_placement_fails_wrong(wrong, hint):
    assert_fails(check.dropout_placement, wrong, hint)


# --------------------------------------------------------------------------- augmentation pipeline


def _augmenter(*extra, flip="horizontal", rotation=0.05, translate=0.1):
    stack = [layers.RandomFlip(flip, seed=1)] if flip else []
    if rotation:
        stack.append(layers.RandomRotation(rotation, seed=2))
    stack.append(layers.RandomZoom(0.1, seed=3))
    if translate:
        stack.append(layers.RandomTranslation(translate, translate, seed=4))
    return keras.Sequential(stack + list(extra))


def test_augmentation_passes_correct(capsys):
    assert_passes(check.augmentation_pipeline, _augmenter, capsys)


class _AlwaysNoise(layers.Layer):
    """Adds noise even at inference: the mistake of augmenting outside the Random... layers."""

    def call(self, x, training=None):
        return x + 0.1


@pytest.mark.parametrize("wrong, hint", [
    (lambda: _augmenter(flip="horizontal_and_vertical"), "upside down"),
    (lambda: _augmenter(rotation=0.5), "upside down"),
    (lambda: _augmenter(flip=None), "horizontal flip"),
    (lambda: _augmenter(translate=0), "RandomTranslation"),
    (lambda: _augmenter(rotation=0), "RandomRotation"),
    (lambda: _augmenter(_AlwaysNoise()), "inference mode"),
    (lambda: _augmenter(layers.RandomCrop(20, 20)), "shape"),
    (lambda: _augmenter(layers.RandomContrast(0.9, seed=5)), "[0, 1]"),
    (lambda: keras.Sequential([layers.Identity()]), "changed"),
    (lambda: 42, "return the pipeline"),
    (not_attempted, NOT_ATTEMPTED),
])
def test_augmentation_fails_wrong(wrong, hint):
    assert_fails(check.augmentation_pipeline, wrong, hint)


# --------------------------------------------------------------------------- reading a History


def _gap(history, last=1):
    return float(np.mean(history["accuracy"][-last:]) - np.mean(history["val_accuracy"][-last:]))


def test_train_val_gap_passes_correct(capsys):
    assert_passes(check.train_val_gap, _gap, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda h, last=1: -_gap(h, last), "wrong sign"),
    (lambda h, last=1: _gap(h, 1), "used only the final epoch"),
    (lambda h, last=1: float(np.mean(h["accuracy"][:last]) - np.mean(h["val_accuracy"][:last])), "Hint"),
    (lambda h, last=1: h["missing"], "KeyError"),
    (not_attempted, NOT_ATTEMPTED),
])
def test_train_val_gap_fails_wrong(wrong, hint):
    assert_fails(check.train_val_gap, wrong, hint)


def test_best_epoch_passes_correct(capsys):
    assert_passes(check.best_epoch, lambda h: int(np.argmin(h["val_loss"])) + 1, capsys)


def test_best_epoch_cases_are_not_trivial():
    """The best epoch is sometimes in the middle, and differs from the training loss's best."""
    cases = check._random_histories(seed=11)
    best = [int(np.argmin(h["val_loss"])) + 1 for h, _ in cases]
    assert any(1 < b < len(h["val_loss"]) for b, (h, _) in zip(best, cases))
    assert any(b != int(np.argmin(h["loss"])) + 1 for b, (h, _) in zip(best, cases))


@pytest.mark.parametrize("wrong, hint", [
    (lambda h: int(np.argmin(h["val_loss"])), "off by one"),
    (lambda h: int(np.argmin(h["loss"])) + 1, "TRAINING loss"),
    (lambda h: len(h["val_loss"]) // 2, "Hint"),
    (lambda h: float(np.argmin(h["val_loss"])) + 1.5, "Hint"),
    (not_attempted, NOT_ATTEMPTED),
])
def test_best_epoch_fails_wrong(wrong, hint):
    assert_fails(check.best_epoch, wrong, hint)


# --------------------------------------------------------------------------- figure helpers


def test_plot_bars_one_panel_per_quantity():
    fig = plot_bars(["base", "deeper"], {"seconds per epoch": [1.0, 2.0], "test accuracy": [0.8, 0.9]})
    assert [ax.get_ylabel() for ax in fig.axes] == ["seconds per epoch", "test accuracy"]
    assert all(len(ax.patches) == 2 for ax in fig.axes)


@pytest.mark.parametrize("names, panels, message", [
    ([], {"x": []}, "at least one model"),
    (["a"], {}, "non-empty dict"),
    (["a", "b"], {"x": [1.0]}, "one value per model"),
])
def test_plot_bars_bad_input(names, panels, message):
    with pytest.raises(CourseValueError, match=message):
        plot_bars(names, panels)
