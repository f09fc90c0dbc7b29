"""Course-wide settings read from the environment, in one place.

``COURSE_QUICK=1`` switches every notebook to *quick mode*: small subsets and one
or two epochs, for the test suite and slow laptops.  Notebooks read the switch
through :func:`pick` and :func:`take` so that the full-mode code still reads
naturally::

    EPOCHS = pick(full=10, quick=1)
    x_train, y_train = take(x_train, y_train, quick=2_000)
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import CourseValueError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def env_flag(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable; an unclear value is an error, not a guess."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CourseValueError(
        f"{name}={raw!r} is not understood. Use {name}=1 to turn it on, "
        f"or {name}=0 (or leave it unset) to turn it off."
    )


def quick_mode() -> bool:
    """True when ``COURSE_QUICK`` asks for quick mode (read afresh on every call)."""
    return env_flag("COURSE_QUICK")


def pick(*, full, quick):
    """Return ``full`` normally and ``quick`` in quick mode.

    >>> EPOCHS = pick(full=10, quick=1)
    """
    return quick if quick_mode() else full


def take(*arrays, quick: int):
    """Return the arrays unchanged, or only their first ``quick`` items in quick mode.

    All arrays must have the same length.  With one array, returns that array;
    with several, a tuple, so ``x, y = take(x, y, quick=1000)`` works.
    """
    if not arrays:
        raise CourseValueError("take() needs at least one array, e.g. take(x_train, y_train, quick=1000).")
    if not isinstance(quick, int) or isinstance(quick, bool) or quick < 1:
        raise CourseValueError(f"take(..., quick={quick!r}): quick must be a positive whole number of items.")
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise CourseValueError(
            f"take() got arrays of different lengths {sorted(lengths)}: pass arrays that belong together, "
            "such as images and their labels."
        )
    if quick_mode():
        arrays = tuple(a[:quick] for a in arrays)
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


def offline() -> bool:
    """``COURSE_OFFLINE=1``: never try a download (an offline classroom)."""
    return env_flag("COURSE_OFFLINE")


def allow_synthetic() -> bool:
    """``COURSE_ALLOW_SYNTHETIC=1``: a labelled synthetic stand-in may replace missing data."""
    return env_flag("COURSE_ALLOW_SYNTHETIC")


def data_dir() -> Path | None:
    """The offline data directory named by ``COURSE_DATA_DIR``, if any."""
    raw = os.environ.get("COURSE_DATA_DIR", "").strip()
    return Path(raw).expanduser() if raw else None


def work_dir(name: str) -> Path:
    """A writable directory for the course's outputs (logs, checkpoints, saved models).

    ``COURSE_WORK_DIR`` chooses the root; the default is ``course_work`` in the
    current directory.  The sub-directory ``name`` is created if missing.
    """
    root = Path(os.environ.get("COURSE_WORK_DIR", "course_work")).expanduser()
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def mode_banner() -> str:
    """One line that says which mode the notebook runs in."""
    if quick_mode():
        return "QUICK mode (COURSE_QUICK=1): small subsets and few epochs; numbers will be lower than in full mode."
    return "FULL mode: whole data sets and the full number of epochs."
