"""Self-checks for notebook 05 (LeNet-5 on MNIST).

Every expected value is computed when the check runs: by Keras (parameter counts,
output sizes, what ``EarlyStopping`` and ``ModelCheckpoint`` really do on a scripted
run), by the connection table of the 1998 paper, or by a gradient measured on a
freshly initialised network.  All checks are cheap: none trains a real model.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..reference.conv import conv_output_size
from . import (
    call_student,
    check_choice,
    check_function,
    check_value,
    exercise,
    fail,
    not_attempted,
    passed,
    progress_of,
)

LENET_LAYERS = ("conv1", "conv2", "fc1", "fc2", "output")

# LeCun et al. (1998), Table I: which of S2's 6 feature maps each of C3's 16 feature maps reads.
# Maps 0-5 read 3 neighbouring S2 maps, 6-11 read 4 neighbouring ones, 12-14 read 4 non-neighbouring
# ones, and map 15 reads all 6.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


def _keras_lenet(activation="relu", pooling="max"):
    """The notebook's LeNet-5 (conv 6@5x5 'same', pool, conv 16@5x5, pool, Dense 120, 84, 10), built by Keras."""
    import keras

    layers = keras.layers
    Pool = layers.MaxPooling2D if pooling == "max" else layers.AveragePooling2D
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(6, 5, padding="same", activation=activation, name="conv1"), Pool(2),
        layers.Conv2D(16, 5, activation=activation, name="conv2"), Pool(2),
        layers.Flatten(), layers.Dense(120, activation=activation, name="fc1"),
        layers.Dense(84, activation=activation, name="fc2"), layers.Dense(10, activation="softmax", name="output"),
    ])


# --------------------------------------------------------------------------- quantify: C3's multiply-adds


def _keras_c3_mult_adds() -> int:
    """Multiply-adds of a full Keras C3: Conv2D(16, 5) on S2's 14 x 14 x 6 maps (bias additions not counted)."""
    import keras

    layer = keras.layers.Conv2D(16, 5)
    out = layer(np.zeros((1, 14, 14, 6), "float32"))
    return int(np.prod(out.shape[1:3])) * int(np.prod(layer.kernel.shape))


def _table_c3_mult_adds() -> int:
    """Multiply-adds of the 1998 C3: each output map reads only the S2 maps Table I lists."""
    out_side = conv_output_size(14, 5)
    return out_side * out_side * 5 * 5 * sum(len(inputs) for inputs in C3_TABLE)


@exercise("05-c3-mult-adds", "C3 multiply-adds", uses=["c3_mult_adds_keras", "c3_mult_adds_1998"])
def c3_mult_adds(keras_count, paper_count) -> None:
    """Exercise (quantify): multiply-adds of C3 with full connections (Keras) and with the 1998 table."""
    if keras_count is None and paper_count is None:
        not_attempted("`c3_mult_adds_keras` and `c3_mult_adds_1998` are still None. " + "Write your numbers, "
                      "run that cell, then this one.")
    hints = ["one multiply-add per kernel weight, at every position of the output map: first find C3's output "
             "size, then how many weights one output value uses.",
             "C3 reads S2's 14 x 14 maps with 5 x 5 kernels and no padding. In Keras, every one of the 16 "
             "output maps reads all 6 input maps; in 1998 each read only the maps its column of the table "
             "lists (count the inputs per map).",
             "bias additions are not multiply-adds here; only products of a weight and an input count."]
    check_value(keras_count, _keras_c3_mult_adds(), name="c3_mult_adds_keras", hint=hints)
    check_value(paper_count, _table_c3_mult_adds(), name="c3_mult_adds_1998", hint=hints)


# --------------------------------------------------------------------------- predict: parameters per layer


@exercise("05-layer-params", "LeNet-5 parameters per layer", uses=["layer_params"])
def layer_params(answer) -> None:
    """Exercise (predict): the parameter count of each of LeNet-5's layers with weights."""
    if answer is None:
        not_attempted("`layer_params` is still None. Fill in the dictionary in the cell above, run it, "
                      "then run this check.")
    if not isinstance(answer, dict) or set(answer) != set(LENET_LAYERS):
        fail(f"`layer_params` should be a dict with exactly the keys {list(LENET_LAYERS)}.",
             ["copy the keys from the template: one entry per layer that has weights."])
    model = _keras_lenet()
    want = {name: int(model.get_layer(name).count_params()) for name in LENET_LAYERS}
    if any(v is None for v in answer.values()):
        missing = [k for k, v in answer.items() if v is None]
        not_attempted(f"`layer_params` has no prediction yet for {missing}.")
    wrong = [k for k in LENET_LAYERS if answer[k] != want[k]]
    if wrong:
        fail(f"`layer_params`: the count for {wrong} is not right ({len(LENET_LAYERS) - len(wrong)} of "
             f"{len(LENET_LAYERS)} layers are).",
             ["a layer's parameters are one weight per connection from an input to an output, plus one bias "
              "per output (per unit, or per filter); pooling and Flatten have none.",
              "fc1 is connected to everything Flatten hands over: follow the side of the maps from 28 through "
              "conv1 ('same'), pool1, conv2 ('valid', 5 x 5) and pool2, then multiply by the number of maps.",
              "conv2 reads 6 input maps, so each of its 16 filters holds 6 kernels of 5 x 5 (plus one bias)."])
    passed(f"all {len(LENET_LAYERS)} per-layer counts match Keras (total {sum(want.values()):,}).")


# --------------------------------------------------------------------------- predict: when early stopping stops


class _Holder:
    """Just enough of a model for a callback that does not restore weights."""

    stop_training = False
    metrics = ()


def _keras_epochs_run(best_epoch: int, patience: int, max_epochs: int) -> int:
    """How many epochs fit runs when val_loss is lowest at ``best_epoch`` (1-based): ask EarlyStopping itself."""
    import keras

    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    holder = _Holder()
    stop.set_model(holder)
    stop.on_train_begin()
    for epoch in range(max_epochs):  # val_loss falls until best_epoch, then rises
        loss = 1.0 / (epoch + 1) if epoch < best_epoch else 1.0 / best_epoch + 0.01 * (epoch + 1 - best_epoch)
        stop.on_epoch_end(epoch, {"val_loss": loss})
        if holder.stop_training:
            return epoch + 1
    return max_epochs


@exercise("05-epochs-run", "when early stopping stops", uses=["epochs_run"])
def epochs_run(student_fn) -> None:
    """Exercise (predict): the number of epochs fit runs, from the best epoch, the patience and the maximum."""
    cases = [(4, 3, 30), (1, 2, 20), (8, 3, 10), (5, 1, 30), (12, 4, 15), (20, 3, 20), (6, 5, 40)]
    check_function(
        student_fn,
        _keras_epochs_run,
        cases,
        name="epochs_run",
        hint=["after the best epoch, how many epochs without improvement does EarlyStopping wait before it "
              "stops? The epoch that triggers the stop still runs.",
              "a run can never be longer than the maximum number of epochs passed to fit.",
              "example: best at epoch 4 with patience 3 means epochs 5, 6 and 7 fail to improve."],
        describe=lambda c: f"best epoch {c[0]}, patience {c[1]}, at most {c[2]} epochs",
    )


# --------------------------------------------------------------------------- debug: a broken callback list

_SCRIPT = (0.70, 0.80, 0.86, 0.91, 0.90, 0.89, 0.88, 0.87, 0.86, 0.85, 0.84, 0.83)  # val_accuracy per epoch


def _scripted_run(make, checkpoint_dir: Path):
    """Run a tiny fit whose val_accuracy follows _SCRIPT; each epoch's weights are stamped with the epoch.

    Returns (epochs run, epoch whose weights the model ends with, epoch whose weights the checkpoint holds or
    None, the callbacks).  Raises whatever ``make`` raises.
    """
    import keras

    callbacks = make(checkpoint_dir)
    if callbacks is None:
        return None
    if not isinstance(callbacks, (list, tuple)):
        fail(f"`training_callbacks` returned a {type(callbacks).__name__}; it should return a list of callbacks.",
             ["keep the structure of the broken function: it returns a list."])

    class Script(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.layers[0].set_weights([np.full((1, 1), float(epoch + 1), "float32"), np.zeros(1, "float32")])
            logs["val_accuracy"] = _SCRIPT[epoch]

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    x = np.zeros((4, 1), "float32")
    history = model.fit(x, x, validation_data=(x, x), epochs=len(_SCRIPT), verbose=0,
                        callbacks=[Script(), *callbacks])
    ran = len(history.history["loss"])
    held = int(round(float(model.layers[0].get_weights()[0][0, 0])))
    saved = sorted(Path(checkpoint_dir).rglob("*.keras"))
    stamp = None
    if saved:
        stamp = int(round(float(keras.models.load_model(saved[0]).layers[0].get_weights()[0][0, 0])))
    return ran, held, stamp, list(callbacks)


def _fixed_callbacks(checkpoint_dir):
    import keras

    return [keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=3, restore_best_weights=True),
            keras.callbacks.ModelCheckpoint(Path(checkpoint_dir) / "best.keras", monitor="val_accuracy",
                                            mode="max", save_best_only=True)]


def _checkpoint_name_refused(exc: Exception) -> None:
    if isinstance(exc, ValueError) and ".keras" in str(exc):
        fail("Keras refused the checkpoint's file name (read the error it gives when you run the broken "
             "cell).", ["a full model is saved in one format, and Keras reads the format from the end "
                        "of the file name."])


@exercise("05-debug-callbacks", "debug a callback list", uses=["training_callbacks"])
def training_callbacks(student_fn) -> None:
    """Exercise (debug): fix a callback list so it stops, keeps and saves the epoch with the best val_accuracy."""
    import keras

    if student_fn is None or not callable(student_fn):
        not_attempted("`training_callbacks` should be a function. Define it in the cell above and run it.")
    with tempfile.TemporaryDirectory() as tmp:
        want = _scripted_run(_fixed_callbacks, Path(tmp) / "reference")
    with tempfile.TemporaryDirectory() as tmp:
        got = call_student(_scripted_run, (student_fn, Path(tmp)), name="training_callbacks",
                           hint=["run it on its own and read the error."], explain=_checkpoint_name_refused)
        if got is None:
            not_attempted("`training_callbacks` returned None: " + "return the list of callbacks.")
        ran, held, stamp, callbacks = got
        stops = [cb for cb in callbacks if isinstance(cb, keras.callbacks.EarlyStopping)]
        saves = [cb for cb in callbacks if isinstance(cb, keras.callbacks.ModelCheckpoint)]
        if len(stops) != 1 or len(saves) != 1:
            fail("the list should still hold one EarlyStopping and one ModelCheckpoint.",
                 ["fix the callbacks; do not remove them."])
        if stops[0].monitor != "val_accuracy" or stops[0].patience != 3:
            fail("keep what the broken cell asked for: EarlyStopping watching val_accuracy with a patience of 3.",
                 ["the monitored quantity and the patience were not the bugs."])
        direction = ["for which quantities is a LOWER value better, and for which a HIGHER one? Look at what "
                     "the callbacks are told about the direction.",
                     "both callbacks have a `mode` argument; 'auto' works it out from the metric's name."]
        if ran != want[0]:
            fail(f"on a run whose val_accuracy peaks at epoch {want[1]}, your callbacks stopped after epoch {ran}, "
                 "not 3 epochs after the peak.", direction)
        if held != want[1]:
            fail(f"after stopping, the model holds the weights of epoch {held}, not those of the best epoch.",
                 ["what does EarlyStopping do with the weights when it stops? By default, nothing.",
                  "one of EarlyStopping's arguments gives back the best epoch's weights at the end."])
        if stamp != want[2]:
            where = "no .keras file was written" if stamp is None else f"the checkpoint holds epoch {stamp}"
            fail(f"{where}; it should hold the best epoch.", direction)
        if not str(saves[0].filepath).startswith(str(tmp)):
            fail("the checkpoint should be written inside `checkpoint_dir`.", ["keep the folder; fix the name."])
    passed(f"on a scripted run peaking at epoch {want[1]}, your callbacks stop after epoch {want[0]}, keep the "
           "best weights and save them.")


# --------------------------------------------------------------------------- explain: why sigmoid is slow


def init_gradient_norms(activation: str, images, labels, seed: int = 0) -> dict:
    """Norm of the loss gradient for each layer's kernel of a freshly initialised LeNet-5 (one batch)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = _keras_lenet(activation)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(labels, model(images, training=True))
    kernels = [model.get_layer(name).kernel for name in LENET_LAYERS]
    grads = tape.gradient(loss, kernels)
    return {name: float(tf.norm(g)) for name, g in zip(LENET_LAYERS, grads)}


def _sigmoid_options():
    rng = np.random.default_rng(5)
    images = rng.random((64, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, 10, 64)
    sig = init_gradient_norms("sigmoid", images, labels)
    relu = init_gradient_norms("relu", images, labels)
    sig_model, relu_model = _keras_lenet("sigmoid"), _keras_lenet("relu")
    z = np.linspace(-6, 6, 1201)
    slope = np.exp(-z) / (1 + np.exp(-z)) ** 2
    sigmoid_at_zero = 1 / (1 + np.exp(-0.0))
    return {
        "a": sig["conv1"] < relu["conv1"] / 10,                      # tiny gradients reach the first layers
        "b": sig_model.count_params() > relu_model.count_params(),  # more weights to learn
        "c": slope.max() > 1.0,                                      # its slope is steeper than ReLU's (1)
        "d": abs(sigmoid_at_zero) < 1e-6,                            # its outputs are centred on zero
    }, sig["conv1"] / relu["conv1"], slope.max()


@exercise("05-why-sigmoid", "why sigmoid trains slowly", uses=["why_sigmoid"])
def why_sigmoid(answer) -> None:
    """Exercise (explain): why the sigmoid LeNet-5 barely moves with the SGD that trains the ReLU one."""
    options, ratio, slope = _sigmoid_options()
    check_choice(answer, options, name="why_sigmoid",
                 hint=["each option is a claim you can measure: count the parameters, draw the slope of the "
                       "sigmoid, compute sigmoid(0).",
                       "backpropagation multiplies the slope of every activation between the loss and a layer; "
                       "what is the largest slope the sigmoid has, and what happens after four such layers?"],
                 why=f"measured at initialisation: conv1's gradient is {ratio:.1g} times the ReLU network's, "
                     f"and the sigmoid's slope is at most {slope:.2f}.")


progress = progress_of(__name__)
