"""Figure layout for notebook 07 (overfitting, dropout, augmentation).

What would distract from the lesson lives here: a row of bar charts that
compares models on measured quantities (seconds per epoch, accuracy, gap).
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

__all__ = ["plot_bars"]


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
