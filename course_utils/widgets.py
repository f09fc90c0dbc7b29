"""Interactive explorers (ipywidgets) for the notebooks.

Each explorer works in JupyterLab and Colab; where no widget frontend exists
(nbval, exported slides) its cell still shows a static figure of the default
setting.  Where a widget view cannot render, Jupyter frontends show the output's
``text/plain`` form instead; every explorer's controls box makes that the readable
:data:`STATIC_NOTE` (not ``VBox(children=(...``).  That is what JupyterLab's live
slides (jupyterlab-rise 0.43.1) show with jupyterlab_widgets >= 3.0.11: RISE's
slideshow page lacks the shared ``@jupyterlab/console`` module that those widget
managers need, so no widget renders there; the figure below the note still shows.
"""

from __future__ import annotations

import numpy as np

from .errors import CourseValueError

# --------------------------------------------------------------------------- shared plumbing


def _figure_png(fig, dpi: int = 80):
    """The Figure as an IPython PNG image: shows in every frontend, nbval and exported slides alike."""
    import io

    from IPython.display import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return Image(data=buffer.getvalue(), format="png")


# At most 110 characters: ipywidgets cuts a longer text/plain form with "…".
STATIC_NOTE = ("[interactive controls: they show where widgets run (JupyterLab, Colab); "
               "the figure shows the starting setting]")


def _box(kind: str, children):
    """An ipywidgets HBox/VBox whose plain-text form (nbval, exported slides, live slides where no
    widget view renders) is :data:`STATIC_NOTE` instead of ``HBox(children=(...``."""
    import ipywidgets as W

    base = getattr(W, kind)
    box_cls = type(kind, (base,), {"__repr__": lambda self: STATIC_NOTE, "__module__": base.__module__})
    return box_cls(children)


def _translate_labels(widget) -> None:
    """Show the labels of a controls box in the notebook's language (course_utils.i18n; values stay as they are)."""
    from .i18n import tr

    if getattr(widget, "description", ""):
        widget.description = tr(widget.description)
    if type(widget).__name__ == "Label":
        widget.value = tr(widget.value)
    for child in getattr(widget, "children", ()):
        _translate_labels(child)


class _Explorer:
    """Base of the explorers: ``controls`` (an ipywidgets box) above a figure redrawn on every change.

    Displaying the object (leave it as the last line of a cell) shows the controls and a
    PNG of the current figure.  A change of a control calls :meth:`redraw`, which draws
    into the same ``figure`` and replaces the PNG in place (``display_id``).  Without a
    widget frontend (nbval, exported slides) the PNG of the default setting remains.
    """

    controls = None

    def __init__(self):
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=self._figsize)  # not pyplot: no duplicate inline figure
        self._handle = None
        self.redraws = 0

    def draw(self) -> None:  # pragma: no cover - subclasses implement it
        raise NotImplementedError

    def redraw(self, *_change) -> None:
        """Redraw the figure for the current control values (the widgets' callback)."""
        self.draw()
        self.redraws += 1
        if self._handle is not None:
            self._handle.update(_figure_png(self.figure))

    def _ipython_display_(self):
        from IPython.display import display

        _translate_labels(self.controls)
        display(self.controls)
        self._handle = display(_figure_png(self.figure), display_id=True)

    def __repr__(self):
        return f"<{type(self).__name__}: run in Jupyter to see the controls and the figure>"


# --------------------------------------------------------------------------- notebook 01: kernel editor


def _same_correlate3x3(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Fast zero-padded 'same' cross-correlation (vectorised; the lesson's loop is in notebook 01)."""
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw))
    return np.einsum("ijkl,kl->ij", windows, kernel)


class KernelEditor(_Explorer):
    """Notebook 01's explorer: pick a classic 3x3 kernel or type its 9 weights; see the filtered photo.

    Attributes: ``preset`` (Dropdown of kernel names), ``weights`` (3x3 list of FloatText),
    ``controls`` (the box to display), ``figure`` and :meth:`kernel` (the current weights).
    """

    _figsize = (9.6, 3.6)
    CUSTOM = "(your own weights)"

    def __init__(self, image, kernels: dict, *, default: str | None = None, conv=None):
        import ipywidgets as W

        image = np.asarray(image, dtype=float)
        if image.ndim != 2:
            raise CourseValueError(
                f"image has shape {image.shape}: the kernel editor needs a grayscale (H, W) image; "
                "for a colour photo pass e.g. skimage.color.rgb2gray(photo).")
        if not isinstance(kernels, dict) or not kernels:
            raise CourseValueError("kernels must be a non-empty dict {name: 3x3 array}, "
                                   f"got {type(kernels).__name__}.")
        self.kernels = {}
        for name, k in kernels.items():
            k = np.asarray(k, dtype=float)
            if k.shape != (3, 3):
                raise CourseValueError(f"kernels[{name!r}] has shape {k.shape}: the editor takes 3x3 kernels.")
            self.kernels[str(name)] = k
        default = next(iter(self.kernels)) if default is None else default
        if default not in self.kernels:
            raise CourseValueError(f"default={default!r} is not one of the kernels: {sorted(self.kernels)}.")
        self.image = image
        self.conv = conv or _same_correlate3x3
        super().__init__()
        self._quiet = False
        self.preset = W.Dropdown(options=[*self.kernels, self.CUSTOM], value=default, description="kernel")
        self.weights = [[W.FloatText(value=float(self.kernels[default][r, c]), step=0.5,
                                     layout=W.Layout(width="70px")) for c in range(3)] for r in range(3)]
        grid = W.GridBox([w for row in self.weights for w in row],
                         layout=W.Layout(grid_template_columns="repeat(3, 76px)"))
        self.controls = _box("HBox", [self.preset, W.VBox([W.Label("weights (type, then Enter)"), grid])])
        self.preset.observe(self._on_preset, names="value")
        for row in self.weights:
            for w in row:
                w.observe(self._on_weight, names="value")
        self.draw()

    def kernel(self) -> np.ndarray:
        """The 3x3 kernel currently in the weight boxes."""
        return np.array([[w.value for w in row] for row in self.weights], dtype=float)

    def _on_preset(self, change):
        if self._quiet or change["new"] == self.CUSTOM:
            return
        self._quiet = True
        try:
            for (r, c), v in np.ndenumerate(self.kernels[change["new"]]):
                self.weights[r][c].value = float(v)
        finally:
            self._quiet = False
        self.redraw()

    def _on_weight(self, _change):
        if self._quiet:
            return
        name = self.preset.value
        if name != self.CUSTOM and not np.array_equal(self.kernel(), self.kernels[name]):
            self._quiet = True
            self.preset.value = self.CUSTOM
            self._quiet = False
        self.redraw()

    def draw(self) -> None:
        from .plotting import show_before_after

        k = self.kernel()
        out = np.asarray(self.conv(self.image, k), dtype=float)
        show_before_after(self.image, out, k, titles=("input", f"output: {self.preset.value}"),
                          fig=self.figure)


def kernel_editor(image, kernels: dict, *, default: str | None = None, conv=None) -> KernelEditor:
    """Notebook 01's kernel editor: a Dropdown of ``kernels`` (name -> 3x3 array) and 9 weight boxes.

    ``image``: a grayscale (H, W) float image (keep it about 256x256 or smaller for a quick
    redraw).  ``conv(image, kernel)``: the filter to apply (default: a zero-padded 'same'
    cross-correlation, like ``tf.nn.conv2d(..., padding='SAME')``).  Leave the call as the
    last line of a cell to display it.
    """
    return KernelEditor(image, kernels, default=default, conv=conv)


# --------------------------------------------------------------------------- notebook 02: arithmetic explorer


class ConvArithmeticExplorer(_Explorer):
    """Notebook 02's explorer: sliders for n, f, p, s (and TensorFlow's 'same') redraw the diagram.

    Attributes: ``n``, ``f``, ``p``, ``s`` (IntSliders), ``mode`` (ToggleButtons: explicit
    ``p`` or ``'same'``), ``position`` (IntSlider: which kernel position is highlighted),
    ``result`` (HTML: the computed output size), ``controls``, ``figure``.
    """

    _figsize = (8.5, 4.4)
    MODES = ("explicit p", "'same'")

    def __init__(self, n: int = 5, f: int = 3, p: int = 1, s: int = 2, *, same: bool = False):
        import ipywidgets as W

        limits = {"n": (n, 1, 12), "f": (f, 1, 7), "p": (p, 0, 4), "s": (s, 1, 4)}
        for name, (value, lo, hi) in limits.items():
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not lo <= value <= hi:
                raise CourseValueError(f"{name}={value!r} is not allowed: the explorer takes a whole number "
                                       f"from {lo} to {hi}.")
        super().__init__()
        self.n = W.IntSlider(value=n, min=1, max=12, description="n (input)")
        self.f = W.IntSlider(value=f, min=1, max=7, description="f (kernel)")
        self.p = W.IntSlider(value=p, min=0, max=4, description="p (padding)")
        self.s = W.IntSlider(value=s, min=1, max=4, description="s (stride)")
        self.mode = W.ToggleButtons(options=list(self.MODES), value=self.MODES[1] if same else self.MODES[0],
                                    description="padding")
        self.position = W.IntSlider(value=0, min=0, max=200, description="position")
        self.result = W.HTML()
        for w in (self.n, self.f, self.p, self.s, self.mode, self.position):
            w.observe(self.redraw, names="value")
        self.controls = _box("VBox", [W.HBox([W.VBox([self.n, self.f]), W.VBox([self.p, self.s])]),
                                      W.HBox([self.mode, self.position]), self.result])
        self.draw()

    def padding(self):
        """The padding the diagram uses now: ``'same'`` or the int p."""
        return "same" if self.mode.value == self.MODES[1] else int(self.p.value)

    def draw(self) -> None:
        from .plotting import plot_conv_arithmetic
        from .reference.conv import axis_padding, window_count

        n, f, s, padding = int(self.n.value), int(self.f.value), int(self.s.value), self.padding()
        plot_conv_arithmetic(n, f, padding=padding, stride=s, position=self.position.value, fig=self.figure)
        before, after = axis_padding(n, f, padding, s)
        out = window_count(n + before + after, f, s)
        if padding == "same":
            text = (f"'same': output = ceil(n / s) = ceil({n} / {s}) = <b>{out}</b>; "
                    f"padding {before} before, {after} after")
        elif n + 2 * padding < f:
            text = f"the kernel (f={f}) is larger than the padded input (n + 2p = {n + 2 * padding}): no output"
        else:
            text = (f"output = floor((n + 2p - f) / s) + 1 = floor(({n} + {2 * padding} - {f}) / {s}) + 1"
                    f" = <b>{out}</b>")
        self.result.value = text


def conv_arithmetic_explorer(n: int = 5, f: int = 3, p: int = 1, s: int = 2, *, same: bool = False):
    """Notebook 02's explorer: sliders for n, f, p, s redraw the convolution-arithmetic diagram.

    The starting values are the arguments; ``same=True`` starts in TensorFlow's 'same' mode.
    Leave the call as the last line of a cell to display it.
    """
    return ConvArithmeticExplorer(n, f, p, s, same=same)


# --------------------------------------------------------------------------- notebook 03: pooling explorer


class PoolingExplorer(_Explorer):
    """Notebook 03's explorer: pool type, window size and stride on a real feature map.

    Attributes: ``mode`` (ToggleButtons: 'max' or 'avg'), ``size`` and ``stride``
    (IntSliders), ``result`` (HTML: the output size and how it is computed), ``controls``,
    ``figure``, and :meth:`output_shape` (the pooled map's shape for the current setting).
    """

    _figsize = (8.6, 4.3)
    MODES = ("max", "avg")

    def __init__(self, feature_map, *, mode: str = "max", size: int = 2, stride: int = 2, max_size: int = 6):
        import ipywidgets as W

        arr = np.asarray(feature_map, dtype=float) if not isinstance(feature_map, str) else np.asarray([])
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        if arr.ndim != 2 or min(arr.shape) < 2:
            raise CourseValueError(
                f"feature_map has shape {arr.shape}: the pooling explorer needs one 2-D map (H, W) of at least "
                "2x2, e.g. one channel of a convolution's output, fmap[..., 0].")
        limit = min(max_size, *arr.shape) if isinstance(max_size, (int, np.integer)) else 0
        if isinstance(max_size, bool) or limit < 1:
            raise CourseValueError(f"max_size={max_size!r} is not allowed: a whole number >= 1.")
        if mode not in self.MODES:
            raise CourseValueError(f"mode={mode!r} is not allowed: use 'max' or 'avg'.")
        for name, value in (("size", size), ("stride", stride)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not 1 <= value <= limit:
                raise CourseValueError(f"{name}={value!r} is not allowed: the explorer takes a whole number "
                                       f"from 1 to {limit} for this {arr.shape[0]}x{arr.shape[1]} map.")
        self.feature_map = arr
        super().__init__()
        self.mode = W.ToggleButtons(options=[("max", "max"), ("average", "avg")], value=mode, description="pooling")
        self.size = W.IntSlider(value=int(size), min=1, max=limit, description="size")
        self.stride = W.IntSlider(value=int(stride), min=1, max=limit, description="stride")
        self.result = W.HTML()
        for w in (self.mode, self.size, self.stride):
            w.observe(self.redraw, names="value")
        self.controls = _box("VBox", [self.mode, W.HBox([self.size, self.stride]), self.result])
        self.draw()

    def output_shape(self) -> tuple[int, int]:
        """(rows, cols) of the pooled map for the current controls ('valid' padding, TensorFlow's rule)."""
        from .reference.conv import conv_output_size

        f, s = int(self.size.value), int(self.stride.value)
        return tuple(conv_output_size(n, f, padding="valid", stride=s) for n in self.feature_map.shape)

    def draw(self) -> None:
        from .plotting import plot_pooling

        f, s = int(self.size.value), int(self.stride.value)
        plot_pooling(self.feature_map, size=f, stride=s, mode=self.mode.value, fig=self.figure)
        (H, W), (oh, ow) = self.feature_map.shape, self.output_shape()
        self.result.value = (f"output = floor((n - size) / stride) + 1: rows floor(({H} - {f}) / {s}) + 1 = "
                             f"<b>{oh}</b>, columns floor(({W} - {f}) / {s}) + 1 = <b>{ow}</b>; "
                             f"{H * W} values → {oh * ow} ({oh * ow / (H * W):.0%})")


def pooling_explorer(feature_map, *, mode: str = "max", size: int = 2, stride: int = 2,
                     max_size: int = 6) -> PoolingExplorer:
    """Notebook 03's explorer: choose max/average pooling, the window size and the stride.

    ``feature_map``: one 2-D map (H, W), e.g. one channel of an edge-filtered image (about
    28x28 to 64x64 redraws quickly).  Sliders go from 1 to ``max_size``.  Leave the call as the
    last line of a cell to display it; the static figure shows the starting setting.
    """
    return PoolingExplorer(feature_map, mode=mode, size=size, stride=stride, max_size=max_size)
