"""Student editions (tools/student.py), Colab launch metadata, and nbgrader compatibility.

* the generator, on a throw-away notebook built here (independent of the course's content);
* every committed student edition is up to date (and a stale temp copy is caught);
* no solution line survives in any student notebook, and no marker remains;
* every notebook of both editions has a Colab badge for its own path and the GPU request
  exactly when it trains;
* every student edition, run as is in quick mode as a student's kernel runs it, reaches its last
  cell without a cell raising, and every self-check shows its ❌ line;
* ``nbgrader generate_assignment`` accepts the instructor sources (with the course's
  ``tools/nbgrader_config.py``), and ``nbgrader autograde`` scores a solved and an untouched
  submission of the throw-away notebook and of a real course notebook.

The translated editions (notebooks/<lang>/, tools/i18n.py) get the same structural checks (no solution
line, badges, conventions); to keep CI time small, only notebook 02's translated student edition runs to the
end (its ❌ and progress lines in its language) and is autograded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat
import pytest

from course_utils.i18n import tr
from tools import i18n, student
from tools.nbbuild import code, exercise, md, notes
from tools.notebooks import (
    BEGIN,
    END,
    ROOT,
    check_notebook,
    colab_url,
    format_file,
    language_of,
    rel_path,
    repo_settings,
    source_notebooks,
    trains,
)

SOURCES = source_notebooks()
STUDENTS = [student.student_path(p) for p in SOURCES]
IDS = [p.stem for p in SOURCES]
# The translated editions (tools/i18n.py: notebooks/<lang>/NN_x.ipynb and notebooks/<lang>/student/): checked
# structurally like the English ones; one of them (RUN_TRANSLATED) also runs to the end and is autograded.
TRANSLATED = [i18n.target_path(p, lang) for lang in i18n.languages() for p in SOURCES
              if i18n.target_path(p, lang).exists()]
TRANSLATED_STUDENTS = [student.student_path(p) for p in TRANSLATED]
TRANSLATED_IDS = [f"{p.parent.name}-{p.stem}" for p in TRANSLATED]
GRADED_NOTEBOOK = "02_"  # the real notebook the nbgrader test grades (no training: quick to execute)
RUN_TRANSLATED = [p for p in TRANSLATED_STUDENTS if p.name.startswith(GRADED_NOTEBOOK)][:1]
BADGE_LINK = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\(([^)]+)\)")


# --------------------------------------------------------------------------- a throw-away course


def make_course(root: Path, name: str = "98_demo.ipynb") -> Path:
    """A minimal course checkout under ``root``: pyproject (for the repo settings) and one notebook
    with two exercises (a function body and a top-level answer), built like the real ones."""
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    cells = [
        md("# 98 · Demo (데모)", "slide"),
        code("", "skip"),
        md("## Squares", "slide"),
        notes("Say why we square."),
        code("import numpy as np\nvalues = np.arange(4)\nprint(values ** 2)"),
        md("Write `square(v)`.", "subslide"),
        exercise("demo-square",
                 "def square(v):\n    ### BEGIN SOLUTION\n    result = v * v\n    return result\n    ### END SOLUTION",
                 "from course_utils.checks import check_function\n"
                 "check_function(square, lambda v: v ** 2, [(2,), (3.5,)], name='square', hint='multiply v by v')"),
        md("What is two plus two?", "subslide"),
        exercise("demo-answer", "answer = None\n### BEGIN SOLUTION\nanswer = 2 + 2\n### END SOLUTION",
                 "from course_utils.checks import check_value\n"
                 "check_value(answer, sum([2, 2]), name='answer', hint='add the numbers')"),
        md("Which is larger: (a) 2 ** 10 or (b) 10 ** 2?", "subslide"),
        exercise("demo-choice", "choice = None\n### BEGIN SOLUTION\nchoice = 'a'\n### END SOLUTION",
                 "from course_utils.checks import check_choice\n"
                 "check_choice(choice, {'a': 2 ** 10 > 10 ** 2, 'b': 10 ** 2 > 2 ** 10}, name='choice',\n"
                 "             hint=['compute both', 'powers of two grow fast'])"),
        md("## Summary", "slide"),
        code("print('the rest still runs')"),
    ]
    flat = [c for item in cells for c in (item if isinstance(item, list) else [item])]
    path = root / "notebooks" / name
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=flat)) + "\n", encoding="utf-8")
    format_file(path, root=root)
    return path


def test_generator_on_a_throwaway_notebook(tmp_path):
    source = make_course(tmp_path)
    changed = student.generate(tmp_path)
    target = tmp_path / "notebooks" / "student" / source.name
    assert changed == [target]
    src = nbformat.read(source, as_version=4)
    out = nbformat.read(target, as_version=4)
    assert [c.id for c in out.cells] == [c.id for c in src.cells]
    # the solution regions became the nbgrader stub, at the marker's indentation
    square = next(c for c in out.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "demo-square")
    assert student.CODE_STUB == "# YOUR CODE HERE\npass"  # from tools/nbgrader_config.py
    assert square.source == "def square(v):\n    # YOUR CODE HERE\n    pass"
    answer = next(c for c in out.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "demo-answer")
    assert answer.source == "answer = None\n# YOUR CODE HERE\npass"
    # everything else is identical (cell 0 differs only by the badge row's path)
    for s, o in zip(src.cells, out.cells):
        if o is square or o is answer or o.source.startswith("choice = None"):
            continue
        if s is src.cells[0]:
            assert o.source == s.source.replace("notebooks/98_demo", "notebooks/student/98_demo")
            continue
        assert (o.cell_type, o.source, o.metadata) == (s.cell_type, s.source, s.metadata)
    assert src.metadata == out.metadata
    text = target.read_text(encoding="utf-8")
    assert BEGIN not in text and END not in text and "v * v" not in text and "2 + 2" not in text
    assert student.problems(tmp_path) == []
    assert student.generate(tmp_path) == []  # idempotent


def test_check_reports_stale_missing_and_orphaned_editions(tmp_path):
    source = make_course(tmp_path)
    student.generate(tmp_path)
    assert student.problems(tmp_path) == []
    nb = nbformat.read(source, as_version=4)
    nb.cells[4].source += "\nprint('a new line in the source')"
    nbformat.write(nb, source)
    format_file(source, root=tmp_path)
    assert student.problems(tmp_path) == ["notebooks/student/98_demo.ipynb: out of date with notebooks/98_demo.ipynb"]
    (tmp_path / "notebooks" / "student" / "98_demo.ipynb").unlink()
    assert "missing" in student.problems(tmp_path)[0]
    student.generate(tmp_path)
    shutil.copy(source, tmp_path / "notebooks" / "student" / "97_gone.ipynb")
    assert student.problems(tmp_path) == ["notebooks/student/97_gone.ipynb: has no source notebook 97_gone.ipynb "
                                          "in notebooks/"]
    student.generate(tmp_path)
    assert student.problems(tmp_path) == []


@pytest.mark.skipif(not SOURCES, reason="no course notebooks yet")
def test_check_catches_a_stale_copy_of_a_real_notebook(tmp_path):
    """The up-to-date test below can fail: edit a temp copy of a real source and --check notices."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "notebooks" / "student").mkdir(parents=True)
    source = shutil.copy(SOURCES[0], tmp_path / "notebooks" / SOURCES[0].name)
    shutil.copy(STUDENTS[0], tmp_path / "notebooks" / "student" / SOURCES[0].name)
    assert student.problems(tmp_path) == []
    nb = nbformat.read(source, as_version=4)
    nb.cells[-1].source += "\n\nOne more sentence."
    nbformat.write(nb, source)
    format_file(Path(source), root=tmp_path)
    assert student.problems(tmp_path) == [f"notebooks/student/{SOURCES[0].name}: out of date with "
                                          f"notebooks/{SOURCES[0].name}"]


def test_solution_in_a_cell_without_metadata_is_refused(tmp_path):
    source = make_course(tmp_path)
    nb = nbformat.read(source, as_version=4)
    nb.cells[4].source += f"\n{BEGIN}\nsecret = 1\n{END}"
    nbformat.write(nb, source)
    with pytest.raises(SystemExit, match="98_demo.ipynb: Solution region detected in a non-solution cell"):
        student.render(source, tmp_path)


# --------------------------------------------------------------------------- the committed editions


def test_committed_student_editions_are_up_to_date(capsys):
    """``./course student --check`` finds nothing to regenerate, exits 0 and says so."""
    found = student.problems()
    assert not found, "\n".join(found) + "\nrun ./course student and commit notebooks/student/"
    assert student.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("source", SOURCES + TRANSLATED, ids=IDS + TRANSLATED_IDS)
def test_no_solution_line_survives(source):
    target = student.student_path(source)
    assert target.exists(), f"{rel_path(target)} is missing: run ./course student"
    src = nbformat.read(source, as_version=4)
    out = nbformat.read(target, as_version=4)
    text = "\n".join(c.source for c in out.cells)
    assert BEGIN not in text and END not in text, f"{target.name}: a solution marker survived"
    assert "BEGIN HIDDEN TESTS" not in text
    outside = {line.strip() for c in src.cells for line in _outside_solutions(c.source)}
    by_id = {c.id: c for c in out.cells}
    n_exercises = 0
    for cell in src.cells:
        lines = student.solution_lines(cell.source)
        if BEGIN not in cell.source:
            continue
        n_exercises += 1
        mine = by_id[cell.id].source
        assert all(line in mine for line in student.CODE_STUB.splitlines()), cell.id
        for line in lines:
            assert line not in mine.splitlines(), f"{target.name} cell {cell.id}: solution line {line!r} survived"
            if line.strip() not in outside:  # a line the source also has outside solutions may appear elsewhere
                assert line.strip() not in {x.strip() for x in text.splitlines()}, \
                    f"{target.name}: solution line {line!r} appears in the student edition"
    assert n_exercises == sum(1 for c in out.cells if c.metadata.get("nbgrader", {}).get("solution"))


def _outside_solutions(source: str):
    inside = False
    for line in source.splitlines():
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif not inside:
            yield line


# --------------------------------------------------------------------------- Colab launch


@pytest.mark.parametrize("path", SOURCES + STUDENTS + TRANSLATED + TRANSLATED_STUDENTS,
                         ids=IDS + [f"student-{i}" for i in IDS] + TRANSLATED_IDS
                         + [f"student-{i}" for i in TRANSLATED_IDS])
def test_colab_badge_and_gpu_request(path):
    assert path.exists(), f"{rel_path(path)} is missing: run ./course student"
    repo, branch = repo_settings()
    nb = nbformat.read(path, as_version=4)
    links = BADGE_LINK.findall(nb.cells[0].source)
    assert links == [colab_url(rel_path(path), repo, branch)], f"{path.name}: Colab badge {links}"
    assert links[0].endswith("/" + rel_path(path))
    # the Colab setup cell installs course_utils from this repository, only on Colab
    setup = nb.cells[1].source
    assert 'find_spec("google.colab")' in setup and f"git+https://github.com/{repo}.git@{branch}" in setup
    # notebooks that train ask Colab for a GPU runtime; the student edition asks like its source
    source_nb = nbformat.read(ROOT / "notebooks" / path.name, as_version=4)
    wants_gpu = trains(source_nb)  # the formatter's rule (tools/notebooks.py), not a copy of it
    assert (nb.metadata.get("accelerator") == "GPU") == wants_gpu, f"{path.name}: accelerator metadata"
    assert (nb.metadata.get("colab", {}).get("gpuType") == "T4") == wants_gpu, f"{path.name}: colab.gpuType"
    if path.parent.name == "student":
        assert check_notebook(path) == []  # every convention, canonical form included


def test_gpu_request_follows_fit_in_both_editions(tmp_path):
    """The formatter's rule (tools/notebooks.py) on the throw-away notebook: add a .fit( call."""
    source = make_course(tmp_path)
    student.generate(tmp_path)
    target = tmp_path / "notebooks" / "student" / source.name
    assert "accelerator" not in nbformat.read(target, as_version=4).metadata
    nb = nbformat.read(source, as_version=4)
    nb.cells[4].source += "\n# model.fit(x, y) would train here"
    nbformat.write(nb, source)
    format_file(source, root=tmp_path)
    student.generate(tmp_path)
    for path in (source, target):
        meta = nbformat.read(path, as_version=4).metadata
        assert meta["accelerator"] == "GPU" and meta["colab"]["gpuType"] == "T4", path


# --------------------------------------------------------------------------- running the editions


def _selected_run_paths(session) -> list[str]:
    names = {str(item.callspec.params["target"]) for item in session.items
             if getattr(item, "originalname", None) == "test_student_edition_runs_to_the_end"
             and hasattr(item, "callspec")}
    return [str(p) for p in STUDENTS + RUN_TRANSLATED if str(p) in names]


@pytest.fixture(scope="module")
def edition_runs(request):
    """Run every selected student edition once, two at a time (each in its own kernel), as a student's
    kernel runs it: self-checks print their misses instead of raising (no COURSE_STRICT_CHECKS)."""
    paths = [p for p in _selected_run_paths(request.session) if Path(p).exists()]
    start = time.monotonic()
    results = {}
    if paths:
        with ProcessPoolExecutor(max_workers=min(2, len(paths)), mp_context=get_context("spawn")) as pool:
            for result in pool.map(student.run_edition, paths):
                results[result["path"]] = result
    wall = time.monotonic() - start
    lines = [f"  {Path(p).name}: {r['seconds']:.0f} s" for p, r in results.items()]
    print(f"\nran {len(results)} student editions in {wall:.0f} s wall clock (2 workers):\n" + "\n".join(lines))
    return results


@pytest.mark.slow
@pytest.mark.parametrize("target", STUDENTS + RUN_TRANSLATED,
                         ids=[f"student-{i}" for i in IDS] + [f"student-{p.parent.parent.name}-{p.stem}"
                                                              for p in RUN_TRANSLATED])
def test_student_edition_runs_to_the_end(target, edition_runs):
    """A student who skips every exercise can still "Run All": no cell raises, every self-check says
    'not yet' with its ❌ line, and the progress line at the end says which exercises are left."""
    assert target.exists(), f"{rel_path(target)} is missing: run ./course student"
    result = edition_runs[str(target)]
    roles = {int(k): v for k, v in result["roles"].items()}
    bad = [f"{target.name} cell {e['cell']} ({e['role']}): {e['ename']}: {e['evalue'][:200]}\n"
           f"    {e['source'][:120]!r}" for e in result["errors"]]
    assert not bad, "cells raised in a student's Run All:\n" + "\n".join(bad)
    assert len(result["executed"]) == result["n_code"], f"{target.name}: not every code cell ran"
    # every self-check says 'not yet' to the untouched stub: a check that passes on it checks nothing
    lang = language_of(rel_path(target))  # a translated edition speaks its language (course_utils.i18n)
    silent = sorted(i for i, role in roles.items()
                    if role == "check" and tr("❌ Not yet.", lang) not in result["texts"][str(i)])
    assert not silent, f"{target.name}: self-check cells {silent} did not show a ❌ line on the untouched stub"
    n_checks = sum(1 for role in roles.values() if role == "check")
    last = result["texts"][str(result["executed"][-1])]
    progress = tr(f"Exercises: 0 of {n_checks} pass.  ⬜ x", lang).split("  ")[0]
    assert progress in last, f"{target.name}: last cell printed {last[:300]!r}"
    if lang != "en":
        assert progress != f"Exercises: 0 of {n_checks} pass.", f"no {lang} catalog for the progress line"


# --------------------------------------------------------------------------- nbgrader


def _nbgrader(course: Path, *args, env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(env or os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


@pytest.mark.slow
def test_nbgrader_generate_assignment_and_autograde(tmp_path):
    """The instructor sources work with nbgrader: the README's grading commands, run for real."""
    demo_root = tmp_path / "demo"
    demo = make_course(demo_root)
    student.generate(demo_root)
    course = tmp_path / "course"
    (course / "source" / "demo").mkdir(parents=True)
    shutil.copy(ROOT / "tools" / "nbgrader_config.py", course / "nbgrader_config.py")  # as the README says
    shutil.copy(demo, course / "source" / "demo")
    if SOURCES:
        (course / "source" / "course").mkdir()
        for src in SOURCES:
            shutil.copy(src, course / "source" / "course")
    # release: nbgrader's own student version of every source
    _nbgrader(course, "generate_assignment", "demo", "--force")
    if SOURCES:
        _nbgrader(course, "generate_assignment", "course", "--force")
    for assignment, paths, root in (("demo", [demo], demo_root), ("course", SOURCES, ROOT)):
        for src in paths:
            release = nbformat.read(course / "release" / assignment / src.name, as_version=4)
            ours = nbformat.reads(student.render(src, root), as_version=4)
            assert BEGIN not in json.dumps(release)
            # nbgrader's release and our student edition show students the same code
            assert [c.source for c in release.cells if c.cell_type == "code"] == \
                   [c.source for c in ours.cells if c.cell_type == "code"], src.name
    # grading: a solved submission gets full marks, an untouched student edition none
    for who, submission in (("solved", demo), ("untouched", demo_root / "notebooks" / "student" / demo.name)):
        (course / "submitted" / who / "demo").mkdir(parents=True)
        shutil.copy(submission, course / "submitted" / who / "demo" / demo.name)
    env = {k: v for k, v in os.environ.items() if k != "COURSE_STRICT_CHECKS"}  # nbgrader's own mark only
    _nbgrader(course, "autograde", "demo", "--create", env=env)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {who: (gradebook.find_submission("demo", who).score, gradebook.find_submission("demo", who).max_score)
                  for who in ("solved", "untouched")}
    assert scores == {"solved": (3.0, 3.0), "untouched": (0.0, 3.0)}
    # a real course notebook, every exercise kind: the instructor edition scores full marks, the Colab
    # student edition (what students hand in) 0; autograde runs it as nbgrader does (NBGRADER_EXECUTION)
    if SOURCES:
        real = next(p for p in SOURCES if p.name.startswith(GRADED_NOTEBOOK))
        (course / "source" / "week").mkdir()
        shutil.copy(real, course / "source" / "week")
        _nbgrader(course, "generate_assignment", "week", "--force")
        for who, submission in (("solved", real), ("untouched", student.student_path(real))):
            (course / "submitted" / who / "week").mkdir(parents=True)
            shutil.copy(submission, course / "submitted" / who / "week" / real.name)
        _nbgrader(course, "autograde", "week", env=env)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            got = {who: (gradebook.find_submission("week", who).score, gradebook.find_submission("week", who).max_score)
                   for who in ("solved", "untouched")}
        n = sum(1 for c in nbformat.read(real, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade"))
        assert n >= 5 and got == {"solved": (float(n), float(n)), "untouched": (0.0, float(n))}, got
    # A translated edition grades the same without a run of its own: its cells carry the English cells' code and
    # nbgrader metadata (tools/i18n.problems, tested in tests/test_i18n.py), and its student edition runs to the
    # end with its self-checks speaking its language (test_student_edition_runs_to_the_end).
