"""Helpers for the CNN course notebooks.

The lesson lives in the notebooks; this package holds what would distract from
it: data loading with offline fallbacks, figure layout, timing plumbing, widgets
and exercise self-checks.  Names used by a notebook are stable: renaming one is
a breaking change.
"""

import warnings

from .config import pick, quick_mode, take
from .errors import CourseError, CourseValueError, DatasetError

__version__ = "0.1.0"

# Keras 3.15 warns on every fit() over a tf.data pipeline because fit's own default is
# shuffle=True; the course's pipelines shuffle themselves (.shuffle(...)), so the warning
# says nothing about the student's code. Only this one message is silenced.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored", category=UserWarning)

__all__ = ["pick", "quick_mode", "take", "CourseError", "CourseValueError", "DatasetError", "__version__"]
