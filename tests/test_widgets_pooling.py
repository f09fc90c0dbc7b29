"""Notebook 03's pooling explorer and its figure (course_utils.widgets / plotting)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")

from course_utils.errors import CourseValueError  # noqa: E402
from course_utils.plotting import plot_pooling  # noqa: E402
from course_utils.reference import pool2d  # noqa: E402
from course_utils.widgets import PoolingExplorer, pooling_explorer  # noqa: E402


@pytest.fixture
def fmap():
    return np.random.default_rng(0).random((29, 27))


def _image_data(ax):
    return np.asarray(ax.images[0].get_array())


def test_builds_with_default_setting(fmap):
    e = pooling_explorer(fmap)
    assert isinstance(e, PoolingExplorer)
    assert (e.mode.value, e.size.value, e.stride.value) == ("max", 2, 2)
    assert e.output_shape() == pool2d(fmap, size=2).shape == (14, 13)
    left, right = e.figure.axes[:2]
    np.testing.assert_allclose(_image_data(right), pool2d(fmap, size=2))
    assert "14x13" in right.get_title()
    assert "<b>14</b>" in e.result.value and "<b>13</b>" in e.result.value
    assert e.redraws == 0


def test_controls_redraw_through_the_callback(fmap):
    e = pooling_explorer(fmap)
    e.size.value = 3  # the observer calls redraw
    assert e.redraws == 1
    assert e.output_shape() == pool2d(fmap, size=3, stride=2).shape
    np.testing.assert_allclose(_image_data(e.figure.axes[1]), pool2d(fmap, size=3, stride=2))
    e.mode.value = "avg"
    e.stride.value = 4
    assert e.redraws == 3
    np.testing.assert_allclose(_image_data(e.figure.axes[1]), pool2d(fmap, size=3, stride=4, mode="avg"))
    assert "average pooling 3x3, stride 4x4" in e.figure.axes[1].get_title()
    assert f"<b>{pool2d(fmap, size=3, stride=4).shape[0]}</b>" in e.result.value


def test_redraw_updates_the_displayed_png(fmap):
    class Handle:
        updates = []

        def update(self, obj):
            self.updates.append(obj)

    e = pooling_explorer(fmap)
    e._handle = Handle()
    e.size.value = 4
    assert len(Handle.updates) == 1 and Handle.updates[0].format == "png"


def test_static_figure_of_default_setting_in_ipython_display(fmap, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append((obj, kw)) or _Handle())
    e = pooling_explorer(fmap)
    e._ipython_display_()
    assert shown[0][0] is e.controls and isinstance(e.controls, ipywidgets.VBox)  # the controls
    assert shown[1][0].format == "png" and shown[1][1] == {"display_id": True}


def test_controls_fall_back_to_a_readable_note_where_no_widget_renders(fmap):
    """Where no widget view renders (nbval, exported or live slides) a frontend shows text/plain:
    the note, like the other explorers, not ``VBox(children=(ToggleButtons(...``."""
    from course_utils.widgets import STATIC_NOTE

    e = pooling_explorer(fmap)
    bundle = e.controls._repr_mimebundle_()
    assert bundle["text/plain"] == repr(e.controls) == STATIC_NOTE
    assert "children" not in bundle["text/plain"]
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == e.controls.model_id
    assert list(e.controls.children[:1]) == [e.mode] and e.result in e.controls.children


class _Handle:
    def update(self, obj):
        pass


def test_sliders_stop_at_the_map_size():
    e = pooling_explorer(np.ones((4, 9)), size=2, stride=2, max_size=6)
    assert e.size.max == e.stride.max == 4


@pytest.mark.parametrize(
    "args, kwargs, fragments",
    [
        ((np.ones(10),), {}, ["feature_map has shape (10,)", "2-D map"]),
        ((np.ones((8, 8, 3)),), {}, ["feature_map has shape (8, 8, 3)"]),
        ((np.ones((8, 8)),), {"mode": "min"}, ["mode='min'", "'max' or 'avg'"]),
        ((np.ones((8, 8)),), {"size": 0}, ["size=0", "from 1 to 6"]),
        ((np.ones((8, 8)),), {"stride": -1}, ["stride=-1", "from 1 to 6"]),
        ((np.ones((4, 4)),), {"size": 5}, ["size=5", "from 1 to 4", "4x4"]),
        ((np.ones((8, 8)),), {"size": 2.5}, ["size=2.5"]),
        ((np.ones((8, 8)),), {"max_size": 0}, ["max_size=0"]),
        (("photo.png",), {}, ["feature_map has shape"]),
    ],
)
def test_bad_input(args, kwargs, fragments):
    with pytest.raises(CourseValueError) as info:
        pooling_explorer(*args, **kwargs)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_plot_pooling_marks_dropped_cells_and_rejects_bad_input():
    fig = plot_pooling(np.arange(25.0).reshape(5, 5), size=2)
    left, right = fig.axes[:2]
    assert "9 cells no window covers" in left.get_title()
    assert len(left.texts) == 25 and len(right.texts) == 4  # values written in small maps
    np.testing.assert_allclose(_image_data(right), [[6, 8], [16, 18]])
    with pytest.raises(CourseValueError, match="plot_pooling draws one 2-D map"):
        plot_pooling(np.ones((4, 4, 2)))
    with pytest.raises(CourseValueError, match="stride=0"):
        plot_pooling(np.ones((4, 4)), stride=0)
