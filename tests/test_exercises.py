"""The course's exercises as a whole (issue 10's rules), notebook by notebook.

* notebooks 01-07 have at least 5 exercises of at least 3 kinds, each statement naming its kind;
* every self-check cell calls its check with no argument (so running it before its exercise cell
  gives the one-line "not attempted" message, not a ``NameError``), and the checks module registers
  exactly the notebook's exercises (the progress line counts them);
* the notebook's last code cell prints the progress line;
* no hint (no string in any checks module) contains a line of any solution.
"""

from __future__ import annotations

import ast
import importlib
import re

import nbformat
import pytest

import course_utils.checks as checks
from tools.notebooks import BEGIN, ROOT, exercise_cells, source_notebooks
from tools.student import solution_lines

SOURCES = source_notebooks()
KINDS = ("Predict", "Design", "Debug", "Quantify", "Explain")
CHECK_MODULE = re.compile(r"from course_utils\.checks import (?:[\w, ]*?\b)?(\w+) as check\b")


def _nb(path):
    return nbformat.read(path, as_version=4)


def _module(nb) -> str | None:
    for cell in nb.cells:
        found = CHECK_MODULE.search(cell.source)
        if found:
            return found.group(1)
    return None


def _statement(nb, i) -> str:
    """The markdown that states exercise ``i``: the markdown cells above its solution cell, back to the nearest
    heading (given code such as a broken cell may stand between), never past the previous exercise's check."""
    graded = {j for _, j in exercise_cells(nb)}
    text = []
    j = i - 1
    while j >= 0 and j not in graded:
        cell = nb.cells[j]
        if cell.cell_type == "markdown" and cell.metadata.get("slideshow", {}).get("slide_type") != "notes":
            text.insert(0, cell.source)
            if cell.source.lstrip().startswith("#"):
                break
        j -= 1
    return "\n".join(text)


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name[:2] != "00"], ids=lambda p: p.stem)
def test_enough_exercises_of_enough_kinds(path):
    nb = _nb(path)
    pairs = exercise_cells(nb)
    assert len(pairs) >= 5, f"{path.name}: {len(pairs)} exercises; issue 10 asks for at least 5"
    kinds = {}
    for i, _ in pairs:  # extra practice exercises (a kind not in KINDS) may come on top of five
        statement = _statement(nb, i)
        named = [k for k in KINDS if re.search(rf"\b{k}\b", statement, re.IGNORECASE)]
        if named:
            kinds[i] = named[0]
    assert len(kinds) >= 5, (f"{path.name}: {len(kinds)} exercise statements name their kind "
                             f"({', '.join(KINDS)}); at least 5 should")
    assert len(set(kinds.values())) >= 3, f"{path.name}: kinds {sorted(set(kinds.values()))}; at least 3 needed"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_checks_are_called_by_name_and_registered(path):
    nb = _nb(path)
    module = _module(nb)
    assert module, f"{path.name}: no `from course_utils.checks import ... as check`"
    importlib.import_module(f"course_utils.checks.{module}")
    registered = checks.exercises(module)
    pairs = exercise_cells(nb)
    assert len(registered) == len(pairs), (f"{path.name}: {len(pairs)} exercises, but course_utils.checks."
                                           f"{module} registers {len(registered)}")
    called = set()
    for _, j in pairs:
        calls = re.findall(r"\bcheck\.(\w+)\(\s*\)", nb.cells[j].source)
        assert calls, f"{path.name} cell {j}: call the check with no argument, e.g. check.name()"
        for name in calls:
            fn = getattr(importlib.import_module(f"course_utils.checks.{module}"), name)
            assert getattr(fn, "exercise_key", None), f"{path.name} cell {j}: check.{name} is not an @exercise"
            called.add(fn.exercise_key)
    assert called == {e.key for e in registered}, f"{path.name}: checks called {sorted(called)}"
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert re.search(r"\bcheck\.progress\(\)", last.source), f"{path.name}: the last code cell should be " \
                                                              "check.progress()"


def _strings_of_checks() -> list[str]:
    found = []
    for path in sorted((ROOT / "course_utils" / "checks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(" ".join(node.value.split()))
            elif isinstance(node, ast.JoinedStr):  # f-strings: their literal parts
                found.append(" ".join("".join(v.value for v in node.values
                                              if isinstance(v, ast.Constant)).split()))
    return found


def _code_lines(path) -> list[str]:
    lines = []
    for cell in _nb(path).cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            for line in solution_lines(cell.source):
                text = " ".join(line.split("#")[0].split())
                # lines with code in them; short ones (`return x`, `x = 4`) say nothing on their own
                if len(text) >= 12 and re.search(r"[=(\[.]", text):
                    lines.append(text)
    return lines


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_no_hint_contains_solution_code(path):
    strings = _strings_of_checks()
    leaked = [(line, s[:120]) for line in _code_lines(path) for s in strings if line in s]
    assert not leaked, f"{path.name}: solution lines found in the checks' strings (hints): {leaked[:3]}"


def test_the_leak_test_can_fail(tmp_path, monkeypatch):
    """A hint that quotes a solution line is caught."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return np.sum(x ** 2, axis=0)\n    ### END SOLUTION")])
    path = tmp_path / "99_x.ipynb"
    nbformat.write(nb, path)
    assert _code_lines(path) == ["return np.sum(x ** 2, axis=0)"]
    strings = ["Hint: write return np.sum(x ** 2, axis=0) and you are done"]
    assert any(line in s for line in _code_lines(path) for s in strings)
