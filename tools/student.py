"""Student editions of the notebooks: the exercises without their solutions.

    python -m tools.student            # (re)write notebooks/student/NN_*.ipynb from notebooks/NN_*.ipynb
    python -m tools.student --check    # exit 1 if a committed student edition differs from what
                                       # would be generated (stale, missing, or without a source)

(``./course student`` runs this.)  A student edition is its source notebook with

* every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` replaced by
  ``# YOUR CODE HERE`` + ``pass`` (at the marker's indentation; the stub is set in
  ``tools/nbgrader_config.py``, the file instructors grade with, and does not raise, so
  "Run All" goes on past an exercise left undone),
  by nbgrader's own :class:`~nbgrader.preprocessors.ClearSolutions` - the very code that
  ``nbgrader generate_assignment`` runs, so the Colab handout and an nbgrader release
  show students the same stub;
* hidden-test and mark-scheme regions removed (nbgrader's ``ClearHiddenTests`` and
  ``ClearMarkScheme``; no-ops unless a notebook uses them);
* outputs stripped and the badge row re-pointed at the student file's own path by the
  course formatter (``tools.notebooks``), which derives it from the path (the setup cell
  depends only on the repository and branch, so it is the same in both editions).

Everything else - cell ids, slide metadata, nbgrader metadata, the self-check cells - is
identical, so an edition stays reviewable as a diff and nbgrader matches cells by id.

Deliberately NOT used: ``LockCells`` (students on Colab may edit or re-run anything; an
instructor who grades with nbgrader gets locked cells from ``nbgrader generate_assignment``
on the sources), ``IncludeHeaderFooter`` (no header), ``ComputeChecksums`` (only meaningful
in nbgrader's own release/database), and nbconvert's ``ClearOutput`` (the formatter already
strips every output with nbstripout's rules; ``ClearOutput`` would also drop the outputs of
cells the source deliberately marks ``keep_output``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat

from .notebooks import BEGIN, END, ROOT, dumps, format_file, normalise, rel_path, repo_settings, source_notebooks

STUDENT_DIR = "student"
NBGRADER_CONFIG = Path(__file__).with_name("nbgrader_config.py")


def _code_stub() -> str:
    """The stub that replaces a solution: read from the nbgrader config instructors grade with."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(NBGRADER_CONFIG.name, path=str(NBGRADER_CONFIG.parent)).load_config()
    return config.ClearSolutions.code_stub["python"]


CODE_STUB = _code_stub()


def student_path(source: Path, root: Path = ROOT) -> Path:
    """notebooks/NN_x.ipynb -> notebooks/student/NN_x.ipynb; a translation's notebooks/ko/NN_x.ipynb ->
    notebooks/ko/student/NN_x.ipynb (the student edition sits beside its instructor edition)."""
    source = Path(source)
    if source.parent.name != "notebooks" and source.parent.parent.name == "notebooks":
        return Path(root) / "notebooks" / source.parent.name / STUDENT_DIR / source.name
    return Path(root) / "notebooks" / STUDENT_DIR / source.name


def clear_solutions(nb):
    """Return a copy of ``nb`` with solutions, hidden tests and mark schemes removed (nbgrader's code)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    resources: dict = {}
    for pre in (ClearSolutions(code_stub={"python": CODE_STUB}, enforce_metadata=True),
                ClearHiddenTests(enforce_metadata=True), ClearMarkScheme(enforce_metadata=True)):
        nb, resources = pre.preprocess(nb, resources)
    return nb


def render(source: Path, root: Path = ROOT) -> str:
    """The exact text of the student edition of ``source`` (nothing is written)."""
    source = Path(source)
    nb = nbformat.reads(source.read_text(encoding="utf-8"), as_version=4)
    try:
        student = clear_solutions(nb)
    except RuntimeError as exc:  # nbgrader's message, plus which notebook
        raise SystemExit(f"error: {rel_path(source, root)}: {exc} (fix the solution markers or metadata)") from None
    repo, branch = repo_settings(root)
    return dumps(normalise(student, rel_path(student_path(source, root), root), repo, branch))


def orphans(root: Path = ROOT) -> list[Path]:
    """Student editions whose source notebook no longer exists."""
    names = {p.name for p in source_notebooks(root)}
    folder = Path(root) / "notebooks" / STUDENT_DIR
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.name not in names)


def generate(root: Path = ROOT) -> list[Path]:
    """Write every student edition; remove editions whose source is gone. Returns the changed paths."""
    changed = []
    for source in source_notebooks(root):
        target = student_path(source, root)
        text = render(source, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
        # The formatter is the authority on canonical form; render() already applied it, so this
        # is a no-op unless the two ever drift apart (then --check reports it straight away).
        if format_file(target, root=root) and target not in changed:
            changed.append(target)
    for stale in orphans(root):
        stale.unlink()
        changed.append(stale)
    return changed


def problems(root: Path = ROOT) -> list[str]:
    """Why the committed student editions differ from what ``generate`` would write (empty: up to date)."""
    found = []
    for source in source_notebooks(root):
        target = student_path(source, root)
        if not target.exists():
            found.append(f"{rel_path(target, root)}: missing (source {rel_path(source, root)})")
        elif target.read_text(encoding="utf-8") != render(source, root):
            found.append(f"{rel_path(target, root)}: out of date with {rel_path(source, root)}")
    found += [f"{rel_path(p, root)}: has no source notebook {p.name} in notebooks/" for p in orphans(root)]
    return found


# --------------------------------------------------------------------------- running an edition


def exercise_roles(nb) -> dict[int, str]:
    """Cell index -> "solution" or "check" for the exercise cells (from their nbgrader metadata)."""
    roles = {}
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            roles[i] = "solution"
        elif meta.get("grade"):
            roles[i] = "check"
    return roles


def run_edition(path: str | Path, timeout: int = 600, strict: bool = False) -> dict:
    """Execute a notebook as a student would (cwd = its folder), carrying on past errors.

    Returns ``{"path", "seconds", "errors": [{"cell", "role", "ename", "evalue"}], "roles": {...},
    "texts": {cell: printed text}, "executed": [cell indices]}`` where ``role`` is "solution", "check"
    or "other". Quick mode comes from the environment (``./course test`` sets ``COURSE_QUICK=1``).
    The self-checks behave as in a student's kernel (a miss prints its line) unless ``strict``
    (a miss raises, as under nbgrader).
    """
    import os
    import time

    from nbclient import NotebookClient

    from course_utils.checks import GRADER_ENV, STRICT_ENV

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    roles = exercise_roles(nb)
    env = {k: v for k, v in os.environ.items() if k not in (STRICT_ENV, GRADER_ENV, "PYTEST_CURRENT_TEST")}
    if strict:
        env[STRICT_ENV] = "1"
    start = time.monotonic()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    errors, texts, executed = [], {}, []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is not None:
            executed.append(i)
        text = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append({"cell": i, "role": roles.get(i, "other"), "ename": out.get("ename"),
                               "evalue": out.get("evalue", ""), "source": cell.source[:200]})
            elif out.get("output_type") == "stream":
                text.append(out.get("text", ""))
        texts[str(i)] = "".join(text)
    return {"path": str(path), "seconds": time.monotonic() - start, "errors": errors,
            "roles": {str(k): v for k, v in roles.items()}, "texts": texts, "executed": executed,
            "n_code": sum(1 for c in nb.cells if c.cell_type == "code")}


def solution_lines(source_text: str) -> list[str]:
    """The non-blank lines strictly between solution markers in a cell's source."""
    lines, inside = [], False
    for line in source_text.splitlines():
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside and line.strip():
            lines.append(line)
    return lines


# --------------------------------------------------------------------------- command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.student", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="don't write; exit 1 if a committed student edition is not what would be generated")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        if found:
            print("\n".join(found))
            print("run ./course student to regenerate, then commit notebooks/student/")
            return 1
        print(f"all {len(source_notebooks())} student editions are up to date")
        return 0
    changed = generate()
    for path in changed:
        print(f"{'wrote' if path.exists() else 'removed'} {rel_path(path)}")
    print(f"{len(source_notebooks())} student editions in notebooks/{STUDENT_DIR}/ ({len(changed)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
