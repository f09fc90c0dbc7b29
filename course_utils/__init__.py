"""Helpers for the CNN course notebooks.

The lesson lives in the notebooks; this package holds what would distract from
it: data loading with offline fallbacks, figure layout, timing plumbing, widgets
and exercise self-checks.  Names used by a notebook are stable: renaming one is
a breaking change.
"""

from .config import pick, quick_mode, take
from .errors import CourseError, CourseValueError, DatasetError

__version__ = "0.1.0"

__all__ = ["pick", "quick_mode", "take", "CourseError", "CourseValueError", "DatasetError", "__version__"]
