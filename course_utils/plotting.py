"""Figure layout for the notebooks: what would distract from the lesson.

Every figure has a title; images use colour maps that colour-blind students can
read (``gray`` for intensities, ``viridis`` for signed or scalar maps).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .errors import CourseValueError


def show_images(images, titles=None, *, ncols: int = 8, cmap: str = "gray", size: float = 1.6,
                suptitle: str | None = None, vmin=None, vmax=None):
    """A grid of images with optional titles; returns the matplotlib Figure.

    ``images``: a sequence or array of (H, W) grayscale or (H, W, 3) colour images
    (uint8 0-255 or floats 0-1).  ``titles``: one string per image, or None.
    """
    images = list(images) if not isinstance(images, np.ndarray) else [im for im in images]
    if not images:
        raise CourseValueError("show_images() got no images: pass a non-empty list or array of images.")
    if titles is not None and len(titles) != len(images):
        raise CourseValueError(f"show_images() got {len(images)} images but {len(titles)} titles: give one title per image.")
    ncols = max(1, min(ncols, len(images)))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, image in enumerate(images):
        image = np.asarray(image)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim not in (2, 3):
            raise CourseValueError(f"show_images(): image {i} has shape {image.shape}; expected (H, W) or (H, W, 3).")
        ax = axes.flat[i]
        ax.imshow(image, cmap=cmap if image.ndim == 2 else None, vmin=vmin, vmax=vmax, interpolation="nearest")
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
