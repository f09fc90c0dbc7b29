"""The notebook conventions (README, "Contributing"), enforced on every source notebook.

The check names the notebook and the cell that breaks a convention; the tests at
the bottom show that it does, on deliberately broken copies of notebook 00.
"""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from tools import notebooks as nbtools

ROOT = Path(__file__).resolve().parents[1]
SOURCES = nbtools.source_notebooks(ROOT)


def test_there_are_notebooks():
    assert [p.name for p in SOURCES][:1] == ["00_setup.ipynb"]


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_notebook_follows_the_conventions(path):
    problems = nbtools.check_notebook(path, ROOT)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_notebook_has_exercises(path):
    nb = nbformat.read(path, as_version=4)
    wanted = 1 if path.name.startswith("00") else 4  # issues 3-5: at least 4 per topic notebook
    assert len(nbtools.exercise_cells(nb)) >= wanted, f"{path.name}: fewer than {wanted} exercises"


# --------------------------------------------------------------------------- a broken notebook is caught


@pytest.fixture
def course_copy(tmp_path):
    """A throw-away course root holding pyproject.toml, README.md and a copy of notebook 00."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "00_setup.ipynb"
    shutil.copy(ROOT / "notebooks" / "00_setup.ipynb", path)
    assert nbtools.check_notebook(path, tmp_path) == []
    return tmp_path, path


def break_it(path, change):
    nb = nbformat.read(path, as_version=4)
    change(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def first_code_after_setup(nb):
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i > 1)


def first_exercise(nb):
    return nbtools.exercise_cells(nb)[0]


def add_output(nb):
    i = first_code_after_setup(nb)
    nb.cells[i].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    nb.cells[i].execution_count = 3


def drop_slide_metadata(nb):
    nb.cells[first_code_after_setup(nb)].metadata.pop("slideshow")


def drop_solution_metadata(nb):
    i, _ = first_exercise(nb)
    nb.cells[i].metadata.pop("nbgrader")


def drop_check_metadata(nb):
    _, j = first_exercise(nb)
    nb.cells[j].metadata.pop("nbgrader")


def unbalanced_markers(nb):
    i, _ = first_exercise(nb)
    nb.cells[i].source = nb.cells[i].source.replace(nbtools.END, "")


def extra_code_on_a_slide(nb):
    i = next(i for i, c in enumerate(nb.cells) if nbtools.is_extra_code(c))
    nb.cells[i].metadata["slideshow"]["slide_type"] = "fragment"


BROKEN = {
    "extra code on a slide": (extra_code_on_a_slide, "an '# extra code' cell must be slide type 'skip'"),
    "stored output": (add_output, "has stored output"),
    "no slide type": (drop_slide_metadata, "slideshow.slide_type is None"),
    "wrong badge": (lambda nb: setattr(nb.cells[0], "source", nb.cells[0].source.replace("00_setup", "00_other")),
                    "cell 0: badge row missing"),
    "no title": (lambda nb: setattr(nb.cells[0], "source", "Setup\n" + nb.cells[0].source),
                 "cell 0: must be a markdown cell"),
    "edited setup cell": (lambda nb: setattr(nb.cells[1], "source", nb.cells[1].source + "\nprint(1)"),
                          "cell 1: must be the generated setup cell"),
    "kernelspec": (lambda nb: nb.metadata.kernelspec.update(name="python2"), "kernelspec must be python3"),
    "solution metadata": (drop_solution_metadata, "exercise cell needs nbgrader metadata"),
    "check metadata": (drop_check_metadata, "self-check cell needs nbgrader test metadata"),
    "unbalanced markers": (unbalanced_markers, "needs its ### END SOLUTION"),
    "stray metadata": (lambda nb: nb.cells[2].metadata.update(collapsed=True), "not in canonical form"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_check_names_the_notebook_and_cell(course_copy, case):
    root, path = course_copy
    change, expected = BROKEN[case]
    break_it(path, change)
    problems = nbtools.check_notebook(path, root)
    assert problems, f"the check missed: {case}"
    assert any(expected in p and p.startswith("00_setup.ipynb") for p in problems), problems
    if "cell" in expected or case in {"stored output", "no slide type", "solution metadata", "check metadata"}:
        assert any(" cell " in p for p in problems), problems


def test_skip_extra_fixes_what_the_extra_code_rule_reports(course_copy):
    root, path = course_copy
    break_it(path, extra_code_on_a_slide)
    nbtools.format_file(path, root=root)
    assert any("'# extra code'" in p for p in nbtools.check_notebook(path, root))
    assert nbtools.skip_extra_code(path) and nbtools.skip_extra_code(path) == []
    assert nbtools.check_notebook(path, root) == []


def test_non_canonical_json_is_caught_and_format_fixes_it(course_copy):
    root, path = course_copy
    path.write_text(json.dumps(json.loads(path.read_text()), indent=2), encoding="utf-8")
    assert any("not in canonical form" in p for p in nbtools.check_notebook(path, root))
    assert nbtools.format_file(path, root=root) is True
    assert nbtools.check_notebook(path, root) == []
    assert nbtools.format_file(path, root=root) is False  # formatting is idempotent


def test_missing_cell_id_is_caught(course_copy):
    root, path = course_copy
    raw = json.loads(path.read_text())
    del raw["cells"][3]["id"]
    path.write_text(json.dumps(raw, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = nbtools.check_notebook(path, root)
    assert any("cell 3" in p and "no cell id" in p for p in problems), problems


def test_keep_output_cells_may_keep_output(course_copy):
    root, path = course_copy

    def keep(nb):
        add_output(nb)
        nb.cells[first_code_after_setup(nb)].metadata["keep_output"] = True

    break_it(path, keep)
    nbtools.format_file(path, root=root)
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[first_code_after_setup(nb)].outputs  # nbstripout's keep_output rule honoured
    assert nbtools.check_notebook(path, root) == []


def test_fork_repoints_badges_setup_cell_and_readme(course_copy):
    root, path = course_copy
    old_repo, branch = nbtools.repo_settings(root)
    changed = nbtools.fork("my-school/cnn-2027", root=root)
    assert path in changed and root / "pyproject.toml" in changed
    assert nbtools.repo_settings(root) == ("my-school/cnn-2027", branch)
    text = path.read_text()
    assert "my-school/cnn-2027/blob/main/notebooks/00_setup.ipynb" in text
    assert "git+https://github.com/my-school/cnn-2027.git@main" in text
    assert old_repo not in text
    assert nbtools.check_notebook(path, root) == []
    with pytest.raises(SystemExit, match="OWNER/NAME"):
        nbtools.fork("not a repo", root=root)


