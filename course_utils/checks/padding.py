"""Self-checks for notebook 02 (padding and stride).

Every expected value is computed when the check runs: by TensorFlow (the padding
``'SAME'`` really adds, found by trying every split), by Keras (output shapes,
parameter counts of layers it builds), or by an experiment whose outcome decides
which option of a "why" question is right.  Nothing is compared with a typed-in answer.
"""

from __future__ import annotations

import numpy as np

from ..model_counts import conv_layer_multiply_adds
from . import NOT_ATTEMPTED, check_choice, check_value, compare, exercise, fail, not_attempted, passed, progress_of


def _keras():
    import keras  # lazy: importing TensorFlow takes seconds

    return keras


def _fresh(layer):
    """A new, unbuilt copy of a Keras layer (so a layer the notebook already built is not reused)."""
    return type(layer).from_config(layer.get_config())


# --------------------------------------------------------------------------- exercise 1 (predict, section 5)

SAME_CASE = {"n": 7, "f": 4, "s": 2}


def tf_same_split(n: int, f: int, s: int) -> tuple[int, int, int]:
    """(output size, zeros before, zeros after) of TensorFlow's padding='SAME', found by experiment.

    The output size is the shape ``tf.nn.conv2d`` returns; the split is the one pair
    (before, after) for which padding by hand and then 'VALID' gives exactly 'SAME'.
    """
    import tensorflow as tf

    rng = np.random.default_rng(n * 100 + f * 10 + s)
    x = rng.normal(size=(1, n, 1, 1)).astype("float32")          # one axis is enough: the rule is per axis
    w = rng.normal(size=(f, 1, 1, 1)).astype("float32")
    same = tf.nn.conv2d(x, w, strides=[s, 1], padding="SAME").numpy()
    for before in range(f + s):
        for after in range(f + s):
            padded = np.pad(x, [(0, 0), (before, after), (0, 0), (0, 0)])
            if padded.shape[1] < f:
                continue
            valid = tf.nn.conv2d(padded, w, strides=[s, 1], padding="VALID").numpy()
            if valid.shape == same.shape and np.allclose(valid, same, atol=1e-5):
                return int(same.shape[1]), before, after
    raise RuntimeError(f"no zero padding reproduces 'SAME' for n={n}, f={f}, s={s}")  # pragma: no cover


@exercise("02-same-split", "predict 'same' padding", uses=["same_split"])
def same_split(answer) -> None:
    """Predict (output size, zeros before, zeros after) of 'same' for the case of section 5."""
    want = tf_same_split(**SAME_CASE)
    if answer is None:
        not_attempted("`same_split` is still None. " + NOT_ATTEMPTED)
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        fail(f"`same_split` should be a tuple of three whole numbers (out, before, after); got {answer!r}.",
             ["write three numbers in brackets, separated by commas: the output length first."])
    out, before, after = answer
    if out != want[0]:
        fail("`same_split`: the output length is not what TensorFlow gives.",
             ["with 'same', the kernel size does not decide the output length: only n and s do.",
              "divide n by s and round up: a last window that starts inside the input always counts."])
    if (before, after) == (want[2], want[1]) and want[1] != want[2]:
        fail("`same_split`: the total padding is right but it is on the wrong side.",
             ["when the total is odd, TensorFlow puts the extra zero at the end of the axis (bottom/right)."])
    if before + after != want[1] + want[2]:
        fail("`same_split`: the total number of zeros is not right.",
             ["the padded input must be just long enough for the last window: (out - 1) steps of s, "
              "plus the kernel length f.",
              "total = (what the last window needs) - n, and never negative; then split it in two."])
    if (before, after) != want[1:]:
        fail("`same_split`: the total is right but the split is not.",
             ["TensorFlow splits the total as evenly as it can; an odd total leaves one extra zero for the end."])
    passed(f"`same_split` is what TensorFlow does for n={SAME_CASE['n']}, f={SAME_CASE['f']}, "
           f"s={SAME_CASE['s']}: the next cell shows it.")


# --------------------------------------------------------------------------- exercise 2 (explain, section 7)


def param_count_experiment(k: int = 3, c_in: int = 3, c_out: int = 32, sizes=(28, 224)) -> dict:
    """Build Conv2D(c_out, k) on two image sizes (and with 'same' padding): what changes and what does not."""
    keras = _keras()
    out = {"counts": [], "out_sizes": [], "kernel_shapes": []}
    for n in sizes:
        layer = keras.layers.Conv2D(c_out, k)
        y = layer(keras.Input(shape=(n, n, c_in)))
        out["counts"].append(int(layer.count_params()))
        out["out_sizes"].append(tuple(int(d) for d in y.shape[1:3]))
        out["kernel_shapes"].append(tuple(int(d) for d in layer.kernel.shape))
    same = keras.layers.Conv2D(c_out, k, padding="same")
    same.build((None, sizes[0], sizes[0], c_in))
    out["count_same"] = int(same.count_params())
    out["formula"] = (k * k * c_in + 1) * c_out
    return out


def why_options() -> dict[str, bool]:
    """The truth of each option of the "why" question, decided by :func:`param_count_experiment`."""
    e = param_count_experiment()
    counts = e["counts"]
    return {
        # a) "Keras resizes every input to one size": then both outputs would have the same size
        "a": e["out_sizes"][0] == e["out_sizes"][1],
        # b) "the same k x k x c_in kernels (plus a bias) are reused at every position"
        "b": (len(set(counts)) == 1 and counts[0] == e["formula"]
              and all(s[:3] == e["kernel_shapes"][0][:3] for s in e["kernel_shapes"])),
        # c) "'valid' padding discards the border, which cancels the extra pixels": then 'same' would differ
        "c": e["count_same"] != counts[0],
        # d) "they don't: the larger image gets more parameters"
        "d": counts[1] > counts[0],
    }


@exercise("02-why-same-count", "explain the parameter count", uses=["why_same_count"])
def why_same_count(answer) -> None:
    """Explain: why Conv2D(32, 3) has as many parameters on 224x224x3 images as on 28x28x3 ones."""
    e = param_count_experiment()
    check_choice(
        answer, why_options(), name="why_same_count",
        hint=["what does a Conv2D layer store? Look at the shape of its weights: which of its axes could "
              "depend on the image?",
              "an option that describes the input or the padding can be tested: would the outputs, or a "
              "'same' layer, then behave as the option says?"],
        why=(f"Keras built both layers with {e['counts'][0]:,} parameters, kernels of shape "
             f"{e['kernel_shapes'][0]}, while the outputs were {e['out_sizes'][0]} and {e['out_sizes'][1]}."),
    )


# --------------------------------------------------------------------------- exercises 3 and 4 (predict a stack)


def keras_stack_shapes(layers, input_shape) -> list[tuple]:
    """Output shape (without the batch axis) after each layer, from Keras itself (fresh copies of the layers)."""
    keras = _keras()
    x = keras.Input(shape=tuple(input_shape))
    shapes = []
    for layer in layers:
        x = _fresh(layer)(x)
        shapes.append(tuple(int(d) for d in x.shape[1:]))
    return shapes


def keras_stack_params(layers, input_shape) -> list[int]:
    """Parameter count of each layer once Keras builds the stack on ``input_shape`` (fresh copies)."""
    keras = _keras()
    x = keras.Input(shape=tuple(input_shape))
    counts = []
    for layer in layers:
        fresh = _fresh(layer)
        x = fresh(x)
        counts.append(int(fresh.count_params()))
    return counts


def _one_per_layer(predicted, name: str, reference, items: str, hint: str) -> list:
    """``reference()`` (Keras's answer, one item per layer) once ``predicted`` is a list of as many items."""
    if predicted is None:
        not_attempted(f"`{name}` is still None. " + NOT_ATTEMPTED)
    want = reference()
    if not isinstance(predicted, (list, tuple)) or len(predicted) != len(want):
        fail(f"`{name}` should be a list of {len(want)} {items}; got {predicted!r}.", [hint])
    return want


def _describe(layer) -> str:
    return (f"{type(layer).__name__} with {layer.filters} filters, kernel_size={layer.kernel_size}, "
            f"strides={layer.strides}, padding={layer.padding!r}")


@exercise("02-stack-shapes", "predict a stack's shapes", uses=["predicted_shapes", "stack", "input_shape"])
def predicted_shapes(predicted, layers, input_shape) -> None:
    """Predicted (height, width, channels) after each layer of ``layers``, checked against Keras."""
    want = _one_per_layer(predicted, "predicted_shapes", lambda: keras_stack_shapes(layers, input_shape),
                          "tuples (height, width, channels), one per layer",
                          "one tuple per layer, in the order of the stack.")
    for i, (got, exp) in enumerate(zip(predicted, want)):
        got_t = tuple(got) if isinstance(got, (list, tuple, np.ndarray)) else got
        if compare(got_t, exp, 0, 0):
            channels_only = isinstance(got_t, tuple) and len(got_t) == 3 and got_t[:2] == exp[:2]
            problem = (f"`predicted_shapes[{i}]` (after layer {i + 1}, {_describe(layers[i])}) is {got!r}, "
                       "which is not what Keras builds.")
            if channels_only:
                fail(problem, ["the height and width are right; what decides the number of channels a Conv2D "
                               "layer outputs?"])
            fail(problem, ["work layer by layer: what size does THIS layer receive, and what do its padding "
                           "and stride do to it?",
                           "'same' keeps ceil(n / s) positions whatever the kernel; 'valid' keeps only the "
                           "positions where the whole kernel fits, in steps of s.",
                           "each layer's input is the previous layer's OUTPUT; the channels are the layer's "
                           "number of filters, whatever came in."])
    passed(f"all {len(want)} predicted shapes match the model Keras builds.")


@exercise("02-stack-params", "predict a stack's parameters", uses=["predicted_params", "stack", "input_shape"])
def predicted_params(predicted, layers, input_shape) -> None:
    """Predicted parameter count of each layer of ``layers``, checked against Keras's count_params()."""
    want = _one_per_layer(predicted, "predicted_params", lambda: keras_stack_params(layers, input_shape),
                          "whole numbers, one per layer", "one number per layer, in the order of the stack.")
    for i, (got, exp) in enumerate(zip(predicted, want)):
        if compare(got, exp, 0, 0):
            fail(f"`predicted_params[{i}]` (layer {i + 1}, {_describe(layers[i])}) is {got!r}, which is not "
                 "Keras's count.",
                 ["a filter has one k x k kernel for EACH channel of its input; how many channels does this "
                  "layer's input have?",
                  "the input channels of a layer are the filters of the layer before it (the image's channels "
                  "for the first layer); do not forget one bias per filter.",
                  "strides and padding change the output's size, never the number of weights."])
    passed(f"all {len(want)} parameter counts match Keras (total {sum(want):,}).")


# --------------------------------------------------------------------------- exercise 5 (quantify)

MULT_ADDS_CASE = {"n": 32, "c_in": 16, "filters": 64, "k": 3, "s": 2, "padding": "same"}


def keras_mult_adds(n, c_in, filters, k, s, padding) -> int:
    """Multiply-adds of one forward pass of Conv2D on one n x n x c_in image: output values x weights per value."""
    return conv_layer_multiply_adds(n, c_in, filters, k, s, padding)


@exercise("02-mult-adds", "quantify multiply-adds", uses=["mult_adds"])
def mult_adds(answer) -> None:
    """Quantify: the multiply-adds of the layer in MULT_ADDS_CASE on one image (bias additions not counted)."""
    check_value(
        answer, keras_mult_adds(**MULT_ADDS_CASE), name="mult_adds", rtol=0, atol=0,
        hint=["first count the output values (height x width x channels), then the multiply-adds behind one value.",
              "with 'same' and stride s the output side is ceil(n / s); one output value sums a k x k window in "
              "EVERY input channel.",
              "the number of filters sets the output channels; the input channels set the work per output value."],
    )


# --------------------------------------------------------------------------- exercise 6 (design)

DESIGN_SPEC = {"input": (28, 28, 1), "output": (7, 7), "kernel": (3, 3), "padding": "valid",
               "strides": ((1, 1), (2, 2)), "max_layers": 5}


@exercise("02-design-7x7", "design a 28x28 to 7x7 stack", uses=["design_stack"])
def design_stack(layers) -> None:
    """Design: Conv2D layers (3x3, 'valid', stride 1 or 2, at most 5) that map 28x28x1 to exactly 7x7."""
    keras = _keras()
    spec = DESIGN_SPEC
    if layers is None:
        not_attempted("`design_stack` is still None. " + NOT_ATTEMPTED)
    if not isinstance(layers, (list, tuple)) or not layers:
        fail(f"`design_stack` should be a non-empty list of keras.layers.Conv2D layers; got {layers!r}.",
             ["write a list in square brackets, each item a keras.layers.Conv2D(...)."])
    if len(layers) > spec["max_layers"]:
        fail(f"`design_stack` has {len(layers)} layers; the spec allows at most {spec['max_layers']}.",
             ["a stride-2 layer shrinks the map far more than a stride-1 one."])
    for i, layer in enumerate(layers):
        if not isinstance(layer, keras.layers.Conv2D):
            fail(f"`design_stack[{i}]` is a {type(layer).__name__}, not a keras.layers.Conv2D.",
                 ["only Conv2D layers are allowed (no pooling, no Input)."])
        if tuple(layer.kernel_size) != spec["kernel"]:
            fail(f"`design_stack[{i}]` has kernel_size={layer.kernel_size}; the spec fixes every kernel at 3x3.",
                 ["change the strides, not the kernels."])
        if layer.padding != spec["padding"]:
            fail(f"`design_stack[{i}]` uses padding={layer.padding!r}; the spec allows only 'valid'.",
                 ["'valid' is Keras's default padding."])
        if tuple(layer.strides) not in spec["strides"]:
            fail(f"`design_stack[{i}]` has strides={layer.strides}; the spec allows stride 1 or 2 (the same along "
                 "both axes).", ["use strides=1 or strides=2."])
    shapes = keras_stack_shapes(layers, spec["input"])
    sides = " -> ".join(f"{s[0]}x{s[1]}" for s in shapes)
    if shapes[-1][:2] != spec["output"]:
        fail(f"`design_stack` follows the rules, but Keras builds 28x28 -> {sides}, not the required size.",
             ["work backwards from the required size: which input sizes does one 3x3 'valid' layer turn into it, "
              "with stride 1? with stride 2?",
              "a 3x3 'valid' layer with stride 1 removes 2 rows; with stride 2 it gives floor((n - 3) / 2) + 1, "
              "and the floor loses a row when n is even.",
              "try the stride-2 layer at different places in the stack: where it comes changes the result."])
    passed(f"Keras builds 28x28 -> {sides}.")


# Each check is named after the notebook name it checks; the names before that stay as aliases, so
# notebooks that call the old names keep working.
stack_shapes = predicted_shapes
stack_params = predicted_params

progress = progress_of(__name__)
