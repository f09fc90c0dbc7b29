"""Figures of models and their results (notebooks 04-07): feature maps, learning curves,
confusion matrices, misclassified examples, bar charts that compare models.

Where a figure helper belongs: a figure of *arrays* (images, kernels, the arithmetic of a
convolution or a pooling, no model involved) is :mod:`course_utils.plotting`; a figure of a
*Keras model or what training and evaluation measured* (layers, histories, predictions,
per-model results) is here; interactive figures are :mod:`course_utils.widgets`, which draw
with these two.  ``course_utils.regularization_plots`` only keeps notebook 07's old import names.

The lesson (the model, the ``fit`` call, the accuracy) stays in the notebook;
these functions only lay out the figures::

    from course_utils.visualize import (plot_activations, plot_learning_curves,
                                        plot_confusion_matrix, most_confused,
                                        plot_misclassified)

    plot_activations(model, x_test[0])                    # every conv/pool layer
    plot_learning_curves({"dense": h1, "cnn": h2})        # train dashed, validation solid
    plot_confusion_matrix(y_test, y_pred, class_names)
    most_confused(y_test, y_pred, class_names, top=3)     # [(true, predicted, count), ...]
    plot_misclassified(x_test, y_test, y_pred, class_names)
    image_grid(x_train[:16], titles)                      # titles never overlap the row above
    plot_bars(results, ["test accuracy", "parameters"])   # one bar chart per column of a table
    plot_bar_panels(["base", "deeper"], {"test accuracy": [0.84, 0.86]})  # the same from a dict
    plot_kernels_before_after(initial, trained)           # first-layer kernels: random start vs learned

TensorFlow/Keras is imported only by the functions that need a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .errors import CourseValueError
from .plotting import show_images  # noqa: F401 - also image_grid below; older code imported it from here

__all__ = [
    "feature_maps",
    "plot_activations",
    "plot_learning_curves",
    "confusion_counts",
    "plot_confusion_matrix",
    "most_confused",
    "plot_misclassified",
    "image_grid",
    "plot_bars",
    "plot_bar_panels",
    "plot_kernels_before_after",
]


# --------------------------------------------------------------------------- feature maps


def _is_map_layer(layer) -> bool:
    """Convolution and (non-global) pooling layers: the ones whose outputs are feature maps."""
    import keras

    kinds = tuple(
        getattr(keras.layers, n)
        for n in ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
                  "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
                  "AveragePooling1D", "AveragePooling2D", "AveragePooling3D")
        if hasattr(keras.layers, n)
    )
    return isinstance(layer, kinds)


def _all_layers(model) -> list:
    """The model's layers, nested ones included, in the order Keras lists them."""
    out, seen = [], set()

    def walk(layer):
        for sub in getattr(layer, "layers", []) or []:
            if id(sub) in seen:
                continue
            seen.add(id(sub))
            out.append(sub)
            walk(sub)

    walk(model)
    return out


def _has_graph(model) -> bool:
    """True for a Sequential or functional model that already knows its inputs and outputs."""
    import keras

    if not isinstance(model, keras.Model):
        return False
    is_graph = isinstance(model, keras.Sequential) or type(model).__name__ == "Functional" or (
        hasattr(model, "_functional") and getattr(model, "_functional", None) is not None)
    if not is_graph:
        return False
    try:
        return bool(model.inputs) and bool(model.outputs)
    except (AttributeError, ValueError):
        return False


def _as_batch(image, model) -> np.ndarray:
    """One image as a batch of one, checked against the model's input shape when it is known."""
    arr = np.asarray(image)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise CourseValueError(f"plot_activations(image=...): expected a numeric array, got {arr.dtype}.")
    want = None
    try:
        shape = model.inputs[0].shape if getattr(model, "inputs", None) else None
        want = tuple(shape[1:]) if shape is not None else None
    except (AttributeError, ValueError, IndexError):
        want = None
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim == 4:
        if arr.shape[0] != 1:
            raise CourseValueError(
                f"plot_activations(image=...): got a batch of {arr.shape[0]} images (shape {arr.shape}); "
                "pass ONE image, e.g. x_test[0]."
            )
        arr = arr[0]
    if arr.ndim != 3:
        raise CourseValueError(
            f"plot_activations(image=...): got shape {np.shape(image)}; expected one image of shape (H, W), "
            "(H, W, C) or (1, H, W, C)."
        )
    if want is not None and len(want) == 3:
        if want[-1] is not None and arr.shape[-1] != want[-1] or any(
                w is not None and w != a for w, a in zip(want[:2], arr.shape[:2])):
            raise CourseValueError(
                f"plot_activations(image=...): the image has shape {np.shape(image)} but the model expects "
                f"{tuple(want)} (height, width, channels). Pass an image prepared like the training images."
            )
    return arr[None].astype("float32")


def _resolve(model, layers, candidates):
    """Turn ``layers`` (None, names or layer objects) into a list of layers; check each one."""
    all_layers = _all_layers(model)
    by_name = {layer.name: layer for layer in all_layers}
    if layers is None:
        chosen = [layer for layer in all_layers if _is_map_layer(layer)]
        if not chosen:
            raise CourseValueError(
                "plot_activations(): the model has no convolution or pooling layer, so there are no feature maps "
                f"to show. Its layers are: {sorted(by_name)}."
            )
        return chosen
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) and not hasattr(layers, "__iter__"):
        layers = [layers]
    chosen = []
    for item in layers:
        if isinstance(item, str):
            if item not in by_name:
                maps = [layer.name for layer in all_layers if _is_map_layer(layer)]
                raise CourseValueError(
                    f"plot_activations(layers=...): the model has no layer named {item!r}. "
                    f"Its convolution/pooling layers are {maps}; all its layers: {list(by_name)}."
                )
            item = by_name[item]
        elif not any(item is layer for layer in all_layers):
            raise CourseValueError(
                f"plot_activations(layers=...): {item!r} is not a layer of this model; pass layer names "
                f"(strings) from {list(by_name)} or the model's own layer objects."
            )
        if not _is_map_layer(item):
            maps = [layer.name for layer in all_layers if _is_map_layer(layer)]
            raise CourseValueError(
                f"plot_activations(layers=...): layer {item.name!r} is a {type(item).__name__}, whose output is "
                f"not a set of feature maps. Choose convolution or pooling layers: {maps}."
            )
        chosen.append(item)
    if not chosen:
        raise CourseValueError(
            "plot_activations(layers=[]): give at least one layer, or None for all conv/pool layers.")
    return chosen


def _record_calls(model, batch):
    """Run ``model`` eagerly on ``batch`` and record every layer call's output, in call order.

    This is how feature maps are read from a *subclassed* model, which has no
    layer-output graph to tap: each layer's ``call`` is wrapped for the duration
    of one forward pass, then restored.  A layer called twice (a pooling layer
    reused, as in many LeNet-5 listings) is recorded twice.
    """
    records = []
    patched = []
    if not model.built:  # the first call builds the model symbolically: do it before recording
        _run(model, batch)
    for layer in _all_layers(model):
        original = layer.call

        def wrapped(*args, __layer=layer, __original=original, **kwargs):
            out = __original(*args, **kwargs)
            records.append((__layer, out))
            return out

        object.__setattr__(layer, "call", wrapped)
        patched.append(layer)
    try:
        _run(model, batch)
    finally:
        for layer in patched:
            try:
                object.__delattr__(layer, "call")
            except AttributeError:
                pass
    return records


def _run(model, batch):
    try:
        return model(batch, training=False)
    except Exception as exc:  # noqa: BLE001 - the image does not fit the model: say so in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CourseValueError(
            f"plot_activations(): the model could not run on an image of shape {batch.shape[1:]} "
            f"({type(exc).__name__}: {first[:200]}). Pass an image prepared like the training images."
        ) from None


def feature_maps(model, image, layers=None) -> list[tuple[str, np.ndarray]]:
    """The feature maps of ``model`` for one ``image``: a list of ``(label, maps)``.

    ``maps`` has shape (H, W, C) for each chosen layer (default: every
    convolution and pooling layer, nested ones included).  Works for Sequential
    and functional models (by building a model whose outputs are the layers'
    outputs) and for subclassed models (by recording each layer's output during
    one forward pass, see :func:`_record_calls`).  A layer that a subclassed
    model calls more than once appears once per call, labelled ``name (call k)``.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise CourseValueError(
            f"plot_activations(model=...): expected a Keras model, got {type(model).__name__}."
        )
    chosen = _resolve(model, layers, None)
    batch = _as_batch(image, model)
    if _has_graph(model) and all(_has_output(layer) for layer in chosen):
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        tap = keras.Model(inputs=inputs, outputs=[layer.output for layer in chosen])
        outs = tap(batch, training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        result = [(layer.name, np.asarray(out)[0]) for layer, out in zip(chosen, outs)]
    else:
        records = _record_calls(model, batch)
        result, counts = [], {}
        totals = {}
        for layer, _ in records:
            totals[id(layer)] = totals.get(id(layer), 0) + 1
        for layer, out in records:
            if not any(layer is c for c in chosen):
                continue
            counts[id(layer)] = counts.get(id(layer), 0) + 1
            label = layer.name if totals[id(layer)] == 1 else f"{layer.name} (call {counts[id(layer)]})"
            result.append((label, np.asarray(out)[0]))
        if not result:
            raise CourseValueError(
                "plot_activations(): none of the chosen layers ran when the model was called, so their maps "
                "cannot be recorded. A subclassed model must call its layers as `self.conv1(x)` inside `call()`; "
                "if yours uses them differently, rebuild it as a Sequential or functional model to inspect it."
            )
    for label, maps in result:
        if maps.ndim != 3:
            raise CourseValueError(
                f"plot_activations(): layer {label!r} produced shape {maps.shape} per image; only 2-D feature maps "
                "(height, width, channels) can be drawn. Choose Conv2D/pooling layers."
            )
    return result


def _has_output(layer) -> bool:
    try:
        layer.output  # noqa: B018 - raises when the layer was never called symbolically
        return True
    except (AttributeError, ValueError):
        return False


def plot_activations(model, image, layers=None, max_maps: int = 8, *, cmap: str = "viridis",
                     size: float = 1.3, show_input: bool = True, title: str | None = None):
    """Draw the feature maps (특징 맵) of the chosen layers for one image; returns the Figure.

    ``model``: a Sequential, functional or subclassed Keras model.  ``image``:
    one image shaped like a training image, (H, W), (H, W, C) or (1, H, W, C).
    ``layers``: names or layer objects (default: every conv and pool layer).
    ``max_maps``: at most this many channels per layer (the first ones).  Each
    row is labelled with the layer's name and its output shape; every map is
    scaled to its own range (bright = strongest response in that map).
    """
    if not isinstance(max_maps, int) or isinstance(max_maps, bool) or max_maps < 1:
        raise CourseValueError(f"plot_activations(max_maps={max_maps!r}): give a positive whole number, e.g. 8.")
    maps = feature_maps(model, image, layers)
    ncols = min(max_maps, max(m.shape[-1] for _, m in maps))
    nrows = len(maps) + (1 if show_input else 0)
    fig, axes = plt.subplots(nrows, ncols + 1, figsize=(size * (ncols + 1) + 1.2, size * nrows + 0.6),
                             squeeze=False, gridspec_kw={"width_ratios": [1.6] + [1] * ncols})
    for ax in axes.flat:
        ax.axis("off")
    row = 0
    if show_input:
        img = _as_batch(image, model)[0]
        axes[0, 0].text(0.5, 0.5, f"input\n{tuple(img.shape)}", ha="center", va="center", fontsize=9)
        axes[0, 1].imshow(img[..., 0] if img.shape[-1] == 1 else np.clip(img, 0, 1), cmap="gray",
                          interpolation="nearest")
        row = 1
    for r, (label, m) in enumerate(maps, start=row):
        axes[r, 0].text(0.5, 0.5, f"{label}\n{tuple(m.shape)}", ha="center", va="center", fontsize=9)
        for c in range(min(ncols, m.shape[-1])):
            axes[r, c + 1].imshow(m[..., c], cmap=cmap, interpolation="nearest")
            if r == row:
                axes[r, c + 1].set_title(f"map {c}", fontsize=8)
    shown = min(ncols, max(m.shape[-1] for _, m in maps))
    fig.suptitle(title or f"Feature maps (first {shown} channels per layer; each map scaled to its own range)",
                 fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- learning curves


def _history_dict(name, run) -> dict[str, list[float]]:
    hist = getattr(run, "history", run)
    if not isinstance(hist, Mapping):
        raise CourseValueError(
            f"plot_learning_curves(): run {name!r} is a {type(run).__name__}; give the History that fit() "
            "returned, or its .history dict."
        )
    return {k: list(np.asarray(v, dtype=float).ravel()) for k, v in hist.items()}


def plot_learning_curves(runs: Mapping[str, Any], metrics: Sequence[str] = ("loss", "accuracy"), *,
                         title: str = "Learning curves", size: tuple[float, float] = (5.0, 3.4)):
    """Compare runs side by side: one panel per metric, train dashed, validation solid.

    ``runs``: a dict ``{name: History or history dict}``.  Each run has one
    colour; a metric a run did not record is skipped for that run, but a metric
    that no run recorded is an error.  Returns the Figure.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise CourseValueError(
            "plot_learning_curves(runs=...): give a non-empty dict of {name: History}, e.g. "
            "{'dense': history_dense, 'cnn': history_cnn}."
        )
    if isinstance(metrics, str):
        metrics = [metrics]
    hists = {name: _history_dict(name, run) for name, run in runs.items()}
    for metric in metrics:
        if not any(metric in h or f"val_{metric}" in h for h in hists.values()):
            available = sorted({k for h in hists.values() for k in h})
            raise CourseValueError(
                f"plot_learning_curves(metrics=...): no run recorded {metric!r}; the runs recorded {available}."
            )
    fig, axes = plt.subplots(1, len(metrics), figsize=(size[0] * len(metrics), size[1]), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0", "C1", "C2", "C3"])
    for ax, metric in zip(axes[0], metrics):
        for i, (name, h) in enumerate(hists.items()):
            colour = colours[i % len(colours)]
            for key, style, kind in ((metric, "--", "train"), (f"val_{metric}", "-", "validation")):
                if key in h and h[key]:
                    epochs = np.arange(1, len(h[key]) + 1)
                    ax.plot(epochs, h[key], style, color=colour, marker="o", markersize=3, label=f"{name} ({kind})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{title} (dashed: training, solid: validation)", fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- confusion matrix


def _labels(y, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] > 1:  # probabilities or one-hot rows
        arr = arr.argmax(axis=1)
    elif arr.ndim == 2 and arr.shape[1] == 1:  # CIFAR-style (n, 1) labels
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise CourseValueError(f"{name}: expected class labels of shape (n,) or probabilities (n, classes), "
                               f"got shape {np.shape(y)}.")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise CourseValueError(f"{name}: class labels must be whole numbers, got values like {arr[:3]}.")
        arr = arr.astype(int)
    if arr.size and arr.min() < 0:
        raise CourseValueError(f"{name}: class labels must be >= 0, got {arr.min()}.")
    return arr.astype(int)


def _pair(y_true, y_pred, class_names, fn: str):
    t = _labels(y_true, f"{fn}(y_true=...)")
    p = _labels(y_pred, f"{fn}(y_pred=...)")
    if len(t) != len(p):
        raise CourseValueError(f"{fn}(): y_true has {len(t)} labels but y_pred has {len(p)}; give one prediction "
                               "per example.")
    if len(t) == 0:
        raise CourseValueError(f"{fn}(): y_true and y_pred are empty.")
    n = int(max(t.max(), p.max())) + 1
    if class_names is not None:
        class_names = [str(c) for c in class_names]
        if n > len(class_names):
            raise CourseValueError(f"{fn}(class_names=...): the labels go up to {n - 1} but only "
                                   f"{len(class_names)} class names were given.")
        n = len(class_names)
    return t, p, n, class_names


def confusion_counts(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """The confusion matrix as counts: row = true class, column = predicted class."""
    t, p, n, _ = _pair(y_true, y_pred, None, "confusion_counts")
    if n_classes is not None:
        if n_classes < n:
            raise CourseValueError(f"confusion_counts(n_classes={n_classes}): the labels go up to {n - 1}.")
        n = n_classes
    cm = np.zeros((n, n), dtype=int)
    np.add.at(cm, (t, p), 1)
    return cm


def plot_confusion_matrix(y_true, y_pred, class_names=None, *, title: str = "Confusion matrix",
                          cmap: str = "viridis", annotate: bool = True, size: float = 6.0):
    """Draw the confusion matrix (counts) with class names on both axes and a colour bar; returns the Figure.

    ``y_pred`` may be class labels or predicted probabilities (their argmax is used).
    """
    t, p, n, names = _pair(y_true, y_pred, class_names, "plot_confusion_matrix")
    cm = confusion_counts(t, p, n)
    names = names or [str(i) for i in range(n)]
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    im = ax.imshow(cm, cmap=cmap)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="number of examples")
    ax.set_xticks(range(n), names, rotation=45, ha="right")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{title} ({len(t):,} examples)")
    if annotate and n <= 20:
        threshold = cm.max() / 2 if cm.max() else 1
        for i in range(n):
            for j in range(n):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="black" if cm[i, j] > threshold else "white")
    fig.tight_layout()
    return fig


def most_confused(y_true, y_pred, class_names=None, top: int = 5, *, symmetric: bool = False):
    """The most frequent mistakes, largest first: a list of ``(true, predicted, count)``.

    With ``symmetric=True`` a mistake in either direction counts for the pair,
    and each pair appears once as ``(a, b, count)``.  Classes are given by name
    when ``class_names`` is passed, otherwise by index.  Pairs with no mistakes
    are left out.
    """
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise CourseValueError(f"most_confused(top={top!r}): give a positive whole number.")
    t, p, n, names = _pair(y_true, y_pred, class_names, "most_confused")
    cm = confusion_counts(t, p, n)
    np.fill_diagonal(cm, 0)
    if symmetric:
        cm = np.triu(cm + cm.T)
    order = np.argsort(-cm, axis=None, kind="stable")
    result = []
    for flat in order[:top]:
        i, j = divmod(int(flat), n)
        if cm[i, j] == 0:
            break
        label = (lambda k: names[k]) if names else (lambda k: k)
        result.append((label(i), label(j), int(cm[i, j])))
    return result


# --------------------------------------------------------------------------- misclassified examples


def plot_misclassified(images, y_true, y_pred, class_names=None, *, max_images: int = 16, ncols: int = 8,
                       title: str | None = None):
    """A grid of the first misclassified images, titled "true: ... / pred: ..."; returns the Figure.

    Returns None (and says so) when nothing is misclassified.
    """
    images = np.asarray(images)
    t, p, n, names = _pair(y_true, y_pred, class_names, "plot_misclassified")
    if len(images) != len(t):
        raise CourseValueError(f"plot_misclassified(): {len(images)} images but {len(t)} labels; give one label "
                               "per image.")
    if not isinstance(max_images, int) or isinstance(max_images, bool) or max_images < 1:
        raise CourseValueError(f"plot_misclassified(max_images={max_images!r}): give a positive whole number.")
    wrong = np.flatnonzero(t != p)
    if wrong.size == 0:
        print("No misclassified examples: every prediction is right.")
        return None
    idx = wrong[:max_images]
    name = (lambda k: names[k]) if names else str
    titles = [f"true: {name(t[i])}\npred: {name(p[i])}" for i in idx]
    return image_grid(images[idx], titles, ncols=min(ncols, len(idx)), size=1.5,
                      suptitle=title or f"{len(idx)} of {wrong.size:,} misclassified examples "
                                        f"({wrong.size / len(t):.1%} of {len(t):,})")


# --------------------------------------------------------------------------- image grids, bar charts, kernels


# The titled image grid is plotting.show_images (titles clear of the row above); notebook 04 calls it by this name.
image_grid = show_images


def _bar_label(value) -> str:
    value = float(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def plot_bars(table, columns: Sequence[str], *, title: str | None = None, colors=None, ylims=None,
              size: tuple[float, float] = (3.6, 3.2)):
    """One bar chart per column of a pandas DataFrame (rows = bars), each bar labelled with its value.

    The labels sit just above the bars and every subplot gets head room above
    the tallest label, so a label never touches the subplot's title.  ``ylims``
    maps a column to its (bottom, top) limits (the head room is added on top).
    """
    columns = list(columns)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise CourseValueError(f"plot_bars(): the table has no column {missing[0]!r}; it has "
                               f"{', '.join(map(repr, table.columns))}.")
    if not columns:
        raise CourseValueError("plot_bars(): give at least one column.")
    names = [str(i) for i in table.index]
    colors = colors or [plt.cm.viridis(x) for x in np.linspace(0.15, 0.75, len(names))]
    fig, axes = plt.subplots(1, len(columns), figsize=(size[0] * len(columns), size[1]), squeeze=False,
                             layout="constrained")
    for ax, column in zip(axes[0], columns):
        values = np.asarray(table[column], dtype=float)
        bars = ax.bar(names, values, color=colors[: len(names)])
        ax.bar_label(bars, labels=[_bar_label(v) for v in values], padding=2, fontsize=9)
        finite = values[np.isfinite(values)]  # a column may be all NaN (e.g. no steady epoch after one epoch)
        bottom, top = (ylims or {}).get(column, (0.0, float(finite.max()) if len(finite) else 1.0))
        ax.set_ylim(bottom, bottom + (top - bottom) * 1.18)  # head room for the labels
        ax.set_title(column)
        ax.set_xlabel(table.index.name or "")
        ax.set_ylabel(column)
    if title:
        fig.suptitle(title)
    return fig


def plot_bar_panels(names: Sequence[str], panels, *, title: str | None = None, xlabel: str = "model",
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


def plot_kernels_before_after(initial, trained, *, max_kernels: int = 16, title: str | None = None):
    """First-layer kernels of a Conv2D, as initialised (top row) and after training (bottom row).

    ``initial`` and ``trained`` are the layer's weight arrays, shape (k, k, 1, filters)
    (``layer.get_weights()[0]``), saved before and after ``fit``.  Each kernel is
    drawn on a diverging colour map centred on 0 with one scale per column, so a
    kernel's before/after pair is directly comparable.  Returns the Figure.
    """
    initial, trained = np.asarray(initial, dtype=float), np.asarray(trained, dtype=float)
    if initial.shape != trained.shape or initial.ndim != 4 or initial.shape[2] != 1:
        raise CourseValueError(
            f"plot_kernels_before_after(): got shapes {initial.shape} and {trained.shape}; give two weight arrays "
            "of the same first Conv2D layer on a grayscale input, shape (k, k, 1, filters)."
        )
    n = min(max_kernels, initial.shape[-1])
    fig, axes = plt.subplots(2, n, figsize=(0.9 * n + 1.2, 2.6), squeeze=False, layout="constrained")
    for j in range(n):
        scale = max(np.abs(initial[..., 0, j]).max(), np.abs(trained[..., 0, j]).max()) or 1.0
        for i, (label, w) in enumerate([("random start", initial), ("trained", trained)]):
            ax = axes[i, j]
            ax.imshow(w[..., 0, j], cmap="PuOr", vmin=-scale, vmax=scale, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(label, fontsize=9)
        axes[0, j].set_title(f"{j}", fontsize=8)
    fig.suptitle(title or f"The first {n} kernels of the first convolution: random start (top) vs trained "
                          "(bottom)", fontsize=10)
    return fig
