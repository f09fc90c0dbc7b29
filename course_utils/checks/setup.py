"""Self-checks for notebook 00 (setup and course map)."""

from __future__ import annotations

import numpy as np

from . import NOT_ATTEMPTED, check_function, fail


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


def _scale_reference(images):
    return np.asarray(images, dtype=np.float64) / 255.0


def scale_pixels(student_fn) -> None:
    """Exercise: uint8 images (0-255) to float32 values in [0, 1]."""
    rng = np.random.default_rng(0)
    cases = [(rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8),),
             (np.array([[0, 255], [128, 1]], dtype=np.uint8),)]
    for (images,) in cases:
        try:
            out = student_fn(images.copy())
        except NotImplementedError:
            fail(NOT_ATTEMPTED)
        except Exception as exc:  # the student's bug, in one line
            fail(f"`scale_pixels` raised {type(exc).__name__}: {exc}. Hint: convert the type first, then divide.")
        if not isinstance(out, np.ndarray) or out.dtype != np.float32:
            got = out.dtype if isinstance(out, np.ndarray) else type(out).__name__
            fail(f"`scale_pixels` returned {got}; the result should be a float32 array. "
                 "Hint: `.astype(\"float32\")` converts an array's type.")
    check_function(student_fn, _scale_reference, cases, name="scale_pixels",
                   hint="the largest uint8 value is 255: divide by it so that 255 becomes 1.0.",
                   describe=lambda case: f"images of shape {case[0].shape}")


def class_counts(student_fn) -> None:
    """Exercise: how many examples of each of the 10 classes."""
    rng = np.random.default_rng(1)
    cases = [(rng.integers(0, 10, size=500),), (np.array([3, 3, 3, 0]),), (np.arange(10).repeat(7),)]
    check_function(student_fn, lambda labels, n_classes=10: np.bincount(labels, minlength=n_classes), cases,
                   name="class_counts",
                   hint="start from an array of 10 zeros and add 1 at the position of each label; "
                        "a class that never occurs must still get its 0.",
                   describe=lambda case: f"{len(case[0])} labels")
