"""course_utils.callbacks.EpochTimer, tested directly: what it records during a real fit, and its summary."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_utils import callbacks  # noqa: E402
from course_utils.callbacks import EpochTimer  # noqa: E402


def test_records_one_time_per_epoch_of_a_real_fit():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 4), "float32")
    timer = EpochTimer()
    history = model.fit(x, x[:, :1], epochs=3, verbose=0, callbacks=[timer])
    assert len(timer.times) == len(history.history["loss"]) == 3
    assert all(t > 0 for t in timer.times)
    assert timer.first_epoch == timer.times[0]
    assert timer.steady_epoch == statistics.median(timer.times[1:])
    model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[timer])  # a new fit starts a new record
    assert len(timer.times) == 2


def test_times_are_the_clock_between_epoch_begin_and_end(monkeypatch):
    """With a scripted clock, each recorded time is exactly end - begin of its epoch."""
    ticks = iter([10.0, 17.0, 20.0, 22.0, 30.0, 34.0, 40.0, 41.0])  # epochs of 7, 2, 4 and 1 seconds
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: next(ticks))
    timer = EpochTimer()
    timer.on_train_begin()
    for epoch in range(4):
        timer.on_epoch_begin(epoch)
        timer.on_epoch_end(epoch)
    assert timer.times == [7.0, 2.0, 4.0, 1.0]
    assert timer.first_epoch == 7.0
    assert timer.steady_epoch == statistics.median([2.0, 4.0, 1.0])


@pytest.mark.parametrize("times", [[], [3.0], [3.0, 1.0], [9.0, 1.0, 5.0], [9.0, 4.0, 1.0, 2.0, 8.0]])
def test_first_and_steady_epoch(times):
    timer = EpochTimer()
    timer.times = list(times)
    assert timer.first_epoch == (times[0] if times else None)
    assert timer.steady_epoch == (statistics.median(times[1:]) if len(times) > 1 else None)
