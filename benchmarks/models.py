"""The models the benchmark trains: the seeds' reference models and the course's versions.

Seed readings (the baseline)
----------------------------
- ``seed_fashion_dense`` and ``seed_fashion_cnn``: seed 001's dense model
  (Flatten, Dense 128 ReLU, Dense 10 softmax) and its two-conv CNN (Conv 32 3x3,
  MaxPool 2, Conv 32 3x3, MaxPool 2, Flatten, Dense 128, Dense 10), inputs divided
  by 255.0 in NumPy, compiled with Adam and sparse categorical cross-entropy.
- ``seed_cifar_alexnet``: seed 004 gives no code, only "a simplified AlexNet: 3 conv
  + 2 FC, dropout, about 67 %" for the textbook its slides follow (Elgendy, *Deep
  Learning for Vision Systems*, section 3.7).  The simplest faithful reading, with the
  layer widths of that textbook project: three Conv 2x2 'same' ReLU layers of 16, 32
  and 64 filters, each followed by MaxPool 2; Dropout 0.3; Flatten; Dense 500 ReLU;
  Dropout 0.4; Dense 10 softmax.  The textbook compiles it with RMSprop; the
  benchmark's baseline uses Adam like the other seed models (the issue's reference
  configuration), and says so in the report.

Course versions
---------------
The ``course_*`` builders are the models notebooks 04 and 06 train (see
``benchmarks/configs.py`` for where each recipe comes from).  Every builder returns
an *uncompiled* ``keras.Sequential``; compiling (optimizer, jit_compile) is the
configuration's job.
"""

from __future__ import annotations


def _keras():
    import keras  # imported lazily: the parent process of the benchmark never needs TensorFlow

    return keras


# --------------------------------------------------------------------------- seed readings


def seed_fashion_dense(name="seed_fashion_dense", input_shape=(28, 28)):
    """Seed 001's dense model for 28x28 Fashion-MNIST images."""
    layers = _keras().layers
    return _keras().Sequential([
        _keras().Input(input_shape),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name=name)


def seed_fashion_cnn():
    """Seed 001's two-conv CNN (32 filters each), the one it timed against the dense model."""
    layers = _keras().layers
    return _keras().Sequential([
        _keras().Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D(2, 2),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D(2, 2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="seed_fashion_cnn")


def seed_cifar_alexnet():
    """Our reading of seed 004's 'simplified AlexNet' (3 conv + 2 FC, dropout) for CIFAR-10."""
    layers = _keras().layers
    return _keras().Sequential([
        _keras().Input((32, 32, 3)),
        layers.Conv2D(16, 2, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 2, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 2, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(500, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(10, activation="softmax"),
    ], name="seed_cifar_alexnet")


# --------------------------------------------------------------------------- course versions


def course_fashion_dense():
    """Notebook 04's dense model: the seed's layers, on (28, 28, 1) images like its CNN."""
    return seed_fashion_dense(name="course_fashion_dense", input_shape=(28, 28, 1))


def course_fashion_cnn():
    """Notebook 04's CNN: Conv 32 / Conv 64 3x3 with max pooling, Dropout 0.3, Dense 128, Dense 10."""
    layers = _keras().layers
    return _keras().Sequential([
        _keras().Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="course_fashion_cnn")


def course_cifar_alexnet():
    """Notebook 06's AlexNet-like CIFAR-10 model : raw uint8 in, logits out.

    Rescaling and a horizontal-flip augmentation inside the model; three Conv 3x3
    'same' (32, 64, 128 filters, no bias) each with BatchNormalization, ReLU and
    MaxPool; Flatten; Dropout 0.3; Dense 128 ReLU; Dropout 0.5; Dense 10 (logits).
    """
    layers = _keras().layers
    blocks = []
    for filters in (32, 64, 128):
        blocks += [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(),
                   layers.ReLU(), layers.MaxPooling2D()]
    return _keras().Sequential([
        _keras().Input((32, 32, 3)),
        layers.Rescaling(1 / 255),
        layers.RandomFlip("horizontal"),
        *blocks,
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10),
    ], name="course_cifar_alexnet")


BUILDERS = {
    "seed_fashion_dense": seed_fashion_dense,
    "seed_fashion_cnn": seed_fashion_cnn,
    "seed_cifar_alexnet": seed_cifar_alexnet,
    "course_fashion_dense": course_fashion_dense,
    "course_fashion_cnn": course_fashion_cnn,
    "course_cifar_alexnet": course_cifar_alexnet,
}


def build(name: str):
    """Build the model called ``name`` (a key of :data:`BUILDERS`)."""
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(BUILDERS))}")
    return BUILDERS[name]()
