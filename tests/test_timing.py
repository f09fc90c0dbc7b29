"""course_utils.timing: both CPU paths for real (in this process without a GPU, in a subprocess that
hides a GPU), the GPU path's logic with a faked device list.

No test asserts a duration: only the structure of the result, the arithmetic on the
recorded times and the guards (subprocess environment, placement, bad input).
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_utils import timing  # noqa: E402
from course_utils.errors import CourseError, CourseValueError  # noqa: E402


def tiny_model():
    """Top-level (importable) builder: a small dense model on 6x6 inputs."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6)), keras.layers.Flatten(), keras.layers.Dense(4)])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def tiny_data(n=96):
    rng = np.random.default_rng(0)
    return rng.random((n, 6, 6), dtype=np.float32), rng.integers(0, 4, n)


def fake_run(times):
    return lambda *a, **k: {"times": list(times), "inter": 0, "intra": 2, "device": "fake"}


# --------------------------------------------------------------------------- the real CPU path


def _tf_sees_a_gpu():
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


@pytest.mark.slow
def test_without_a_gpu_the_cpu_is_timed_in_this_process(monkeypatch):
    if _tf_sees_a_gpu():
        pytest.skip("this machine has a GPU: the CPU is timed in a subprocess there (next test)")
    monkeypatch.setattr(timing, "_run_cpu_subprocess", lambda *a: pytest.fail("no GPU to hide: no subprocess"))
    x, y = tiny_data()
    result = timing.compare_devices(tiny_model, x, y, epochs=3, batch_size=32, devices=["CPU"])
    table = result.table()
    assert list(table.index) == ["CPU"]
    assert table.loc["CPU", "process"] == "this process (no GPU to hide)"
    (t,) = result.timings
    assert len(t.epoch_seconds) == 3 and all(s > 0 for s in t.epoch_seconds)
    assert t.steady_epoch == pytest.approx(float(np.median(t.epoch_seconds[1:])))
    assert table.loc["CPU", "examples / s"] == pytest.approx(len(x) / t.steady_epoch, rel=1e-2)
    assert t.intra_op_threads is not None and t.inter_op_threads is not None
    assert "No GPU was found" in result.summary() and not result.gpu_found
    fig = result.plot()
    ax = fig.axes[0]
    assert "CPU only" in ax.get_title() and ax.get_ylabel() and ax.get_xlabel()
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["CPU"]


@pytest.mark.slow
def test_with_a_gpu_the_cpu_is_timed_in_a_cpu_only_subprocess(monkeypatch):
    # A GPU name (faked here) is what sends the CPU run to a fresh Python with CUDA_VISIBLE_DEVICES=-1; the
    # subprocess below runs for real.
    monkeypatch.setattr(timing, "_gpu_names", lambda: ["Fake Tesla T4"])
    monkeypatch.setattr(timing, "_run_cpu_in_process", lambda *a: pytest.fail("a GPU to hide: subprocess"))
    x, y = tiny_data()
    result = timing.compare_devices(tiny_model, x, y, epochs=3, batch_size=32, devices=["CPU"])
    table = result.table()
    assert list(table.index) == ["CPU"]
    (t,) = result.timings
    assert len(t.epoch_seconds) == 3 and all(s > 0 for s in t.epoch_seconds)
    assert t.first_epoch == t.epoch_seconds[0]
    assert t.steady_epoch == pytest.approx(float(np.median(t.epoch_seconds[1:])))
    assert table.loc["CPU", "examples / s"] == pytest.approx(len(x) / t.steady_epoch, rel=1e-2)
    assert table.loc["CPU", "batch size"] == 32
    assert "CUDA_VISIBLE_DEVICES=-1" in table.loc["CPU", "process"]
    assert t.intra_op_threads is not None and t.inter_op_threads is not None
    summary = result.summary()
    assert "batch size 32" in summary and result.tensorflow_version in summary
    assert result.gpu_found and "No GPU was found" not in summary


@pytest.mark.slow
def test_a_failing_cpu_run_is_an_error_not_a_partial_table(monkeypatch):
    def unsaveable_model():  # a Lambda layer cannot be reloaded in safe mode: the child fails
        model = keras.Sequential([keras.Input((6, 6)), keras.layers.Flatten(),
                                  keras.layers.Lambda(lambda t: t * 2.0), keras.layers.Dense(4)])
        model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    x, y = tiny_data()
    if not _tf_sees_a_gpu():  # no GPU: the CPU run is in this process
        monkeypatch.setattr(timing, "_gpu_names", lambda: [])
        with pytest.raises(CourseError, match="CPU run \\(this process\\) failed"):
            timing.compare_devices(unsaveable_model, x, y, epochs=2, batch_size=32, devices=["CPU"])
    monkeypatch.setattr(timing, "_gpu_names", lambda: ["Fake Tesla T4"])  # a GPU to hide: in a subprocess
    with pytest.raises(CourseError, match="CPU run \\(subprocess\\) failed"):
        timing.compare_devices(unsaveable_model, x, y, epochs=2, batch_size=32, devices=["CPU"])


def test_timeout_is_an_error(tmp_path):
    with pytest.raises(CourseError, match="timeout"):
        timing._run_cpu_subprocess(tmp_path, timeout=0.001)


def test_cpu_subprocess_hides_the_gpu(monkeypatch, tmp_path):
    seen = {}

    def fake_subprocess_run(cmd, env, **kwargs):
        seen["env"], seen["cmd"] = env, cmd
        (tmp_path / "cpu_result.json").write_text('{"times": [1.0, 0.5], "inter": 0, "intra": 0}')
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(timing.subprocess, "run", fake_subprocess_run)
    out = timing._run_cpu_subprocess(tmp_path, timeout=10)
    assert seen["env"]["CUDA_VISIBLE_DEVICES"] == "-1"
    assert seen["cmd"][1:4] == ["-m", "course_utils.timing", "_cpu_worker"]
    assert out["times"] == [1.0, 0.5]


def test_cpu_worker_refuses_when_it_still_sees_a_gpu(monkeypatch, tmp_path):
    import tensorflow as tf

    real = tf.config.list_physical_devices
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: ["/physical_device:GPU:0"] if kind == "GPU" else real(kind))
    with pytest.raises(SystemExit, match="still sees GPUs"):
        timing._cpu_worker(str(tmp_path))


def test_in_process_cpu_run_refuses_when_this_process_sees_a_gpu(monkeypatch, tmp_path):
    import tensorflow as tf

    real = tf.config.list_physical_devices
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: ["/physical_device:GPU:0"] if kind == "GPU" else real(kind))
    x, y = tiny_data(64)
    with pytest.raises(CourseError, match="subprocess that cannot see it"):
        timing._run_cpu_in_process(tmp_path, x, y, 32, 2, False)


def test_timed_fit_synchronises_before_every_clock_reading(monkeypatch):
    calls = []
    monkeypatch.setattr(timing, "_sync", lambda: calls.append(1))
    x, y = tiny_data(64)
    times = timing._timed_fit(tiny_model(), x, y, batch_size=16, epochs=3)
    assert len(times) == 3 and all(t > 0 for t in times)
    assert len(calls) == 2 * 3  # before starting and before stopping each epoch's clock


def test_gpu_run_that_lands_on_the_cpu_is_refused(tmp_path):
    # On this CPU-only machine soft placement puts "/GPU:0" work on the CPU: the guard must notice.
    model = tiny_model()
    x, y = tiny_data(64)
    model(x[:1])
    model.save(tmp_path / "model.keras")
    with pytest.raises(CourseError, match="not on the GPU"):
        timing._run_gpu_in_process(0, tmp_path, x, y, 32, 2, False)


# --------------------------------------------------------------------------- the GPU path, faked


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setattr(timing, "_gpu_names", lambda: ["Fake Tesla T4"])
    calls = {}

    def gpu_run(index, workdir, x, y, batch_size, epochs, jit):
        calls["gpu"] = dict(index=index, n=len(x), batch_size=batch_size, epochs=epochs,
                            model_saved=(workdir / "model.keras").exists())
        return {"times": [3.0, 0.5, 0.4, 0.6][:epochs], "inter": 0, "intra": 0, "device": "/GPU:0"}

    def cpu_run(workdir, timeout):
        config = (workdir / "config.json").read_text()
        calls["cpu"] = dict(config=config, data=(workdir / "data.npz").exists())
        return {"times": [4.0, 2.0, 2.2, 1.8][:json.loads(config)["epochs"]], "inter": 0, "intra": 0}

    monkeypatch.setattr(timing, "_run_gpu_in_process", gpu_run)
    monkeypatch.setattr(timing, "_run_cpu_subprocess", cpu_run)
    monkeypatch.setattr(timing, "_run_cpu_in_process", lambda *a: pytest.fail("a GPU to hide: CPU in a subprocess"))
    return calls


def test_fake_gpu_gives_both_rows_and_the_speed_up(fake_gpu):
    x, y = tiny_data()
    assert timing.available_devices() == ["CPU", "GPU:0"]
    result = timing.compare_devices(tiny_model, x, y, epochs=4, batch_size=32)
    table = result.table()
    assert list(table.index) == ["CPU", "GPU:0"]
    assert table.loc["GPU:0", "description"] == "Fake Tesla T4"
    assert table.loc["CPU", "first epoch (s)"] == 4.0
    assert table.loc["CPU", "steady epoch (s)"] == pytest.approx(np.median([2.0, 2.2, 1.8]))
    assert table.loc["GPU:0", "steady epoch (s)"] == pytest.approx(np.median([0.5, 0.4, 0.6]))
    assert table.loc["GPU:0", "speed-up vs CPU"] == pytest.approx(round(2.0 / 0.5, 2))
    assert table.loc["GPU:0", "examples / s"] == pytest.approx(len(x) / 0.5)
    assert result.gpu_found and "No GPU" not in result.summary()
    assert "CPU only" not in result.plot().axes[0].get_title()
    # Same data, batch size and epochs went to both devices.
    assert fake_gpu["gpu"] == dict(index=0, n=len(x), batch_size=32, epochs=4, model_saved=True)
    assert '"batch_size": 32' in fake_gpu["cpu"]["config"] and fake_gpu["cpu"]["data"]
    assert table.loc["CPU", "process"] == "subprocess, CUDA_VISIBLE_DEVICES=-1"


def test_fake_gpu_alone_and_device_names(fake_gpu):
    x, y = tiny_data()
    result = timing.compare_devices(tiny_model, x, y, epochs=2, batch_size=32, devices=["gpu"])
    assert list(result.table().index) == ["GPU:0"] and "cpu" not in fake_gpu
    with pytest.raises(CourseValueError, match="GPU:1"):
        timing.compare_devices(tiny_model, x, y, epochs=2, batch_size=32, devices=["GPU:1"])


def test_a_failing_device_fails_the_whole_call(fake_gpu, monkeypatch):
    def broken(*a, **k):
        raise CourseError("the GPU:0 run placed the weights on 'CPU:0', not on the GPU; no timing is reported.")

    monkeypatch.setattr(timing, "_run_gpu_in_process", broken)
    x, y = tiny_data()
    with pytest.raises(CourseError, match="no timing"):
        timing.compare_devices(tiny_model, x, y, epochs=2, batch_size=32)


def test_unusable_timings_are_refused(monkeypatch):
    monkeypatch.setattr(timing, "_gpu_names", lambda: [])
    monkeypatch.setattr(timing, "_run_cpu_in_process", fake_run([1.0]))  # one epoch instead of 3
    x, y = tiny_data()
    with pytest.raises(CourseError, match="unusable"):
        timing.compare_devices(tiny_model, x, y, epochs=3, batch_size=32)


def test_builder_given_as_module_function_string(monkeypatch):
    monkeypatch.setattr(timing, "_gpu_names", lambda: [])
    monkeypatch.setattr(timing, "_run_cpu_in_process", fake_run([2.0, 1.0, 1.0]))
    x, y = tiny_data()
    result = timing.compare_devices("tests.test_timing:tiny_model", x, y, epochs=3, batch_size=32)
    assert result.timings[0].steady_epoch == 1.0


# --------------------------------------------------------------------------- bad input


def _raises():
    raise RuntimeError("boom")


def _not_compiled():
    return keras.Sequential([keras.Input((6, 6)), keras.layers.Flatten(), keras.layers.Dense(4)])


def _wrong_shape():
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("builder, message", [
    (_raises, "build_model\\(\\) raised RuntimeError: boom"),
    (lambda: "a model", "must return a Keras model, got str"),
    (_not_compiled, "not compiled"),
    (_wrong_shape, "cannot take the data"),
    (tiny_model(), "must be a function"),
    ("no_such_module:f", "could not be imported"),
    ("tiny_model", "package.module:function"),
])
def test_bad_builders(builder, message, monkeypatch):
    monkeypatch.setattr(timing, "_run_cpu_subprocess", lambda *a: pytest.fail("must not run"))
    monkeypatch.setattr(timing, "_run_cpu_in_process", lambda *a: pytest.fail("must not run"))
    x, y = tiny_data()
    with pytest.raises(CourseValueError, match=message):
        timing.compare_devices(builder, x, y, epochs=2, batch_size=32)


@pytest.mark.parametrize("kwargs, message", [
    (dict(x=np.zeros((0, 6, 6)), y=np.zeros(0)), "x is empty"),
    (dict(y=np.zeros(5)), "one label per example"),
    (dict(batch_size=1000), "batch_size=1000 is larger than the data \\(96 examples\\)"),
    (dict(batch_size=0), "batch_size=0"),
    (dict(epochs=1), "epochs=1"),
    (dict(devices=["TPU:0"]), "'TPU:0', which is not a device here"),
    (dict(devices=[]), "names no device"),
])
def test_bad_arguments(kwargs, message, monkeypatch):
    monkeypatch.setattr(timing, "_gpu_names", lambda: [])
    monkeypatch.setattr(timing, "_run_cpu_in_process", lambda *a: pytest.fail("must not run"))
    x, y = tiny_data()
    args = dict(x=x, y=y, epochs=2, batch_size=32) | kwargs
    with pytest.raises(CourseValueError, match=message):
        timing.compare_devices(tiny_model, **args)
