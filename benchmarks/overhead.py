"""The course helpers' overhead on an epoch: train with and without them.

Run by :mod:`benchmarks.run` as a subprocess::

    python -m benchmarks.overhead --config '{...}' --verbose 2 --out overhead.json

Three measurements, on the course's Fashion-MNIST CNN recipe:

1. A/B: one model trained alternately ``fit(..., verbose=0)`` with no callbacks (A) and
   ``fit(..., verbose=V, callbacks=<the helpers>)`` as the notebooks call it (B), a few
   epochs each, repeated; steady-state epoch = median of the epochs after the first
   ``fit``'s first (the graph is traced once and the ``tf.data`` cache is filled then).
   The spread between repeats of the SAME setting is reported as the noise.
2. Hooks: the time spent inside the helpers' own callback methods, measured exactly by
   wrapping each helper callback in a timing proxy that has only the hooks the helper
   itself defines (so Keras dispatches exactly as it would without the proxy).
3. Plotting: the wall time of the learning-curve figure the notebooks draw after
   training, rendered (Agg), once per training run.

The helpers measured are listed in the result (``helpers``): whatever of the course's
callbacks and plots exist in ``course_utils`` when the benchmark runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

from .configs import Config  # noqa: E402
from .report import median  # noqa: E402
from .worker import build_and_compile, load_arrays, make_input, peak_rss_bytes, scale  # noqa: E402

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end")


def course_helpers():
    """The course's training helpers as the notebooks use them.

    Returns ``(callbacks, plot, names)``: fresh callback instances, a function
    ``plot(histories) -> Figure`` drawing the learning curves after training, and
    the helpers' names for the report.
    """
    from course_utils.callbacks import EpochTimer

    callbacks, names = [EpochTimer()], ["course_utils.callbacks.EpochTimer"]
    plot, plot_name = None, None
    try:  # the course's learning-curve plot (notebooks 04 and 07)
        from course_utils.visualize import plot_learning_curves

        plot, plot_name = plot_learning_curves, "course_utils.visualize.plot_learning_curves"
    except ImportError:
        pass
    if plot is None:  # fall back to what a notebook would draw by hand
        def plot(histories):
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(6, 3.5))
            for name, hist in histories.items():
                ax.plot(range(1, len(hist["accuracy"]) + 1), hist["accuracy"], marker="o", label=name)
            ax.set(title="Learning curves", xlabel="epoch", ylabel="training accuracy")
            ax.legend()
            return fig

        plot_name = "matplotlib learning-curve plot (no course helper found)"
    names.append(plot_name)
    return callbacks, plot, names


def timing_proxy(inner, ledger: dict):
    """A callback that forwards to ``inner`` and adds the time spent in it to ``ledger['seconds']``.

    Only the hooks ``inner`` overrides are defined on the proxy, so Keras's dispatch
    (which skips default hooks) is unchanged.
    """
    import keras

    base = keras.callbacks.Callback
    attrs = {}
    for hook in HOOKS:
        if getattr(type(inner), hook) is not getattr(base, hook):
            def timed(self, *args, _hook=hook, **kwargs):
                t = time.perf_counter()
                try:
                    return getattr(inner, _hook)(*args, **kwargs)
                finally:
                    ledger["seconds"] += time.perf_counter() - t
            attrs[hook] = timed

    def set_model(self, model):
        base.set_model(self, model)
        inner.set_model(model)

    def set_params(self, params):
        base.set_params(self, params)
        inner.set_params(params)

    attrs.update(set_model=set_model, set_params=set_params)
    cls = type(f"Timed{type(inner).__name__}", (base,), attrs)
    return cls()


def timed_progbar(ledger: dict):
    """Keras's own ProgbarLogger (so Keras adds no second one), timing its hooks into ``ledger``."""
    from keras.callbacks import ProgbarLogger

    class TimedProgbar(ProgbarLogger):
        pass

    for hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_end", "on_train_end"):
        def timed(self, *args, _hook=hook, **kwargs):
            t = time.perf_counter()
            try:
                return getattr(ProgbarLogger, _hook)(self, *args, **kwargs)
            finally:
                ledger["seconds"] += time.perf_counter() - t
        setattr(TimedProgbar, hook, timed)
    return TimedProgbar()


def run(config: Config, verbose: int, repeats: int, epochs_per_fit: int, amortise_epochs: int) -> dict:
    import keras
    import matplotlib.pyplot as plt

    keras.utils.set_random_seed(config.seed)
    (x_train, y_train), _, info = load_arrays(config)
    train_input = make_input(config, scale(config, x_train), y_train)
    model = build_and_compile(config, len(x_train))

    # Warm-up: trace the train step and fill the tf.data cache, outside any comparison.
    model.fit(**train_input, epochs=1, verbose=0)

    plain, helped, hooks_total, helper_names = [], [], 0.0, []
    progress_ledger = {"seconds": 0.0}
    histories = {}
    devnull = open(os.devnull, "w")
    for rep in range(repeats):
        for setting in ("plain", "helpers"):
            times = []

            class Clock(keras.callbacks.Callback):
                def on_epoch_begin(self, epoch, logs=None):
                    self.t = time.perf_counter()

                def on_epoch_end(self, epoch, logs=None):
                    times.append(time.perf_counter() - self.t)  # noqa: B023 - used within this iteration

            if setting == "plain":
                model.fit(**train_input, epochs=epochs_per_fit, verbose=0, callbacks=[Clock()])
                plain.extend(times)
            else:
                helpers, plot, helper_names = course_helpers()
                ledger = {"seconds": 0.0}
                proxies = [timing_proxy(cb, ledger) for cb in helpers]
                # The Clock goes first and last so that it brackets every helper hook.
                clock = Clock()
                end_clock = type("EndClock", (keras.callbacks.Callback,),
                                 {"on_epoch_end": lambda self, e, logs=None: clock.on_epoch_end(e, logs)})()  # noqa: B023
                clock_begin_only = type("BeginClock", (keras.callbacks.Callback,),
                                        {"on_epoch_begin": lambda self, e, logs=None: clock.on_epoch_begin(e, logs)})()  # noqa: B023
                # Keras's progress bar, passed explicitly so that it runs INSIDE the clocks
                # (Keras would otherwise append its own after them); timed like the helpers.
                progress = [timed_progbar(progress_ledger)] if verbose else []
                real_stdout = sys.stdout
                sys.stdout = devnull  # the progress output is written (and paid for), but not shown here
                try:
                    hist = model.fit(**train_input, epochs=epochs_per_fit, verbose=verbose,
                                     callbacks=[clock_begin_only, *proxies, *progress, end_clock])
                finally:
                    sys.stdout = real_stdout
                helped.extend(times)
                hooks_total += ledger["seconds"]
                histories[f"run {rep + 1}"] = hist.history

    # Warm-up draw (untimed): a notebook has imported matplotlib and drawn figures before.
    warm = plot(histories)
    warm.savefig(io.BytesIO(), format="png")
    plt.close(warm)
    t = time.perf_counter()
    fig = plot(histories)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # render it, as the notebook's output would
    plt.close(fig)
    plot_seconds = time.perf_counter() - t

    plain_steady, helped_steady = median(plain), median(helped)
    n_helper_epochs = len(helped)
    hook_per_epoch = hooks_total / n_helper_epochs if n_helper_epochs else None
    # Noise: how far the medians of the two halves of the SAME setting's repeats differ.
    half = len(plain) // 2
    noise = (abs(median(plain[:half]) - median(plain[half:])) / plain_steady * 100) if half else None
    return {
        "config": config.to_dict(),
        "data": info,
        "verbose": verbose,
        "helpers": helper_names + [f"Keras progress output (verbose={verbose})"],
        "repeats": repeats,
        "epochs_per_fit": epochs_per_fit,
        "plain_epoch_seconds": plain,
        "helpers_epoch_seconds": helped,
        "hook_seconds_total": hooks_total,
        "hook_seconds_per_epoch": hook_per_epoch,
        "progress_seconds_total": progress_ledger["seconds"],
        "progress_seconds_per_epoch": progress_ledger["seconds"] / n_helper_epochs if n_helper_epochs else None,
        "plot_seconds": plot_seconds,
        "plain_steady_s": plain_steady,
        "helpers_steady_s": helped_steady,
        "ab_noise_pct": noise,
        "epochs_for_amortising": amortise_epochs,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--verbose", type=int, default=2, help="the progress setting the notebooks use")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs-per-fit", type=int, default=2)
    parser.add_argument("--amortise-epochs", type=int, default=10,
                        help="a training run's epochs, over which the one-off plot is spread")
    args = parser.parse_args(argv)
    result = run(Config.from_dict(json.loads(args.config)), args.verbose, args.repeats, args.epochs_per_fit,
                 args.amortise_epochs)
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
