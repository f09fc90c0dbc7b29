"""Self-checks for notebook 00 (setup and course map)."""

from __future__ import annotations

import numpy as np

from . import check_function


def _inputs_per_neuron(shape):
    return int(np.prod(shape))


def inputs_per_neuron(student_fn) -> None:
    """Exercise: how many inputs one dense neuron sees for an image of a given shape."""
    cases = [((28, 28),), ((28, 28, 3),), ((32, 32, 3),), ((224, 224, 3),), ((5, 7),)]
    check_function(
        student_fn,
        _inputs_per_neuron,
        cases,
        name="inputs_per_neuron",
        hint="a dense layer sees every pixel of every colour channel: multiply all the sizes in the shape.",
        describe=lambda case: f"an image of shape {case[0]}",
    )
