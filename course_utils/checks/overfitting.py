"""Self-checks for notebook 07 (overfitting, dropout and augmentation).

Every expected value is computed when the check runs: dropout outputs come from
``keras.layers.Dropout`` itself; the deeper network's parameters and multiply-adds
from Keras models built on the spot; the "why" question from measurements on the
notebook's own trained dropout model; augmentation is judged by applying the
student's pipeline to test images whose correct behaviour is known; the debugged
evaluation is compared with a model's inference-mode predictions; the count of
augmented images by enumerating them.
"""

from __future__ import annotations

import numpy as np

from ..model_counts import multiply_adds
from . import (
    NOT_ATTEMPTED,
    call_student,
    check_choice,
    check_function,
    compare,
    exercise,
    fail,
    not_attempted,
    passed,
    progress_of,
    show_value,
)


def _not_a_function(name: str, value) -> None:
    if value is None or not callable(value):
        not_attempted(f"`{name}` should be a function, got {show_value(value)}. "
                      "Define it in the cell above and run it.")


# --------------------------------------------------------------------------- explain: fit's training accuracy


def _accuracy(model, x, y, training: bool, batch_size: int = 500) -> float:
    import keras

    # in batches: one call on 5,000 images holds every layer's activations at once (about 1.3 GB in notebook 07)
    probs = np.concatenate([keras.ops.convert_to_numpy(model(x[i:i + batch_size], training=training))
                            for i in range(0, len(x), batch_size)])
    return float(np.mean(np.argmax(probs, axis=-1) == np.asarray(y)))


def dropout_why_options(model, x_train, y_train, x_val, y_val, repeats: int = 3) -> tuple[dict, str]:
    """The truth of each option of the "why" question, measured on a trained dropout model."""
    import keras

    infer_train = _accuracy(model, x_train, y_train, training=False)
    dropout_train = float(np.mean([_accuracy(model, x_train, y_train, training=True) for _ in range(repeats)]))
    infer_val = _accuracy(model, x_val, y_val, training=False)
    probe = np.random.default_rng(0).uniform(0.5, 2.0, size=(4, 64)).astype("float32")
    identity_at_inference = all(
        np.allclose(keras.ops.convert_to_numpy(layer(probe, training=False)), probe)
        for layer in model.layers if isinstance(layer, keras.layers.Dropout)
    )
    options = {
        "a": dropout_train < infer_train,
        "b": infer_val > infer_train,
        "c": not identity_at_inference,
    }
    why = (f"On the training images this model scores {dropout_train:.3f} with dropout on (what fit measures) and "
           f"{infer_train:.3f} in inference mode; on the validation images {infer_val:.3f}.")
    return options, why


@exercise("07-dropout-why", "explain: fit's training accuracy",
          uses=["dropout_why", "dropout_model", "x_small", "y_small", "x_val", "y_val"])
def dropout_why(answer, model, x_train, y_train, x_val, y_val) -> None:
    """Explain: why the training accuracy fit reports for the dropout model sits below its validation accuracy."""
    options, why = dropout_why_options(model, x_train, y_train, x_val, y_val)
    check_choice(answer, options, name="dropout_why", why=why,
                 hint=["the two curves are not measured the same way: think about which mode (training or "
                       "inference) the model is in while each number is measured.",
                       "run the trained model on the same training images twice yourself, once with "
                       "training=True and once with training=False, and compare the accuracies."])


# --------------------------------------------------------------------------- predict: the deeper network


def _cnn_pair():
    """The base CNN and the deeper one (a second 3x3 'valid' convolution after each), as Keras builds them."""
    import keras
    from keras import layers

    def build(per_block):
        stack = [keras.Input(shape=(28, 28, 1))]
        for filters in (32, 64):
            stack += [layers.Conv2D(filters, 3, activation="relu") for _ in range(per_block)]
            stack.append(layers.MaxPooling2D())
        stack += [layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")]
        return keras.Sequential(stack)

    return build(1), build(2)


_MORE_FEWER = ("more", "fewer")
DEEPER_HINTS = [
    "parameters: where does the base CNN keep most of its weights? Look at the per-layer counts of "
    "`base.summary()`. Multiply-adds: which layers run once per output pixel?",
    "every extra 3x3 convolution without padding makes the feature maps 2 pixels narrower and 2 shorter: follow "
    "that through both blocks to the Flatten length, and then to the Dense layer.",
    "a convolution's multiply-adds are (output height x width) x (k x k x input channels) x filters: the extra "
    "layers run at 24x24 and 8x8, where the Dense layer runs once per image."]


@exercise("07-deeper-prediction", "predict: the deeper CNN", uses=["deeper_prediction"])
def deeper_prediction(prediction) -> None:
    """Predict: does the deeper CNN have more or fewer parameters, and more or fewer multiply-adds, than the base?"""
    name = "deeper_prediction"
    keys = ("parameters", "multiply_adds")
    if prediction is None or (isinstance(prediction, dict) and all(v is None for v in prediction.values())):
        not_attempted(f"`{name}` is still empty. " + NOT_ATTEMPTED)
    if not isinstance(prediction, dict) or set(prediction) != set(keys):
        fail(f"`{name}` should be a dict with the keys {list(keys)}, got {show_value(prediction)}.",
             "fill in the dict the cell starts with: one word per key.")
    answers = {k: str(prediction[k]).strip().lower() for k in keys}
    odd = [k for k in keys if answers[k] not in _MORE_FEWER]
    if odd:
        fail(f"`{name}[{odd[0]!r}]` is {prediction[odd[0]]!r}; write 'more' or 'fewer'.",
             "each value is one of the two words 'more' or 'fewer'.")
    base, deeper = _cnn_pair()
    truth = {"parameters": "more" if deeper.count_params() > base.count_params() else "fewer",
             "multiply_adds": "more" if multiply_adds(deeper) > multiply_adds(base) else "fewer"}
    wrong = [k for k in keys if answers[k] != truth[k]]
    if wrong:
        fail(f"{len(wrong)} of your {len(keys)} predictions is not right.", DEEPER_HINTS)
    passed(f"base: {base.count_params():,} parameters, {multiply_adds(base):,} multiply-adds per image; deeper: "
           f"{deeper.count_params():,} parameters, {multiply_adds(deeper):,} multiply-adds (Keras's counts).")


# --------------------------------------------------------------------------- dropout by hand


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


@exercise("07-dropout-forward", "dropout by hand", uses=["dropout_forward"])
def dropout_forward(student_fn) -> None:
    """Exercise: ``dropout_forward(x, keep, rate)`` must reproduce ``keras.layers.Dropout`` in training mode."""
    name = "dropout_forward"
    _not_a_function(name, student_fn)
    hints = ["a dropped unit contributes nothing; a kept unit is made larger, so that the expected sum over "
             "all units stays what it was without dropout.",
             "on average only a fraction (1 - rate) of the units survive: by what factor must each survivor grow "
             "to make up for the others?"]
    cases, outputs = _keras_dropout_cases()
    for (x, keep, rate), want in zip(cases, outputs):
        where = f"an input of shape {x.shape} with rate={rate}"
        got = call_student(student_fn, (x.copy(), keep.copy(), rate), name=name, hint=hints, where=where)
        if got is None:
            not_attempted(f"`{name}` returned None. " + NOT_ATTEMPTED)
        problem = compare(got, want, 1e-5, 1e-6)
        if problem is None:
            continue
        got_arr = np.asarray(got, dtype=float)
        if got_arr.shape == x.shape and rate > 0:
            if np.allclose(got_arr, x * keep):
                fail(f"`{name}` on {where}: you zeroed the dropped units but did not rescale the kept ones.", hints)
            if np.allclose(got_arr, x * keep * (1 - rate)):
                fail(f"`{name}` on {where}: the kept units are scaled the wrong way: shrinking them by (1 - rate) "
                     "is what old-style dropout applied at inference; training-time dropout makes them larger.",
                     hints[1:])
            if np.allclose(got_arr, x * ~keep / (1 - rate)):
                fail(f"`{name}` on {where}: `keep` is True for the units that SURVIVE, not the ones dropped.", hints)
            if np.allclose(got_arr, x * keep / rate):
                fail(f"`{name}` on {where}: the rescaling uses the fraction of units dropped; it should use the "
                     "fraction KEPT.", hints[1:])
        fail(f"`{name}` on {where}: {problem}.", hints)
    passed(f"`{name}` matches keras.layers.Dropout(training=True) on all {len(cases)} inputs.")


# --------------------------------------------------------------------------- where dropout goes


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


@exercise("07-dropout-placement", "dropout in its place", uses=["build_dropout_cnn"])
def build_dropout_cnn(build_fn, rates=(0.3, 0.5)) -> None:
    """Exercise: ``build_fn(rate)`` returns a CNN with Dropout(rate) between Flatten and the output layer.

    Checked by inspecting the layers of the models it returns (one per rate in
    ``rates``) and by running each model on a small batch.
    """
    import keras

    name = "build_dropout_cnn"
    _not_a_function(name, build_fn)
    place = ["which part of a CNN has most of the parameters, and so the most room to memorise?",
             "the notebook's section 'Where dropout goes' names the two layers it sits between."]
    for rate in rates:
        model = call_student(build_fn, (rate,), name=f"{name}({rate})",
                             hint="build a keras.Sequential that starts with keras.Input(shape=(28, 28, 1)).")
        if model is None:
            not_attempted(f"`{name}({rate})` returned None. " + NOT_ATTEMPTED)
        if not isinstance(model, keras.Model):
            fail(f"`{name}({rate})` returned {show_value(model)}.", "return the keras model you built.")
        kinds = _layer_kinds(model)
        order = " -> ".join(kinds)
        if "Conv2D" not in kinds:
            fail(f"`{name}({rate})` has no Conv2D layer ({order}).", "keep the convolutional feature extractor.")
        if "Flatten" not in kinds:
            fail(f"`{name}({rate})` has no Flatten layer ({order}).", "the statement lists every layer you need.")
        if not kinds or kinds[-1] != "Dense":
            fail(f"`{name}({rate})` must end with the output Dense layer; its layers are {order}.", place)
        drops = [i for i, k in enumerate(kinds) if k == "Dropout"]
        if not drops:
            fail(f"`{name}({rate})` has no Dropout layer ({order}).", place)
        flatten = kinds.index("Flatten")
        if any(i < flatten for i in drops):
            fail(f"`{name}({rate})`: a Dropout layer sits before Flatten ({order}). This exercise asks for "
                 "dropout in the classifier part.", place)
        bad_rates = [model.layers[i].rate for i in drops if not np.isclose(model.layers[i].rate, rate)]
        if bad_rates:
            fail(f"`{name}({rate})` has Dropout with rate {bad_rates[0]}.", "use the `rate` argument.")
        try:
            out = model(np.zeros((2, 28, 28, 1), dtype="float32"), training=False)
        except Exception as exc:  # noqa: BLE001 - the student's model or pipeline failed: one line
            fail(f"`{name}({rate})` cannot run on a batch of shape (2, 28, 28, 1): {type(exc).__name__}: {exc}",
                 "check the input shape.")
        if tuple(out.shape) != (2, 10):
            fail(f"`{name}({rate})` gives outputs of shape {tuple(out.shape)} for 2 images; "
                 "it should give (2, 10): one probability per class.", "how many classes are there?")
        probs = keras.ops.convert_to_numpy(out)
        if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
            fail(f"`{name}({rate})`: the outputs do not sum to 1.",
                 "which activation turns the output layer's scores into probabilities?")
    passed(f"`{name}` puts Dropout(rate) between Flatten and the output layer (checked for rates {list(rates)}).")


# --------------------------------------------------------------------------- an augmentation pipeline


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


@exercise("07-augmenter", "augmentation for clothes", uses=["make_augmenter"])
def make_augmenter(make_fn, n: int = 64) -> None:
    """Exercise: ``make_fn()`` returns an augmentation pipeline with the properties the notebook asks for.

    Judged by applying it: unchanged in inference mode, same shape, values in
    [0, 1], mirrors left-right sometimes, never turns an image upside down,
    shifts a centred blob sometimes and tilts a horizontal bar sometimes.
    """
    import keras

    name = "make_augmenter"
    _not_a_function(name, make_fn)
    augment = call_student(make_fn, name=f"{name}()",
                           hint="return a keras.Sequential([...]) of keras.layers.Random... layers.")
    if augment is None:
        not_attempted(f"`{name}()` returned None. " + NOT_ATTEMPTED)
    if not callable(augment):
        fail(f"`{name}()` returned {show_value(augment)}.", "return the pipeline (e.g. a keras.Sequential of layers).")

    def apply(batch, training):
        try:
            out = augment(batch, training=training)
        except Exception as exc:  # noqa: BLE001 - the student's model or pipeline failed: one line
            fail(f"applying your pipeline to a batch of shape {batch.shape} failed: {type(exc).__name__}: {exc}",
                 "the pipeline is called like a layer: pipeline(images, training=...).")
        return keras.ops.convert_to_numpy(out)

    left, top, blob, line = _probe_images()
    batch = np.stack([left, top, blob, line])[..., None]
    same = apply(batch, training=False)
    if same.shape != batch.shape:
        fail(f"in inference mode the pipeline changed the shape {batch.shape} to {same.shape}.",
             "at inference the images must pass through untouched.")
    if not np.allclose(same, batch, atol=1e-5):
        fail("in inference mode (training=False) the pipeline changed the images.",
             ["augmentation must only act during training.",
              "the keras.layers.Random... layers pass images through at inference; other operations may not."])

    results = {}
    for label, image in (("left", left), ("top", top), ("blob", blob), ("line", line)):
        out = apply(np.repeat(image[None, ..., None], n, axis=0), training=True)
        if out.shape != (n, 28, 28, 1):
            fail(f"in training mode the pipeline turned a batch of shape {(n, 28, 28, 1)} into {out.shape}.",
                 "keep the image size: shift the image instead of cropping it smaller.")
        if out.min() < -1e-3 or out.max() > 1 + 1e-3:
            fail(f"the augmented pixels range from {out.min():.3f} to {out.max():.3f}; images scaled to [0, 1] "
                 "should stay in [0, 1].", "leave out brightness and contrast changes here.")
        results[label] = out[..., 0]
    changed = np.abs(results["left"] - left).max(axis=(1, 2)) > 1e-3
    if changed.mean() < 0.5:
        fail(f"in training mode only {changed.sum()} of {n} images changed; the pipeline should alter "
             "most of them.", "combine several random transformations.")
    _, left_cols = _centre(results["left"])
    if (left_cols > 14).sum() == 0:
        fail(f"none of {n} augmented copies of a left-heavy image ended up right-heavy.",
             "the statement asks for a left-right mirror some of the time.")
    top_rows, _ = _centre(results["top"])
    if (top_rows > 14).any():
        fail(f"{(top_rows > 14).sum()} of {n} augmented copies of a top-heavy image were upside down.",
             ["clothes are photographed upright: which flips and rotations keep them upright?",
              "flip horizontally only, and keep rotations small (a rotation factor is a fraction of a full turn)."])
    blob_rows, blob_cols = _centre(results["blob"])
    moved = np.hypot(blob_rows - 13.5, blob_cols - 13.5) > 0.9
    if not moved.any():
        fail(f"a centred square never moved in {n} copies.", "the statement asks for a small shift.")
    tilt = np.abs(_tilt_degrees(results["line"]))
    tilt = np.minimum(tilt, 180 - tilt)
    if not (tilt > 3).any():
        fail(f"a horizontal bar was never tilted in {n} copies.", "the statement asks for a small rotation.")
    passed(f"`{name}` passes images through at inference, and in training it mirrors, shifts and tilts them "
           f"while keeping them upright (checked on {n} copies of 4 test images).")


# --------------------------------------------------------------------------- debug: an evaluation


EVALUATION_HINTS = [
    "call your function twice on the same model and images: an evaluation must give the same number every time. "
    "What in the cell is random?",
    "two things in the cell are meant for training only. At evaluation the model must see the images as they are, "
    "and run in the mode `evaluate` uses."]


def _debug_cases(seed: int = 5):
    """(model, x, y, augment) cases: small models with Dropout, labels that make the accuracy neither 0 nor 1."""
    import keras
    from keras import layers

    rng = np.random.default_rng(seed)
    cases = []
    for rate, n in [(0.5, 64), (0.3, 40)]:
        keras.utils.set_random_seed(int(rng.integers(1 << 30)))
        model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), layers.Dense(32, activation="relu"),
                                  layers.Dropout(rate), layers.Dense(10, activation="softmax")])
        x = rng.uniform(0, 1, size=(n, 28, 28, 1)).astype("float32")
        x[:, :, :14] *= 0.2   # a left-right asymmetry, so a mirrored image looks different to the model
        pred = np.argmax(keras.ops.convert_to_numpy(model(x, training=False)), axis=-1)
        y = np.where(np.arange(n) % 3 == 0, (pred + 1) % 10, pred)   # two thirds right
        augment = keras.Sequential([layers.RandomFlip("horizontal", seed=1),
                                    layers.RandomTranslation(0.2, 0.2, seed=2)])
        cases.append((model, x, y, augment))
    return cases


@exercise("07-debug-evaluation", "debug: an evaluation", uses=["accuracy_of"])
def accuracy_of(student_fn) -> None:
    """Debug: ``accuracy_of(model, x, y, augment)`` must give the accuracy ``model.evaluate`` reports."""
    name = "accuracy_of"
    _not_a_function(name, student_fn)
    hints = EVALUATION_HINTS
    for model, x, y, augment in _debug_cases():
        want = _accuracy(model, x, y, training=False)
        runs = []
        for _ in range(3):
            got = call_student(student_fn, (model, x.copy(), y.copy(), augment), name=name, hint=hints)
            if got is None:
                not_attempted(f"`{name}` returned None. " + NOT_ATTEMPTED)
            try:
                runs.append(float(got))
            except (TypeError, ValueError):
                fail(f"`{name}` returned {show_value(got)}; return the accuracy as one number.", hints)
        where = f"a model with Dropout on {len(x)} images"
        if max(runs) - min(runs) > 1e-9:
            fail(f"`{name}` gave {len(set(runs))} different accuracies in {len(runs)} calls on {where}: "
                 "something random is still switched on.", hints)
        if abs(runs[0] - want) > 1e-6:
            fail(f"`{name}` on {where}: {runs[0]:.4f} is not the accuracy model.evaluate would report.", hints)
    passed(f"`{name}` gives the inference-mode accuracy, the same on every call.")


# --------------------------------------------------------------------------- quantify: distinct augmented images


def _shift(image, dr: int, dc: int):
    """``image`` shifted by (dr, dc) whole pixels, the uncovered pixels filled with 0."""
    h, w = image.shape
    out = np.zeros_like(image)
    out[max(dr, 0):h + min(dr, 0), max(dc, 0):w + min(dc, 0)] = \
        image[max(-dr, 0):h + min(-dr, 0), max(-dc, 0):w + min(-dc, 0)]
    return out


def count_variants(max_shift: int, size: int = 16, seed: int = 0) -> int:
    """Distinct images from mirroring (or not) and shifting a random image by whole pixels, counted one by one."""
    image = np.random.default_rng(seed).uniform(0.1, 1.0, size=(size, size))
    seen = set()
    for img in (image, image[:, ::-1]):
        for dr in range(-max_shift, max_shift + 1):
            for dc in range(-max_shift, max_shift + 1):
                seen.add(_shift(img, dr, dc).round(9).tobytes())
    return len(seen)


@exercise("07-augment-variants", "quantify: augmented images", uses=["n_variants"])
def n_variants(student_fn) -> None:
    """Quantify: how many distinct images a mirror-or-not plus whole-pixel shift augmenter makes from one image."""
    check_function(
        student_fn, count_variants, [(s,) for s in (0, 1, 2, 3, 4)], name="n_variants",
        hint=["count the choices one at a time: how many ways to mirror, how many vertical shifts, how many "
              "horizontal shifts? Then combine them.",
              "a shift of at most s pixels up or down can also be 0, and the horizontal and vertical shifts are "
              "chosen independently of each other and of the mirror.",
              "for s = 1: the vertical shift is -1, 0 or +1, the horizontal one too, and each of those 9 shifted "
              "images comes mirrored and not mirrored."],
        describe=lambda case: f"max_shift={case[0]}",
    )


# Each check is named after the notebook name it checks; the names before that stay as aliases, so
# notebooks that call the old names keep working.
dropout_placement = build_dropout_cnn
augmentation_pipeline = make_augmenter
debug_evaluation = accuracy_of
augment_variants = n_variants

progress = progress_of(__name__)
