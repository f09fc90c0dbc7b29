"""The classic hand-made 3x3 kernels of notebook 01, in one place for every notebook.

Sign convention (the one the whole course uses): kernels are applied as deep learning
applies them, by cross-correlation (``tf.nn.conv2d``, ``keras.layers.Conv2D``: no flip),
and an "x" (vertical-edge) kernel responds POSITIVELY where the image gets brighter from
left to right; a "y" (horizontal-edge) kernel responds positively where it gets brighter
from top to bottom. So Sobel x is ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]``, and Sobel y
is its transpose.
"""

from __future__ import annotations

import numpy as np

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype="float32")
SOBEL_Y = SOBEL_X.T.copy()

KERNELS: dict[str, np.ndarray] = {
    "vertical edge": np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype="float32"),
    "horizontal edge": np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], dtype="float32"),
    "box blur": np.ones((3, 3), dtype="float32") / 9,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype="float32"),
    "Sobel x": SOBEL_X,
    "Sobel y": SOBEL_Y,
}


def kernel(name: str) -> np.ndarray:
    """A copy of one classic kernel by name (a clear error for an unknown name)."""
    from .errors import CourseValueError

    if name not in KERNELS:
        raise CourseValueError(f"no kernel named {name!r}; the kernels are: {', '.join(KERNELS)}.")
    return KERNELS[name].copy()
