"""Self-checks for notebook 03 (pooling).

Every expected answer is computed when the check runs: by Keras / TensorFlow layers
run on the exercise's own input, by Keras's shape inference plus a formula, or by an
experiment (the rotation exercise turns a real photo and measures).  TensorFlow and
Keras are imported only inside the checks that need them.
"""

from __future__ import annotations

import numpy as np

from ..kernels import SOBEL_X
from . import check_choice, check_function, check_value, exercise, fail, not_attempted, passed, progress_of

# --------------------------------------------------------------------------- 03-predict-pools

# The 5x5 map of the "predict the pooled output" exercise (the notebook shows the same numbers).
PREDICT_MAP = np.array([[4, 0, 1, 3, 8],
                        [0, 0, 3, 1, 0],
                        [2, 6, 5, 1, 0],
                        [4, 0, 0, 2, 0],
                        [0, 0, 0, 0, 9]], dtype="float32")
PREDICT_MAX = dict(pool_size=3, strides=2)   # overlapping windows
PREDICT_AVG = dict(pool_size=2, strides=2)   # the odd remainder is dropped


def _keras_pool(x, kind: str, **settings) -> np.ndarray:
    import keras

    layer = keras.layers.MaxPool2D(**settings) if kind == "max" else keras.layers.AveragePooling2D(**settings)
    return np.asarray(layer(np.asarray(x, "float32")[np.newaxis, :, :, np.newaxis]))[0, :, :, 0]


@exercise("03-predict-pools", "predict max and average pooling", uses=["max_pred", "avg_pred"])
def predict_pools(max_pred, avg_pred) -> None:
    """Predict: MaxPool2D(3, strides=2) and AveragePooling2D(2) of :data:`PREDICT_MAP`, asked of Keras."""
    check_value(max_pred, _keras_pool(PREDICT_MAP, "max", **PREDICT_MAX), name="max_pred",
                hint=["how many windows fit along a side of 5 when each window is 3 wide and moves 2? "
                      "Count the window positions before you fill in values.",
                      "with stride 2 and size 3 the windows overlap: neighbouring windows share a row or a column, "
                      "so one large value can be the maximum of several windows.",
                      "write down the 9 cells of each window (rows 0-2 or 2-4, columns 0-2 or 2-4) and keep the "
                      "largest."])
    check_value(avg_pred, _keras_pool(PREDICT_MAP, "avg", **PREDICT_AVG), name="avg_pred",
                hint=["how many 2x2 windows with stride 2 fit along a side of 5? What happens to the last row "
                      "and column?",
                      "with 'valid' padding the row and column that fill no window are dropped, whatever values "
                      "they hold.",
                      "each output is the mean of the 4 values of one 2x2 block of the top-left 4x4 corner."])


# --------------------------------------------------------------------------- 03-design-stack

DESIGN_INPUT = (28, 28, 1)
DESIGN_SIDE = 3       # the last feature map must be exactly DESIGN_SIDE x DESIGN_SIDE
DESIGN_FIELD = 18     # and each of its cells must see at least DESIGN_FIELD x DESIGN_FIELD input pixels


def receptive_field(layers) -> int:
    """Side of the input patch one cell of the last map sees, from the layers' sizes and strides.

    Each layer adds (size - 1) x step pixels, where step is the distance in input pixels between
    neighbouring cells of the map it reads; a layer with stride s multiplies that step by s.
    (tests/test_checks_pooling.py measures it with gradients.)
    """
    field, step = 1, 1
    for layer in layers:
        size = layer.kernel_size[0] if hasattr(layer, "kernel_size") else layer.pool_size[0]
        field += (size - 1) * step
        step *= layer.strides[0]
    return field


def _design_problem(layer) -> str | None:
    import keras

    if isinstance(layer, keras.layers.Conv2D) and type(layer) is keras.layers.Conv2D:
        if tuple(layer.kernel_size) != (3, 3) or tuple(layer.strides) != (1, 1) or layer.padding != "valid":
            return (f"layer `{layer.name}` is a Conv2D with kernel {tuple(layer.kernel_size)}, strides "
                    f"{tuple(layer.strides)}, padding '{layer.padding}'; the spec allows only 3x3 kernels, "
                    "stride 1, 'valid'.")
        return None
    if isinstance(layer, keras.layers.MaxPool2D):
        if tuple(layer.pool_size) != (2, 2) or tuple(layer.strides) != (2, 2) or layer.padding != "valid":
            return (f"layer `{layer.name}` is a MaxPool2D with pool_size {tuple(layer.pool_size)}, strides "
                    f"{tuple(layer.strides)}; the spec allows only MaxPool2D(2).")
        return None
    return f"layer `{layer.name}` is a {type(layer).__name__}; the spec allows only Conv2D 3x3 and MaxPool2D(2)."


@exercise("03-design-stack", "design a stack", uses=["design"])
def design(model) -> None:
    """Design: a stack of Conv2D 3x3 'valid' and MaxPool2D(2) layers, 28x28x1 -> 3x3 map, receptive field >= 18."""
    import keras

    if model is None:
        not_attempted("`design` is still None. Build the model in the cell above (in place of `pass`), run it, "
                      "then this check.")
    hints = ["write the side of the map and the receptive field after each layer in two columns; a 3x3 "
             "convolution takes 2 from the side, a pooling halves it (rounding down).",
             "the receptive field grows by (size - 1) x step per layer, and every pooling doubles the step: "
             "a convolution placed after two poolings adds 8 pixels, one placed before any adds only 2.",
             "a stack of two conv-pool blocks gives a 5x5 map; one more layer can bring the side to the spec "
             "and enlarge the field at the same time."]
    if not isinstance(model, keras.Model):
        fail(f"`design` is a {type(model).__name__}; it should be a Keras model, e.g. keras.Sequential([...]).",
             hints)
    if tuple(model.input_shape[1:]) != DESIGN_INPUT:
        fail(f"`design` takes inputs of shape {tuple(model.input_shape[1:])}; the spec is {DESIGN_INPUT} "
             "(start the Sequential with keras.Input).", hints)
    if not model.layers:
        fail("`design` has no layers.", hints)
    for layer in model.layers:
        problem = _design_problem(layer)
        if problem:
            fail(problem, hints)
    side = tuple(model.output_shape[1:3])
    field = receptive_field(model.layers)
    if side != (DESIGN_SIDE, DESIGN_SIDE):
        fail(f"the last map of `design` is {side[0]}x{side[1]} (receptive field {field}); the spec asks "
             f"{DESIGN_SIDE}x{DESIGN_SIDE}.", hints)
    if field < DESIGN_FIELD:
        fail(f"each cell of the last map sees {field}x{field} input pixels; the spec asks at least "
             f"{DESIGN_FIELD}x{DESIGN_FIELD}.", hints)
    passed(f"`design` ends in a {side[0]}x{side[1]} map whose cells each see {field}x{field} input pixels "
           f"(Keras's output shape; receptive field from the layers' sizes and strides).")


# --------------------------------------------------------------------------- 03-stack-params

# The conv-pool stack whose parameters an exercise counts: a small CNN for 32x32 colour images.
STACK_INPUT = (32, 32, 3)
STACK_FILTERS = (16, 32)
STACK_CLASSES = 10


def stack_model():
    """The model whose parameters the exercise counts (built afresh by the check)."""
    import keras

    return keras.Sequential([
        keras.Input(STACK_INPUT),
        keras.layers.Conv2D(STACK_FILTERS[0], 3, activation="relu"), keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(STACK_FILTERS[1], 3, activation="relu"), keras.layers.MaxPool2D(2),
        keras.layers.Flatten(), keras.layers.Dense(STACK_CLASSES)])


@exercise("03-stack-params", "parameters of a conv-pool stack", uses=["n_params"])
def n_params(n_params) -> None:
    """Quantify: the number of trainable parameters of :func:`stack_model`, counted by Keras."""
    check_value(
        n_params,
        int(stack_model().count_params()),
        name="n_params",
        hint=["count layer by layer and add up; which of the layers have no weights at all?",
              "the Dense layer reads every value of the last map: work out that map's side first (32, then "
              "after each layer, rounding down at each pooling), times its number of channels.",
              "each Conv2D counts as in notebook 02, with the input channels of that layer: 3 for the first, "
              "the previous layer's filters for the second. Every Conv2D and Dense unit has a bias too."],
    )


# --------------------------------------------------------------------------- 03-gap-head

GAP_MAP = (7, 7, 512)   # VGG16's last pooled feature map for a 224x224 image
GAP_UNITS = 4096        # the units of its first dense layer


def _dense_params_after(head, map_shape=GAP_MAP, units=GAP_UNITS) -> int:
    """Parameters of Dense(units) reading ``head`` (a Keras layer) applied to a map: Keras's shape, then a formula."""
    inputs = int(head.compute_output_shape((None, *map_shape))[-1])
    return (inputs + 1) * units  # one weight per input and unit, one bias per unit


@exercise("03-gap-head", "dense head after Flatten vs global pooling", uses=["head_params"])
def head_params(head_params) -> None:
    """Quantify: Dense(4096) parameters after Flatten and after GlobalAveragePooling2D of a 7x7x512 map."""
    import keras

    want = (_dense_params_after(keras.layers.Flatten()), _dense_params_after(keras.layers.GlobalAveragePooling2D()))
    check_value(head_params, want, name="head_params",
                hint=["first find how many numbers the dense layer reads in each case: what shape leaves "
                      "Flatten, and what shape leaves GlobalAveragePooling2D?",
                      "Flatten keeps every value of the map (rows x columns x channels); global average "
                      "pooling keeps one value per channel.",
                      "a Dense layer has one weight per (input, unit) pair and one bias per unit. "
                      "The answer is a tuple (after Flatten, after global average pooling)."])


# --------------------------------------------------------------------------- 03-rotation-explain


def orientation_bank() -> np.ndarray:
    """The notebook's 4 edge kernels, shape (3, 3, 1, 4): Sobel x, its 90° turn, a diagonal, its 90° turn."""
    diagonal = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], dtype="float32")
    return np.stack([SOBEL_X, np.rot90(SOBEL_X), diagonal, np.rot90(diagonal)], axis=-1)[:, :, np.newaxis, :]


def turn(a, angle: float):
    """Turn the first two axes of ``a`` by ``angle`` degrees, keeping the size (np.rot90 for multiples of 90°)."""
    if angle % 90 == 0:
        return np.rot90(a, int(angle // 90)).copy()
    import scipy.ndimage

    return scipy.ndimage.rotate(a, angle, axes=(1, 0), reshape=False, order=1)


def rotation_changes(angles=(90, 45)) -> dict[str, dict[int, float]]:
    """Relative change, inside a central disk of a real photo, between the turned map and the map of the turned photo.

    For one orientation channel, for the depth-wise max over :func:`orientation_bank`, and for the
    Gaussian gradient magnitude (rotation invariant by construction: its change is what interpolation alone costs).
    """
    import scipy.ndimage
    import skimage.data
    import tensorflow as tf

    region = skimage.data.camera().astype("float32")[20:228, 160:368] / 255
    r = region.shape[0] // 2
    yy, xx = np.mgrid[:2 * r, :2 * r]
    disk = (yy - r + 0.5) ** 2 + (xx - r + 0.5) ** 2 < (r - 44) ** 2
    bank = orientation_bank()

    def edges(image):
        x = np.asarray(image, "float32")[np.newaxis, :, :, np.newaxis]
        return np.abs(tf.nn.conv2d(x, bank, strides=1, padding="SAME").numpy()[0])

    maps = {"one channel": lambda im: edges(im)[:, :, 0], "depth max": lambda im: edges(im).max(axis=-1),
            "reference": lambda im: scipy.ndimage.gaussian_gradient_magnitude(np.asarray(im, "float32"), 1.0)}
    out = {}
    for name, fmap in maps.items():
        out[name] = {}
        for angle in angles:
            expected, got = turn(fmap(region), angle), fmap(turn(region, angle))
            out[name][angle] = float(np.linalg.norm((expected - got)[disk]) / np.linalg.norm(expected[disk]))
    return out


def _bank_closed_under_quarter_turns() -> bool:
    """Every kernel of the bank, turned by 90°, equals plus or minus a kernel of the bank (abs removes the sign)."""
    bank = orientation_bank()[:, :, 0, :]
    kernels = [bank[:, :, i] for i in range(bank.shape[-1])]
    return all(any(np.array_equal(np.rot90(k), s * other) for other in kernels for s in (1, -1)) for k in kernels)


@exercise("03-rotation-explain", "why only 90° turns", uses=["why_rotation"])
def why_rotation(answer) -> None:
    """Explain: why the depth-wise max over the 4-orientation bank is unchanged by a 90° turn (options computed)."""
    changes = rotation_changes((90, 45))
    depth, one, ref = changes["depth max"], changes["one channel"], changes["reference"]
    exact_at_90 = depth[90] < 1e-4
    # beyond what interpolation alone costs, with a margin
    changes_at_45 = depth[45] > 1.25 * ref[45]
    check_choice(
        answer,
        {"a": exact_at_90 and not changes_at_45,
         "b": exact_at_90 and changes_at_45 and _bank_closed_under_quarter_turns(),
         "c": bool(np.array_equal(np.rot90(SOBEL_X), SOBEL_X)) and one[90] < 1e-4},
        name="why_rotation",
        hint=["look at the 4 kernels of the bank and turn each one by 90° on paper: what do you get?",
              "a 90° turn of the image gives, in each channel, what a 90° turned kernel gives on the original. "
              "Is that turned kernel in the bank? Is a 45° turned Sobel kernel in the bank?"],
        why=(f"Measured: the depth-wise max changes by {depth[90]:.3f} after a 90° turn and {depth[45]:.3f} after a "
             f"45° turn (interpolation alone: {ref[45]:.3f}); one channel alone changes by {one[90]:.2f} and "
             f"{one[45]:.2f}."),
    )


# --------------------------------------------------------------------------- 03-depth-pool-debug


def _tf_depth_pool(x, k: int):
    import tensorflow as tf

    y = tf.nn.max_pool(np.asarray(x, np.float32)[np.newaxis], ksize=(1, 1, 1, k), strides=(1, 1, 1, k),
                       padding="VALID")
    return y.numpy()[0]


@exercise("03-depth-pool-debug", "debug depth-wise pooling", uses=["depth_max_pool"])
def depth_max_pool(student_fn) -> None:
    """Debug: the fixed ``depth_max_pool(x, k)``, max over each group of k consecutive channels."""
    rng = np.random.default_rng(3)
    cases = [(np.arange(6, dtype=np.float32).reshape(1, 1, 6), 3),
             (rng.normal(size=(4, 4, 6)).astype(np.float32), 3),
             (rng.normal(size=(5, 3, 6)).astype(np.float32), 2),
             (rng.normal(size=(2, 2, 4)).astype(np.float32) - 4.0, 4),
             (rng.normal(size=(3, 3, 8)).astype(np.float32), 1),
             (np.arange(2 * 2 * 12, dtype=np.float32).reshape(2, 2, 12)[:, :, ::-1].copy(), 4)]
    check_function(
        student_fn,
        _tf_depth_pool,
        cases,
        name="depth_max_pool",
        hint=["give it channel numbers as values (as the cell above does) and write down which input channels "
              "each output channel took its maximum over.",
              "reshape fills the new axes in row-major order: the last new axis varies fastest. The members "
              "of one group (consecutive channels) must lie along the axis that varies fastest.",
              "swap the roles of the two new axes, and take the maximum over the one that holds a group's "
              "members."],
        describe=lambda c: f"a map of shape {c[0].shape} with k={c[1]}",
    )


# --------------------------------------------------------------------------- 03-shift-predict

SHIFT_WIDTH = 8   # a 2 x SHIFT_WIDTH feature map with one bright cell in its top row


def unchanged_positions(shift: int, width: int = SHIFT_WIDTH) -> list[int]:
    """Columns of the bright cell for which a right shift by ``shift`` leaves the 2x2 max-pooled map unchanged.

    Computed by Keras: the map is pooled before and after the shift (zeros come in on the left).
    """
    import keras

    pool = keras.layers.MaxPool2D(2)
    same = []
    for column in range(width):
        fmap = np.zeros((1, 2, width, 1), "float32")
        fmap[0, 0, column, 0] = 1.0
        shifted = np.zeros_like(fmap)
        shifted[:, :, shift:] = fmap[:, :, :width - shift]
        if np.array_equal(np.asarray(pool(fmap)), np.asarray(pool(shifted))):
            same.append(column)
    return same


@exercise("03-shift-predict", "predict what a shift changes", uses=["unchanged"])
def unchanged(unchanged) -> None:
    """Predict: for how many of the positions does a 1-pixel and a 2-pixel shift leave the pooled map unchanged."""
    want = (len(unchanged_positions(1)), len(unchanged_positions(2)))
    check_value(unchanged, want, name="unchanged",
                hint=["try one position by hand: put the bright cell in column 0, move it one column right, "
                      "and ask which 2x2 window holds it before and after.",
                      "the max-pooled map only changes when the bright cell crosses into another window; the "
                      "windows cover columns 0-1, 2-3, 4-5, 6-7. Which columns stay inside their window?",
                      "a shift by 2 moves every cell by a whole window width. The answer is a tuple "
                      "(count for 1 pixel, count for 2 pixels)."])


# Each check is named after the notebook name it checks; the names before that stay as aliases, so
# notebooks that call the old names keep working.
design_stack = design
stack_params = n_params
gap_head = head_params
rotation_explain = why_rotation
shift_predict = unchanged

progress = progress_of(__name__)
