"""Notebook 07's figure and counting helpers, kept under the names notebook 07 imports.

Nothing is defined here any more: the row of bar charts that compares models on measured quantities is
:func:`course_utils.visualize.plot_bar_panels` (``plot_bars`` here), and ``multiply_adds``, the work of one
image's forward pass read off a Keras model, is :func:`course_utils.model_counts.multiply_adds`.

    fig = plot_bars(["base", "deeper"], {"seconds per epoch": [1.2, 3.4],
                                         "test accuracy": [0.84, 0.86]},
                    title="Deeper network: cost and benefit")
"""

from __future__ import annotations

from .model_counts import multiply_adds
from .visualize import plot_bar_panels as plot_bars

__all__ = ["plot_bars", "multiply_adds"]
