"""The configurations the benchmark trains: the seeds' baseline, the course's recipes, the sweep.

A configuration is plain data (a :class:`Config`), sent as JSON to
:mod:`benchmarks.worker`, which trains it in a fresh subprocess.

Tasks
-----
``fashion_dense`` and ``fashion_cnn`` (Fashion-MNIST, real data on this machine) and
``cifar`` (CIFAR-10; only the labelled synthetic stand-in exists here, so for it the
benchmark reports seconds per epoch only).

Baseline: the seed code's way
-----------------------------
Plain Keras on NumPy arrays scaled with ``x / 255.0`` (float64, as the seed code does),
``model.fit(x, y, batch_size=32, epochs=5)``, Adam, Keras's default
``jit_compile="auto"`` (which Keras resolves to no XLA on a CPU-only machine).

Course: the notebooks' way
--------------------------
:data:`COURSE` holds the recipe of each notebook (04 for Fashion-MNIST, 06 for
CIFAR-10): model (built by the notebook's own code, see ``benchmarks/models.py``),
input (NumPy arrays or a ``tf.data`` pipeline), scaling, batch size, epochs, optimizer
and ``jit_compile``.  ``RECIPE_SOURCE`` says where each recipe was read from; notebook
04's is checked against the notebook by ``tests/test_benchmarks.py``.

Sweep
-----
The course's Fashion-MNIST CNN with every batch size in :data:`SWEEP_BATCHES`, with
and without XLA, to find the setting that reaches the seed's accuracy fastest here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

TASKS = ("fashion_dense", "fashion_cnn", "cifar")
DATASET = {"fashion_dense": "fashion_mnist", "fashion_cnn": "fashion_mnist", "cifar": "cifar10"}


@dataclass(frozen=True)
class Config:
    """One training run.  ``pipeline``: ``"numpy"`` (fit on arrays) or ``"tfdata"``."""

    name: str  # unique in a run, e.g. "fashion_cnn/seed"
    task: str  # a key of TASKS
    role: str  # "baseline", "course" or "sweep"
    model: str  # a key of benchmarks.models.BUILDERS
    batch_size: int = 32
    epochs: int = 5
    pipeline: str = "numpy"
    scaling: str = "float64"  # "float64": x / 255.0 as the seed; "float32": x.astype(float32) / 255;
    #                            "none": raw uint8 (the model rescales)
    logits: bool = False  # the model outputs logits (loss from_logits=True)
    channel_axis: bool | None = None  # Fashion-MNIST as (28, 28, 1); None = only for the CNN task
    holdout: int = 0  # leave the last N training images out (a notebook's validation split)
    cache: bool = True  # tfdata: .cache() after the scaling
    shuffle_buffer: int | None = None  # tfdata: None = the whole training set
    prefetch: bool = True  # tfdata: .prefetch(AUTOTUNE)
    jit_compile: str | bool = "auto"
    optimizer: str = "adam"
    learning_rate: float | None = None  # None = Keras's default for the optimizer
    cosine_decay: bool = False  # the learning rate decays from its start value to 0 over all epochs (notebook 04)
    steps_per_execution: int = 1  # compile(steps_per_execution=N): N train steps per call from Python
    evaluate_each_epoch: bool = True  # False for the stand-in data (seconds per epoch only)
    train_limit: int | None = None  # smoke runs: use only the first N training images
    test_limit: int | None = None
    seed: int = 0
    breakdown: bool = False  # after training, time the train step alone and the input pipeline alone
    stop_after_s: float | None = None  # sweep: stop (after >= 2 epochs) once training took longer than this
    note: str = ""

    @property
    def dataset(self) -> str:
        return DATASET[self.task]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Config:
        return cls(**data)

    def label(self) -> str:
        """A short description: pipeline, batch size, XLA."""
        xla = {True: "XLA", False: "no XLA", "auto": "jit auto"}[self.jit_compile]
        extra = f", {self.steps_per_execution} steps/call" if self.steps_per_execution != 1 else ""
        lr = f" lr {self.learning_rate:g}" if self.learning_rate is not None else ""
        lr += " cosine" if self.cosine_decay else ""
        return f"{self.pipeline}, batch {self.batch_size}, {xla}{extra}, {self.optimizer}{lr}, {self.epochs} ep"


SEED_MODEL = {"fashion_dense": "seed_fashion_dense", "fashion_cnn": "seed_fashion_cnn", "cifar": "seed_cifar_alexnet"}

# The seeds' reference configuration, the same for the three tasks.
BASELINE = {
    task: Config(name=f"{task}/seed", task=task, role="baseline", model=SEED_MODEL[task],
                 batch_size=32, epochs=5, pipeline="numpy", scaling="float64", jit_compile="auto",
                 optimizer="adam", evaluate_each_epoch=(task != "cifar"),
                 note="seed code: NumPy arrays, fit(batch_size=32, epochs=5), Adam")
    for task in TASKS
}

# The course's recipes.  Notebook 04's is its comparison's ``train`` function and data cell;
# tests/test_benchmarks.py runs those cells of the notebook and checks that COURSE["fashion_*"] equals
# what they do, so a recipe change in the notebook fails the tests until it is made here too.
RECIPE_SOURCE = {
    "fashion_dense": "notebook 04: 55,000 uint8 train images (Rescaling in the model), NumPy arrays, batch 64, "
                     "32 steps per call, Adam 1e-3 with cosine decay to 0, no XLA, 12 epochs",
    "fashion_cnn": "notebook 04: 55,000 uint8 train images (Rescaling in the model), NumPy arrays, batch 64, "
                   "32 steps per call, Adam 1e-3 with cosine decay to 0, no XLA, 12 epochs",
    "cifar": "notebook 06: uint8 in, tf.data, batch 128, Adam 1e-3; 5 of its 15 epochs (seconds per epoch only)",
}

# Notebook 04: uint8 images with a channel axis (both models start with Rescaling(1/255)), the last 5,000
# training images held out for validation (55,000 trained on), fit on the NumPy arrays at batch 64 (Keras
# shuffles them every epoch), Adam whose learning rate follows a cosine decay from 1e-3 to 0 over all the
# steps of the 12 epochs, steps_per_execution=32, Keras's default jit_compile ("auto": no XLA on a CPU),
# verbose=2, EpochTimer.  Its per-epoch validation pass is left out here (on both sides the test set is
# evaluated after each epoch, outside the timed epoch).
_NB04 = dict(role="course", batch_size=64, epochs=12, pipeline="numpy", scaling="none", channel_axis=True,
             holdout=5_000, jit_compile="auto", optimizer="adam", learning_rate=1e-3, cosine_decay=True,
             steps_per_execution=32, seed=42)
COURSE = {
    "fashion_dense": Config(name="fashion_dense/course", task="fashion_dense", model="course_fashion_dense",
                            **_NB04),
    "fashion_cnn": Config(name="fashion_cnn/course", task="fashion_cnn", model="course_fashion_cnn", **_NB04),
    # Notebook 06: uint8 in, Rescaling in the model, cache + shuffle(10_000) + batch 128
    # + prefetch, Adam(1e-3), logits, jit_compile left at "auto", seed 42.  The notebook trains
    # 15 epochs in full mode; seconds per epoch need only a few, so the benchmark trains 5 like the seed.
    "cifar": Config(name="cifar/course", task="cifar", role="course", model="course_cifar_alexnet",
                    batch_size=128, epochs=5, pipeline="tfdata", scaling="none", logits=True,
                    shuffle_buffer=10_000, jit_compile="auto", optimizer="adam", learning_rate=1e-3,
                    evaluate_each_epoch=False, seed=42),
}

# The Keras progress setting the notebooks pass to fit() (measured by the overhead part).
NOTEBOOK_VERBOSE = 2

SWEEP_BATCHES = (32, 64, 128, 256, 512)
SWEEP_XLA = (False, True)
# Two more variants without XLA: one step per call from Python (what steps_per_execution saves), and a
# learning rate scaled up with the batch (so fewer, larger updates still progress as fast per epoch).
SWEEP_EXTRAS = ({"batch_size": 64, "steps_per_execution": 1}, {"batch_size": 128, "learning_rate": 2e-3})


def sweep_configs(batches=SWEEP_BATCHES, xla=SWEEP_XLA, extras=SWEEP_EXTRAS) -> list[Config]:
    """The course's Fashion-MNIST CNN at each batch size, with and without XLA, plus the extras."""
    base = replace(COURSE["fashion_cnn"], role="sweep")
    out = []
    for batch in batches:
        for jit in xla:
            out.append(replace(base, name=f"fashion_cnn/sweep-b{batch}-{'xla' if jit else 'noxla'}",
                               batch_size=batch, jit_compile=jit))
    for extra in extras:
        tag = "-".join(f"{k}{v:g}" if isinstance(v, float) else f"{k}{v}" for k, v in extra.items())
        out.append(replace(base, name=f"fashion_cnn/sweep-{tag}", jit_compile=False, **extra))
    return out


def shrink(config: Config, *, epochs: int | None = None, train_limit: int | None = None,
           test_limit: int | None = None) -> Config:
    """The same configuration with fewer epochs and/or fewer examples (for --epochs and --quick)."""
    changes = {}
    if epochs is not None:
        changes["epochs"] = epochs
    if train_limit is not None:
        changes["train_limit"] = train_limit
    if test_limit is not None:
        changes["test_limit"] = test_limit
    return replace(config, **changes)


__all__ = ["Config", "TASKS", "DATASET", "BASELINE", "COURSE", "RECIPE_SOURCE", "sweep_configs", "shrink",
           "SWEEP_BATCHES", "SWEEP_XLA", "SWEEP_EXTRAS", "NOTEBOOK_VERBOSE"]
