"""Sound epoch timing of one model on every device: CPU vs GPU, as a table and a bar chart.

    from course_utils.timing import compare_devices
    result = compare_devices(build_model, x_train, y_train, epochs=3, batch_size=128)
    result.table()      # pandas DataFrame: one row per device
    result.plot()       # bar chart of seconds per epoch
    print(result.summary())   # the settings the figures depend on

``build_model`` is a function with no arguments that returns a *compiled* Keras
model (or the string ``"package.module:function"`` naming one).  It is called
once, here; the model it returns is saved to a temporary ``.keras`` file, so that
every device trains the same architecture, starting from the same weights, with
the same optimizer, loss, batch size and ``tf.data`` pipeline.

How the usual timing mistakes are avoided:

* The first epoch (tracing the graph, XLA compilation, cuDNN autotuning) is
  reported apart; the *steady* epoch time is the median of the other epochs, so at
  least 2 epochs are needed (3 or more recommended).
* GPU work is asynchronous: the clock is stopped only after
  ``tf.test.experimental.sync_devices()`` (and the epoch's loss has been fetched).
* On a machine with a GPU, the CPU figures come from a fresh Python *subprocess*
  started with ``CUDA_VISIBLE_DEVICES=-1``, so TensorFlow there cannot see a GPU at
  all (hiding a GPU after TensorFlow has initialised it is not reliable).  The child
  checks that it really sees no GPU.  Without a GPU there is nothing to hide: the
  CPU runs in this process (under ``tf.device("/CPU:0")``, its placement checked),
  which spares a second TensorFlow in memory (about 0.7 GiB).
* The GPU runs in this process (which already owns the GPU's memory) under
  ``tf.device("/GPU:i")``, and afterwards checks that the weights really lived on
  that GPU (soft placement would otherwise silently fall back to the CPU).
* ``verbose=0``; the same batch size, pipeline and initial weights everywhere;
  the result records the batch size, device names, TensorFlow version and thread
  settings.

Without a GPU the result says so plainly and reports the CPU only.  A device that
fails makes the whole call fail with a :class:`~course_utils.errors.CourseError`:
no table with a missing row is ever returned.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CourseError, CourseValueError

__all__ = ["compare_devices", "DeviceComparison", "DeviceTiming", "available_devices"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the folder that contains course_utils/


# --------------------------------------------------------------------------- results


@dataclass
class DeviceTiming:
    """The timings of one device: every epoch's seconds, the first apart, the steady median."""

    device: str  # "CPU" or "GPU:0", ...
    description: str  # e.g. "CPU (x86_64, 2 logical cores)" or the GPU's name
    epoch_seconds: list[float]
    n_examples: int
    batch_size: int
    inter_op_threads: int | None = None
    intra_op_threads: int | None = None
    process: str = "this process"  # or "subprocess, CUDA_VISIBLE_DEVICES=-1"

    @property
    def first_epoch(self) -> float:
        return self.epoch_seconds[0]

    @property
    def steady_epoch(self) -> float:
        return float(np.median(self.epoch_seconds[1:]))

    @property
    def examples_per_second(self) -> float:
        return self.n_examples / self.steady_epoch


@dataclass
class DeviceComparison:
    """What :func:`compare_devices` measured; see :meth:`table`, :meth:`plot`, :meth:`summary`."""

    timings: list[DeviceTiming]
    epochs: int
    batch_size: int
    n_examples: int
    tensorflow_version: str
    gpu_found: bool
    jit_compile: bool = False
    machine: str = field(default_factory=lambda: f"{platform.machine()}, {os.cpu_count()} logical cores")

    def table(self):
        """One row per device: first epoch, steady epoch, examples per second, speed-up over the CPU."""
        import pandas as pd

        cpu = next((t for t in self.timings if t.device == "CPU"), None)
        rows = []
        for t in self.timings:
            rows.append({
                "device": t.device,
                "description": t.description,
                "batch size": t.batch_size,
                "first epoch (s)": round(t.first_epoch, 3),
                "steady epoch (s)": round(t.steady_epoch, 3),
                "examples / s": round(t.examples_per_second, 1),
                "speed-up vs CPU": round(cpu.steady_epoch / t.steady_epoch, 2) if cpu else float("nan"),
                "threads (inter, intra)": f"{_threads(t.inter_op_threads)}, {_threads(t.intra_op_threads)}",
                "process": t.process,
            })
        return pd.DataFrame(rows).set_index("device")

    def summary(self) -> str:
        """The settings the figures depend on, in a few lines (print it next to the table)."""
        lines = [
            f"TensorFlow {self.tensorflow_version} on {self.machine}; {self.n_examples:,} examples, "
            f"batch size {self.batch_size}, {self.epochs} epochs per device "
            f"(first epoch reported apart; steady = median of epochs 2..{self.epochs}); "
            f"jit_compile (XLA) = {self.jit_compile} on every device.",
            "Threads: 0 means TensorFlow's default (it uses every core).",
        ]
        if not self.gpu_found:
            lines.append("No GPU was found on this machine, so only the CPU was measured.")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Bar chart: first and steady seconds per epoch for each device; returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 3.5))
        else:
            fig = ax.figure
        names = [t.device for t in self.timings]
        pos = np.arange(len(names))
        first = [t.first_epoch for t in self.timings]
        steady = [t.steady_epoch for t in self.timings]
        ax.bar(pos - 0.2, first, width=0.4, color="#bbbbbb", label="first epoch (tracing, compiling)")
        bars = ax.bar(pos + 0.2, steady, width=0.4, color="#3b528b", label="steady epoch (median of the rest)")
        for bar, t in zip(bars, self.timings):
            ax.annotate(f"{t.examples_per_second:,.0f} ex/s", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=8)
        ax.set_xticks(pos, names)
        ax.set_xlim(-0.9, len(names) - 0.1)
        ax.set_xlabel("device")
        ax.set_ylabel("seconds per epoch")
        title = f"Seconds per epoch, batch size {self.batch_size}, {self.n_examples:,} examples"
        if not self.gpu_found:
            title += "\n(no GPU on this machine: CPU only)"
        ax.set_title(title)
        ax.legend(fontsize=8, loc="upper right")
        ax.margins(y=0.2)
        fig.tight_layout()
        return fig

    def _repr_html_(self):
        return self.table()._repr_html_() + "<pre>" + self.summary() + "</pre>"

    def __repr__(self):
        return f"{self.table().to_string()}\n{self.summary()}"


def _cpu_model() -> str:
    """The CPU's model name where the system tells it (Linux), else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _threads(n):
    return "default" if n in (None, 0) else str(n)


# --------------------------------------------------------------------------- devices


def available_devices() -> list[str]:
    """The devices :func:`compare_devices` can use here: ``["CPU", "GPU:0", ...]``."""
    return ["CPU"] + [f"GPU:{i}" for i in range(len(_gpu_names()))]


def _gpu_names() -> list[str]:
    """Names of the visible GPUs (one per GPU; tests replace this to fake a GPU)."""
    import tensorflow as tf

    names = []
    for dev in tf.config.list_physical_devices("GPU"):
        try:
            names.append(tf.config.experimental.get_device_details(dev).get("device_name") or dev.name)
        except Exception:  # noqa: BLE001 - details are optional
            names.append(dev.name)
    return names


def _normalise_devices(devices) -> list[str]:
    available = available_devices()
    if devices is None:
        return available
    if isinstance(devices, str):
        devices = [devices]
    try:
        devices = list(devices)
    except TypeError:
        raise CourseValueError(f"devices={devices!r}: give a list such as ['CPU', 'GPU:0'], or None for all.") from None
    if not devices:
        raise CourseValueError("devices=[] names no device: give e.g. ['CPU'], or None for every device.")
    wanted = []
    for d in devices:
        name = str(d).strip().upper().lstrip("/")
        name = name.replace("DEVICE:", "")
        if name == "GPU":
            name = "GPU:0"
        if name.startswith("CPU"):
            name = "CPU"
        if name not in available:
            raise CourseValueError(
                f"devices contains {d!r}, which is not a device here. Available: {available}"
                + ("" if len(available) > 1 else " (no GPU was found)") + "."
            )
        if name not in wanted:
            wanted.append(name)
    return wanted


# --------------------------------------------------------------------------- checking the inputs


def _resolve_builder(build_model):
    if isinstance(build_model, str):
        module_name, _, func_name = build_model.partition(":")
        if not module_name or not func_name:
            raise CourseValueError(
                f"build_model={build_model!r}: a string must look like 'package.module:function'.")
        try:
            return getattr(importlib.import_module(module_name), func_name)
        except (ImportError, AttributeError) as exc:
            raise CourseValueError(f"build_model={build_model!r} could not be imported: {exc}.") from None
    import keras

    if isinstance(build_model, keras.Model) or not callable(build_model):
        raise CourseValueError(
            f"build_model must be a function that returns a compiled Keras model, got {type(build_model).__name__}. "
            "Pass the function itself (build_model), not its result (build_model()).")
    return build_model


def _build_checked(build_model, x):
    import keras

    builder = _resolve_builder(build_model)
    try:
        model = builder()
    except CourseError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's model code failed: say so in one line
        raise CourseValueError(f"build_model() raised {type(exc).__name__}: {exc}") from None
    if not isinstance(model, keras.Model):
        raise CourseValueError(
            f"build_model() must return a Keras model, got {type(model).__name__}. End it with `return model`.")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise CourseValueError(
            "build_model() returned a model that is not compiled: call model.compile(optimizer=..., loss=...) "
            "before returning it.")
    try:
        model(x[:1], training=False)  # builds the weights; fails early on a shape mismatch
    except Exception as exc:  # noqa: BLE001
        raise CourseValueError(
            f"the model from build_model() cannot take the data: on x[:1] of shape {tuple(x[:1].shape)} it raised "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    return model


def _check_data(x, y, batch_size, epochs):
    try:
        x, y = np.asarray(x), np.asarray(y)
    except Exception as exc:  # noqa: BLE001
        raise CourseValueError(f"x and y must be arrays: {exc}") from None
    if x.ndim == 0 or len(x) == 0:
        raise CourseValueError(f"x is empty (shape {x.shape}): give at least one batch of examples.")
    if y.ndim == 0 or len(y) != len(x):
        raise CourseValueError(f"x has {len(x)} examples but y has shape {y.shape}: give one label per example.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise CourseValueError(f"batch_size={batch_size!r}: use a positive whole number such as 64 or 128.")
    if batch_size > len(x):
        raise CourseValueError(
            f"batch_size={batch_size} is larger than the data ({len(x)} examples): use a batch size of at most "
            f"{len(x)}, or more data, so that an epoch has at least one full batch.")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 2:
        raise CourseValueError(
            f"epochs={epochs!r}: use at least 2 (the first epoch is warm-up and reported apart; "
            "3 or more give a steadier median).")
    return x, y


# --------------------------------------------------------------------------- the measurement itself


def _dataset(x, y, batch_size, seed=0):
    """The same tf.data pipeline on every device: shuffle, batch, prefetch (no cache: x is already in memory)."""
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size).prefetch(tf.data.AUTOTUNE))


def _sync():
    import tensorflow as tf

    sync = getattr(getattr(tf.test, "experimental", None), "sync_devices", None)
    if sync is not None:
        sync()


def _timed_fit(model, x, y, batch_size, epochs) -> list[float]:
    """Train for ``epochs``; the clock stops only after the device has finished (sync)."""
    import keras

    class _SyncedTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times, self._start = [], None

        def on_epoch_begin(self, epoch, logs=None):
            _sync()
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            float((logs or {}).get("loss", 0.0))  # fetching a value waits for the work behind it
            _sync()
            self.times.append(time.perf_counter() - self._start)

    timer = _SyncedTimer()
    model.fit(_dataset(x, y, batch_size), epochs=epochs, verbose=0, callbacks=[timer])
    if len(timer.times) != epochs:
        raise CourseError(f"training stopped after {len(timer.times)} of {epochs} epochs; no timing is reported.")
    return timer.times


def _threading():
    import tensorflow as tf

    threading = tf.config.threading
    return threading.get_inter_op_parallelism_threads(), threading.get_intra_op_parallelism_threads()


def _run_cpu_subprocess(workdir: Path, timeout: float | None) -> dict:
    """Train on the CPU in a fresh Python with CUDA_VISIBLE_DEVICES=-1; return its result dict."""
    env = dict(os.environ)
    env["CUDA_VISIBLE_DEVICES"] = "-1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join([str(_PACKAGE_ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    cmd = [sys.executable, "-m", "course_utils.timing", "_cpu_worker", str(workdir)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CourseError(f"the CPU run took longer than timeout={timeout} s and was stopped; no timing is "
                          "reported. Use less data, fewer epochs or a larger timeout.") from None
    result_file = workdir / "cpu_result.json"
    if proc.returncode != 0 or not result_file.exists():
        tail = "\n".join((proc.stderr or proc.stdout or "").strip().splitlines()[-6:])
        raise CourseError(f"the CPU run (subprocess) failed with exit code {proc.returncode}; no timing is "
                          f"reported. Its last output:\n{tail}")
    return json.loads(result_file.read_text())


def _cpu_worker(workdir: str) -> None:
    """Entry point of the CPU subprocess (``python -m course_utils.timing _cpu_worker DIR``)."""
    workdir = Path(workdir)
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:  # CUDA_VISIBLE_DEVICES=-1 should have hidden them: refuse to report a mixed measurement
        raise SystemExit(f"CPU worker still sees GPUs {gpus}; refusing to time.")
    config = json.loads((workdir / "config.json").read_text())
    data = np.load(workdir / "data.npz")
    model = _load_fresh(workdir)
    model.jit_compile = config["jit_compile"]
    times = _timed_fit(model, data["x"], data["y"], config["batch_size"], config["epochs"])
    inter, intra = _threading()
    out = {"times": times, "inter": inter, "intra": intra,
           "device": model.weights[0].value.device if model.weights else "", "tf": tf.__version__}
    (workdir / "cpu_result.json").write_text(json.dumps(out))


def _load_fresh(workdir: Path):
    """The saved model, reloaded.  It was saved before any training, so its optimizer has no state yet: Keras's
    warning that it skips loading the optimizer's variables is expected and is not shown to students."""
    import warnings

    import keras

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        return keras.models.load_model(workdir / "model.keras")


def _run_cpu_in_process(workdir: Path, x, y, batch_size: int, epochs: int, jit_compile) -> dict:
    """Train on the CPU in this process (only when it sees no GPU); check the placement."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):  # the caller decides by _gpu_names(); never time a GPU as "CPU"
        raise CourseError("this process sees a GPU, so the CPU must be timed in a subprocess that cannot see it; "
                          "no timing is reported.")
    try:
        with tf.device("/CPU:0"):
            model = _load_fresh(workdir)
            model.jit_compile = jit_compile
            times = _timed_fit(model, x, y, batch_size, epochs)
    except CourseError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a model that cannot be reloaded: one line, no partial table
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CourseError(f"the CPU run (this process) failed with {type(exc).__name__}: {first}; "
                          "no timing is reported.") from None
    where = model.weights[0].value.device if model.weights else ""
    if where and "CPU" not in where.upper():
        raise CourseError(f"the CPU run placed the weights on {where!r}, not on the CPU; no timing is reported.")
    inter, intra = _threading()
    return {"times": times, "inter": inter, "intra": intra, "device": where}


def _run_gpu_in_process(index: int, workdir: Path, x, y, batch_size: int, epochs: int, jit_compile) -> dict:
    """Train on GPU ``index`` in this process, from the same saved model; check the placement."""
    import tensorflow as tf

    with tf.device(f"/GPU:{index}"):
        model = _load_fresh(workdir)
        model.jit_compile = jit_compile
        times = _timed_fit(model, x, y, batch_size, epochs)
    where = model.weights[0].value.device if model.weights else ""
    if "GPU" not in where.upper():
        raise CourseError(f"the GPU:{index} run placed the weights on {where!r}, not on the GPU; "
                          "no timing is reported.")
    inter, intra = _threading()
    return {"times": times, "inter": inter, "intra": intra, "device": where}


def compare_devices(build_model, x, y, *, epochs: int = 3, batch_size: int = 64, devices=None,
                    timeout: float | None = 1800) -> DeviceComparison:
    """Train the same model on the same data on each device; time every epoch.

    Parameters
    ----------
    build_model : callable or "package.module:function"
        Takes no arguments and returns a compiled Keras model (standard Keras
        layers, so that it can be saved to a ``.keras`` file and reloaded).
    x, y : arrays
        The training data (the same on every device).
    epochs : int
        Epochs per device, at least 2: the first is reported apart, the steady
        time is the median of the others.
    batch_size : int
        The same on every device; at most ``len(x)``.
    devices : list of str or None
        ``None`` for every device found (``available_devices()``), or e.g.
        ``["CPU"]`` or ``["CPU", "GPU:0"]``.
    timeout : float or None
        Seconds the CPU subprocess may take before it is stopped (an error).
        The subprocess runs only where a GPU is present (to hide it from the CPU
        run); without a GPU the CPU is timed in this process.

    Returns a :class:`DeviceComparison`; raises :class:`CourseValueError` for bad
    input and :class:`CourseError` if a device's run fails (never a partial table).
    """
    x, y = _check_data(x, y, batch_size, epochs)
    wanted = _normalise_devices(devices)  # before building: a typo should fail fast
    gpu_names = _gpu_names()
    model = _build_checked(build_model, x)
    import tensorflow as tf

    jit = model.jit_compile
    jit = jit if isinstance(jit, bool) else False
    n = len(x)
    timings: list[DeviceTiming] = []
    with tempfile.TemporaryDirectory(prefix="course_timing_") as tmp:
        workdir = Path(tmp)
        model.save(workdir / "model.keras")
        del model  # every device reloads it from the file
        (workdir / "config.json").write_text(json.dumps(
            {"batch_size": int(batch_size), "epochs": int(epochs), "jit_compile": jit}))
        for device in wanted:
            if device == "CPU" and gpu_names:  # a GPU to hide: a fresh Python that cannot see it
                np.savez(workdir / "data.npz", x=x, y=y)
                res = _run_cpu_subprocess(workdir, timeout)
                desc = f"{_cpu_model()}, {os.cpu_count()} logical cores"
                process = "subprocess, CUDA_VISIBLE_DEVICES=-1"
            elif device == "CPU":  # no GPU here: nothing to hide, no second TensorFlow in memory
                res = _run_cpu_in_process(workdir, x, y, int(batch_size), int(epochs), jit)
                desc = f"{_cpu_model()}, {os.cpu_count()} logical cores"
                process = "this process (no GPU to hide)"
            else:
                index = int(device.split(":")[1])
                res = _run_gpu_in_process(index, workdir, x, y, int(batch_size), int(epochs), jit)
                desc = gpu_names[index] if index < len(gpu_names) else device
                process = "this process, tf.device"
            times = [float(t) for t in res["times"]]
            if len(times) != epochs or not all(np.isfinite(times)) or min(times) <= 0:
                raise CourseError(f"the {device} run returned unusable timings {times}; no table is reported.")
            timings.append(DeviceTiming(device, desc, times, n, int(batch_size), res.get("inter"), res.get("intra"),
                                        process))
    return DeviceComparison(timings, int(epochs), int(batch_size), n, tf.__version__,
                            gpu_found=bool(gpu_names), jit_compile=jit)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_cpu_worker":
        _cpu_worker(sys.argv[2])
    else:
        print(__doc__)
