"""Train ONE benchmark configuration in this process and write its raw measurements as JSON.

Run by :mod:`benchmarks.run` as a subprocess, so that each configuration has a fresh
TensorFlow and its own peak resident memory::

    python -m benchmarks.worker --config '{"name": ..., ...}' --out result.json

What it records (raw numbers only; :mod:`benchmarks.report` derives the rest):

- ``prep_seconds``: from the uint8 arrays in memory to a compiled model and a ready
  input (scaling, ``tf.data`` pipeline, model build, compile);
- ``fit_start_seconds``: from calling ``fit`` to the start of the first epoch;
- ``epoch_seconds``: the wall time of each epoch (the first one carries tracing and,
  with XLA, compilation; a ``tf.data`` cache is filled during it);
- ``epoch_cpu_seconds``: the CPU time this process used in each epoch (all threads);
- ``test_accuracy``: the test accuracy after each epoch, evaluated OUTSIDE the timed
  epochs (the evaluation's own time is in ``eval_seconds``);
- ``peak_rss_bytes``: this process's peak resident memory (``getrusage``'s ``ru_maxrss``),
  which includes TensorFlow itself and the data set.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from .configs import Config

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def peak_rss_bytes() -> int:
    """This process's peak resident set size in bytes (Linux reports ru_maxrss in KiB)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(maxrss if sys.platform == "darwin" else maxrss * 1024)


def load_arrays(config: Config):
    """The configuration's data as uint8 arrays, limited for smoke runs; and the data set's flags."""
    from course_utils.data import load_dataset

    ds = load_dataset(config.dataset, allow_synthetic=(config.dataset == "cifar10") or None, quiet=True)
    (x_train, y_train), (x_test, y_test), _ = ds
    if config.holdout:
        x_train, y_train = x_train[: -config.holdout], y_train[: -config.holdout]
    if config.train_limit:
        x_train, y_train = x_train[: config.train_limit], y_train[: config.train_limit]
    if config.test_limit:
        x_test, y_test = x_test[: config.test_limit], y_test[: config.test_limit]
    info = {"source": ds.source, "synthetic": bool(ds.synthetic), "subset": bool(ds.subset),
            "n_train": int(len(x_train)), "n_test": int(len(x_test))}
    return (x_train, y_train), (x_test, y_test), info


def scale(config: Config, x):
    """Scale uint8 images to [0, 1]; add the channel axis the CNN expects."""
    import numpy as np

    if config.scaling == "float64":
        x = x / 255.0
    elif config.scaling == "float32":
        x = x.astype(np.float32) / np.float32(255.0)
    elif config.scaling != "none":
        raise ValueError(f"unknown scaling {config.scaling!r}")
    channel_axis = config.channel_axis if config.channel_axis is not None else config.task == "fashion_cnn"
    if channel_axis and x.ndim == 3:
        x = x.reshape(-1, 28, 28, 1)
    return x


def make_input(config: Config, x, y):
    """What ``fit`` receives: the arrays themselves, or a ``tf.data`` pipeline."""
    if config.pipeline == "numpy":
        return {"x": x, "y": y, "batch_size": config.batch_size}
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if config.cache:
        ds = ds.cache()
    ds = ds.shuffle(config.shuffle_buffer or len(x), seed=config.seed, reshuffle_each_iteration=True)
    ds = ds.batch(config.batch_size)
    if config.prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return {"x": ds}


def build_and_compile(config: Config, n_train: int):
    import keras

    from .models import build

    model = build(config.model)
    optimizer = keras.optimizers.get(config.optimizer)
    if config.cosine_decay:
        steps = config.epochs * -(-n_train // config.batch_size)
        optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(config.learning_rate or 1e-3, steps)
    elif config.learning_rate is not None:
        optimizer.learning_rate = config.learning_rate
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=config.logits)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"], jit_compile=config.jit_compile,
                  steps_per_execution=config.steps_per_execution)
    return model


def step_breakdown(config: Config, model, x, y, train_input) -> dict:
    """Where an epoch's time goes, measured after training (the model is already traced).

    - ``compute_epoch_s``: one epoch's worth of steps on ONE batch that is already in
      memory (``tf.data`` ``from_tensors(batch).repeat(steps)``): the train step plus
      Keras's per-step loop, with no input cost.  Run for two epochs; the second is
      kept (the first may retrace for the new input signature).
    - ``input_epoch_s``: iterating the real training input once without a model
      (the ``tf.data`` pipeline; for NumPy input, Keras's own array adapter);
      with prefetching most of it overlaps the compute.
    """
    import math

    import tensorflow as tf
    from keras.src.trainers.data_adapters import get_data_adapter

    n, b = len(x), config.batch_size
    steps = math.ceil(n / b)
    one = tf.data.Dataset.from_tensors((x[:b], y[:b])).repeat(steps)
    times = []

    class Clock(__import__("keras").callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    model.fit(one, epochs=2, verbose=0, callbacks=[Clock()])
    compute = times[-1]

    if config.pipeline == "numpy":  # what Keras's TensorFlow trainer iterates for arrays
        dataset = get_data_adapter(x, y, batch_size=b, shuffle=True).get_tf_dataset()
    else:
        dataset = train_input["x"]
    t = time.perf_counter()
    for _ in dataset:
        pass
    input_s = time.perf_counter() - t
    return {"steps_per_epoch": steps, "compute_epoch_s": compute, "compute_step_ms": compute / steps * 1000,
            "input_epoch_s": input_s}


def run(config: Config) -> dict:
    """Train ``config`` and return its raw measurements."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(config.seed)
    (x_train, y_train), (x_test, y_test), info = load_arrays(config)
    rss_after_load = peak_rss_bytes()

    t_prep = time.perf_counter()
    x_train_s = scale(config, x_train)
    train_input = make_input(config, x_train_s, y_train)
    model = build_and_compile(config, len(x_train))
    prep_seconds = time.perf_counter() - t_prep

    x_test_s = scale(config, x_test)
    marks = {"fit_called": None, "begin": [], "end": [], "cpu_begin": [], "cpu_end": []}
    test_accuracy, train_accuracy, eval_seconds = [], [], []

    class Clock(keras.callbacks.Callback):
        """Times each epoch, then evaluates on the test set outside the timed span."""

        def on_epoch_begin(self, epoch, logs=None):
            marks["cpu_begin"].append(time.process_time())
            marks["begin"].append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            marks["end"].append(time.perf_counter())  # first: nothing below is in the epoch's time
            marks["cpu_end"].append(time.process_time())
            train_accuracy.append(float((logs or {}).get("accuracy", float("nan"))))
            if config.evaluate_each_epoch:
                t = time.perf_counter()
                _, acc = self.model.evaluate(x_test_s, y_test, batch_size=1000, verbose=0)
                eval_seconds.append(time.perf_counter() - t)
                test_accuracy.append(float(acc))
            trained = prep_seconds + sum(e - b for b, e in zip(marks["begin"], marks["end"]))
            if config.stop_after_s is not None and epoch >= 1 and trained > config.stop_after_s:
                marks["stopped"] = True  # already slower than the best run so far: no need to go on
                self.model.stop_training = True

    marks["fit_called"] = time.perf_counter()
    model.fit(**train_input, epochs=config.epochs, verbose=0, callbacks=[Clock()])
    final_test_accuracy = None
    if not config.evaluate_each_epoch:
        pass
    elif test_accuracy:
        final_test_accuracy = test_accuracy[-1]

    breakdown = step_breakdown(config, model, x_train_s, y_train, train_input) if config.breakdown else None

    return {
        "breakdown": breakdown,
        "config": config.to_dict(),
        "data": info,
        "params": int(model.count_params()),
        "jit_compile_effective": bool(model.jit_compile),
        "prep_seconds": prep_seconds,
        "fit_start_seconds": marks["begin"][0] - marks["fit_called"] if marks["begin"] else None,
        "epoch_seconds": [e - b for b, e in zip(marks["begin"], marks["end"])],
        # CPU seconds this process used in each epoch (all its threads): less sensitive than
        # wall time to other processes sharing the CPU, so it shows contamination.
        "epoch_cpu_seconds": [e - b for b, e in zip(marks["cpu_begin"], marks["cpu_end"])],
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "final_test_accuracy": final_test_accuracy,
        "stopped_early": bool(marks.get("stopped")),
        "eval_seconds": eval_seconds,
        "peak_rss_bytes": peak_rss_bytes(),
        "peak_rss_after_load_bytes": rss_after_load,
        "threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                    "inter_op": tf.config.threading.get_inter_op_parallelism_threads()},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the configuration as JSON")
    parser.add_argument("--out", required=True, help="where to write the result (JSON)")
    args = parser.parse_args(argv)
    config = Config.from_dict(json.loads(args.config))
    result = run(config)
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
