"""Run a notebook's exercise cells for the tests of its self-checks: the one loader of solution cells.

``run_exercise_cells("03_pooling.ipynb", student=False, namespace={...})`` runs, in notebook order, every
exercise cell (nbgrader ``solution`` metadata) of the instructor edition, or of the student edition as
nbgrader makes it (``student=True``: each solution replaced by the course's stub), plus the lesson cells
the checks read (``lesson``: the beginnings of their sources), and returns the namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def read_notebook(name: str):
    """``notebooks/<name>`` (the instructor edition)."""
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def student_edition(nb):
    """``nb`` as nbgrader hands it to students: solutions replaced by the stub (tools/nbgrader_config.py)."""
    from tools.student import clear_solutions

    return clear_solutions(nb)


def is_exercise(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("solution"))


def exercise_sources(name: str, *, student: bool = False) -> list[str]:
    """The sources of the exercise cells of ``notebooks/<name>``, in order."""
    nb = read_notebook(name)
    return [c.source for c in (student_edition(nb) if student else nb).cells if is_exercise(c)]


def run_exercise_cells(name: str, *, student: bool, namespace: dict | None = None, lesson: Iterable[str] = (),
                       trim: Callable[[str], str] | None = None) -> dict:
    """Run the exercise cells of ``notebooks/<name>`` and the lesson cells whose source starts with one of
    ``lesson`` in ``namespace`` (a new dict if None), in notebook order; returns the namespace.

    ``trim(source)`` may cut a lesson cell down to its definitions (e.g. leave out loading data).
    """
    ns = {} if namespace is None else namespace
    nb = read_notebook(name)
    lesson = tuple(lesson)
    for cell in (student_edition(nb) if student else nb).cells:
        if is_exercise(cell):
            exec(compile(cell.source, name, "exec"), ns)  # noqa: S102 - our own notebook's code
        elif lesson and cell.cell_type == "code" and cell.source.lstrip().startswith(lesson):
            source = trim(cell.source) if trim else cell.source
            exec(compile(source, name, "exec"), ns)  # noqa: S102 - our own notebook's code
    return ns
