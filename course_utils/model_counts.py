"""What a Keras model costs, read off the model Keras built: the one reference for multiply-adds.

A ``Conv2D`` layer does (output height x output width) x (its kernel's weights: k x k x input channels x
filters) multiply-adds for one image, a ``Dense`` layer one per weight (inputs x units); biases, pooling,
batch normalisation and activations are left out (they are comparatively few).  The self-checks of notebooks
02, 06 and 07 and notebook 07 itself count with these functions, so there is one formula in the course.
"""

from __future__ import annotations

from .errors import CourseValueError

__all__ = ["layer_multiply_adds", "multiply_adds", "conv_layer_multiply_adds"]


def layer_multiply_adds(model) -> dict[str, int]:
    """Multiply-adds for one image of every ``Conv2D`` and ``Dense`` layer of a built model, by layer name."""
    import keras

    if not isinstance(model, keras.Model) or not model.built:
        raise CourseValueError(f"multiply_adds(model=...): give a built Keras model, got {type(model).__name__}.")
    counts = {}
    for layer in model.layers:
        weights = 1
        for d in layer.kernel.shape if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)) else ():
            weights *= int(d)
        if isinstance(layer, keras.layers.Conv2D):
            out_h, out_w = layer.output.shape[1:3]
            counts[layer.name] = int(out_h) * int(out_w) * weights
        elif isinstance(layer, keras.layers.Dense):
            counts[layer.name] = weights
    return counts


def multiply_adds(model) -> int:
    """Multiply-adds of one image's forward pass through the ``Conv2D`` and ``Dense`` layers of a built model."""
    return int(sum(layer_multiply_adds(model).values()))


def conv_layer_multiply_adds(n: int, c_in: int, filters: int, k: int, s: int = 1, padding: str = "valid") -> int:
    """Multiply-adds of one ``Conv2D(filters, k, strides=s, padding=padding)`` on one n x n x c_in image,
    counted by :func:`multiply_adds` on the layer Keras builds."""
    import keras

    model = keras.Sequential([keras.Input(shape=(n, n, c_in)),
                              keras.layers.Conv2D(filters, k, strides=s, padding=padding)])
    return multiply_adds(model)
