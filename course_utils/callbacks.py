"""Keras callbacks the notebooks share."""

from __future__ import annotations

import time

import keras


class EpochTimer(keras.callbacks.Callback):
    """Record the wall time of every epoch, in seconds.

    The first epoch carries tracing and compilation, so it is kept apart:
    ``first_epoch`` is its time and ``steady_epoch`` the median of the others
    (None with a single epoch)::

        timer = EpochTimer()
        model.fit(x, y, epochs=5, callbacks=[timer])
        timer.first_epoch, timer.steady_epoch, timer.times
    """

    def __init__(self):
        super().__init__()
        self.times: list[float] = []
        self._start = None

    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)

    @property
    def first_epoch(self) -> float | None:
        return self.times[0] if self.times else None

    @property
    def steady_epoch(self) -> float | None:
        rest = sorted(self.times[1:])
        if not rest:
            return None
        mid = len(rest) // 2
        return rest[mid] if len(rest) % 2 else (rest[mid - 1] + rest[mid]) / 2
