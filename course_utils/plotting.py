"""Figures of arrays for notebooks 00-03: images, kernels, and the arithmetic of a convolution or a pooling.

Where a figure helper belongs: here when it draws arrays and no model (image grids, a kernel,
an input beside its filtered output, the convolution-arithmetic and pooling diagrams);
:mod:`course_utils.visualize` when it draws a Keras model or what training measured (feature
maps, learning curves, confusion matrices, bar charts comparing models); :mod:`course_utils.widgets`
for the interactive versions, which call these functions.  Sizes and outputs come from
:mod:`course_utils.reference` (one size formula), never re-derived here.

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
        raise CourseValueError(
            f"show_images() got {len(images)} images but {len(titles)} titles: give one title per image.")
    ncols = max(1, min(ncols, len(images)))
    nrows = math.ceil(len(images) / ncols)
    # each row gets room for its titles (one line per line of the longest), and matplotlib's constrained
    # layout keeps a row's titles clear of the images above it
    title_lines = max((str(t).count("\n") + 1 for t in titles), default=0) if titles is not None else 0
    row_height = size + 0.2 * title_lines
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, row_height * nrows + (0.5 if suptitle else 0)),
                             squeeze=False, layout="constrained")
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
    return fig


# --------------------------------------------------------------------------- convolution (notebooks 01-02)

KERNEL_CMAP = "PuOr"  # diverging and readable with the common colour-vision deficiencies


def _as_2d_kernel(kernel, name: str = "kernel") -> np.ndarray:
    arr = np.asarray(kernel, dtype=float)
    if arr.ndim == 4 and arr.shape[2:] == (1, 1):
        arr = arr[:, :, 0, 0]
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise CourseValueError(f"{name} has shape {arr.shape}: expected a 2-D kernel (kh, kw), e.g. a 3x3 array.")
    return arr


def plot_kernel(kernel, *, title: str | None = None, ax=None, decimals: int = 2, colorbar: bool = False):
    """A kernel as a heat-map with each weight written in its cell; returns the Axes.

    Diverging colour map centred on 0 (positive and negative weights get opposite
    colours).  ``kernel``: a 2-D array (kh, kw), or (kh, kw, 1, 1) as TensorFlow stores it.
    """
    k = _as_2d_kernel(kernel)
    if ax is None:
        size = min(0.55 * max(k.shape) + 1.0, 5.0)
        _, ax = plt.subplots(figsize=(size, size))
    lim = float(np.abs(k).max()) or 1.0
    im = ax.imshow(k, cmap=KERNEL_CMAP, vmin=-lim, vmax=lim)
    if max(k.shape) <= 9:
        for (r, c), v in np.ndenumerate(k):
            text = f"{v:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{v:.0f}"
            if text in ("-0", ""):
                text = "0"
            ax.text(c, r, text, ha="center", va="center", fontsize=9 if max(k.shape) <= 5 else 7,
                    color="white" if abs(v) > 0.6 * lim else "black")
    ax.set_xticks(range(k.shape[1]))
    ax.set_yticks(range(k.shape[0]))
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.set_title(title if title is not None else f"{k.shape[0]}x{k.shape[1]} kernel", fontsize=10)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="weight")
    return ax


def _zero_sum(kernel) -> bool:
    """True for a kernel whose weights sum to 0 (an edge detector): its output is centred on 0."""
    k = np.asarray(kernel, dtype=float)
    return bool(abs(k.sum()) <= 1e-6 * max(float(np.abs(k).sum()), 1e-12))


def _show_map(ax, image, title, *, signed: bool | None = None, clip: bool = False):
    image = np.asarray(image, dtype=float)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim != 2:
        raise CourseValueError(f"expected a grayscale (H, W) image or feature map, got shape {image.shape}.")
    if signed is None:  # an edge map is centred on 0: show its sign; a blurred/sharpened photo is not
        spread = float(np.abs(image).max()) or 1.0
        signed = bool(image.min() < 0 and abs(float(np.median(image))) < 0.1 * spread)
    if signed:  # clip the rare extreme values so that typical edges are visible
        lim = float(np.percentile(np.abs(image), 99)) or float(np.abs(image).max()) or 1.0
        im = ax.imshow(image, cmap=KERNEL_CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
    else:  # ``clip``: a few very bright pixels must not make a faint output (edge strength) look black
        vmax = float(np.percentile(image, 99.5)) if clip else None
        im = ax.imshow(image, cmap="gray", interpolation="nearest", vmax=vmax if vmax and vmax > image.min() else None)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("x (column)")
    ax.set_ylabel("y (row)")
    return im


def show_before_after(before, after, kernel=None, *, titles=("input", "output"), suptitle: str | None = None,
                      size: float = 3.2, colorbar: bool = True, signed: bool | None = None, fig=None):
    """Input | kernel heat-map (optional) | filtered output, side by side; returns the Figure.

    Grayscale images only.  A signed output (negative values) is drawn with a diverging
    colour map and a colour bar, so edges of both signs are visible.  ``fig``: draw into
    an existing (cleared) Figure instead of a new one (the widgets use this).  ``signed``:
    force (True) or forbid (False) the diverging colour map; by default the output of a
    kernel whose weights sum to 0 (an edge detector), or without a kernel an output centred
    on 0, is drawn signed.
    """
    if len(titles) != 2:
        raise CourseValueError(f"titles={titles!r}: give two titles, (input title, output title).")
    ncols = 3 if kernel is not None else 2
    if fig is None:
        fig = plt.figure(figsize=(size * ncols + 0.6, size + 0.5))
    else:
        fig.clear()
    axes = fig.subplots(1, ncols, gridspec_kw={"width_ratios": [1, 0.7, 1] if kernel is not None else [1, 1]})
    _show_map(axes[0], before, titles[0], signed=False)
    if kernel is not None:
        plot_kernel(kernel, ax=axes[1], title="kernel")
    if signed is None and kernel is not None:
        signed = _zero_sum(kernel)
    im = _show_map(axes[-1], after, titles[1], signed=signed, clip=True)
    if colorbar:
        fig.colorbar(im, ax=axes[-1], fraction=0.046, pad=0.04, label="response")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_filter_bank(image, kernels, outputs, names, *, suptitle: str | None = None, size: float = 2.4):
    """One column per filter: its kernel heat-map above its output; the input on the left. Returns the Figure."""
    kernels, outputs, names = list(kernels), list(outputs), list(names)
    if not (len(kernels) == len(outputs) == len(names)) or not kernels:
        raise CourseValueError(
            f"show_filter_bank() got {len(kernels)} kernels, {len(outputs)} outputs and {len(names)} names: "
            "give the same (non-zero) number of each.")
    ncols = len(kernels) + 1
    fig, axes = plt.subplots(2, ncols, figsize=(size * ncols, size * 2 + 0.4),
                             gridspec_kw={"height_ratios": [0.8, 1]})
    axes[0, 0].axis("off")
    _show_map(axes[1, 0], image, "input", signed=False)
    for j, (k, out, name) in enumerate(zip(kernels, outputs, names), start=1):
        plot_kernel(k, ax=axes[0, j], title=name)
        _show_map(axes[1, j], out, f"{name} output", signed=_zero_sum(k), clip=True)
    for ax in axes[:, 1:].flat:
        ax.set_xlabel("")
        ax.set_ylabel("")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_conv_arithmetic(n: int, f: int, *, padding=0, stride: int = 1, position: int = 0, ax=None, fig=None):
    """The convolution-arithmetic diagram for one axis setting (square input, square kernel).

    Left: the ``n x n`` input (blue) inside its ring of zero padding (white, dashed), the
    kernel at kernel position number ``position`` (orange) and a dot at the centre of
    every other position the kernel visits.  Right: the output grid (green) with the cell
    that position produces.  ``padding``: an int ``p`` (zeros on every side), ``'valid'``,
    or ``'same'`` (TensorFlow's rule, possibly uneven: the extra row/column goes at the
    bottom/right).  Returns the Figure.  When the kernel does not fit, the figure says so.
    """
    from matplotlib.patches import Rectangle

    from .reference.conv import axis_padding, normalize_padding, normalize_stride, window_count

    for name, value in (("n", n), ("f", f)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise CourseValueError(f"{name}={value!r} is not allowed: it must be a whole number >= 1.")
    s = normalize_stride(stride)
    if s[0] != s[1]:
        raise CourseValueError(f"stride={stride!r}: the diagram uses one stride for both axes, a whole number >= 1.")
    s = s[0]
    pad = normalize_padding(padding)
    if not isinstance(pad, str) and pad[0] != pad[1]:
        raise CourseValueError(f"padding={padding!r}: the diagram uses one padding for both axes.")
    before, after = axis_padding(n, f, pad, s)
    total = n + before + after
    out = window_count(total, f, s)

    if fig is None and ax is None:
        fig = plt.figure(figsize=(8.5, 4.4))
    elif fig is not None:
        fig.clear()
    if ax is None:
        ax = fig.add_subplot(1, 1, 1)
    fig = ax.figure
    ax.set_aspect("equal")
    ax.invert_yaxis()
    # input plane with padding: cell (r, c) of the padded grid is at x=c, y=r
    for r in range(total):
        for c in range(total):
            inside = before <= r < before + n and before <= c < before + n
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor="#9ecae1" if inside else "white",
                                   edgecolor="#3182bd" if inside else "#999999",
                                   linestyle="-" if inside else "--", linewidth=1))
    gap = 1.5
    x0 = total + gap  # where the output grid starts
    if out >= 1:
        position = int(position) % (out * out)
        pr, pc = divmod(position, out)
        ax.add_patch(Rectangle((pc * s, pr * s), f, f, facecolor="#fd8d3c", alpha=0.55, edgecolor="#d94701",
                               linewidth=2.5, label="kernel"))
        centres = [(i * s + f / 2, j * s + f / 2) for i in range(out) for j in range(out)]
        ax.scatter([c for _, c in centres], [r for r, _ in centres], s=14, color="#d94701", zorder=3,
                   label="kernel centres")
        for r in range(out):
            for c in range(out):
                hit = (r, c) == (pr, pc)
                ax.add_patch(Rectangle((x0 + c, r), 1, 1, facecolor="#fd8d3c" if hit else "#a1d99b",
                                       edgecolor="#31a354", linewidth=1))
        ax.text(x0 + out / 2, -0.5, f"output {out}x{out}", ha="center", va="bottom", fontsize=10)
    else:
        ax.text(x0, total / 2, f"the {f}x{f} kernel does not fit\nin the {total}x{total} padded input",
                ha="left", va="center", fontsize=10, color="#b30000")
    ax.text(total / 2, -0.5, f"input {n}x{n}" + (f" + padding {before}/{after}" if before or after else ""),
            ha="center", va="bottom", fontsize=10)
    width = x0 + max(out, 6) + 0.5
    ax.set_xlim(-0.5, width)
    ax.set_ylim(max(total, out) + 0.5, -1.6)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    pad_text = f"'{pad}'" if isinstance(pad, str) else f"p={before}"
    ax.set_title(f"n={n}, f={f}, padding {pad_text}, stride s={s}  →  output {out}x{out}", fontsize=11)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- pooling (notebook 03)

POOL_COLOURS = ("#e66101", "#5e3c99", "#1b9e77", "#d01c8b")  # distinguishable with common colour-vision deficiencies


def plot_pooling(x, *, size=2, stride=None, mode: str = "max", fig=None, annotate: bool | None = None,
                 highlight: int = 3, suptitle: str | None = None):
    """A feature map with its pooling windows (left) and the pooled output (right); returns the Figure.

    ``x``: a 2-D map (H, W) or (H, W, 1).  ``size``, ``stride`` (default: ``size``) and
    ``mode`` ('max' or 'avg') as in :func:`course_utils.reference.pool2d` ('valid' padding).
    The first ``highlight`` windows of the top row and the output cells they produce share a
    colour; when the windows do not overlap, every window is outlined.  Cells that no window
    covers (the remainder that pooling drops) are shaded red.  ``annotate``: write each value
    in its cell (default: for maps of at most 8x8).  ``fig``: draw into an existing Figure
    (cleared first), as the widgets do.
    """
    from matplotlib.patches import Rectangle

    from .reference.pool import pool2d, pool_mode, positive_pair

    arr = np.asarray(x, dtype=float)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise CourseValueError(f"x has shape {arr.shape}: plot_pooling draws one 2-D map (H, W) or (H, W, 1); "
                               "for several channels, plot one channel, e.g. x[..., 0].")
    out = pool2d(arr, size=size, stride=stride, mode=mode)  # validates size, stride and mode
    ph, pw = positive_pair("size", size)
    sh, sw = positive_pair("stride", size if stride is None else stride)
    kind = "max" if pool_mode(mode) == "max" else "average"
    H, W = arr.shape
    oh, ow = out.shape
    if annotate is None:
        annotate = max(H, W) <= 8

    if fig is None:
        fig = plt.figure(figsize=(8.6, 4.3))
    else:
        fig.clear()
    ax_in, ax_out = fig.subplots(1, 2)
    signed = bool(arr.min() < 0)
    if signed:  # one diverging scale centred on 0 for both panels
        lim = float(np.abs(arr).max()) or 1.0
        scale = {"cmap": KERNEL_CMAP, "vmin": -lim, "vmax": lim}
    else:  # one gray scale for both panels, so equal values look equal
        scale = {"cmap": "gray", "vmin": float(arr.min()), "vmax": float(arr.max()) or 1.0}
    for ax, grid, title in ((ax_in, arr, f"input {H}x{W}"),
                            (ax_out, out, f"{kind} pooling {ph}x{pw}, stride {sh}x{sw} → {oh}x{ow}")):
        im = ax.imshow(grid, interpolation="nearest", **scale)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x (column)")
        ax.set_ylabel("y (row)")
    if signed:
        fig.colorbar(im, ax=ax_out, fraction=0.046, pad=0.04, label="value")

    covered = np.zeros((H, W), dtype=bool)
    for i in range(oh):
        for j in range(ow):
            covered[i * sh:i * sh + ph, j * sw:j * sw + pw] = True
    if not covered.all():
        overlay = np.zeros((H, W, 4))
        overlay[~covered] = (0.85, 0.1, 0.1, 0.45)
        ax_in.imshow(overlay, interpolation="nearest")
        ax_in.set_title(f"input {H}x{W} (red: {int((~covered).sum())} cells no window covers)", fontsize=10)
    if sh >= ph and sw >= pw and oh * ow <= 1600:
        for i in range(oh):
            for j in range(ow):
                ax_in.add_patch(Rectangle((j * sw - 0.5, i * sh - 0.5), pw, ph, fill=False,
                                          edgecolor="#fdb863", linewidth=0.6))
    for k in range(min(highlight, ow)):
        colour = POOL_COLOURS[k % len(POOL_COLOURS)]
        ax_in.add_patch(Rectangle((k * sw - 0.45, -0.45), pw - 0.1, ph - 0.1, fill=False, edgecolor=colour,
                                  linewidth=2.5, clip_on=False))
        ax_out.add_patch(Rectangle((k - 0.45, -0.45), 0.9, 0.9, fill=False, edgecolor=colour, linewidth=2.5,
                                   clip_on=False))
    if annotate:
        def label(v):
            return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}".rstrip("0")
        lo, hi = scale["vmin"], scale["vmax"]
        for ax, grid in ((ax_in, arr), (ax_out, out)):
            for (r, c), v in np.ndenumerate(grid):
                bright = (v - lo) / (hi - lo) if hi > lo else 0.0
                dark_text = bright > 0.55 if not signed else abs(v) < 0.6 * hi
                ax.text(c, r, label(v), ha="center", va="center", fontsize=10,
                        color="black" if dark_text else "white")
            ax.set_xticks(range(grid.shape[1]))
            ax.set_yticks(range(grid.shape[0]))
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- measured series (notebook 04)

SERIES_MARKERS = ("o", "s", "^", "D", "v", "P")


def plot_series(x, series, *, xlabel: str, ylabel: str, title: str, size: tuple[float, float] = (6.0, 3.5)):
    """One line per named series over a shared x axis, e.g. each model's accuracy against a shift.

    ``x``: the x values (one per measurement).  ``series``: a dict ``{name: one y value per x}``.
    Each series gets its own marker as well as its own colour, so the lines stay apart in
    grayscale too.  Returns the Figure.
    """
    from collections.abc import Mapping

    x = np.asarray(x, dtype=float).ravel()
    if x.size == 0:
        raise CourseValueError("plot_series(x=...): give at least one x value, e.g. x=[0, 1, 2].")
    if not isinstance(series, Mapping) or not series:
        raise CourseValueError("plot_series(series=...): give a non-empty dict {name: values}, e.g. "
                               "{'dense': acc_dense, 'CNN': acc_cnn}.")
    for name, values in series.items():
        if len(np.ravel(values)) != x.size:
            raise CourseValueError(f"plot_series(): series {name!r} has {len(np.ravel(values))} values for "
                                   f"{x.size} x values; give one value per x.")
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    for i, (name, values) in enumerate(series.items()):
        ax.plot(x, np.ravel(values), marker=SERIES_MARKERS[i % len(SERIES_MARKERS)], label=str(name))
    if x.size <= 12:
        ax.set_xticks(x)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def show_signed_maps(maps, titles, *, inputs=(), input_titles=(), suptitle: str | None = None, size: float = 3.0,
                     limit: float | None = None, cmap: str = "RdBu_r", label: str = "response"):
    """Feature maps side by side on ONE signed colour scale, after the images they came from; returns the Figure.

    ``maps``: 2-D arrays (H, W) of responses of any sign, one per title in ``titles``.  Every map
    shares the limits -``limit``..+``limit`` (default: the largest absolute value over all maps), so
    0 is the middle colour (white with ``RdBu_r``: red positive, blue negative) and one colour bar
    reads them all.  ``inputs``: images drawn first, as they are: (H, W, 3) colour, or (H, W)
    grayscale (on the fixed scale 0..1 when its values lie there, so a flat image stays flat).
    """
    maps = [np.asarray(m, dtype=float) for m in maps]
    inputs = [np.asarray(im) for im in inputs]
    titles, input_titles = list(titles), list(input_titles)
    if not maps:
        raise CourseValueError("show_signed_maps() got no maps: pass a non-empty list of 2-D feature maps.")
    if len(titles) != len(maps) or len(input_titles) != len(inputs):
        raise CourseValueError(
            f"show_signed_maps() got {len(maps)} maps with {len(titles)} titles and {len(inputs)} inputs with "
            f"{len(input_titles)} input_titles: give one title per map and per input.")
    for i, m in enumerate(maps):
        if m.ndim != 2:
            raise CourseValueError(f"show_signed_maps(): map {i} has shape {m.shape}; expected a 2-D map (H, W), "
                                   "e.g. one channel fmap[..., 0].")
    if limit is None:
        limit = max(float(np.abs(m).max()) for m in maps) or 1.0
    elif not limit > 0:
        raise CourseValueError(f"show_signed_maps(limit={limit!r}): give a positive number, or None for the largest.")
    n = len(inputs) + len(maps)
    fig, axes = plt.subplots(1, n, figsize=(size * n + 1.0, size), squeeze=False, layout="constrained")
    axes = list(axes[0])
    for ax, image, title in zip(axes, inputs, input_titles):
        if image.ndim == 2:
            in_unit = image.dtype.kind == "f" and image.min() >= 0 and image.max() <= 1
            ax.imshow(image, cmap="gray", vmin=0 if in_unit else None, vmax=1 if in_unit else None)
        else:
            ax.imshow(image)
        ax.set_title(title, fontsize=10)
    for ax, fmap, title in zip(axes[len(inputs):], maps, titles):
        shown = ax.imshow(fmap, cmap=cmap, vmin=-limit, vmax=limit)
        ax.set_title(title, fontsize=10)
    for ax in axes:
        ax.set_xlabel("column")
    axes[0].set_ylabel("row")
    fig.colorbar(shown, ax=axes, shrink=0.8, label=label)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
