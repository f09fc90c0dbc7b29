"""Self-checks for notebook 07 (overfitting, dropout and augmentation).

Every expected value is computed when the check runs: dropout outputs come from
``keras.layers.Dropout`` itself, augmentation is judged by applying the
student's pipeline to test images whose correct behaviour is known, and the
History exercises use a reference computed from randomly generated histories.
"""

from __future__ import annotations

import numpy as np

from . import NOT_ATTEMPTED, _compare, _show, check_function, fail, passed
from ..errors import CourseError


# --------------------------------------------------------------------------- exercise 1: dropout by hand


def _keras_dropout_cases(seed: int = 7):
    """(x, keep, rate) cases and Keras's own outputs for them.

    ``x`` is strictly positive, so the units Keras dropped are exactly the zeros
    of its output; that mask is handed to the student's function.
    """
    import keras

    rng = np.random.default_rng(seed)
    cases, outputs = [], []
    for shape, rate in [((10,), 0.5), ((4, 6), 0.2), ((2, 3, 5), 0.75), ((8,), 0.0), ((1000,), 0.3)]:
        x = rng.uniform(0.5, 2.0, size=shape).astype("float32")
        layer = keras.layers.Dropout(rate, seed=int(rng.integers(1 << 30)))
        out = keras.ops.convert_to_numpy(layer(x, training=True))
        keep = out != 0
        cases.append((x, keep, rate))
        outputs.append(out)
    return cases, outputs


def dropout_forward(student_fn) -> None:
    """Exercise: ``dropout_forward(x, keep, rate)`` must reproduce ``keras.layers.Dropout`` in training mode."""
    name = "dropout_forward"
    if student_fn is None or not callable(student_fn):
        fail(f"`{name}` should be a function, got {_show(student_fn)}. Define it in the cell above and run it.")
    cases, outputs = _keras_dropout_cases()
    for (x, keep, rate), want in zip(cases, outputs):
        where = f"an input of shape {x.shape} with rate={rate}"
        try:
            got = student_fn(x.copy(), keep.copy(), rate)
        except NotImplementedError:
            fail(NOT_ATTEMPTED)
        except CourseError:
            raise
        except Exception as exc:  # the student's bug, in one line
            fail(f"`{name}` raised {type(exc).__name__}: {exc} (on {where}). Hint: multiply by the mask, "
                 "then rescale.")
        problem = _compare(got, want, 1e-5, 1e-6)
        if problem is None:
            continue
        got_arr = np.asarray(got, dtype=float)
        if got_arr.shape == x.shape and rate > 0:
            if np.allclose(got_arr, x * keep):
                fail(f"`{name}` on {where}: you zeroed the dropped units but did not rescale the kept ones. "
                     "Keras divides them by (1 - rate) so the expected sum stays the same.")
            if np.allclose(got_arr, x * keep * (1 - rate)):
                fail(f"`{name}` on {where}: the kept units are scaled the wrong way: (1 - rate) is what "
                     "old-style dropout applied at inference; training-time dropout divides instead.")
            if np.allclose(got_arr, x * ~keep / (1 - rate)):
                fail(f"`{name}` on {where}: `keep` is True for the units that SURVIVE, not the ones dropped.")
            if np.allclose(got_arr, x * keep / rate):
                fail(f"`{name}` on {where}: divide by the fraction of units KEPT, which is 1 - rate.")
        fail(f"`{name}` on {where}: {problem}. Hint: dropped units become 0, kept units are divided by "
             "(1 - rate).")
    passed(f"`{name}` matches keras.layers.Dropout(training=True) on all {len(cases)} inputs.")


# --------------------------------------------------------------------------- exercise 2: where dropout goes


def _layer_kinds(model):
    import keras

    kinds = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dropout):
            kinds.append("Dropout")
        elif isinstance(layer, keras.layers.Flatten):
            kinds.append("Flatten")
        elif isinstance(layer, keras.layers.Dense):
            kinds.append("Dense")
        elif isinstance(layer, keras.layers.Conv2D):
            kinds.append("Conv2D")
        else:
            kinds.append(type(layer).__name__)
    return kinds


def dropout_placement(build_fn, rates=(0.3, 0.5)) -> None:
    """Exercise: ``build_fn(rate)`` returns a CNN with Dropout(rate) between Flatten and the output layer.

    Checked by inspecting the layers of the models it returns (one per rate in
    ``rates``) and by running each model on a small batch.
    """
    import keras

    name = "build_dropout_cnn"
    if build_fn is None or not callable(build_fn):
        fail(f"`{name}` should be a function, got {_show(build_fn)}. Define it in the cell above and run it.")
    for rate in rates:
        try:
            model = build_fn(rate)
        except NotImplementedError:
            fail(NOT_ATTEMPTED)
        except CourseError:
            raise
        except Exception as exc:
            fail(f"`{name}({rate})` raised {type(exc).__name__}: {exc}. Hint: build a keras.Sequential that "
                 "starts with keras.Input(shape=(28, 28, 1)).")
        if not isinstance(model, keras.Model):
            fail(f"`{name}({rate})` returned {_show(model)}; return the keras model you built.")
        kinds = _layer_kinds(model)
        order = " -> ".join(kinds)
        if "Conv2D" not in kinds:
            fail(f"`{name}({rate})` has no Conv2D layer ({order}): keep the convolutional feature extractor.")
        if "Flatten" not in kinds:
            fail(f"`{name}({rate})` has no Flatten layer ({order}).")
        if not kinds or kinds[-1] != "Dense":
            fail(f"`{name}({rate})` must end with the output Dense layer; its layers are {order}.")
        drops = [i for i, k in enumerate(kinds) if k == "Dropout"]
        if not drops:
            fail(f"`{name}({rate})` has no Dropout layer ({order}).")
        flatten = kinds.index("Flatten")
        if any(i < flatten for i in drops):
            fail(f"`{name}({rate})`: a Dropout layer sits before Flatten ({order}). This exercise asks for "
                 "dropout in the classifier part: after Flatten, before the output layer.")
        bad_rates = [model.layers[i].rate for i in drops if not np.isclose(model.layers[i].rate, rate)]
        if bad_rates:
            fail(f"`{name}({rate})` has Dropout with rate {bad_rates[0]}; use the `rate` argument.")
        try:
            out = model(np.zeros((2, 28, 28, 1), dtype="float32"), training=False)
        except Exception as exc:
            fail(f"`{name}({rate})` cannot run on a batch of shape (2, 28, 28, 1): {type(exc).__name__}: {exc}")
        if tuple(out.shape) != (2, 10):
            fail(f"`{name}({rate})` gives outputs of shape {tuple(out.shape)} for 2 images; "
                 "it should give (2, 10): one probability per class.")
        probs = keras.ops.convert_to_numpy(out)
        if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
            fail(f"`{name}({rate})`: the outputs do not sum to 1; give the output layer activation='softmax'.")
    passed(f"`{name}` puts Dropout(rate) between Flatten and the output layer (checked for rates {list(rates)}).")


# --------------------------------------------------------------------------- exercise 3: an augmentation pipeline


def _probe_images(size: int = 28):
    """Four test images whose correct behaviour under augmentation is known."""
    left = np.zeros((size, size), "float32")
    left[4:24, 2:8] = 1.0  # mass on the left: a horizontal flip moves it to the right
    top = np.zeros((size, size), "float32")
    top[2:8, 4:24] = 1.0  # mass at the top: an upright pipeline never moves it to the bottom
    blob = np.zeros((size, size), "float32")
    blob[12:16, 12:16] = 1.0  # centred and symmetric: only a shift moves its centre
    line = np.zeros((size, size), "float32")
    line[13:15, 5:23] = 1.0  # a horizontal bar through the centre: only a rotation tilts it
    return left, top, blob, line


def _centre(images):
    """Intensity-weighted (row, column) centre of each image in a batch (N, H, W)."""
    h, w = images.shape[1:3]
    rows, cols = np.mgrid[0:h, 0:w]
    mass = images.sum(axis=(1, 2)) + 1e-9
    return (images * rows).sum(axis=(1, 2)) / mass, (images * cols).sum(axis=(1, 2)) / mass


def _tilt_degrees(images):
    """Orientation of each image's intensity (0 = horizontal), from its second moments."""
    h, w = images.shape[1:3]
    rows, cols = np.mgrid[0:h, 0:w]
    r0, c0 = _centre(images)
    dr = rows[None] - r0[:, None, None]
    dc = cols[None] - c0[:, None, None]
    mass = images.sum(axis=(1, 2)) + 1e-9
    crr = (images * dr * dr).sum(axis=(1, 2)) / mass
    ccc = (images * dc * dc).sum(axis=(1, 2)) / mass
    crc = (images * dr * dc).sum(axis=(1, 2)) / mass
    return np.degrees(0.5 * np.arctan2(2 * crc, ccc - crr))


def augmentation_pipeline(make_fn, n: int = 64) -> None:
    """Exercise: ``make_fn()`` returns an augmentation pipeline with the properties the notebook asks for.

    Judged by applying it: unchanged in inference mode, same shape, values in
    [0, 1], mirrors left-right sometimes, never turns an image upside down,
    shifts a centred blob sometimes and tilts a horizontal bar sometimes.
    """
    import keras

    name = "make_augmenter"
    if make_fn is None or not callable(make_fn):
        fail(f"`{name}` should be a function, got {_show(make_fn)}. Define it in the cell above and run it.")
    try:
        augment = make_fn()
    except NotImplementedError:
        fail(NOT_ATTEMPTED)
    except CourseError:
        raise
    except Exception as exc:
        fail(f"`{name}()` raised {type(exc).__name__}: {exc}. Hint: return keras.Sequential([...]) of "
             "keras.layers.Random... layers.")
    if not callable(augment):
        fail(f"`{name}()` returned {_show(augment)}; return the pipeline (e.g. a keras.Sequential of layers).")

    def apply(batch, training):
        try:
            out = augment(batch, training=training)
        except Exception as exc:
            fail(f"applying your pipeline to a batch of shape {batch.shape} failed: {type(exc).__name__}: {exc}")
        return keras.ops.convert_to_numpy(out)

    left, top, blob, line = _probe_images()
    batch = np.stack([left, top, blob, line])[..., None]
    same = apply(batch, training=False)
    if same.shape != batch.shape:
        fail(f"in inference mode the pipeline changed the shape {batch.shape} to {same.shape}.")
    if not np.allclose(same, batch, atol=1e-5):
        fail("in inference mode (training=False) the pipeline changed the images. Augmentation must only "
             "act during training: use the keras.layers.Random... layers, which pass images through at inference.")

    results = {}
    for label, image in (("left", left), ("top", top), ("blob", blob), ("line", line)):
        out = apply(np.repeat(image[None, ..., None], n, axis=0), training=True)
        if out.shape != (n, 28, 28, 1):
            fail(f"in training mode the pipeline turned a batch of shape {(n, 28, 28, 1)} into {out.shape}; "
                 "keep the image size (e.g. RandomTranslation instead of a crop to a smaller size).")
        if out.min() < -1e-3 or out.max() > 1 + 1e-3:
            fail(f"the augmented pixels range from {out.min():.3f} to {out.max():.3f}; images scaled to [0, 1] "
                 "should stay in [0, 1] (don't add brightness or contrast changes here).")
        results[label] = out[..., 0]
    changed = np.abs(results["left"] - left).max(axis=(1, 2)) > 1e-3
    if changed.mean() < 0.5:
        fail(f"in training mode only {changed.sum()} of {n} images changed; the pipeline should alter "
             "most of them.")
    _, left_cols = _centre(results["left"])
    if (left_cols > 14).sum() == 0:
        fail(f"none of {n} augmented copies of a left-heavy image ended up right-heavy: add a horizontal "
             "flip (RandomFlip(\"horizontal\")).")
    top_rows, _ = _centre(results["top"])
    if (top_rows > 14).any():
        fail(f"{(top_rows > 14).sum()} of {n} augmented copies of a top-heavy image were upside down. "
             "Clothes are photographed upright: flip horizontally only, and keep rotations small "
             "(a factor like 0.05, i.e. about 18 degrees).")
    blob_rows, blob_cols = _centre(results["blob"])
    moved = np.hypot(blob_rows - 13.5, blob_cols - 13.5) > 0.9
    if not moved.any():
        fail(f"a centred square never moved in {n} copies: add a small shift (RandomTranslation).")
    tilt = np.abs(_tilt_degrees(results["line"]))
    tilt = np.minimum(tilt, 180 - tilt)
    if not (tilt > 3).any():
        fail(f"a horizontal bar was never tilted in {n} copies: add a small rotation (RandomRotation).")
    passed(f"`{name}` passes images through at inference, and in training it mirrors, shifts and tilts them "
           f"while keeping them upright (checked on {n} copies of 4 test images).")


# --------------------------------------------------------------------------- exercises 4-5: reading a History


def _random_histories(seed: int = 3):
    rng = np.random.default_rng(seed)
    cases = []
    for epochs, last in [(5, 1), (12, 3), (20, 5), (3, 3), (30, 4)]:
        acc = np.clip(np.linspace(0.5, 0.99, epochs) + rng.normal(0, 0.01, epochs), 0, 1)
        val = np.clip(np.linspace(0.5, 0.85, epochs) + rng.normal(0, 0.02, epochs), 0, 1)
        loss = np.linspace(1.5, 0.05, epochs) + rng.uniform(0, 0.05, epochs)
        val_loss = 0.6 + (np.linspace(-1, 1, epochs) - rng.uniform(-1, 1)) ** 2 + rng.uniform(0, 0.05, epochs)
        history = {"accuracy": [float(v) for v in acc], "val_accuracy": [float(v) for v in val],
                   "loss": [float(v) for v in loss], "val_loss": [float(v) for v in val_loss]}
        cases.append((history, last))
    return cases


def _answers(student_fn, cases):
    """The student's answer on every case, or None if any call fails (check_function then reports it)."""
    answers = []
    for case in cases:
        try:
            answers.append(student_fn(*case))
        except NotImplementedError:
            fail(NOT_ATTEMPTED)
        except Exception:  # reported with a hint by check_function
            return None
    return answers


def _all_close(answers, values) -> bool:
    try:
        return all(np.isclose(float(a), float(v), atol=1e-9) for a, v in zip(answers, values))
    except (TypeError, ValueError):
        return False


def _train_val_gap(history, last=1):
    return float(np.mean(history["accuracy"][-last:]) - np.mean(history["val_accuracy"][-last:]))


def train_val_gap(student_fn) -> None:
    """Exercise: ``train_val_gap(history, last)`` = mean training minus mean validation accuracy, last epochs."""
    cases = _random_histories()
    answers = _answers(student_fn, cases) if callable(student_fn) else None
    if answers is not None:
        if _all_close(answers, [-_train_val_gap(h, last) for h, last in cases]):
            fail("`train_val_gap` has the right size but the wrong sign: subtract the validation accuracy "
                 "FROM the training accuracy, so overfitting gives a positive gap.")
        if _all_close(answers, [_train_val_gap(h, 1) for h, last in cases]):
            fail("`train_val_gap(history, last)` used only the final epoch; average the last `last` epochs "
                 "of each curve (slicing with [-last:]).")
    check_function(
        student_fn, _train_val_gap, cases, name="train_val_gap",
        hint="average history['accuracy'] and history['val_accuracy'] over their last `last` values, then "
             "subtract the second from the first.",
        describe=lambda case: f"a {len(case[0]['accuracy'])}-epoch history with last={case[1]}",
        rtol=1e-6, atol=1e-9,
    )


def _best_epoch(history):
    return int(np.argmin(history["val_loss"])) + 1


def best_epoch(student_fn) -> None:
    """Exercise: ``best_epoch(history)`` = the 1-based epoch with the lowest validation loss."""
    cases = [(h,) for h, _ in _random_histories(seed=11)]
    answers = _answers(student_fn, cases) if callable(student_fn) else None
    if answers is not None:
        if _all_close(answers, [_best_epoch(h) - 1 for h, in cases]):
            fail("`best_epoch` is off by one: Keras prints epochs counting from 1, while np.argmin counts "
                 "from 0.")
        if _all_close(answers, [int(np.argmin(h["loss"])) + 1 for h, in cases]):
            fail("`best_epoch` returned the epochs where the TRAINING loss is lowest; overfitting shows in "
                 "the VALIDATION loss, so look for its minimum.")
    check_function(
        student_fn, _best_epoch, cases, name="best_epoch",
        hint="find the position of the smallest value in history['val_loss'] and count epochs from 1.",
        describe=lambda case: f"a {len(case[0]['val_loss'])}-epoch history",
    )
