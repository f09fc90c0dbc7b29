"""Self-checks for notebook 06 (colour images and CIFAR-10).

Every reference is computed when the check runs: by TensorFlow/Keras (the
convolution, the parameter count, the output shapes) or by scikit-image (the
grayscale conversion), never typed in.
"""

from __future__ import annotations

import numpy as np

from . import check_function


def _rng():
    return np.random.default_rng(6)


# --------------------------------------------------------------------------- exercise 1


def _tf_conv_rgb(image, kernels, bias):
    import tensorflow as tf

    x = tf.constant(image[None], tf.float64)
    k = tf.constant(kernels[..., None], tf.float64)  # (kh, kw, C) -> (kh, kw, C, 1 filter)
    return tf.nn.conv2d(x, k, strides=1, padding="VALID")[0, :, :, 0].numpy() + bias


def conv_rgb(student_fn) -> None:
    """Exercise: one filter over a multi-channel image, by hand (valid padding, stride 1)."""
    rng = _rng()
    cases = [
        (rng.random((5, 5, 3)), rng.standard_normal((3, 3, 3)), 0.0),
        (rng.random((8, 6, 3)), rng.standard_normal((3, 3, 3)), 0.5),
        (rng.random((7, 9, 3)), rng.standard_normal((2, 4, 3)), -1.0),
        (rng.random((6, 6, 1)), rng.standard_normal((3, 3, 1)), 0.25),
        (rng.random((6, 7, 4)), rng.standard_normal((3, 2, 4)), 2.0),
    ]
    check_function(
        student_fn, _tf_conv_rgb, cases, name="conv_rgb",
        hint="for every output position, multiply the (kh, kw, C) window by the kernel element by element, sum "
             "over rows, columns AND channels, then add the bias once. The output has (H - kh + 1) x "
             "(W - kw + 1) values and a single channel.",
        describe=lambda c: f"an image of shape {c[0].shape} with a kernel of shape {c[1].shape} and bias {c[2]}",
    )


# --------------------------------------------------------------------------- exercise 2


def _keras_conv_params(kernel_size, in_channels, filters):
    import keras

    layer = keras.layers.Conv2D(filters, kernel_size)
    layer.build((None, 16, 16, in_channels))
    return layer.count_params()


def conv_params(student_fn) -> None:
    """Exercise: trainable parameters of a Conv2D layer (square kernel, with biases)."""
    cases = [(3, 3, 32), (3, 1, 32), (5, 3, 64), (3, 32, 64), (1, 3, 8), (7, 3, 96)]
    check_function(
        student_fn, _keras_conv_params, cases, name="conv_params",
        hint="each filter has one kernel_size x kernel_size kernel PER INPUT CHANNEL, plus one bias; "
             "then multiply by the number of filters.",
        describe=lambda c: f"kernel_size={c[0]}, in_channels={c[1]}, filters={c[2]}",
    )


# --------------------------------------------------------------------------- exercise 3


def _keras_mult_adds(height, width, in_channels, kernel_size, filters):
    import keras

    layer = keras.layers.Conv2D(filters, kernel_size, padding="same")
    layer.build((None, height, width, in_channels))
    _, out_h, out_w, out_c = layer.compute_output_shape((None, height, width, in_channels))
    per_output_value = int(np.prod(layer.kernel.shape)) // out_c  # kh * kw * C multiply-adds
    return out_h * out_w * out_c * per_output_value


def conv_mult_adds(student_fn) -> None:
    """Exercise: multiply-adds of a 'same'-padded, stride-1 Conv2D on one image."""
    cases = [(32, 32, 3, 3, 32), (32, 32, 1, 3, 32), (28, 28, 1, 5, 16), (16, 16, 32, 3, 64), (224, 224, 3, 7, 64),
             (10, 20, 3, 3, 8)]
    check_function(
        student_fn, _keras_mult_adds, cases, name="conv_mult_adds",
        hint="with 'same' padding and stride 1 there is one output value per pixel and per filter; each output "
             "value costs kernel_size x kernel_size x in_channels multiply-adds (ignore the bias).",
        describe=lambda c: f"height={c[0]}, width={c[1]}, in_channels={c[2]}, kernel_size={c[3]}, filters={c[4]}",
    )


# --------------------------------------------------------------------------- exercise 4


def _keras_flatten_size(image_size, filters=(32, 64, 128)):
    import keras
    from keras import layers

    stack = [keras.Input((image_size, image_size, 3))]
    for f in filters:
        stack += [layers.Conv2D(f, 3, padding="same"), layers.MaxPooling2D()]
    stack.append(layers.Flatten())
    return int(keras.Sequential(stack).output_shape[-1])


def flatten_size(student_fn) -> None:
    """Exercise: how many values Flatten receives after 3 x (same Conv2D + 2x2 MaxPooling)."""
    cases = [(32,), (64,), (96,), (36,), (40,), (32, (16, 32, 64)), (50, (8, 8, 8))]
    check_function(
        student_fn, _keras_flatten_size, cases, name="flatten_size",
        hint="a 'same' convolution keeps the height and width; each 2x2 max-pooling halves them, rounding DOWN "
             "(use //); the depth is the number of filters of the last convolution.",
        describe=lambda c: f"image_size={c[0]}" + (f", filters={c[1]}" if len(c) > 1 else ""),
    )


# --------------------------------------------------------------------------- exercise 5


def _skimage_gray(rgb):
    from skimage.color import rgb2gray

    return rgb2gray(rgb)


def to_gray(student_fn) -> None:
    """Exercise: luminance of an RGB image in [0, 1] with the weights 0.2125, 0.7154, 0.0721."""
    rng = _rng()
    cases = [(rng.random((4, 5, 3)),), (rng.random((16, 16, 3)),), (np.ones((3, 3, 3)),),
             (np.stack([np.eye(4), np.zeros((4, 4)), 1 - np.eye(4)], axis=-1),)]
    check_function(
        student_fn, _skimage_gray, cases, name="to_gray",
        hint="weight the three channels (R by 0.2125, G by 0.7154, B by 0.0721) and add them, pixel by pixel; "
             "the result has shape (H, W), with no channel axis.",
        describe=lambda c: f"an RGB image of shape {c[0].shape}",
    )
