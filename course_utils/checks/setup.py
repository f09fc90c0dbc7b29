"""Self-checks for notebook 00 (setup and course map)."""

from __future__ import annotations

import numpy as np

from . import call_student, check_function, exercise, fail, not_attempted, progress_of


def _inputs_per_neuron(shape):
    return int(np.prod(shape))


@exercise("00-inputs-per-neuron", "inputs per neuron", uses=["inputs_per_neuron"])
def inputs_per_neuron(student_fn) -> None:
    """Exercise: how many inputs one dense neuron sees for an image of a given shape."""
    cases = [((28, 28),), ((28, 28, 3),), ((32, 32, 3),), ((224, 224, 3),), ((5, 7),)]
    check_function(
        student_fn, _inputs_per_neuron, cases, name="inputs_per_neuron",
        hint=["a dense neuron is connected to every number in the image, not only to every pixel position.",
              "a colour image has several numbers per pixel: the shape lists every axis, and all of them count."],
        describe=lambda case: f"an image of shape {case[0]}",
    )


def _scale_reference(images):
    return np.asarray(images, dtype=np.float64) / 255.0


@exercise("00-scale-pixels", "scale pixels", uses=["scale_pixels"])
def scale_pixels(student_fn) -> None:
    """Exercise: uint8 images (0-255) to float32 values in [0, 1]."""
    rng = np.random.default_rng(0)
    cases = [(rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8),),
             (np.array([[0, 255], [128, 1]], dtype=np.uint8),)]
    for (images,) in cases:
        out = call_student(student_fn, (images.copy(),), name="scale_pixels",
                           hint="convert the type first, then divide.")
        if out is None:
            not_attempted()
        if not isinstance(out, np.ndarray) or out.dtype != np.float32:
            got = out.dtype if isinstance(out, np.ndarray) else type(out).__name__
            fail(f"`scale_pixels` returned {got}; the result should be a float32 array.",
                 ["every array has a type (its dtype); which one does your result have?",
                  "an array method converts the type; NumPy's default for division is float64, not float32."])
    check_function(student_fn, _scale_reference, cases, name="scale_pixels",
                   hint=["the brightest pixel must become exactly 1.0 and the darkest 0.0.",
                         "what is the largest value a uint8 can hold? divide by that."],
                   describe=lambda case: f"images of shape {case[0].shape}")


@exercise("00-class-counts", "class counts", uses=["class_counts"])
def class_counts(student_fn) -> None:
    """Exercise: how many examples of each of the 10 classes."""
    rng = np.random.default_rng(1)
    cases = [(rng.integers(0, 10, size=500),), (np.array([3, 3, 3, 0]),), (np.arange(10).repeat(7),)]
    check_function(student_fn, lambda labels, n_classes=10: np.bincount(labels, minlength=n_classes), cases,
                   name="class_counts",
                   hint=["the answer always has 10 entries, one per class, even for a class that never occurs.",
                         "start from 10 zeros and add 1 at the position of each label (NumPy also has a "
                         "function that counts non-negative integers)."],
                   describe=lambda case: f"{len(case[0])} labels")


progress = progress_of(__name__)
