"""Self-checks of notebook 04: each passes with the notebook's own solution, fails with its hint on typical
wrong answers, and says "not attempted" for the student edition's untouched stub (`# YOUR CODE HERE` + `pass`).

The solutions are read from the notebook itself; no expected value is typed in here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from conftest import assert_fails, assert_not_attempted  # noqa: E402
from nbcells import read_notebook, run_exercise_cells  # noqa: E402

from course_utils.checks import CheckFailed, dnn_cnn  # noqa: E402

NOTEBOOK = "04_dnn_vs_cnn.ipynb"
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)


def _cells():
    return [c.source for c in read_notebook(NOTEBOOK).cells if c.cell_type == "code"]


def _namespace(student: bool) -> dict:
    """The model builders and every exercise cell of the notebook, run in a fresh namespace."""
    def definition_only(src):  # the broken pipeline's cell also runs it: keep the function
        return src.split("\n\n")[0] if src.startswith("def make_train_dataset_broken") else src

    return run_exercise_cells(NOTEBOOK, student=student, namespace={"np": np, "keras": keras, "tf": tf},
                              lesson=("def make_dense", "def make_cnn", "def make_broken_model",
                                      "def make_train_dataset_broken"), trim=definition_only)


@pytest.fixture(scope="module")
def nb():
    return _namespace(student=False)


@pytest.fixture(scope="module")
def stub():
    return _namespace(student=True)


# --------------------------------------------------------------------------- predict: parameters


def test_more_params(nb, stub, capsys):
    dnn_cnn.more_params(nb["more_params"], nb["make_dense"], nb["make_cnn"])
    assert "✅" in capsys.readouterr().out
    wrong = "a" if nb["more_params"] == "b" else "b"
    assert_fails(lambda: dnn_cnn.more_params(wrong, nb["make_dense"], nb["make_cnn"]), match="image size")
    assert_fails(lambda: dnn_cnn.more_params("dense", nb["make_dense"], nb["make_cnn"]), match="not one of the options")
    assert_not_attempted(lambda: dnn_cnn.more_params(stub["more_params"], nb["make_dense"], nb["make_cnn"]))


def test_more_params_truth_is_computed(nb):
    """Swap the models: the right answer flips, so the truth is not typed into the check."""
    assert_fails(lambda: dnn_cnn.more_params(nb["more_params"], nb["make_cnn"], nb["make_dense"]), match="not right")


# --------------------------------------------------------------------------- predict: Flatten length


def test_flatten_length(nb, stub, capsys):
    dnn_cnn.flatten_length(nb["flatten_length"])
    assert "✅" in capsys.readouterr().out
    rounded_up = lambda n: int(np.ceil((np.ceil((n - 2) / 2) - 2) / 2)) ** 2 * 64  # noqa: E731
    assert_fails(lambda: dnn_cnn.flatten_length(rounded_up), match="one at a time")
    assert_fails(lambda: dnn_cnn.flatten_length(lambda n: ((n - 2) // 2 - 2) // 2),  # a side only
                 match="flatten_length")
    assert_not_attempted(lambda: dnn_cnn.flatten_length(stub["flatten_length"]))


# --------------------------------------------------------------------------- quantify: activation bytes


def test_activation_bytes(nb, stub, capsys):
    fn = nb["activation_bytes"]
    dnn_cnn.activation_bytes(fn, nb["make_dense"], nb["make_cnn"])
    assert "✅" in capsys.readouterr().out
    values_only = lambda m, b: fn(m, b) // 4  # noqa: E731 - forgot the 4 bytes of a float32
    assert_fails(lambda: dnn_cnn.activation_bytes(values_only, nb["make_dense"], nb["make_cnn"]), match="float32")
    one_image = lambda m, b: fn(m, 1)  # noqa: E731 - forgot the batch
    assert_fails(lambda: dnn_cnn.activation_bytes(one_image, nb["make_dense"], nb["make_cnn"]),
                 match="not the right value")
    conv_only = lambda m, b: sum(int(np.prod(layer.output.shape[1:])) for layer in m.layers  # noqa: E731
                                 if "conv" in layer.name) * b * 4
    assert_fails(lambda: dnn_cnn.activation_bytes(conv_only, nb["make_dense"], nb["make_cnn"]),
                 match="activation_bytes")
    assert_not_attempted(lambda: dnn_cnn.activation_bytes(stub["activation_bytes"], nb["make_dense"], nb["make_cnn"]))


# --------------------------------------------------------------------------- predict: shifted images


def _tiny_models():
    """Two tiny 'trained' models whose shift sensitivity is known by construction (no training)."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((28, 28, 1))
    # position-blind: global max of the image decides the class (bright image -> class 1)
    blind = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalMaxPooling2D()(inp)))
    blind.layers[-1].set_weights([np.array([[-10.0, 10.0]]), np.array([5.0, -5.0])])
    # position-bound: only the pixels of the left half count
    flat = keras.layers.Flatten()(inp)
    bound = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(flat))
    w = np.zeros((784, 2))
    w[(np.arange(784) % 28) < 14, 1] = 1.0
    bound.layers[-1].set_weights([w, np.array([0.5, -0.5])])
    x = np.zeros((40, 28, 28, 1), np.float32)
    y = np.arange(40) % 2
    x[y == 1, 10:14, 12:14] = 1.0  # a bright patch just left of the middle: 2 pixels move it to the right half
    return bound, blind, x, y


def test_bigger_drop(stub):
    bound, blind, x, y = _tiny_models()
    assert dnn_cnn.shift_drop(bound, x, y) > dnn_cnn.shift_drop(blind, x, y)
    dnn_cnn.bigger_drop("a", bound, blind, x, y)  # the first model (the 'dense' one) drops more
    assert_fails(lambda: dnn_cnn.bigger_drop("b", bound, blind, x, y), match="not right")
    assert_fails(lambda: dnn_cnn.bigger_drop("a", blind, bound, x, y), match="not right")  # computed: swapping flips it
    assert_not_attempted(lambda: dnn_cnn.bigger_drop(stub["bigger_drop"], bound, blind, x, y))


# --------------------------------------------------------------------------- debug: from_logits


def test_fix_logits(nb, stub, capsys):
    dnn_cnn.make_fixed_model(nb["make_fixed_model"])
    assert "✅" in capsys.readouterr().out
    assert_fails(lambda: dnn_cnn.make_fixed_model(nb["make_broken_model"]), match="softmax runs twice|from_logits")

    def no_softmax_no_flag():
        model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    assert_fails(lambda: dnn_cnn.make_fixed_model(no_softmax_no_flag), match="raw scores")

    def not_compiled():
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])

    assert_fails(lambda: dnn_cnn.make_fixed_model(not_compiled), match="not compiled")

    def softmax_fixed():
        model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False))
        return model

    dnn_cnn.make_fixed_model(softmax_fixed)  # the other right fix
    assert_not_attempted(lambda: dnn_cnn.make_fixed_model(stub["make_fixed_model"]))


# --------------------------------------------------------------------------- debug: the pipeline


def test_fix_pipeline(nb, stub, capsys):
    dnn_cnn.make_train_dataset(nb["make_train_dataset"])
    assert "✅" in capsys.readouterr().out
    assert_fails(lambda: dnn_cnn.make_train_dataset(nb["make_train_dataset_broken"]), match="frozen")

    def shuffle_after_batch(x, y, b):
        return tf.data.Dataset.from_tensor_slices((x, y)).cache().batch(b).shuffle(1_000)

    assert_fails(lambda: dnn_cnn.make_train_dataset(shuffle_after_batch), match="only the order of the batches")

    def shuffle_before_cache(x, y, b):
        return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1_000).cache().batch(b)

    assert_fails(lambda: dnn_cnn.make_train_dataset(shuffle_before_cache), match="frozen")
    assert_not_attempted(lambda: dnn_cnn.make_train_dataset(stub["make_train_dataset"]))


# --------------------------------------------------------------------------- shift, confusion matrix


def test_shift_images(nb, stub, capsys):
    dnn_cnn.shift_images(nb["shift_images"])
    assert "✅" in capsys.readouterr().out
    wrapping = lambda im, dx, dy: np.roll(im, (dy, dx), axis=(1, 2))  # noqa: E731 - forgets the zeros
    assert_fails(lambda: dnn_cnn.shift_images(wrapping), match="positive dx")
    swapped = lambda im, dx, dy: dnn_cnn._reference_shift(im, dy, dx)  # noqa: E731 - x and y mixed up
    assert_fails(lambda: dnn_cnn.shift_images(swapped), match="values differ")
    assert_not_attempted(lambda: dnn_cnn.shift_images(stub["shift_images"]))


def test_confusion_matrix(nb, stub, capsys):
    dnn_cnn.confusion_matrix(nb["confusion_matrix"])
    assert "✅" in capsys.readouterr().out

    def transposed(t, p, n):
        m = np.zeros((n, n), int)
        np.add.at(m, (p, t), 1)
        return m

    assert_fails(lambda: dnn_cnn.confusion_matrix(transposed), match="n_classes rows")
    too_small = lambda t, p, n: transposed(p, t, max(max(t), max(p)) + 1)  # noqa: E731 - ignores n_classes
    assert_fails(lambda: dnn_cnn.confusion_matrix(too_small), match="shape")
    assert_not_attempted(lambda: dnn_cnn.confusion_matrix(stub["confusion_matrix"]))


def test_hints_come_in_steps(nb):
    """A second miss shows the second hint step."""
    wrong = lambda m, b: 0  # noqa: E731
    with pytest.raises(CheckFailed, match="Hint 1 of 3"):
        dnn_cnn.activation_bytes(wrong, nb["make_dense"], nb["make_cnn"])
    with pytest.raises(CheckFailed, match="Hint 2 of 3"):
        dnn_cnn.activation_bytes(wrong, nb["make_dense"], nb["make_cnn"])


# --------------------------------------------------------------------------- the figure helpers notebook 04 added


def _boxes(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def test_image_grid_titles_clear_the_row_above():
    import matplotlib

    matplotlib.use("Agg")
    from course_utils.visualize import image_grid

    imgs = np.random.default_rng(0).random((16, 28, 28))
    fig = image_grid(imgs, [f"label {i}" for i in range(16)], suptitle="grid")
    renderer = _boxes(fig)
    axes = [ax for ax in fig.axes if ax.images]
    for top, below in zip(axes[:8], axes[8:]):
        image_bottom = top.get_window_extent(renderer).y0
        title_top = below.title.get_window_extent(renderer).y1
        assert title_top < image_bottom, "a second-row title overlaps the first row's image"


def test_plot_bars_labels_stay_below_the_titles():
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    from course_utils.visualize import plot_bars

    table = pd.DataFrame({"test accuracy": [0.88, 0.91], "parameters": [101770, 225034]},
                         index=pd.Index(["dense", "CNN"], name="model"))
    fig = plot_bars(table, ["test accuracy", "parameters"], ylims={"test accuracy": (0.8, 1.0)})
    renderer = _boxes(fig)
    for ax in fig.axes:
        title_bottom = ax.title.get_window_extent(renderer).y0
        axes_top = ax.get_window_extent(renderer).y1
        labels = [t for t in ax.texts]
        assert len(labels) == 2
        for label in labels:
            box = label.get_window_extent(renderer)
            assert box.y1 < axes_top <= title_bottom + 1, f"bar label {label.get_text()!r} touches the title"


def test_plot_kernels_before_after_shapes():
    import matplotlib

    matplotlib.use("Agg")
    from course_utils.errors import CourseValueError
    from course_utils.visualize import plot_kernels_before_after

    rng = np.random.default_rng(0)
    before, after = rng.normal(size=(3, 3, 1, 32)), rng.normal(size=(3, 3, 1, 32))
    fig = plot_kernels_before_after(before, after, max_kernels=8)
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(shown) == 16
    np.testing.assert_allclose(shown[0], before[..., 0, 0])
    np.testing.assert_allclose(shown[8], after[..., 0, 0])
    with pytest.raises(CourseValueError, match="same first Conv2D"):
        plot_kernels_before_after(before, after[..., :4])
