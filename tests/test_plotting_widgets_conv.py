"""Plotting and widget helpers of notebooks 01-02: they build, carry their titles, reject bad input,
and the explorers redraw when a control changes (callbacks called directly, no browser needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import plotting, widgets  # noqa: E402
from course_utils.errors import CourseValueError  # noqa: E402
from course_utils.reference import conv_output_size  # noqa: E402

SOBEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
KERNELS = {"Sobel x": SOBEL, "box blur": np.ones((3, 3)) / 9,
           "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes] + (
        [fig._suptitle.get_text()] if fig._suptitle else [])


def _image(seed=0, shape=(20, 24)):
    return np.random.default_rng(seed).random(shape)


# --------------------------------------------------------------------------- plotting


def test_plot_kernel_writes_every_value_and_the_title():
    ax = plotting.plot_kernel(SOBEL, title="Sobel x")
    assert ax.get_title() == "Sobel x"
    written = [t.get_text() for t in ax.texts]
    assert len(written) == 9
    assert sorted(written) == sorted(["1", "0", "-1", "2", "0", "-2", "1", "0", "-1"])
    assert ax.get_xlabel() and ax.get_ylabel()
    # a TensorFlow-shaped (kh, kw, 1, 1) kernel is accepted
    ax = plotting.plot_kernel(np.ones((3, 3, 1, 1)) / 9, decimals=2)
    assert {t.get_text() for t in ax.texts} == {"0.11"}


def test_plot_kernel_rejects_bad_shapes():
    for bad in (np.ones(3), np.ones((3, 3, 3)), np.ones((0, 3))):
        with pytest.raises(CourseValueError, match="kernel has shape"):
            plotting.plot_kernel(bad)


def test_show_before_after_panels_and_titles():
    img = _image()
    fig = plotting.show_before_after(img, img - 0.5, SOBEL, titles=("photo", "edges"), suptitle="demo")
    titles = [ax.get_title() for ax in fig.axes]
    assert "photo" in titles and "edges" in titles and "kernel" in titles
    assert fig._suptitle.get_text() == "demo"
    fig = plotting.show_before_after(img, img, titles=("a", "b"), colorbar=False)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]


def test_show_before_after_signed_maps_get_a_diverging_colour_map():
    img = _image()
    edges = img - np.median(img)                      # centred on 0, like an edge map
    fig = plotting.show_before_after(img, edges)
    assert fig.axes[-2].images[0].get_cmap().name == plotting.KERNEL_CMAP
    fig = plotting.show_before_after(img, img + 1)    # a positive photo stays gray
    assert fig.axes[-2].images[0].get_cmap().name == "gray"


def test_colour_map_follows_the_kernel_edge_detectors_signed_others_gray():
    img = np.zeros((12, 12))
    img[3:9, 3:9] = 1.0  # a bright square on black: outputs have median 0
    sharp = KERNELS["sharpen"]
    outputs = [img - 0.5, img - 0.5]                        # signed values for both, on purpose
    fig = plotting.show_filter_bank(img, [SOBEL, sharp], outputs, ["Sobel x", "sharpen"])
    cmaps = {ax.get_title(): ax.images[0].get_cmap().name for ax in fig.axes if ax.images}
    assert cmaps["Sobel x output"] == plotting.KERNEL_CMAP  # weights sum to 0
    assert cmaps["sharpen output"] == "gray"                # weights sum to 1
    fig = plotting.show_before_after(img, img - 0.5, sharp)
    assert fig.axes[2].images[0].get_cmap().name == "gray"


def test_show_before_after_rejects_bad_input():
    with pytest.raises(CourseValueError, match="titles"):
        plotting.show_before_after(_image(), _image(), titles=("only one",))
    with pytest.raises(CourseValueError, match=r"\(20, 24, 3\)"):
        plotting.show_before_after(_image(shape=(20, 24, 3)), _image())


def test_show_filter_bank_layout_and_names():
    img = _image()
    fig = plotting.show_filter_bank(img, KERNELS.values(), [img] * 3, KERNELS.keys(), suptitle="bank")
    titles = [ax.get_title() for ax in fig.axes]
    for name in KERNELS:
        assert name in titles and f"{name} output" in titles
    assert "input" in titles
    with pytest.raises(CourseValueError, match="same"):
        plotting.show_filter_bank(img, KERNELS.values(), [img] * 2, KERNELS.keys())


@pytest.mark.parametrize("n,f,padding,stride", [(5, 3, "valid", 1), (5, 3, 1, 2), (7, 4, "same", 2), (8, 3, "same", 2),
                                                (6, 2, 0, 3), (4, 3, 2, 1)])
def test_conv_arithmetic_diagram_shows_the_computed_output_size(n, f, padding, stride):
    fig = plotting.plot_conv_arithmetic(n, f, padding=padding, stride=stride)
    out = conv_output_size(n, f, padding=padding, stride=stride)
    title = fig.axes[0].get_title()
    assert f"n={n}" in title and f"f={f}" in title and f"s={stride}" in title
    assert title.endswith(f"output {out}x{out}")
    # one green/orange output cell per output position, after the padded input cells
    from course_utils.reference.conv import same_padding
    if padding == "same":
        before, after = same_padding(n, f, stride)
    else:
        before, after = (0, 0) if padding == "valid" else (padding,) * 2
    cells = (n + before + after) ** 2 + 1 + out * out      # input+padding, the kernel, the output
    assert len(fig.axes[0].patches) == cells


def test_conv_arithmetic_diagram_when_the_kernel_does_not_fit():
    fig = plotting.plot_conv_arithmetic(3, 5, padding="valid")
    assert fig.axes[0].get_title().endswith("output 0x0")
    assert any("does not fit" in t for t in _texts(fig))


def test_conv_arithmetic_diagram_rejects_bad_input():
    with pytest.raises(CourseValueError, match="stride=0"):
        plotting.plot_conv_arithmetic(5, 3, stride=0)
    with pytest.raises(CourseValueError, match="padding='full'"):
        plotting.plot_conv_arithmetic(5, 3, padding="full")
    with pytest.raises(CourseValueError, match="n=0"):
        plotting.plot_conv_arithmetic(0, 3)


# --------------------------------------------------------------------------- widgets


def test_kernel_editor_builds_and_redraws_on_a_new_preset():
    img = _image()
    editor = widgets.kernel_editor(img, KERNELS, default="Sobel x")
    assert editor.preset.options[:3] == tuple(KERNELS)
    np.testing.assert_array_equal(editor.kernel(), SOBEL)
    assert "output: Sobel x" in _texts(editor.figure)
    before = editor.redraws
    editor.preset.value = "sharpen"                         # the Dropdown's callback runs
    assert editor.redraws == before + 1
    np.testing.assert_array_equal(editor.kernel(), KERNELS["sharpen"])
    assert "output: sharpen" in _texts(editor.figure)
    kernel_texts = [t.get_text() for t in editor.figure.axes[1].texts]
    assert "5" in kernel_texts                              # the heat-map shows the new weights


def test_kernel_editor_typed_weight_redraws_and_becomes_custom():
    seen = []

    def recording_conv(image, kernel):
        seen.append(kernel.copy())
        return image

    editor = widgets.kernel_editor(_image(), KERNELS, default="box blur", conv=recording_conv)
    editor.weights[1][1].value = 7.0
    assert editor.preset.value == editor.CUSTOM
    assert seen[-1][1, 1] == 7.0
    assert "output: (your own weights)" in _texts(editor.figure)
    # the default filter is a 'same' cross-correlation, like tf.nn.conv2d(..., 'SAME')
    from course_utils.reference import conv2d
    img = _image(3)
    np.testing.assert_allclose(widgets._same_correlate3x3(img, SOBEL), conv2d(img, SOBEL, padding="same"), atol=1e-12)


def test_kernel_editor_rejects_bad_input():
    with pytest.raises(CourseValueError, match="grayscale"):
        widgets.kernel_editor(_image(shape=(8, 8, 3)), KERNELS)
    with pytest.raises(CourseValueError, match="3x3"):
        widgets.kernel_editor(_image(), {"big": np.ones((5, 5))})
    with pytest.raises(CourseValueError, match="default='nope'"):
        widgets.kernel_editor(_image(), KERNELS, default="nope")
    with pytest.raises(CourseValueError, match="non-empty dict"):
        widgets.kernel_editor(_image(), [])


def test_conv_arithmetic_explorer_redraws_with_new_values():
    ex = widgets.conv_arithmetic_explorer(n=5, f=3, p=1, s=2)
    assert ex.figure.axes[0].get_title().endswith(f"output {conv_output_size(5, 3, padding=1, stride=2)}x3")
    assert "<b>3</b>" in ex.result.value
    ex.n.value = 9                                         # slider callback
    out = conv_output_size(9, 3, padding=1, stride=2)
    assert ex.figure.axes[0].get_title().endswith(f"output {out}x{out}")
    assert f"<b>{out}</b>" in ex.result.value
    ex.mode.value = ex.MODES[1]                            # TensorFlow's 'same'
    ex.f.value = 4
    out = conv_output_size(9, 4, padding="same", stride=2)
    assert "'same'" in ex.figure.axes[0].get_title() and f"<b>{out}</b>" in ex.result.value
    assert "padding 1 before, 2 after" in ex.result.value
    ex.mode.value = ex.MODES[0]
    ex.p.value, ex.n.value, ex.f.value = 0, 2, 5          # kernel larger than the input
    assert "no output" in ex.result.value
    assert ex.redraws >= 6


def test_conv_arithmetic_explorer_rejects_out_of_range_values():
    with pytest.raises(CourseValueError, match="s=0"):
        widgets.conv_arithmetic_explorer(s=0)
    with pytest.raises(CourseValueError, match="n=40"):
        widgets.conv_arithmetic_explorer(n=40)


def test_explorer_display_shows_a_static_png_and_updates_it(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def fake_display(obj, display_id=None, raw=False):
        shown.append(("display", obj))
        return Handle() if display_id else None

    import IPython.display
    monkeypatch.setattr(IPython.display, "display", fake_display)
    ex = widgets.conv_arithmetic_explorer()
    ex._ipython_display_()
    assert shown[0][1] is ex.controls                        # the widget, with a readable text stand-in
    bundle = ex.controls._repr_mimebundle_()
    assert bundle["text/plain"] == widgets.STATIC_NOTE
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.controls.model_id
    assert type(ex.controls).__name__ == "VBox"
    assert type(widgets.kernel_editor(_image(), KERNELS).controls).__name__ == "HBox"
    png = shown[1][1]
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"               # the static figure of the default setting
    ex.s.value = 1
    assert shown[-1][0] == "update" and shown[-1][1].data != png.data


def test_plot_series_draws_one_labelled_line_per_series():
    x, series = [0, 1, 2, 3], {"dense": [0.9, 0.7, 0.5, 0.4], "CNN": [0.92, 0.88, 0.8, 0.6]}
    fig = plotting.plot_series(x, series, xlabel="shift (px)", ylabel="accuracy", title="Shifted images")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(series)
    for line, values in zip(lines, series.values()):
        assert np.array_equal(line.get_xdata(), x) and np.array_equal(line.get_ydata(), values)
    assert len({line.get_marker() for line in lines}) == len(lines)  # apart in grayscale too
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Shifted images", "shift (px)", "accuracy")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(series)


def test_plot_series_rejects_bad_input():
    labels = dict(xlabel="x", ylabel="y", title="t")
    with pytest.raises(CourseValueError, match="one value per x"):
        plotting.plot_series([0, 1, 2], {"a": [1, 2]}, **labels)
    with pytest.raises(CourseValueError, match="non-empty dict"):
        plotting.plot_series([0, 1], {}, **labels)
    with pytest.raises(CourseValueError, match="at least one x"):
        plotting.plot_series([], {"a": []}, **labels)


# --------------------------------------------------------------------------- signed feature maps (notebook 06)


def test_show_signed_maps_shares_one_symmetric_scale_and_one_colour_bar():
    rgb = np.random.default_rng(0).random((8, 8, 3))
    maps = [np.full((6, 6), 2.0), np.full((6, 6), -0.5), np.linspace(-1, 1, 36).reshape(6, 6)]
    flat_gray = np.full((8, 8), 0.3)
    fig = plotting.show_signed_maps(maps, ["a", "b", "c"], inputs=[rgb, flat_gray], input_titles=["in", "gray"],
                                    suptitle="maps")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["in", "gray", "a", "b", "c"]
    largest = max(float(np.abs(m).max()) for m in maps)
    for ax in panels[2:]:  # every map on -largest..+largest: 0 is the middle colour
        assert ax.images[0].get_clim() == (-largest, largest)
    assert panels[1].images[0].get_clim() == (0, 1)  # a gray input on 0..1 keeps its true gray level
    assert len(fig.axes) == 6 and fig.axes[-1].get_ylabel() == "response"  # one colour bar for all maps
    assert fig._suptitle.get_text() == "maps"
    fig = plotting.show_signed_maps(maps[:1], ["a"], limit=5.0)
    assert fig.axes[0].images[0].get_clim() == (-5.0, 5.0)


def test_show_signed_maps_rejects_bad_input():
    with pytest.raises(CourseValueError, match="no maps"):
        plotting.show_signed_maps([], [])
    with pytest.raises(CourseValueError, match="one title per map"):
        plotting.show_signed_maps([np.zeros((3, 3))], ["a", "b"])
    with pytest.raises(CourseValueError, match="expected a 2-D map"):
        plotting.show_signed_maps([np.zeros((3, 3, 2))], ["a"])
    with pytest.raises(CourseValueError, match="positive number"):
        plotting.show_signed_maps([np.ones((3, 3))], ["a"], limit=0)
