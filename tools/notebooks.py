"""The course's notebook conventions: format, check, and re-point badges for a fork.

    python -m tools.notebooks format [PATH ...]   # canonical JSON, outputs stripped, badges/setup refreshed
    python -m tools.notebooks check  [PATH ...]   # list every broken convention (exit 1 if any)
    python -m tools.notebooks fork OWNER/NAME [--branch B]   # re-point every badge and setup cell

The conventions (README, "Contributing"):

* canonical JSON: nbformat 4.5, one-space indent, sorted keys, a cell id on every
  cell, only the metadata the course uses, ``python3`` kernelspec;
* outputs stripped (nbstripout's rules) except in cells with ``keep_output: true``;
* cell 0: a markdown title (``# ...``) and the badge row for the file's own path;
  cell 1: the setup code cell, generated here, which on Colab installs course_utils;
* every cell has ``slideshow.slide_type``;
* a code cell marked ``# extra code`` on its first line (code that is not the lesson: figure
  layout, imports, checks of a result) is slide type ``skip``, so it never takes a slide;
* every slide fits a projector (:data:`SLIDE_BUDGET`): a slide is a ``slide`` or ``subslide``
  cell with the fragments and ``-`` cells after it (``skip`` and ``notes`` cells are not shown);
* an exercise is a code cell with ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and
  nbgrader solution metadata, followed by a self-check code cell with nbgrader
  test metadata (``grade: true``) that calls ``course_utils.checks``.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
from pathlib import Path

import nbformat
import tomllib
from nbstripout import strip_output

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
CELL_METADATA_KEYS = {"slideshow", "tags", "nbgrader", "keep_output", "editable", "deletable"}
NOTEBOOK_METADATA_KEYS = {"kernelspec", "language_info", "accelerator", "colab"}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

# What one slide may hold: code lines as written (a solution counts: instructors present the
# solutions), markdown lines as shown (blank lines skipped, long lines counted as the lines they
# wrap to at MARKDOWN_WIDTH characters), and both together.
SLIDE_BUDGET = {"code": 20, "markdown": 12, "total": 26}
MARKDOWN_WIDTH = 110


# --------------------------------------------------------------------------- configuration


def repo_settings(root: Path = ROOT) -> tuple[str, str]:
    """(owner/name, branch) from ``[tool.course]`` in pyproject.toml: the one place they are set."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    course = data["tool"]["course"]
    return course["repository"], course["branch"]


def rel_path(path: Path, root: Path = ROOT) -> str:
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def colab_url(relpath: str, repo: str, branch: str) -> str:
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{relpath}"


def binder_url(relpath: str, repo: str, branch: str) -> str:
    return f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/{relpath}"


def badge_row(relpath: str, repo: str, branch: str) -> str:
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(relpath, repo, branch)}) "
        f"[![Launch Binder](https://mybinder.org/badge_logo.svg)]({binder_url(relpath, repo, branch)})"
    )


LANGUAGE_LINE = 'os.environ["COURSE_LANGUAGE"] = "{lang}"  # the language course_utils speaks in this notebook'
LANGUAGE_RE = re.compile(r'^os\.environ\["COURSE_LANGUAGE"\] = "(?P<lang>[a-z_]+)".*$', re.MULTILINE)


def language_of(relpath: str) -> str:
    """The language of a notebook, from its path: notebooks/<lang>/... (e.g. notebooks/ko/student/03_x.ipynb)."""
    parts = Path(relpath).parts
    if len(parts) >= 3 and parts[0] == "notebooks" and re.fullmatch(r"[a-z]{2,3}(_[a-z]{2,4})?", parts[1]):
        return parts[1]
    return "en"


def setup_source(repo: str, branch: str, lang: str = "en") -> str:
    return (
        "# Setup: on Colab, install the course helpers (course_utils); elsewhere this does nothing.\n"
        "import importlib.util\n"
        "import os\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        f"{LANGUAGE_LINE.format(lang=lang)}\n"
        'if importlib.util.find_spec("google.colab") and not importlib.util.find_spec("course_utils"):\n'
        "    subprocess.run(\n"
        f'        [sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/{repo}.git@{branch}"],\n'
        "        check=True,\n"
        "    )"
    )


BADGE_RE = re.compile(r"^\[!\[Open In Colab\].*$", re.MULTILINE)


# --------------------------------------------------------------------------- formatting


def trains(nb) -> bool:
    """Whether a notebook trains a model (calls ``.fit(``): such notebooks ask Colab for a GPU."""
    return any(c.cell_type == "code" and ".fit(" in c.source for c in nb.cells)


def new_id() -> str:
    return secrets.token_hex(4)


def normalise(nb, relpath: str, repo: str, branch: str):
    """Return the canonical form of a notebook (a new object; ``nb`` is not changed)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb = strip_output(nb, keep_output=False, keep_count=False, keep_id=True)
    meta = {k: v for k, v in nb.metadata.items() if k in NOTEBOOK_METADATA_KEYS}
    meta["kernelspec"] = dict(KERNELSPEC)
    meta["language_info"] = {"name": "python"}
    if trains(nb):  # ask Colab for a GPU runtime; derived from the content, so it can't go stale
        meta["accelerator"] = "GPU"
        meta["colab"] = {"gpuType": "T4", "provenance": []}
    else:
        meta.pop("accelerator", None)
        meta.pop("colab", None)
    nb.metadata = nbformat.from_dict(meta)
    seen = set()
    for cell in nb.cells:
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = new_id()
        seen.add(cell["id"])
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in CELL_METADATA_KEYS})
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
        cell.source = cell.source.rstrip()
        if cell.cell_type == "code":
            if not cell.metadata.get("keep_output"):
                cell.outputs = []
                cell.execution_count = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            if cell.cell_type != "raw":
                cell.pop("attachments", None) if not cell.get("attachments") else None
    # Badge row and setup cell are generated, never hand-edited.
    if nb.cells and nb.cells[0].cell_type == "markdown":
        row = badge_row(relpath, repo, branch)
        src = nb.cells[0].source
        nb.cells[0].source = BADGE_RE.sub(row, src) if BADGE_RE.search(src) else src + "\n\n" + row
    if len(nb.cells) > 1 and nb.cells[1].cell_type == "code":
        nb.cells[1].source = setup_source(repo, branch, language_of(relpath))
    return nb


def dumps(nb) -> str:
    return nbformat.writes(nb, version=4) + "\n"


def format_file(path: Path, repo: str | None = None, branch: str | None = None, root: Path = ROOT) -> bool:
    """Rewrite ``path`` in canonical form; True if it changed."""
    if repo is None or branch is None:
        repo, branch = repo_settings(root)
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    new = dumps(normalise(nb, rel_path(path, root), repo, branch))
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


# --------------------------------------------------------------------------- checking


EXTRA_CODE = re.compile(r"#\s*extra code\b", re.IGNORECASE)


def is_extra_code(cell) -> bool:
    """A code cell whose first line is the ``# extra code`` marker."""
    return cell.cell_type == "code" and bool(EXTRA_CODE.match(cell.source.lstrip()))


def skip_extra_code(path: Path) -> list[int]:
    """Make every ``# extra code`` cell of a notebook slide type ``skip`` (the file is rewritten in canonical
    form when any changes); returns the indices of the cells changed.  Run ``./course check`` afterwards:
    a slide that loses its first cell may now run over the slide budget."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    changed = []
    for i, cell in enumerate(nb.cells):
        if is_extra_code(cell) and cell.metadata.get("slideshow", {}).get("slide_type") != "skip":
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "skip"
            changed.append(i)
    if changed:
        path.write_text(dumps(nb), encoding="utf-8")
    return changed


def _where(path: Path, index: int, cell) -> str:
    first = cell.source.strip().splitlines()[0][:50] if cell.source.strip() else "(empty)"
    return f"{path.name} cell {index} (id {cell.get('id', '?')}, '{first}')"


def check_notebook(path: Path, root: Path = ROOT) -> list[str]:
    """Every broken convention in one notebook, each naming the notebook and the cell."""
    path = Path(path)
    repo, branch = repo_settings(root)
    relpath = rel_path(path, root)
    text = path.read_text(encoding="utf-8")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the whole check
        return [f"{path.name}: not a readable notebook ({exc})"]
    problems = []
    raw_cells = json.loads(text).get("cells", [])  # nbformat.reads fills in missing ids: look at the file
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(f"{path.name}: not valid nbformat ({exc.message})")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append(f"{path.name}: kernelspec must be python3")
    for i, cell in enumerate(nb.cells):
        where = _where(path, i, cell)
        if i < len(raw_cells) and not raw_cells[i].get("id"):
            problems.append(f"{where}: has no cell id")
        slide = cell.metadata.get("slideshow", {}).get("slide_type")
        if slide not in SLIDE_TYPES:
            problems.append(f"{where}: slideshow.slide_type is {slide!r}; use one of {sorted(SLIDE_TYPES)}")
        elif is_extra_code(cell) and slide != "skip":
            problems.append(f"{where}: an '# extra code' cell must be slide type 'skip', not {slide!r} "
                            "(python -m tools.notebooks skip-extra PATH sets it)")
        if cell.cell_type == "code" and not cell.metadata.get("keep_output"):
            if cell.get("outputs") or cell.get("execution_count") is not None:
                problems.append(f"{where}: has stored output; strip it (./course format) or mark keep_output")
    if not nb.cells or nb.cells[0].cell_type != "markdown" or not nb.cells[0].source.startswith("# "):
        problems.append(f"{path.name} cell 0: must be a markdown cell that starts with the '# ' title")
    elif badge_row(relpath, repo, branch) not in nb.cells[0].source:
        problems.append(f"{path.name} cell 0: badge row missing or not pointing at {relpath} in {repo}@{branch}")
    setup = setup_source(repo, branch, language_of(relpath))
    if len(nb.cells) < 2 or nb.cells[1].cell_type != "code" or nb.cells[1].source != setup:
        problems.append(f"{path.name} cell 1: must be the generated setup cell (run ./course format)")
    problems += check_exercises(path, nb)
    problems += check_slide_budget(path, nb)
    if not problems and dumps(normalise(nb, relpath, repo, branch)) != text:
        problems.append(f"{path.name}: not in canonical form (run ./course format)")
    return problems


def shown_lines(cell) -> int:
    """How many lines a cell takes on a slide (see :data:`SLIDE_BUDGET`)."""
    if cell.cell_type == "code":
        return len(cell.source.splitlines())
    return sum(max(1, -(-len(line) // MARKDOWN_WIDTH)) for line in cell.source.splitlines() if line.strip())


def slides(nb) -> list[list[int]]:
    """The cell indices shown on each slide, in order (skip and notes cells left out)."""
    groups: list[list[int]] = []
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide") or not groups:
            groups.append([])
        groups[-1].append(i)
    return groups


def check_slide_budget(path: Path, nb) -> list[str]:
    problems = []
    for group in slides(nb):
        code = sum(shown_lines(nb.cells[i]) for i in group if nb.cells[i].cell_type == "code")
        text = sum(shown_lines(nb.cells[i]) for i in group if nb.cells[i].cell_type == "markdown")
        over = [f"{what} {n} > {SLIDE_BUDGET[what]}" for what, n in
                (("code", code), ("markdown", text), ("total", code + text)) if n > SLIDE_BUDGET[what]]
        if over:
            cells = f"cells {group[0]}-{group[-1]}" if len(group) > 1 else f"cell {group[0]}"
            problems.append(f"{_where(path, group[0], nb.cells[group[0]])}: slide ({cells}) is over the slide "
                            f"budget ({', '.join(over)} lines): split it with a subslide, shorten it, or move "
                            "detail into speaker notes")
    return problems


def exercise_cells(nb) -> list[tuple[int, int]]:
    """(solution cell index, self-check cell index) for every exercise."""
    pairs = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and BEGIN in cell.source:
            j = next((k for k in range(i + 1, len(nb.cells)) if nb.cells[k].cell_type == "code"), None)
            pairs.append((i, j))
    return pairs


def check_exercises(path: Path, nb) -> list[str]:
    problems, ids = [], set()
    for i, j in exercise_cells(nb):
        cell = nb.cells[i]
        where = _where(path, i, cell)
        if cell.source.count(BEGIN) != cell.source.count(END):
            problems.append(f"{where}: every {BEGIN} needs its {END}")
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("solution") is True and meta.get("grade") is False and meta.get("grade_id")):
            problems.append(f"{where}: exercise cell needs nbgrader metadata "
                            "{solution: true, grade: false, grade_id: ...}")
        if j is None:
            problems.append(f"{where}: exercise has no self-check cell after it")
            continue
        check = nb.cells[j]
        cwhere = _where(path, j, check)
        cmeta = check.metadata.get("nbgrader", {})
        if not (cmeta.get("grade") is True and cmeta.get("solution") is False and cmeta.get("grade_id")
                and cmeta.get("points")):
            problems.append(f"{cwhere}: self-check cell needs nbgrader test metadata "
                            "{grade: true, solution: false, points: N, grade_id: ...}")
        if "check" not in check.source or BEGIN in check.source:
            problems.append(f"{cwhere}: the cell after an exercise must call its self-check from course_utils.checks")
        for m in (meta, cmeta):
            gid = m.get("grade_id")
            if gid and gid in ids:
                problems.append(f"{path.name}: grade_id {gid!r} is used twice")
            ids.add(gid)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" and BEGIN in cell.source:
            problems.append(f"{_where(path, i, cell)}: solution markers belong in code cells")
    return problems


def is_instructor_notebook(path: Path) -> bool:
    """notebooks/NN_x.ipynb or a translation's notebooks/<lang>/NN_x.ipynb (not a student edition)."""
    path = Path(path)
    return path.parent.name == "notebooks" or (path.parent.parent.name == "notebooks"
                                               and language_of(f"notebooks/{path.parent.name}/{path.name}") != "en")


def source_notebooks(root: Path = ROOT) -> list[Path]:
    """The instructor (source) notebooks: notebooks/NN_*.ipynb, not the generated editions."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


# --------------------------------------------------------------------------- fork


def fork(new_repo: str, branch: str | None = None, root: Path = ROOT) -> list[Path]:
    """Point the course at another GitHub repository: pyproject, README and every notebook."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", new_repo):
        raise SystemExit(f"error: {new_repo!r} is not OWNER/NAME (for example: my-school/cnn-course)")
    old_repo, old_branch = repo_settings(root)
    branch = branch or old_branch
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^repository = ".*"$', f'repository = "{new_repo}"', text)
    text = re.sub(r'(?m)^branch = ".*"$', f'branch = "{branch}"', text)
    pyproject.write_text(text, encoding="utf-8")
    changed = [pyproject]
    for readme in sorted(root.glob("README*.md")):  # README.md and its translations (README.ko.md)
        old = readme.read_text(encoding="utf-8")
        new = old.replace(f"{old_repo}/blob/{old_branch}/", f"{new_repo}/blob/{branch}/")
        new = new.replace(f"gh/{old_repo}/{old_branch}", f"gh/{new_repo}/{branch}")
        new = new.replace(f"github.com/{old_repo}", f"github.com/{new_repo}").replace(old_repo, new_repo)
        if new != old:
            readme.write_text(new, encoding="utf-8")
            changed.append(readme)
    for nb in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in nb.parts and format_file(nb, new_repo, branch, root):
            changed.append(nb)
    return changed


# --------------------------------------------------------------------------- command line


def _paths(args) -> list[Path]:
    if args:
        return [Path(a) for a in args]
    return sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("format", help="rewrite notebooks in canonical form")
    p.add_argument("paths", nargs="*")
    p = sub.add_parser("check", help="report broken conventions")
    p.add_argument("paths", nargs="*")
    p = sub.add_parser("skip-extra", help="make every '# extra code' cell slide type 'skip'")
    p.add_argument("paths", nargs="+")
    p = sub.add_parser("fork", help="point every badge and setup cell at OWNER/NAME")
    p.add_argument("repo")
    p.add_argument("--branch")
    args = parser.parse_args(argv)
    if args.command == "format":
        for path in _paths(args.paths):
            if format_file(path):
                print(f"formatted {rel_path(path)}")
        return 0
    if args.command == "check":
        problems = [p for path in _paths(args.paths) if is_instructor_notebook(path)
                    for p in check_notebook(path)]
        print("\n".join(problems) if problems else "all notebooks follow the conventions")
        return 1 if problems else 0
    if args.command == "skip-extra":
        for path in _paths(args.paths):
            changed = skip_extra_code(path)
            print(f"{rel_path(path)}: " + (f"cells {changed} are now 'skip'" if changed else "nothing to change"))
        return 0
    for path in fork(args.repo, args.branch):
        print(f"updated {rel_path(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
