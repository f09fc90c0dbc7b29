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
The ``course_*`` builders return the models notebooks 04 and 06 train, built by the
notebooks' own code: :func:`notebook_function` reads the code cell that defines the
builder (``make_dense`` and ``make_cnn`` in 04, ``make_model`` in 06) and runs its
function definitions, so the benchmark cannot drift from the lesson (one definition,
in the notebook where students read it).  See ``benchmarks/configs.py`` for where each
recipe comes from.  Every builder returns an *uncompiled* ``keras.Sequential``;
compiling (optimizer, jit_compile) is the configuration's job.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FASHION_NOTEBOOK = "04_dnn_vs_cnn.ipynb"
CIFAR_NOTEBOOK = "06_color_cifar10.ipynb"


def _keras():
    import keras  # imported lazily: the parent process of the benchmark never needs TensorFlow

    return keras


# --------------------------------------------------------------------------- seed readings


def seed_fashion_dense():
    """Seed 001's dense model for 28x28 Fashion-MNIST images."""
    layers = _keras().layers
    return _keras().Sequential([
        _keras().Input((28, 28)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="seed_fashion_dense")


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


def notebook_function(notebook: str, name: str, folder: Path = NOTEBOOKS):
    """The function ``name`` exactly as ``notebook`` defines it.

    Finds the one code cell with a top-level ``def name(`` and runs that cell's function
    definitions (and nothing else of it) in a namespace holding what the notebooks import:
    ``keras``, ``layers`` (``keras.layers``) and ``np``.  Helpers defined in the same cell
    (06's ``conv_block``) come along.
    """
    import nbformat
    import numpy as np

    path = Path(folder) / notebook
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the benchmark builds the course's models from the notebooks; "
                                "run it from a checkout of the course repository.")
    pattern = re.compile(rf"^def {re.escape(name)}\(", re.M)
    cells = [c.source for c in nbformat.read(path, as_version=4).cells
             if c.cell_type == "code" and pattern.search(c.source)]
    if len(cells) != 1:
        raise LookupError(f"{path.name}: expected one code cell defining `def {name}(`, found {len(cells)}; "
                          f"update benchmarks/models.py if the notebook renamed its model builder.")
    tree = ast.parse(cells[0])
    tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    keras = _keras()
    namespace = {"keras": keras, "layers": keras.layers, "np": np}
    exec(compile(tree, f"{path.name}:{name}", "exec"), namespace)  # noqa: S102 - the course's own notebook
    return namespace[name]


def course_fashion_dense():
    """Notebook 04's dense model (``make_dense``), built by the notebook's code."""
    return notebook_function(FASHION_NOTEBOOK, "make_dense")()


def course_fashion_cnn():
    """Notebook 04's CNN (``make_cnn``), built by the notebook's code."""
    return notebook_function(FASHION_NOTEBOOK, "make_cnn")()


def course_cifar_alexnet():
    """Notebook 06's AlexNet-like CIFAR-10 model (``make_model``: uint8 in, logits out), built by its code."""
    return notebook_function(CIFAR_NOTEBOOK, "make_model")()


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
