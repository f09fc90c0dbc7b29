"""Figure layout for notebook 07 (overfitting, dropout, augmentation).

What would distract from the lesson lives here: the two-panel learning-curve
figure that compares several training runs, and a row of bar charts that
compares models on measured quantities (seconds per epoch, accuracy, gap).
The training runs themselves, and every number plotted, are computed in the
notebook.

    fig = plot_runs({"no dropout": history_a, "dropout 0.5": history_b},
                    title="Dropout on 2,000 training images")
    fig = plot_bars(["base", "deeper"], {"seconds per epoch": [1.2, 3.4],
                                         "test accuracy": [0.84, 0.86]},
                    title="Deeper network: cost and benefit")
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .errors import CourseValueError

__all__ = ["plot_runs", "plot_bars", "history_dict"]


def history_dict(history, *, name: str = "history") -> dict:
    """The per-epoch metrics of ``history`` as a dict of lists.

    Accepts what ``model.fit`` returns (a ``keras.callbacks.History``) or its
    ``.history`` dict.
    """
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping):
        raise CourseValueError(
            f"{name} is a {type(history).__name__}; pass what model.fit(...) returned (a History) "
            "or its .history dict."
        )
    return {str(k): list(v) for k, v in data.items()}


def plot_runs(runs, *, metric: str = "accuracy", title: str | None = None, figsize=(11, 4)):
    """Learning curves of several runs side by side: ``metric`` on the left, loss on the right.

    ``runs``: a dict ``{label: History or history dict}``; every run needs
    ``metric``, ``val_<metric>``, ``loss`` and ``val_loss`` (so fit with
    ``validation_data``).  Training curves are solid, validation curves dashed,
    one colour per run.  Returns the matplotlib Figure.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise CourseValueError(
            f"plot_runs(runs=...) needs a non-empty dict {{label: history}}, got {type(runs).__name__} {runs!r:.60}."
        )
    curves = {}
    for label, history in runs.items():
        data = history_dict(history, name=f"runs[{label!r}]")
        for key in (metric, f"val_{metric}", "loss", "val_loss"):
            if key not in data:
                raise CourseValueError(
                    f"runs[{label!r}] has no {key!r} (it has {sorted(data)}). Fit with "
                    f"metrics=[{metric!r}] and validation_data=... so both curves are recorded."
                )
            if not data[key]:
                raise CourseValueError(f"runs[{label!r}][{key!r}] is empty: train for at least one epoch.")
        curves[label] = data
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(curves)))
    for colour, (label, data) in zip(colours, curves.items()):
        for ax, key in zip(axes, (metric, "loss")):
            epochs = np.arange(1, len(data[key]) + 1)
            ax.plot(epochs, data[key], "-", color=colour, marker="." if len(epochs) < 4 else None,
                    label=f"{label}: training")
            ax.plot(epochs, data[f"val_{key}"], "--", color=colour, marker="." if len(epochs) < 4 else None,
                    label=f"{label}: validation")
    for ax, key in zip(axes, (metric, "loss")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(f"{key} per epoch (solid: training, dashed: validation)", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


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
