"""Test-session settings.

Self-checks raise on a miss in the tests (``COURSE_STRICT_CHECKS=1``, as under nbgrader), so a
notebook whose solution stops passing its own check fails its nbval run. Tests of what a
student sees in interactive use unset it themselves (``tools.student.run_edition`` does).
"""

import os

os.environ.setdefault("COURSE_STRICT_CHECKS", "1")
