"""Self-checks for notebook 01 (convolution filters).

Every expected value is computed when the check runs: by TensorFlow (what ``tf.nn.conv2d``
paints, output shapes, which options hold) or by the reference convolution
(``course_utils.reference.conv2d``, itself tested against ``tf.nn.conv2d``).  None is typed in.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..kernels import KERNELS
from ..reference.conv import conv2d as _reference_conv2d
from ..reference.conv import same_padding as _same_padding
from . import check_choice, check_function, exercise, fail, not_attempted, passed, progress_of


def _tf():
    import tensorflow as tf  # lazy: importing TensorFlow takes seconds

    return tf


def _tf_conv(image2d, kernel2d, padding="VALID"):
    """``tf.nn.conv2d`` on one grayscale image with one 2-D kernel; a 2-D NumPy array."""
    tf = _tf()
    x = np.asarray(image2d, np.float32)[None, :, :, None]
    w = np.asarray(kernel2d, np.float32)[:, :, None, None]
    return tf.nn.conv2d(x, w, strides=1, padding=padding)[0, :, :, 0].numpy()


# --------------------------------------------------------------------------- predict: the impulse picture


IMPULSE_OPTIONS = {
    "a": ("the kernel exactly as it is", lambda k: k),
    "b": ("the kernel rotated by 180° (upside down and mirrored left-right)", lambda k: np.flip(k)),
    "c": ("the kernel transposed (its rows become columns)", lambda k: k.T),
    "d": ("the kernel mirrored left-right only", lambda k: k[:, ::-1]),
}


@exercise("01-impulse-picture", "what conv2d paints", uses=["impulse_answer"])
def impulse_answer(answer) -> None:
    """Predict: which copy of an asymmetric kernel ``tf.nn.conv2d`` paints around a single bright pixel."""
    kernel = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    impulse = np.zeros((5, 5), np.float32)
    impulse[2, 2] = 1.0
    painted = _tf_conv(impulse, kernel, "SAME")[1:4, 1:4]
    options = {letter: bool(np.array_equal(painted, transform(kernel)))
               for letter, (_, transform) in IMPULSE_OPTIONS.items()}
    check_choice(
        answer, options, name="impulse_answer",
        hint=["Follow one output pixel, say the one just above-left of the bright pixel: place the kernel's "
              "centre there. Which of the kernel's nine weights lies on top of the bright pixel?",
              "Every output pixel is 'weight under the bright pixel x 1'. The output pixel up-left of the dot "
              "gets the weight that sits down-right of the kernel's centre; do the same for the other corners."],
        why=f"TensorFlow painted {painted.astype(int).tolist()} for the kernel {kernel.astype(int).tolist()}.",
    )


# --------------------------------------------------------------------------- predict: which kernel made which map

MYSTERY_KERNELS = ("Sobel x", "Sobel y", "box blur", "sharpen")
_MYSTERY_ORDER = (2, 0, 3, 1)  # which kernel each letter shows: hidden from the notebook on purpose


def mystery_maps(image, conv=None) -> dict[str, np.ndarray]:
    """The feature maps of four classic kernels on ``image``, labelled A-D in a hidden order.

    ``conv(image, kernel)``: the filter to apply (the notebook's ``filter2d``); by default
    TensorFlow with 'SAME' padding.
    """
    conv = conv or (lambda img, k: _tf_conv(img, k, "SAME"))
    letters = "ABCD"
    return {letters[i]: np.asarray(conv(np.asarray(image, np.float32), KERNELS[MYSTERY_KERNELS[j]]))
            for i, j in enumerate(_MYSTERY_ORDER)}


def _which_made(image, fmap) -> str:
    """The name of the classic kernel whose 'same' feature map of ``image`` is closest to ``fmap``."""
    errors = {name: float(np.abs(_reference_conv2d(image, KERNELS[name], padding="same") - fmap).max())
              for name in MYSTERY_KERNELS}
    return min(errors, key=errors.get)


@exercise("01-which-kernel", "which kernel made which map", uses=["kernel_of", "mystery_image", "mystery_maps"])
def kernel_of(kernel_of, image, maps) -> None:
    """Predict: ``kernel_of`` maps each letter of the mystery feature maps to the kernel that made it."""
    letters = sorted(maps)
    if kernel_of is None:
        not_attempted("`kernel_of` is still None. Write a dict {'A': '...', 'B': '...', 'C': '...', 'D': '...'} "
                      "with a kernel name for each letter, run the cell, then this check.")
    if not isinstance(kernel_of, dict) or sorted(kernel_of) != letters:
        fail(f"`kernel_of` should be a dict with the keys {letters}, one per feature map; got {kernel_of!r}.",
             ["write it like {'A': 'a kernel name', 'B': ..., 'C': ..., 'D': ...}."])
    unknown = [v for v in kernel_of.values() if v not in MYSTERY_KERNELS]
    if unknown:
        fail(f"`kernel_of` names {unknown!r}, which is not one of the four kernels {list(MYSTERY_KERNELS)}.",
             ["copy the names exactly as printed above the maps (they are keys of KERNELS)."])
    truth = {letter: _which_made(np.asarray(image, float), np.asarray(maps[letter], float)) for letter in letters}
    wrong = [letter for letter in letters if kernel_of[letter] != truth[letter]]
    if wrong:
        fail(f"`kernel_of`: {len(wrong)} of {len(letters)} letters name the wrong kernel.",
             ["An edge kernel's weights sum to 0, so flat areas (the background, the inside of the garment) come "
              "out at the middle gray; blur and sharpen keep the garment's overall brightness.",
              "Sobel x compares the column left of a pixel with the column right of it, so it answers edges that "
              "run up and down; Sobel y compares the rows above and below, so it answers edges that run across.",
              "Blur makes every outline softer than in the input; sharpen makes it crisper, with a thin dark or "
              "bright rim along each edge."])
    passed("`kernel_of` names the kernel of every map: " + ", ".join(f"{k} = {v}" for k, v in truth.items()) + ".")


# --------------------------------------------------------------------------- predict: a batch output shape


@exercise("01-predict-shape", "predict a batch's output shape",
          uses=["predicted_shape", "photos", "line_filters"])
def predicted_shape(answer, photos, line_filters) -> None:
    """Predict: the shape of ``tf.nn.conv2d(photos, line_filters, strides=1, padding='VALID')``."""
    tf = _tf()
    want = tuple(int(d) for d in tf.nn.conv2d(np.zeros(np.shape(photos), np.float32),
                                              np.asarray(line_filters, np.float32), 1, "VALID").shape)
    if answer is None:
        not_attempted("`predicted_shape` is still None. Write a tuple of 4 whole numbers, run the cell, then "
                      "this check.")
    try:
        got = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        got = None
    if got is None or len(got) != len(want):
        fail(f"`predicted_shape` should be a tuple of {len(want)} whole numbers (one per axis of the output), got "
             f"{answer!r}.",
             ["tf.nn.conv2d returns a 4-D tensor, like its input: (batch, height, width, channels)."])
    axes = ("the batch axis (0)", "the height (axis 1)", "the width (axis 2)", "the channel axis (3)")
    wrong = [axes[i] for i in range(len(want)) if got[i] != want[i]]
    if wrong:
        fail(f"`predicted_shape` {got}: {' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not right.",
             ["Only height and width are changed by a convolution; the batch axis keeps one entry per image, and "
              "the last axis has one feature map per filter (the last axis of `line_filters`).",
              "With 'VALID' the kernel must lie fully inside the image. Count the positions of a 3-wide kernel "
              "on a 5-pixel row, then generalise to a 7-wide kernel on a row of n pixels.",
              "Height and width are counted separately: the photos are not square."])
    passed(f"`predicted_shape` {got} is what tf.nn.conv2d returns.")


# --------------------------------------------------------------------------- quantify: multiplications


def _multiplies_reference(image_shape, kernel_shape, n_filters):
    """Multiplications of a 'VALID', stride-1 convolution: one per weight at every output value TensorFlow makes."""
    tf = _tf()
    out = tf.nn.conv2d(np.zeros((1, *image_shape, 1), np.float32),
                       np.zeros((*kernel_shape, 1, n_filters), np.float32), 1, "VALID")
    return int(np.prod(out.shape)) * int(np.prod(kernel_shape))


@exercise("01-multiplies", "count multiplications", uses=["conv_multiplies"])
def conv_multiplies(student_fn) -> None:
    """Quantify: multiplications of a 'VALID', stride-1 convolution of one grayscale image with ``n_filters``."""
    cases = [((28, 28), (3, 3), 1), ((400, 600), (3, 3), 2), ((128, 96), (7, 7), 2), ((32, 20), (5, 3), 8),
             ((9, 9), (9, 9), 1), ((10, 4), (1, 1), 3)]
    check_function(
        student_fn, _multiplies_reference, cases, name="conv_multiplies",
        hint=["Count in two steps: the products for ONE output value, then the number of output values.",
              "One output value multiplies every weight of one kernel with the pixel under it. The output values "
              "are the kernel positions (the kernel must fit inside the image) times the number of filters.",
              "Rows and columns are separate, and a kernel need not be square."],
        describe=lambda c: f"image_shape={c[0]}, kernel_shape={c[1]}, n_filters={c[2]}",
    )


# --------------------------------------------------------------------------- explain: odd kernel sizes


def _tf_accepts_even_kernels() -> bool:
    try:
        _tf_conv(np.ones((6, 6)), np.ones((2, 2)), "SAME")
        return True
    except Exception:  # noqa: BLE001 - any refusal counts
        return False


def _odd_facts() -> dict[str, bool]:
    sizes = range(1, 12)
    # option c: the zeros that keep the size (stride 1) split evenly exactly when f is odd
    even_split = all((_same_padding(16, f)[0] == _same_padding(16, f)[1]) == (f % 2 == 1) for f in sizes)
    # ... and the output stays centred: the patch a single dot spreads to (box kernel, 'same') keeps its centre
    dot = np.zeros((9, 9))
    dot[4, 4] = 1
    centres = {}
    for f in range(1, 8):
        rows = np.flatnonzero(np.abs(_tf_conv(dot, np.ones((f, f)), "SAME")).max(axis=1) > 0.5)
        centres[f] = (rows.min() + rows.max()) / 2
    centred = all((centres[f] == 4) == (f % 2 == 1) for f in centres)
    # option b: a 2x2 kernel finds a vertical edge (strong response) and ignores a flat area
    step = np.zeros((6, 6))
    step[:, 3:] = 1
    two = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    even_finds_edges = np.abs(_tf_conv(step, two)).max() > 1 and np.abs(_tf_conv(np.ones((6, 6)), two)).max() == 0
    # option d: output sizes n - f + 1 (from TensorFlow) for f = 2, 3, 4: is the odd one larger than both?
    n = 16
    size = {f: _tf_conv(np.zeros((n, n)), np.ones((f, f))).shape[0] for f in (2, 3, 4)}
    return {
        "a": not _tf_accepts_even_kernels(),
        "b": not even_finds_edges,
        "c": even_split and centred,
        "d": size[3] > size[2] and size[3] > size[4],
    }


@exercise("01-odd-kernels", "why odd kernel sizes", uses=["odd_answer"])
def odd_answer(answer) -> None:
    """Explain: why kernel sizes are almost always odd (the truth of each option is computed)."""
    check_choice(
        answer, _odd_facts(), name="odd_answer",
        hint=["Test each option: can you think of an experiment that would prove it wrong? (TensorFlow will run "
              "a 2x2 kernel without complaint, for instance.)",
              "Think about keeping the image size: a kernel of size f needs f - 1 extra rows of zeros in total. "
              "When can they be split equally between top and bottom?"],
        why="With odd f, the f - 1 zeros split equally on both sides and each output pixel sits on an input pixel.",
    )


# --------------------------------------------------------------------------- debug: a bank of filters


def _bank_reference(images, kernels):
    return np.stack([np.stack([_reference_conv2d(img, k) for k in kernels], axis=-1) for img in images])


def _bank_cases():
    rng = np.random.default_rng(7)
    return [
        (rng.random((2, 8, 8)).astype(np.float32), [KERNELS["Sobel x"], KERNELS["Sobel y"]]),
        (rng.random((3, 10, 7)).astype(np.float32),  # not square; asymmetric kernels catch flips and transposes
         [rng.normal(size=(3, 3)).astype(np.float32) for _ in range(3)]),
        (rng.random((1, 9, 12)).astype(np.float32), [np.arange(1, 26, dtype=np.float32).reshape(5, 5)]),
        (rng.random((2, 6, 9)).astype(np.float32), [rng.normal(size=(2, 4)).astype(np.float32) for _ in range(2)]),
    ]


@contextlib.contextmanager
def _conv2d_refuses_3d_input():
    """While a student's function runs: ``tf.nn.conv2d`` raises on an input of fewer than 4 axes.

    TensorFlow (2.21 on CPU, at least) aborts the whole Python process on a 3-D input instead of raising,
    which would kill the student's kernel during the check.
    """
    tf = _tf()
    original = tf.nn.conv2d

    def guarded(input, filters, *args, **kwargs):  # noqa: A002 - TensorFlow's own argument name
        rank = tf.convert_to_tensor(input).shape.rank
        if rank is not None and rank < 4:
            raise ValueError(f"tf.nn.conv2d needs an input with 4 axes (batch, height, width, channels), got "
                             f"{rank} axes")
        return original(input, filters, *args, **kwargs)

    tf.nn.conv2d = guarded
    try:
        yield
    finally:
        tf.nn.conv2d = original


@exercise("01-filter-bank", "debug a filter bank", uses=["apply_bank"])
def apply_bank(student_fn) -> None:
    """Debug: ``apply_bank(images, kernels)``: (N, H, W) images, K 2-D kernels -> (N, H-kh+1, W-kw+1, K)."""
    with _conv2d_refuses_3d_input():
        _check_bank(student_fn)


def _check_bank(student_fn) -> None:
    check_function(
        student_fn, _bank_reference, _bank_cases(), name="apply_bank",
        hint=["Read the error of the broken cell: which shape does tf.nn.conv2d want for its input, and which "
              "for its filters? Print the shapes your code passes.",
              "The input needs 4 axes (batch, height, width, channels), and a grayscale image has 1 channel. "
              "The filters need (kh, kw, in_channels, out_channels): the axis that counts the kernels is the "
              "LAST one.",
              "np.stack takes an `axis` argument, and indexing with None inserts an axis of length 1. A reshape "
              "cannot move an axis: it keeps the numbers in memory order and scrambles the kernels."],
        describe=lambda c: f"{c[0].shape[0]} images of {c[0].shape[1]}x{c[0].shape[2]} and {len(c[1])} kernels "
                           f"of {c[1][0].shape[0]}x{c[1][0].shape[1]}",
    )


# --------------------------------------------------------------------------- design: a 45° edge kernel


def edge_patterns(size: int = 9) -> dict[str, np.ndarray]:
    """Test images (0 = dark, 1 = bright) for the 45-degree edge exercise, computed, not typed."""
    r, c = np.mgrid[0:size, 0:size]
    return {
        "45° edge (/)": (r + c >= size).astype(float),         # boundary runs bottom-left to top-right
        "135° edge (\\)": (c - r >= 1).astype(float),          # the other diagonal
        "vertical edge": (c >= size // 2).astype(float),
        "horizontal edge": (r >= size // 2).astype(float),
        "flat": np.ones((size, size)),
    }


def edge_responses(kernel) -> dict[str, float]:
    """The strongest absolute response of ``kernel`` on each test pattern ('valid' convolution)."""
    kernel = np.asarray(kernel, dtype=float)
    return {name: float(np.abs(_reference_conv2d(img, kernel)).max()) for name, img in edge_patterns().items()}


DIAGONAL_HINTS = [
    "An edge kernel has positive weights on one side and negative weights on the other, so that the two sides "
    "cancel on a flat area.",
    "For a / edge, the two sides are the top-left corner and the bottom-right corner of the 3x3 window: the weights "
    "should change along the direction that crosses the edge and stay the same along the edge.",
    "The vertical-edge kernel does this for a | edge; turn its idea by 45° (the weights on the / diagonal itself "
    "lie on the edge).",
]


@exercise("01-diagonal-kernel", "a kernel for 45° edges", uses=["diagonal_kernel"])
def diagonal_kernel(kernel, *, margin: float = 1.25) -> None:
    """Design: a 3x3 kernel that answers a 45° (/) edge more strongly than any other edge; 0 on flat areas."""
    if kernel is None:
        not_attempted("`diagonal_kernel` is still None. Give it a 3x3 array, run the cell, then this check.")
    try:
        k = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        fail(f"`diagonal_kernel` should be a 3x3 array of numbers, got {type(kernel).__name__}.",
             ["np.array([[...], [...], [...]]) with three rows of three numbers."])
    if k.shape != (3, 3):
        fail(f"`diagonal_kernel` has shape {k.shape}; it should be a 3x3 array.",
             ["np.array([[...], [...], [...]]) with three rows of three numbers."])
    scale = float(np.abs(k).sum())
    if scale == 0:
        fail("`diagonal_kernel` is all zeros, so it responds to nothing.", DIAGONAL_HINTS)
    resp = edge_responses(k)
    target = resp["45° edge (/)"]
    if resp["flat"] > 0.05 * scale:
        fail("your kernel responds to a flat, edge-free area (its weights don't sum to 0), so it would light up "
             "bright regions, not edges.", ["balance the positive and the negative weights."] + DIAGONAL_HINTS[1:])
    rivals = {name: v for name, v in resp.items() if name not in ("45° edge (/)", "flat")}
    worst = max(rivals, key=rivals.get)
    if target < margin * rivals[worst]:
        fail(f"on the test patterns your kernel's strongest response to the 45° edge is {target:.2f}, but to the "
             f"{worst} it is {rivals[worst]:.2f}; the 45° edge should win by a factor of {margin}.", DIAGONAL_HINTS)
    passed(f"`diagonal_kernel` answers the 45° edge ({target:.2f}) at least {margin}x more strongly than the "
           f"others (best rival: {worst}, {rivals[worst]:.2f}), and ignores flat areas.")


# Each check is named after the notebook name it checks; the names before that stay as aliases, so
# notebooks that call the old names keep working.
impulse_picture = impulse_answer
which_kernel = kernel_of
multiplies = conv_multiplies
odd_kernels = odd_answer
filter_bank = apply_bank

progress = progress_of(__name__)
