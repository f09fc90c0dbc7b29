"""Self-checks for notebook 04 (DNN vs CNN on Fashion-MNIST).

Every expected value is computed when the check runs: parameter counts, output
sizes and activation sizes by Keras itself, accuracies on shifted images by
running the notebook's trained models, the confusion matrix by TensorFlow,
shifted images by an independent NumPy implementation, and a pipeline's
behaviour by iterating it.  No check trains a model.
"""

from __future__ import annotations

import numpy as np

from . import check_choice, check_function, exercise, fail, not_attempted, passed, progress_of


def _keras():
    import keras  # lazy: importing TensorFlow takes seconds

    return keras


# --------------------------------------------------------------------------- predict: which model is bigger


def _count(make_model, name):
    keras = _keras()
    if not callable(make_model):
        not_attempted(f"`{name}` does not exist yet: run the cell that defines the two models first.")
    model = make_model()
    if not isinstance(model, keras.Model):
        raise TypeError(f"`{name}()` should return a Keras model, got {type(model).__name__}")
    return int(model.count_params())


@exercise("04-more-params", "which model has more parameters", uses=["more_params", "make_dense", "make_cnn"])
def more_params(answer, make_dense, make_cnn) -> None:
    """Predict: does the dense model or the CNN have more parameters? The truth is Keras's count."""
    n_dense, n_cnn = _count(make_dense, "make_dense"), _count(make_cnn, "make_cnn")
    check_choice(
        answer, {"a": n_dense > n_cnn, "b": n_cnn > n_dense}, name="more_params",
        hint=["a convolution's weights do not depend on the image size; which layer of each model does?",
              "count the inputs of the first Dense layer in each model: 28 x 28 pixels for one, the Flatten "
              "length after two convolutions and two poolings for the other. Which is longer?"],
        why=f"Keras counts {n_dense:,} parameters in the dense model and {n_cnn:,} in the CNN.",
    )


# --------------------------------------------------------------------------- predict: Flatten length, any size


def _keras_flatten_length(size):
    keras = _keras()
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((size, size, 1)),
        layers.Conv2D(32, 3), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3), layers.MaxPooling2D(2),
        layers.Flatten(),
    ])
    return int(model.output_shape[-1])


@exercise("04-flatten-length", "Flatten length for any size", uses=["flatten_length"])
def flatten_length(student_fn) -> None:
    """Exercise: the length of the Flatten output of the notebook's CNN for a size x size image."""
    cases = [(28,), (32,), (29,), (64,), (100,), (10,)]
    check_function(
        student_fn,
        _keras_flatten_length,
        cases,
        name="flatten_length",
        hint=["follow the side length through the four layers one at a time, then think about what Flatten "
              "does with height, width and channels.",
              "a 3x3 'valid' convolution removes 2 pixels, a 2x2 pooling halves the size rounding DOWN.",
              "Flatten multiplies height x width x the last layer's number of filters."],
        describe=lambda c: f"a {c[0]}x{c[0]} input image",
    )


# --------------------------------------------------------------------------- quantify: activation memory


def _reference_activation_bytes(model, batch_size):
    total = 0
    for layer in model.layers:
        total += int(np.prod(layer.output.shape[1:])) * batch_size * 4  # float32: 4 bytes per value
    return total


def _other_cnn():
    keras = _keras()
    layers = keras.layers
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(16, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(24, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ], name="another_cnn")


@exercise("04-activation-bytes", "activation memory of a batch", uses=["activation_bytes", "make_dense", "make_cnn"])
def activation_bytes(student_fn, make_dense=None, make_cnn=None) -> None:
    """Quantify: bytes of every layer's float32 output for one batch, checked on models built here."""
    models = [m() for m in (make_cnn, make_dense) if callable(m)] + [_other_cnn()]
    cases = [(model, b) for model in models for b in (1, 64, 100)]
    check_function(
        student_fn,
        _reference_activation_bytes,
        cases,
        name="activation_bytes",
        hint=["every layer's output is a tensor of shape (batch, ...); how many numbers does it hold, and "
              "how many bytes is one float32 number?",
              "go through `model.layers`; each layer's `.output.shape` starts with None for the batch axis: "
              "multiply the other axes, then by the batch size, then by the bytes per float32 (32 bits).",
              "count every layer of the model (pooling, Flatten and Dropout included) but not the input image."],
        describe=lambda c: f"the model '{c[0].name}' with a batch of {c[1]}",
        rtol=0, atol=0,
    )


# --------------------------------------------------------------------------- predict: shifted images


def _shift_right(images, pixels):
    out = np.zeros_like(images)
    out[:, :, pixels:] = images[:, :, : images.shape[2] - pixels]
    return out


def _accuracy(model, x, y, batch_size=1_000):
    """Accuracy from direct calls on batches of one shape (no tf.function is traced for it)."""
    hits = 0
    for start in range(0, len(x), batch_size):
        probs = np.asarray(model(x[start:start + batch_size], training=False))
        hits += int((probs.argmax(axis=1) == np.asarray(y[start:start + batch_size])).sum())
    return hits / len(x)


def shift_drop(model, x, y, pixels=2):
    """How much accuracy ``model`` loses when every image in ``x`` moves ``pixels`` to the right."""
    return _accuracy(model, x, y) - _accuracy(model, _shift_right(x, pixels), y)


@exercise("04-shift-drop", "which model suffers more from a shift",
          uses=["bigger_drop", "dense", "cnn", "x_test", "y_test"])
def bigger_drop(answer, dense, cnn, x_test, y_test) -> None:
    """Predict: which trained model loses more test accuracy on images shifted 2 pixels to the right."""
    if answer is None:
        not_attempted("`bigger_drop` is still None: write 'a' or 'b' in the cell above, run it, then this check.")
    drops = {"dense": shift_drop(dense, x_test, y_test), "CNN": shift_drop(cnn, x_test, y_test)}
    check_choice(
        answer, {"a": drops["dense"] > drops["CNN"], "b": drops["CNN"] >= drops["dense"]}, name="bigger_drop",
        hint=["think about which weights a pixel meets when the object moves: the same ones, or different ones?",
              "a Dense layer has one weight per pixel position; a convolution slides the same kernel over every "
              "position, and pooling keeps the strongest response in a 2x2 block."],
        why=f"at a 2-pixel shift the dense model loses {drops['dense']:.3f} of accuracy, the CNN {drops['CNN']:.3f}.",
    )


# --------------------------------------------------------------------------- debug: softmax with from_logits=True


def _outputs_probabilities(model) -> bool:
    rng = np.random.default_rng(0)
    x = rng.random((4, *model.inputs[0].shape[1:]), dtype=np.float32)
    out = np.asarray(model(x, training=False))
    return bool(np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4))


def _from_logits(loss) -> bool | None:
    """The loss's from_logits flag: a Loss object's config, a string or function means False."""
    if loss is None:
        return None
    if isinstance(loss, str) or callable(loss) and not hasattr(loss, "get_config"):
        return False
    return bool(loss.get_config().get("from_logits", False))


@exercise("04-fix-logits", "debug: softmax and from_logits", uses=["make_fixed_model"])
def make_fixed_model(make_fixed_model) -> None:
    """Debug: a model whose output and loss disagree about probabilities vs logits (scores)."""
    keras = _keras()
    if make_fixed_model is None or not callable(make_fixed_model):
        not_attempted()
    model = make_fixed_model()
    if model is None:
        not_attempted("`make_fixed_model()` returned None: " + "end the function with `return model`.")
    if not isinstance(model, keras.Model):
        fail(f"`make_fixed_model()` returned a {type(model).__name__}, not a Keras model.",
             ["return the model itself, after compiling it."])
    if model.loss is None:
        fail("the model is not compiled, so it has no loss yet.", ["call `compile` before returning the model."])
    if model.outputs[0].shape[-1] != 10:
        fail(f"the model's output has {model.outputs[0].shape[-1]} values per image; it should still give one per "
             "class (10).", ["keep the output layer's 10 units; only the activation or the loss is wrong."])
    probs, logits = _outputs_probabilities(model), _from_logits(model.loss)
    if probs and logits:
        fail("the model still outputs probabilities (softmax) while the loss is told they are logits.",
             ["a softmax output already sums to 1 per image. What does `from_logits=True` tell the loss to do "
              "with the numbers it receives?",
              "the loss applies a softmax itself when it is told to expect logits: here the softmax runs twice. "
              "Change one of the two sides so they agree."])
    if not probs and not logits:
        fail("the model now outputs raw scores (logits) but the loss still expects probabilities.",
             ["with no softmax at the end, the outputs can be negative and do not sum to 1: the loss must "
              "be told so.",
              "either put the softmax back, or tell the loss that it receives logits."])
    passed("the output and the loss agree: " + ("softmax probabilities with from_logits=False."
                                                  if probs else "raw logits with from_logits=True."))


# --------------------------------------------------------------------------- debug: a shuffling pipeline


def _epochs(make_dataset, n=96, batch_size=16, epochs=2):
    x = np.arange(n, dtype=np.float32).reshape(n, 1)
    y = np.arange(n, dtype=np.int64)
    data = make_dataset(x, y, batch_size)
    if data is None:
        not_attempted("`make_train_dataset` returned None: " + "end the function with `return` and the dataset.")
    runs = []
    for _ in range(epochs):
        batches = []
        for xb, yb in data:
            xb, yb = np.asarray(xb), np.asarray(yb)
            if not np.array_equal(xb.reshape(-1).astype(np.int64), yb):
                fail("the images and labels in a batch no longer belong together.",
                     ["shuffle the (image, label) pairs together, in one dataset."])
            batches.append(yb.tolist())
        runs.append(batches)
    return runs, n, batch_size


@exercise("04-fix-pipeline", "debug: a shuffling pipeline", uses=["make_train_dataset"])
def make_train_dataset(make_train_dataset) -> None:
    """Debug: a tf.data pipeline that must give every example once per epoch, in new batches every epoch."""
    if make_train_dataset is None or not callable(make_train_dataset):
        not_attempted()
    runs, n, batch_size = _epochs(make_train_dataset)
    for batches in runs:
        sizes = [len(b) for b in batches]
        if sorted(v for b in batches for v in b) != list(range(n)):
            fail("an epoch does not contain every example exactly once.",
                 ["one pass over the dataset should be one pass over the data: no repeats, nothing left out."])
        if any(s != batch_size for s in sizes[:-1]):
            fail(f"the batches have sizes {sorted(set(sizes))}; all but the last should have {batch_size}.",
                 ["`batch` groups consecutive elements; is it applied once, to single examples?"])
    first, second = runs
    if first == second:
        fail("both epochs give exactly the same batches in the same order: the order was frozen.",
             ["the data is mixed once, then something remembers that one order for every later epoch.",
              "`cache()` stores the elements exactly as they arrive the first time. Where must it sit relative "
              "to `shuffle()` so that every epoch gets a new order?"])
    aligned = [sorted(b) == list(range(b[0] // batch_size * batch_size, b[0] // batch_size * batch_size + len(b)))
               and sorted(b)[0] % batch_size == 0 for b in first]
    if all(aligned):
        fail("every batch holds the same neighbouring examples as before, only the order of the batches changes.",
             ["which is shuffled here: single examples, or whole batches?",
              "`shuffle()` mixes the elements it receives. If those elements are already batches, the examples "
              "inside a batch stay together. Put the mixing where the elements are still single examples."])
    passed(f"every epoch gives all {n} examples once, in batches of {batch_size} that are mixed anew each epoch.")


# --------------------------------------------------------------------------- shift in any direction


def _reference_shift(images, dx, dy):
    """Shift by (dx right, dy down) with zeros coming in: roll, then blank the wrapped band."""
    images = np.asarray(images)
    out = np.roll(images, shift=(dy, dx), axis=(1, 2)).copy()
    if dy > 0:
        out[:, :dy] = 0
    elif dy < 0:
        out[:, dy:] = 0
    if dx > 0:
        out[:, :, :dx] = 0
    elif dx < 0:
        out[:, :, dx:] = 0
    return out


@exercise("04-shift-images", "shift in any direction", uses=["shift_images"])
def shift_images(student_fn) -> None:
    """Exercise: shift a batch of images by dx pixels right and dy pixels down, filling with zeros."""
    rng = np.random.default_rng(7)
    batch = rng.random((3, 6, 5)).astype("float32")
    cases = [(batch, 1, 0), (batch, 0, 2), (batch, -2, 1), (batch, 3, -3), (batch, 0, 0), (batch[:1], -1, -1)]
    check_function(
        student_fn, _reference_shift, cases, name="shift_images",
        hint=["positive dx moves the content right, positive dy moves it down; the pixels that enter are 0.",
              "np.roll wraps around: the band that wrapped must be blanked. Return a new array, same shape."],
        describe=lambda c: f"images of shape {c[0].shape} with dx={c[1]}, dy={c[2]}",
    )


# --------------------------------------------------------------------------- a confusion matrix by hand


def _tf_confusion_matrix(y_true, y_pred, n_classes):
    import tensorflow as tf

    return tf.math.confusion_matrix(y_true, y_pred, num_classes=n_classes).numpy()


@exercise("04-confusion-matrix", "a confusion matrix by hand", uses=["confusion_matrix"])
def confusion_matrix(student_fn) -> None:
    """Exercise: count the (true class, predicted class) pairs, as tf.math.confusion_matrix does."""
    rng = np.random.default_rng(3)
    cases = [
        (np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1]), 3),
        (rng.integers(0, 10, 300), rng.integers(0, 10, 300), 10),
        (np.array([1, 1, 1]), np.array([1, 1, 1]), 4),  # a class never seen still gets a row and a column
    ]
    check_function(
        student_fn, _tf_confusion_matrix, cases, name="confusion_matrix",
        hint=["the result always has n_classes rows and n_classes columns, even for classes that never occur.",
              "rows = true class, columns = predicted class: each example adds 1 to one cell."],
        describe=lambda c: f"{len(c[0])} labels and {c[2]} classes",
    )


# Each check is named after the notebook name it checks; the names before that stay as aliases, so
# notebooks that call the old names keep working.
fix_logits = make_fixed_model
fix_pipeline = make_train_dataset

progress = progress_of(__name__)
