"""course_utils.visualize: feature maps for the three model styles, learning curves,
confusion matrix, misclassified grid, and the errors for bad input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")

from course_utils.errors import CourseValueError  # noqa: E402
from course_utils.visualize import (  # noqa: E402
    confusion_counts,
    feature_maps,
    most_confused,
    plot_activations,
    plot_confusion_matrix,
    plot_learning_curves,
    plot_misclassified,
)

layers = keras.layers


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def sequential():
    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((12, 12, 1)),
        layers.Conv2D(4, 3, activation="relu", name="c1"),
        layers.MaxPooling2D(name="p1"),
        layers.Conv2D(3, 3, activation="relu", name="c2"),
        layers.Flatten(name="flat"),
        layers.Dense(2, name="out"),
    ])


def functional():
    keras.utils.set_random_seed(2)
    inputs = keras.Input((12, 12, 1))
    x = layers.Conv2D(5, 3, padding="same", name="c1")(inputs)
    x = layers.AveragePooling2D(2, name="p1")(x)
    x = layers.Flatten(name="flat")(x)
    return keras.Model(inputs, layers.Dense(2, name="out")(x))


class Subclassed(keras.Model):
    """Like the LeNet-5 listings: ONE pooling layer, called twice, defined before it is used."""

    def __init__(self):
        super().__init__()
        self.pool = layers.MaxPooling2D(name="pool")
        self.c1 = layers.Conv2D(3, 3, padding="same", activation="relu", name="c1")
        self.c2 = layers.Conv2D(2, 3, activation="relu", name="c2")
        self.flat = layers.Flatten(name="flat")
        self.out = layers.Dense(2, name="out")

    def call(self, x):
        x = self.pool(self.c1(x))
        x = self.pool(self.c2(x))
        return self.out(self.flat(x))


def image(seed=0, shape=(12, 12)):
    return np.random.default_rng(seed).random(shape).astype("float32")


def manual_maps_sequential(model, img):
    """The feature maps computed by hand, layer after layer, to compare with."""
    x = img[None, ..., None]
    out = {}
    for layer in model.layers:
        x = layer(x)
        out[layer.name] = np.asarray(x)[0]
    return out


# --------------------------------------------------------------------------- feature maps, three model styles


def test_feature_maps_sequential_match_layer_by_layer_outputs():
    model, img = sequential(), image()
    maps = feature_maps(model, img)
    assert [name for name, _ in maps] == ["c1", "p1", "c2"]  # the conv/pool layers only, in order
    want = manual_maps_sequential(model, img)
    for name, m in maps:
        np.testing.assert_allclose(m, want[name], rtol=1e-5, atol=1e-6)
    assert maps[0][1].shape == (10, 10, 4) and maps[1][1].shape == (5, 5, 4) and maps[2][1].shape == (3, 3, 3)


def test_feature_maps_functional_accepts_all_image_layouts():
    model = functional()
    img = image(3)
    a = feature_maps(model, img)
    b = feature_maps(model, img[..., None])
    c = feature_maps(model, img[None, ..., None])
    assert [n for n, _ in a] == ["c1", "p1"]
    for (_, x), (_, y), (_, z) in zip(a, b, c):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, z)
    conv = model.get_layer("c1")(img[None, ..., None])
    np.testing.assert_allclose(a[0][1], np.asarray(conv)[0], rtol=1e-5, atol=1e-6)


def test_feature_maps_subclassed_records_each_call_of_a_shared_layer():
    model = Subclassed()
    img = image(4)
    maps = feature_maps(model, img)
    names = [n for n, _ in maps]
    assert names == ["c1", "pool (call 1)", "c2", "pool (call 2)"]  # call order, not attribute order
    x = img[None, ..., None]
    h1 = model.c1(x)
    p1 = model.pool(h1)
    h2 = model.c2(p1)
    p2 = model.pool(h2)
    for (_, got), want in zip(maps, (h1, p1, h2, p2)):
        np.testing.assert_allclose(got, np.asarray(want)[0], rtol=1e-5, atol=1e-6)
    # the hooks are removed afterwards: the model still runs and calls are not recorded any more
    assert "call" not in vars(model.c1)
    assert model(x).shape == (1, 2)


def test_subclassed_and_graph_paths_agree_on_the_same_weights():
    """The hook path (used for subclassed models) gives what the graph tap gives."""
    from course_utils import visualize

    model, img = sequential(), image(5)
    tapped = feature_maps(model, img)
    recorded = visualize._record_calls(model, img[None, ..., None])
    by_layer = {layer.name: np.asarray(out)[0] for layer, out in recorded}
    for name, m in tapped:
        np.testing.assert_allclose(m, by_layer[name], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [sequential, functional, Subclassed], ids=["sequential", "functional", "subclassed"])
def test_plot_activations_draws_labelled_rows_capped_by_max_maps(make):
    model = make()
    maps = feature_maps(model, image())
    fig = plot_activations(model, image(), max_maps=2)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    for name, m in maps:  # one row per layer, labelled with its name and output shape
        assert f"{name}\n{tuple(m.shape)}" in texts
    assert "input\n(12, 12, 1)" in texts
    images_per_row = [len(ax.images) for ax in fig.axes]
    assert sum(images_per_row) == 1 + sum(min(2, m.shape[-1]) for _, m in maps)
    assert fig._suptitle is not None and "2" in fig._suptitle.get_text()


def test_plot_activations_chosen_layers_by_name_and_object():
    model = sequential()
    fig = plot_activations(model, image(), layers=["c2"], show_input=False)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts == ["c2\n(3, 3, 3)"]
    maps = feature_maps(model, image(), layers=[model.get_layer("p1")])
    assert [n for n, _ in maps] == ["p1"]


# --------------------------------------------------------------------------- feature maps, bad input


def test_wrong_image_shape_is_a_clear_error():
    with pytest.raises(CourseValueError, match=r"expects \(12, 12, 1\)"):
        plot_activations(sequential(), image(shape=(28, 28)))
    with pytest.raises(CourseValueError, match="ONE image"):
        plot_activations(sequential(), np.zeros((3, 12, 12, 1), "float32"))
    with pytest.raises(CourseValueError, match="expected one image"):
        plot_activations(sequential(), np.zeros(12, "float32"))


def test_wrong_image_shape_for_subclassed_model_is_a_clear_error():
    model = Subclassed()
    model(np.zeros((1, 12, 12, 1), "float32"))
    with pytest.raises(CourseValueError, match="could not run"):
        plot_activations(model, np.zeros((12, 12, 3), "float32"))


def test_unknown_layer_name_lists_the_layers():
    with pytest.raises(CourseValueError, match=r"no layer named 'conv9'.*\['c1', 'p1', 'c2'\]"):
        plot_activations(sequential(), image(), layers=["conv9"])


def test_dense_layer_is_refused():
    with pytest.raises(CourseValueError, match="'out' is a Dense"):
        plot_activations(sequential(), image(), layers="out")


def test_model_without_conv_layers_and_bad_arguments():
    dense = keras.Sequential([keras.Input((12, 12)), layers.Flatten(), layers.Dense(3)])
    with pytest.raises(CourseValueError, match="no convolution or pooling layer"):
        plot_activations(dense, image())
    with pytest.raises(CourseValueError, match="max_maps"):
        plot_activations(sequential(), image(), max_maps=0)
    with pytest.raises(CourseValueError, match="Keras model"):
        plot_activations("not a model", image())
    with pytest.raises(CourseValueError, match="not a layer of this model"):
        plot_activations(sequential(), image(), layers=[layers.Conv2D(2, 3)])


# --------------------------------------------------------------------------- learning curves


def test_learning_curves_train_dashed_validation_solid_one_colour_per_run():
    runs = {
        "dense": {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.6, 0.5], "accuracy": [0.5, 0.7, 0.8],
                  "val_accuracy": [0.4, 0.6, 0.7]},
        "cnn": {"loss": [0.9, 0.3], "val_loss": [1.0, 0.4], "accuracy": [0.6, 0.9], "val_accuracy": [0.5, 0.8]},
    }
    fig = plot_learning_curves(runs)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_ylabel() == "loss" and acc_ax.get_ylabel() == "accuracy"
    lines = {line.get_label(): line for line in loss_ax.get_lines()}
    assert set(lines) == {"dense (train)", "dense (validation)", "cnn (train)", "cnn (validation)"}
    assert lines["dense (train)"].get_linestyle() == "--" and lines["dense (validation)"].get_linestyle() == "-"
    assert lines["dense (train)"].get_color() == lines["dense (validation)"].get_color()
    assert lines["dense (train)"].get_color() != lines["cnn (train)"].get_color()
    np.testing.assert_allclose(lines["cnn (validation)"].get_ydata(), [1.0, 0.4])
    np.testing.assert_allclose(lines["cnn (validation)"].get_xdata(), [1, 2])


def test_learning_curves_accept_a_keras_history():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).random((16, 3)), np.arange(16) % 2
    history = model.fit(x, y, validation_split=0.25, epochs=2, verbose=0)
    fig = plot_learning_curves({"tiny": history})
    assert len(fig.axes[1].get_lines()) == 2


def test_learning_curves_bad_input():
    with pytest.raises(CourseValueError, match="non-empty dict"):
        plot_learning_curves({})
    with pytest.raises(CourseValueError, match="non-empty dict"):
        plot_learning_curves([{"loss": [1]}])
    with pytest.raises(CourseValueError, match="History"):
        plot_learning_curves({"a": 3})
    with pytest.raises(CourseValueError, match="no run recorded 'accuracy'"):
        plot_learning_curves({"a": {"loss": [1, 2]}})


# --------------------------------------------------------------------------- confusion matrix


def test_confusion_counts_agree_with_tensorflow():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    np.testing.assert_array_equal(confusion_counts(t, p), tf.math.confusion_matrix(t, p).numpy())


def test_plot_confusion_matrix_labels_colour_bar_and_counts():
    t = np.array([0, 0, 1, 1, 1, 2])
    p = np.array([0, 1, 1, 1, 2, 2])
    fig = plot_confusion_matrix(t, p, ["cat", "dog", "fox"])
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["cat", "dog", "fox"]
    assert [y.get_text() for y in ax.get_yticklabels()] == ["cat", "dog", "fox"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert len(fig.axes) == 2  # the colour bar
    np.testing.assert_array_equal(ax.images[0].get_array(), confusion_counts(t, p))
    assert sorted(int(x.get_text()) for x in ax.texts) == sorted(confusion_counts(t, p).ravel())


def test_probabilities_are_turned_into_labels():
    probs = np.eye(3)[[0, 2, 2, 1]] * 0.8 + 0.05
    np.testing.assert_array_equal(confusion_counts([0, 1, 2, 1], probs), confusion_counts([0, 1, 2, 1], [0, 2, 2, 1]))


def test_most_confused_pairs_ordered_and_symmetric():
    t = np.array([0] * 5 + [1] * 5 + [2] * 5)
    p = np.array([0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 2, 2, 2, 2, 0])
    names = ["shirt", "top", "bag"]
    assert most_confused(t, p, names, top=2) == [("shirt", "top", 3), ("top", "shirt", 1)]
    assert most_confused(t, p, names, top=1, symmetric=True) == [("shirt", "top", 4)]
    assert most_confused(t, p, top=10) == [(0, 1, 3), (1, 0, 1), (2, 0, 1)]  # only real mistakes
    assert most_confused([0, 1], [0, 1]) == []


def test_confusion_bad_input():
    with pytest.raises(CourseValueError, match="3 labels but y_pred has 2"):
        plot_confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(CourseValueError, match="only 2 class names"):
        plot_confusion_matrix([0, 1, 2], [0, 1, 2], ["a", "b"])
    with pytest.raises(CourseValueError, match="whole numbers"):
        most_confused([0.5, 1], [0, 1])
    with pytest.raises(CourseValueError, match="top"):
        most_confused([0, 1], [0, 1], top=0)
    with pytest.raises(CourseValueError, match="shape"):
        confusion_counts(np.zeros((2, 2, 2)), [0, 1])


# --------------------------------------------------------------------------- misclassified grid


def test_misclassified_grid_titles_true_and_predicted():
    imgs = np.random.default_rng(0).random((6, 8, 8))
    t = np.array([0, 1, 2, 0, 1, 2])
    p = np.array([0, 2, 2, 1, 1, 0])
    fig = plot_misclassified(imgs, t, p, ["a", "b", "c"])
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["true: b\npred: c", "true: a\npred: b", "true: c\npred: a"]
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    np.testing.assert_array_equal(shown[0], imgs[1])
    fig = plot_misclassified(imgs, t, p, max_images=1)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["true: 1\npred: 2"]


def test_misclassified_none_wrong_and_bad_input(capsys):
    imgs = np.zeros((2, 4, 4))
    assert plot_misclassified(imgs, [0, 1], [0, 1]) is None
    assert "No misclassified" in capsys.readouterr().out
    with pytest.raises(CourseValueError, match="3 images but 2 labels"):
        plot_misclassified(np.zeros((3, 4, 4)), [0, 1], [1, 0])
    with pytest.raises(CourseValueError, match="max_images"):
        plot_misclassified(imgs, [0, 1], [1, 0], max_images=0)


def test_subclassed_model_that_never_calls_its_conv_layer_gets_a_clear_error():
    class Odd(keras.Model):
        def __init__(self):
            super().__init__()
            self.c1 = layers.Conv2D(2, 3, name="c1")  # defined but never called in call()
            self.out = layers.Dense(2, name="out")

        def call(self, x):
            return self.out(keras.ops.reshape(x, (-1, 144)))

    with pytest.raises(CourseValueError, match="none of the chosen layers ran"):
        plot_activations(Odd(), image())


def test_plot_bars_draws_a_column_with_no_finite_value():
    """After a 1-epoch run there is no steady epoch: the column is all NaN, and the chart still draws."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from course_utils.visualize import plot_bars

    table = pd.DataFrame({"test accuracy": [0.8, 0.85], "steady s / epoch": [float("nan")] * 2},
                         index=pd.Index(["dense", "CNN"], name="model"))
    fig = plot_bars(table, ["test accuracy", "steady s / epoch"])
    assert fig.axes[1].get_ylim()[1] > 0 and fig.axes[0].get_ylim()[1] > 0.85
    plt.close(fig)
