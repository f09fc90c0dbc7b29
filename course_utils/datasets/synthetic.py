"""The synthetic stand-in for a data set that cannot be loaded, and the banners that say what was loaded.

:func:`synthetic_stand_in` makes images with the real shapes and a learnable class signal, so code runs
where no copy of the data can be had (allowed only on request); :func:`announce` prints where a data set
came from, and a banner no one can miss when it is the stand-in.
"""

from __future__ import annotations

import numpy as np

from ..i18n import tr
from .specs import LoadedDataset, get_spec, shape_labels


def synthetic_stand_in(name: str, seed: int = 0):
    """Images with the real shapes, dtype and class count, and a learnable class signal.

    Each class has a smooth random template; a sample is its class template shifted
    by up to two pixels, scaled in contrast and mixed with noise.  A model can learn
    it (so training code behaves sensibly) but it looks nothing like the real data.
    """
    spec = get_spec(name)
    rng = np.random.default_rng(seed)
    h, w = spec.image_shape[:2]
    channels = spec.image_shape[2] if len(spec.image_shape) == 3 else 1
    coarse = rng.random((10, h // 4, w // 4, channels))
    templates = coarse.repeat(4, axis=1).repeat(4, axis=2)  # blocky, smooth-ish class patterns

    def make(n, chunk=5_000):
        labels = np.arange(n) % 10
        rng.shuffle(labels)
        pixels = np.empty((n, h, w, channels), np.uint8)
        for start in range(0, n, chunk):  # in chunks of float32: fast and light on memory
            lab = labels[start:start + chunk]
            images = templates[lab].astype(np.float32)
            shifts = rng.integers(-2, 3, size=(len(lab), 2))
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    sel = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
                    if sel.size:
                        images[sel] = np.roll(images[sel], (dy, dx), axis=(1, 2))
            images *= rng.uniform(0.6, 1.0, size=(len(lab), 1, 1, 1)).astype(np.float32)
            images += rng.standard_normal(images.shape, dtype=np.float32) * np.float32(0.18)
            pixels[start:start + chunk] = np.clip(images * 255.0, 0, 255).astype(np.uint8)
        if channels == 1:
            pixels = pixels[..., 0]
        return pixels, shape_labels(spec, labels)

    return make(spec.n_train), make(spec.n_test)


def announce(ds: LoadedDataset, quiet: bool) -> None:
    """Say where a loaded data set came from; the synthetic stand-in gets a banner no one can miss."""
    if quiet:
        return
    if ds.synthetic:
        line = "!" * 78
        text = (
            f"{line}\n"
            f"!!  SYNTHETIC STAND-IN -- this is NOT {ds.title}.\n"
            f"!!  {ds.title} could not be loaded here, so random class patterns with the real\n"
            f"!!  shapes are used so that the code runs. Accuracies and pictures are meaningless.\n"
            f"{line}"
        )
        print(tr(text))  # in the notebook's language (course_utils.i18n)
        warning = tr(
            f"SYNTHETIC STAND-IN: this is not {ds.title}. It has the real shapes so that the code runs, "
            f"but accuracies and pictures are meaningless. Connect to the internet or set COURSE_DATA_DIR "
            f"to use the real data."
        )
        _display_html(f"<div style='border:3px solid #c00;padding:8px;color:#c00;font-weight:bold'>{warning}</div>")
    else:
        print(tr(ds.describe()))


def _display_html(html: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        display(HTML(html))
