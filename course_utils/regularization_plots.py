"""Figure layout and measuring helpers for notebook 07 (overfitting, dropout, augmentation).

What would distract from the lesson lives here: a row of bar charts that
compares models on measured quantities (seconds per epoch, accuracy, gap), and
``multiply_adds``, the work of one image's forward pass read off a Keras model.
Every number plotted is computed in the notebook; learning curves use
``course_utils.visualize.plot_learning_curves``.

    fig = plot_bars(["base", "deeper"], {"seconds per epoch": [1.2, 3.4],
                                         "test accuracy": [0.84, 0.86]},
                    title="Deeper network: cost and benefit")
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .errors import CourseValueError

__all__ = ["plot_bars", "multiply_adds"]


def plot_bars(names: Sequence[str], panels, *, title: str | None = None, xlabel: str = "model",
              fmt: str = "{:.3g}", figsize=None):
    """One bar chart per measured quantity, the same models along each x axis.

    ``names``: the models (x tick labels).  ``panels``: a dict ``{y-axis label:
    one value per model}``.  Each bar is labelled with its value (``fmt``).
    Returns the matplotlib Figure.
    """
    names = [str(n) for n in names]
    if not names:
        raise CourseValueError("plot_bars(names=[]): give at least one model name.")
    if not isinstance(panels, Mapping) or not panels:
        raise CourseValueError(
            f"plot_bars(panels=...) needs a non-empty dict {{y-axis label: values}}, got {type(panels).__name__}."
        )
    for label, values in panels.items():
        if len(values) != len(names):
            raise CourseValueError(
                f"plot_bars(): panel {label!r} has {len(values)} values for {len(names)} models {names}; "
                "give one value per model."
            )
    figsize = figsize or (3.6 * len(panels) + 0.5, 3.4)
    fig, axes = plt.subplots(1, len(panels), figsize=figsize, squeeze=False)
    colours = plt.get_cmap("viridis")(np.linspace(0.15, 0.85, len(names)))
    for ax, (label, values) in zip(axes.flat, panels.items()):
        values = np.asarray(values, dtype=float)
        bars = ax.bar(names, values, color=colours)
        for bar, value in zip(bars, values):
            ax.annotate(fmt.format(value), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=9)
        ax.set_ylabel(label)
        ax.set_xlabel(xlabel)
        ax.set_title(label, fontsize=10)
        ax.margins(y=0.15)
        ax.tick_params(axis="x", labelrotation=15)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def multiply_adds(model) -> int:
    """Multiply-adds of one image's forward pass through the ``Conv2D`` and ``Dense`` layers of a built model.

    A convolution layer does (output height x output width x filters) x (k x k x input channels) of them,
    a dense layer (inputs x units); pooling, biases and activations are left out (they are comparatively few).
    """
    import keras

    if not isinstance(model, keras.Model) or not model.built:
        raise CourseValueError(f"multiply_adds(model=...): give a built Keras model, got {type(model).__name__}.")
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            total += h * w * c_out * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return int(total)
