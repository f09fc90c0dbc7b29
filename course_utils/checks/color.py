"""Self-checks for notebook 06 (colour images and CIFAR-10).

Every reference is computed when the check runs: by TensorFlow (the feature maps of a
colour filter), by scikit-image (the grayscale conversion) or by Keras (the layer shapes,
the parameter counts, what a model outputs), never typed in.

The exercises: which channel weights made which feature map (predict), the green that
grayscale cannot tell from red (explain, numeric), the multiply-adds of the whole model
(quantify), a model fed raw pixels and double softmax (debug), and a model to a Flatten
length and a parameter budget (design).
"""

from __future__ import annotations

import numpy as np

from ..errors import CourseError
from ..kernels import SOBEL_X
from ..model_counts import layer_multiply_adds
from . import NOT_ATTEMPTED, exercise, fail, not_attempted, passed, progress_of

# --------------------------------------------------------------------------- exercise 1: which weights (predict)

#: The channel weights (red, green, blue) the "which weights" exercise offers; each makes one colour
#: filter from Sobel x: kernel for channel c = weight[c] * SOBEL_X.
CANDIDATE_WEIGHTS = {
    "a": (1.0, 1.0, 1.0),
    "b": (1.0, 0.0, -1.0),
    "c": (0.0, 1.0, 0.0),
    "d": (-1.0, 0.0, 1.0),
}
MAP_NAMES = ("P", "Q", "R")


def colour_filter_map(image, channel_weights, kernel=SOBEL_X) -> np.ndarray:
    """The feature map of one colour filter (``kernel`` times each channel's weight), computed by
    ``tf.nn.conv2d`` with valid padding and stride 1, no bias."""
    import tensorflow as tf

    image = np.asarray(image, dtype=np.float64)
    weights = np.asarray(channel_weights, dtype=np.float64)
    stack = np.asarray(kernel, dtype=np.float64)[:, :, None] * weights      # (kh, kw, C): one kernel per channel
    x = tf.constant(image[None], tf.float64)
    return tf.nn.conv2d(x, tf.constant(stack[..., None]), strides=1, padding="VALID")[0, :, :, 0].numpy()


def mystery_maps(image) -> list[np.ndarray]:
    """Three feature maps of ``image`` (maps P, Q, R), each made by one of :data:`CANDIDATE_WEIGHTS`,
    in an order the notebook does not show (a seeded shuffle)."""
    letters = np.random.default_rng(0).permutation(sorted(CANDIDATE_WEIGHTS))[: len(MAP_NAMES)]
    return [colour_filter_map(image, CANDIDATE_WEIGHTS[str(k)]) for k in letters]


def _letters(answer) -> list[str] | None:
    if isinstance(answer, str):
        answer = [ch for ch in answer if ch.isalpha()]
    try:
        return [str(a).strip().lower() for a in answer]
    except TypeError:
        return None


@exercise("06-which-weights", "which weights", uses=["which_weights", "card", "mystery"])
def which_weights(answer, image, maps) -> None:
    """Predict: which channel weights (a-d) made each of the maps P, Q, R of the test card."""
    if answer is None:
        not_attempted("`which_weights` is still None: write three letters, one per map P, Q, R, e.g. "
                      "('a', 'b', 'c'), then run this check again.")
    letters = _letters(answer)
    options = sorted(CANDIDATE_WEIGHTS)
    if letters is None or len(letters) != len(maps) or any(x not in CANDIDATE_WEIGHTS for x in letters):
        fail(f"`which_weights` is {answer!r}: give {len(maps)} letters out of {options}, one per map "
             f"{', '.join(MAP_NAMES)}, as a tuple such as ('a', 'b', 'c').",
             "one letter for each map, in the order P, Q, R; a letter may be used at most once.")
    truth = []
    for m in maps:  # the truth: convolve the card with every candidate and see which one made the map
        found = [k for k, w in CANDIDATE_WEIGHTS.items() if np.allclose(colour_filter_map(image, w), m, atol=1e-9)]
        if len(found) != 1:
            raise CourseError("the mystery maps no longer come from the test card: run the cells that make "
                              "`card` and `mystery` again, unchanged.")
        truth.append(found[0])
    wrong = sum(g != t for g, t in zip(letters, truth))
    if wrong:
        fail(f"`which_weights`: {wrong} of {len(maps)} maps are matched to the wrong weights.", [
            "start with the top strip (black to white): all three channels rise by the same amount there. "
            "Which weights make that edge vanish, and which make it three times as strong as a one-channel edge?",
            "in the middle strip red falls and blue rises from left to right; in the bottom strip only green "
            "rises. For each candidate, multiply each channel's change by its weight and add the three.",
            "the sign decides the colour of a map: Sobel x is positive (red in these maps) where the weighted "
            "sum grows from left to right, negative (blue) where it falls.",
        ])
    passed("`which_weights`: all three maps matched (each recomputed with tf.nn.conv2d).")


# --------------------------------------------------------------------------- exercise 2: the same gray (explain)


def _gray(rgb) -> float:
    from skimage.color import rgb2gray

    return float(rgb2gray(np.asarray(rgb, dtype=np.float64).reshape(1, 1, 3))[0, 0])


@exercise("06-same-gray", "same gray", uses=["green_level"])
def green_level(green_level) -> None:
    """Explain with a number: the green (0, g, 0) that grayscale cannot tell from pure red (1, 0, 0)."""
    if green_level is None:
        not_attempted("`green_level` is still None. Write your number in the exercise cell, run it, then this "
                      "check.")
    try:
        g = float(green_level)
    except (TypeError, ValueError):
        fail(f"`green_level` is {green_level!r}; it should be one number between 0 and 1.",
             "a single float, such as 0.5.")
    hints = ["grayscale is a weighted sum of R, G and B (section 1 printed the weights): write that sum for "
             "(1, 0, 0) and for (0, g, 0).",
             "set the two sums equal and solve for g: only one weight appears on each side."]
    if not 0.0 <= g <= 1.0:
        fail(f"`green_level` = {g:g} is outside [0, 1], so it is not a colour a pixel can have.", hints)
    red, green = _gray((1.0, 0.0, 0.0)), _gray((0.0, g, 0.0))
    if abs(green - red) > 1e-3:
        side = "brighter" if green > red else "darker"
        fail(f"`green_level` = {g:g}: in grayscale that green is {side} than pure red, so the two can still "
             "be told apart.", hints)
    passed(f"`green_level`: skimage's rgb2gray gives (1, 0, 0) and (0, {g:.4f}, 0) the same value, "
           f"{red:.4f}. A red/green edge at that level vanishes in grayscale.")


# --------------------------------------------------------------------------- exercise 3: multiply-adds (quantify)


keras_mult_adds = layer_multiply_adds  # per-layer multiply-adds of a built model (course_utils.model_counts)


@exercise("06-model-mult-adds", "multiply-adds of the model", uses=["model_mult_adds", "model"])
def model_mult_adds(answer, model) -> None:
    """Quantify: multiply-adds of all Conv2D and Dense layers of section 4's model for one image."""
    from keras import layers

    if answer is None:
        not_attempted("`model_mult_adds` is still None. Write your number in the exercise cell, run it, then "
                      "this check.")
    counts = keras_mult_adds(model)
    want = sum(counts.values())
    try:
        got = float(answer)
    except (TypeError, ValueError):
        fail(f"`model_mult_adds` is {answer!r}; it should be one whole number.", "a single int.")
    if got == want:
        passed(f"`model_mult_adds` = {want:,} matches the count from the model's own layer shapes.")
        return
    convs = sum(v for k, v in counts.items() if isinstance(model.get_layer(k), layers.Conv2D))
    problem = "is not the right count"
    if got == convs:
        problem = "counts the convolutions only"
    elif got == want - convs:
        problem = "counts the dense layers only"
    elif got < want:
        problem = "is too small"
    elif got > want:
        problem = "is too large"
    fail(f"`model_mult_adds` = {got:,.0f} {problem}.", [
        "every Conv2D works on the output of the pooling before it: its height, width and input channels are "
        "not those of the image. The summary above lists each layer's output shape.",
        "a Dense layer does one multiply-add per weight (inputs x units). Flatten, pooling, batch normalisation, "
        "ReLU and dropout count as 0 here, and so do the biases.",
        "for a convolution use section 3's rule with that layer's own numbers: "
        "H_out x W_out x filters x k x k x C_in, then add up all five layers.",
    ])


# --------------------------------------------------------------------------- exercise 4: fix the model (debug)


def _loss_facts(loss) -> tuple[bool, str]:
    """(from_logits, name) of a compiled loss given as a string, a function or a Loss object."""
    import keras

    if isinstance(loss, keras.losses.Loss):
        config = loss.get_config()
        return bool(config.get("from_logits", False)), str(config.get("name", type(loss).__name__))
    if isinstance(loss, str):
        return False, loss
    if callable(loss):
        return False, getattr(loss, "__name__", "")
    raise CourseError(f"the model was compiled with loss={loss!r}; use a single loss.")


def _values_into_first_conv(model, images):
    """What the first Conv2D of ``model`` receives for ``images`` (inference mode), or None without a Conv2D."""
    import keras
    from keras import layers

    first = next((layer for layer in model.layers if isinstance(layer, layers.Conv2D)), None)
    if first is None:
        return None
    x = images
    for layer in model.layers:
        if layer is first:
            return np.asarray(x)
        if not isinstance(layer, keras.layers.InputLayer):
            x = layer(x, training=False)
    return None  # pragma: no cover - first is one of model.layers


def _build(build_fn, name):
    """Call the student's model builder; a missing answer is 'not attempted', a crash a one-line miss."""
    import keras

    if build_fn is None or not callable(build_fn):
        not_attempted(f"`{name}` should be a function that returns a model. Define it in the cell above and "
                      "run it.")
    try:
        model = build_fn()
    except NotImplementedError:
        not_attempted()
    except Exception as exc:  # noqa: BLE001 - the student's bug, in one line
        fail(f"`{name}()` raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
             "run the cell that defines it and read the error: a missing comma or bracket in the layer list?")
    if model is None:
        not_attempted(f"`{name}()` returned None. " + NOT_ATTEMPTED + " (Inside a function, end with `return`.)")
    if not isinstance(model, keras.Model):
        fail(f"`{name}()` returned {type(model).__name__}, not a Keras model.",
             "the function must hand back the Keras model it builds.")
    return model


@exercise("06-fix-model", "fix the model", uses=["build_fixed"])
def build_fixed(build_fn) -> None:
    """Debug: the model fed raw uint8 pixels, with a softmax output and a from_logits=True loss."""
    model = _build(build_fn, "build_fixed")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        fail("the model from `build_fixed()` is not compiled.",
             "compile it as the broken one was, with the loss fixed.")
    images = np.random.default_rng(6).integers(0, 256, size=(8, 32, 32, 3)).astype("float32")  # raw pixel values
    try:
        out = np.asarray(model(images, training=False))
    except Exception as exc:  # noqa: BLE001
        fail(f"the model cannot take a batch of 32 x 32 x 3 images: {type(exc).__name__}.",
             "keep the Input layer of shape (32, 32, 3) as the first entry.")
    if out.shape != (8, 10):
        fail(f"for 8 images the model outputs shape {out.shape}, not one score per class for each image.",
             "keep the last layer's 10 units.")
    seen = _values_into_first_conv(model, images)
    if seen is None:
        fail("the fixed model has no Conv2D layer left.", "fix the bugs; keep the convolution.")
    if np.abs(seen).max() > 1.0 + 1e-6:
        fail(f"the first convolution still receives values up to {np.abs(seen).max():.0f} for raw pixels.", [
            "the pipeline feeds uint8 pixels (0 to 255) straight into the model: what did section 4's model do "
            "with them before its first convolution?",
            "a preprocessing layer before the first Conv2D can bring 0..255 into [0, 1].",
        ])
    from_logits, loss_name = _loss_facts(model.loss)
    if "sparse" not in loss_name.lower():
        fail(f"the loss is {loss_name!r}; the labels are class numbers (0 to 9), not one-hot vectors.",
             "keep the sparse categorical cross-entropy of the broken model; only one of its arguments is wrong.")
    probabilities = bool(np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4))
    if probabilities and from_logits:
        fail("the model outputs probabilities (they sum to 1) but the loss is told they are logits.", [
            "look at the last layer and at the loss together: one of them applies softmax, the loss applies it "
            "again when from_logits=True.",
            "either the last layer outputs raw scores (no activation) and the loss keeps from_logits=True, or the "
            "last layer keeps softmax and the loss gets from_logits=False. The first is numerically safer.",
        ])
    if not probabilities and not from_logits:
        fail("the model outputs raw scores (logits) but the loss expects probabilities (from_logits=False).",
             "when the last layer has no softmax, tell the loss so: from_logits=True.")
    passed("`build_fixed`: the first convolution sees values in [0, 1], and the output layer and the loss agree "
           f"({'logits, from_logits=True' if from_logits else 'probabilities, from_logits=False'}).")


# --------------------------------------------------------------------------- exercise 5: design (a budget)

#: The specification of the design exercise (the notebook's statement names the same numbers).
DESIGN_INPUT = (32, 32, 3)
DESIGN_FLATTEN = 512
DESIGN_BUDGET = 60_000
DESIGN_MIN_CONVS = 3


@exercise("06-design-budget", "design to a budget", uses=["design_model"])
def design_model(build_fn) -> None:
    """Design: >= 3 Conv2D, a Flatten of exactly DESIGN_FLATTEN values, 10 outputs, <= DESIGN_BUDGET parameters."""
    from keras import layers

    model = _build(build_fn, "design_model")
    try:
        input_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        fail("the model has no input shape yet.", "start the layer list with an Input layer of shape (32, 32, 3).")
    if input_shape[1:] != DESIGN_INPUT:
        fail(f"the model takes input of shape {input_shape[1:]}, not {DESIGN_INPUT}.",
             "start the layer list with an Input layer of shape (32, 32, 3).")
    if tuple(model.output_shape) != (None, 10):
        fail(f"the model outputs shape {tuple(model.output_shape)}; CIFAR-10 needs 10 scores per image.",
             "end with a Dense layer of 10 units.")
    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    if len(convs) < DESIGN_MIN_CONVS:
        fail(f"the model has {len(convs)} Conv2D layers; the spec asks for at least {DESIGN_MIN_CONVS}.",
             "three convolution blocks, as in section 4, but smaller.")
    flattens = [layer for layer in model.layers if isinstance(layer, layers.Flatten)]
    if len(flattens) != 1:
        fail(f"the model has {len(flattens)} Flatten layers; the spec asks for one, between the convolutions and "
             "the dense layers.", "one Flatten after the last convolution block.")
    flat = int(flattens[0].output.shape[-1])
    params = model.count_params()
    if flat != DESIGN_FLATTEN:
        fail(f"Flatten receives {flat:,} values, not {DESIGN_FLATTEN:,}.", [
            "Flatten receives height x width x channels of the last feature map: which of the three can you "
            "change, and how?",
            "a 'same' convolution keeps height and width, each 2 x 2 pooling (or a stride of 2) halves them, and "
            "the channels are the filters of the last convolution. Find a combination whose product is the "
            "target.",
        ])
    if params > DESIGN_BUDGET:
        fail(f"the model has {params:,} parameters, over the budget of {DESIGN_BUDGET:,}.", [
            "where do the parameters sit? The summary of a model lists them per layer: usually the first Dense layer "
            "(Flatten length x units) and the last convolutions.",
            "fewer units in the hidden Dense layer, and fewer filters in the convolutions (each costs "
            "k x k x C_in + 1 parameters), bring the total down.",
        ])
    passed(f"`design_model`: {len(convs)} convolutions, Flatten receives {flat:,} values, {params:,} parameters "
           f"(budget {DESIGN_BUDGET:,}).")


# Each check is named after the notebook name it checks; the names before that stay as aliases, so
# notebooks that call the old names keep working.
same_gray = green_level
fix_model = build_fixed
design_budget = design_model

progress = progress_of(__name__)
