"""Write a course notebook from Python: each cell with its slide type and, for
exercises, nbgrader metadata.  The .ipynb it writes is the source of truth; this
is only a convenient way to author one (then edit the notebook itself).

    from tools.nbbuild import md, code, exercise, build
    cells = [md("# 0X Title", "slide"), code("", "skip"), md("## Objectives", "slide"), ...]
    build("notebooks/0X_topic.ipynb", cells)

Cell 1 must be an empty code cell: ``build`` fills in the generated setup cell
and the badge row (tools/notebooks.py), so they are never hand-written.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat

from .notebooks import format_file


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(text: str, slide: str = "-") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(_src(text))
    cell.metadata["slideshow"] = {"slide_type": slide}
    return cell


def notes(text: str) -> nbformat.NotebookNode:
    """Speaker notes: shown in the presenter view, not on the slide."""
    return md(text, "notes")


def code(text: str, slide: str = "-", *, tags=None, keep_output: bool = False) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(_src(text))
    cell.metadata["slideshow"] = {"slide_type": slide}
    if tags:
        cell.metadata["tags"] = list(tags)
    if keep_output:
        cell.metadata["keep_output"] = True
    return cell


def exercise(grade_id: str, solution: str, check: str, *, points: int = 1, slide: str = "-"):
    """An exercise: the solution cell (with ### BEGIN/END SOLUTION inside) and its self-check cell."""
    sol = code(solution, slide)
    sol.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": False,
                                "schema_version": 3, "solution": True, "task": False}
    chk = code(check, "-")
    chk.metadata["nbgrader"] = {"grade": True, "grade_id": f"{grade_id}-check", "locked": True,
                                "points": points, "schema_version": 3, "solution": False, "task": False}
    return [sol, chk]


def build(path, cells, metadata: dict | None = None) -> Path:
    flat = []
    for c in cells:
        flat.extend(c if isinstance(c, list) else [c])
    nb = nbformat.v4.new_notebook(cells=flat, metadata=metadata or {})
    path = Path(path)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    format_file(path)
    return path
