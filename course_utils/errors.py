"""Errors that course_utils raises for a user's mistake.

Every such error subclasses :class:`CourseError`.  In Jupyter it is shown as a
short message (what was wrong and what to do) instead of a deep traceback:
IPython calls ``_render_traceback_`` when an exception defines it.
"""

from __future__ import annotations


class CourseError(Exception):
    """A problem the user can fix; the message says what was wrong and what to do."""

    def _render_traceback_(self):  # noqa: D401 - IPython hook
        from .i18n import tr  # in the notebook's language (course_utils.i18n); the exception itself stays English

        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {tr(str(self))}"]


class CourseValueError(CourseError, ValueError):
    """A bad argument or setting (also a ``ValueError``)."""


class DatasetError(CourseError, RuntimeError):
    """A data set could not be loaded, prefetched or verified."""
