"""Translations of the notebooks' prose, kept beside the English source and tied to it.

    python -m tools.i18n build   [--lang ko]     # write notebooks/<lang>/NN_x.ipynb and notebooks/<lang>/student/
    python -m tools.i18n status  [--lang ko]     # missing / stale / orphan blocks per notebook (exit 1 if any)
    python -m tools.i18n skeleton notebooks/NN_x.ipynb > i18n/ko/NN_x.md
    python -m tools.i18n messages [--lang ko] [--po]   # course_utils messages not translated yet

(``./course i18n ...`` runs this; ``python tools/i18n.py skeleton ...`` works too.)

A translation file ``i18n/<lang>/<notebook stem>.md`` holds one block per markdown cell of the English notebook:

    <!-- cell <cell id> en:<fingerprint> -->
    <the translated markdown>

The fingerprint is the first 12 hex digits of the SHA-256 of the English cell's source (UTF-8) the translation
was made from, so a later change of the English cell shows as a stale translation. (The title cell's generated
badge row is left out of the text and of its fingerprint; a fingerprint of the whole title cell is accepted too.)

The generator copies the English notebook (cell ids, metadata, slide structure, code) and replaces each
markdown cell by its translation; the one difference in code is the setup cell's language line
(``os.environ["COURSE_LANGUAGE"] = "<lang>"``), written by the course formatter from the notebook's path
(``tools.notebooks.language_of``). The student edition is made from the translated instructor edition by
``tools.student``. Another language needs only a folder
``i18n/<lang>/`` of translation files (and, for the course's messages, ``course_utils/locale/<lang>/``;
i18n/README.md).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python tools/i18n.py ...
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nbformat  # noqa: E402

from tools.notebooks import (  # noqa: E402
    BADGE_RE,
    LANGUAGE_RE,
    ROOT,
    dumps,
    language_of,
    normalise,
    rel_path,
    repo_settings,
    source_notebooks,
)

HEADER = re.compile(r"^<!-- cell (?P<id>[A-Za-z0-9_-]+) en:(?P<fp>[0-9a-f]{12}) -->$")
I18N_DIR = "i18n"


def fingerprint(text: str) -> str:
    """The fingerprint of an English cell's source."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def without_badges(text: str) -> str:
    """A cell's source less the generated badge row (title cell): what a translator translates."""
    return BADGE_RE.sub("", text).strip()


def cell_fingerprint(text: str) -> str:
    """The fingerprint a translation block's header carries: of the source less its badge row, so that
    ``./course fork`` (which re-points the badge row) does not make the title's translation stale."""
    return fingerprint(without_badges(text)) if BADGE_RE.search(text) else fingerprint(text)


def accepted_fingerprints(text: str) -> set[str]:
    """The fingerprints that match an English cell: :func:`cell_fingerprint`, and for a title cell also the
    fingerprint of its whole source (as the first skeletons wrote it)."""
    return {cell_fingerprint(text), fingerprint(text)}


def cell_text(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def skeleton(notebook: Path) -> str:
    """A translation file's blocks, each holding the English text still to be translated."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    blocks = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = cell_text(cell)
            blocks.append(f"<!-- cell {cell['id']} en:{cell_fingerprint(text)} -->\n{without_badges(text)}\n")
    return "\n".join(blocks)


# --------------------------------------------------------------------------- reading translation files


class TranslationError(ValueError):
    """A translation file that cannot be read; the message names the file and line."""


@dataclass
class Block:
    cell_id: str
    fp: str
    text: str
    line: int


def parse(text: str, where: str = "translation") -> list[Block]:
    """The blocks of a translation file, in file order."""
    blocks: list[Block] = []
    lines = text.splitlines()
    current: Block | None = None
    body: list[str] = []
    for n, line in enumerate(lines, 1):
        m = HEADER.match(line.strip())
        if m:
            if current is not None:
                current.text = "\n".join(body).strip()
                blocks.append(current)
            current, body = Block(m["id"], m["fp"], "", n), []
        elif line.strip().startswith("<!-- cell "):
            raise TranslationError(f"{where}:{n}: a malformed cell header {line.strip()[:80]!r}; write "
                                   "'<!-- cell <cell id> en:<12 hex digits> -->' (./course i18n skeleton writes them)")
        elif current is None:
            if line.strip() and not (line.strip().startswith("<!--") and line.strip().endswith("-->")):
                raise TranslationError(f"{where}:{n}: text before the first '<!-- cell ... -->' header")
        else:
            body.append(line)
    if current is not None:
        current.text = "\n".join(body).strip()
        blocks.append(current)
    return blocks


def languages(root: Path = ROOT) -> list[str]:
    """The languages with translation files: the folders i18n/<lang>/ that hold a .md file."""
    folder = Path(root) / I18N_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_dir() and language_of(f"notebooks/{p.name}/x") == p.name and any(p.glob("*.md")))


def translation_path(english: Path, lang: str, root: Path = ROOT) -> Path:
    return Path(root) / I18N_DIR / lang / f"{Path(english).stem}.md"


def target_path(english: Path, lang: str, root: Path = ROOT) -> Path:
    """notebooks/NN_x.ipynb -> notebooks/<lang>/NN_x.ipynb"""
    return Path(root) / "notebooks" / lang / Path(english).name


def student_target(english: Path, lang: str, root: Path = ROOT) -> Path:
    from tools.student import student_path

    return student_path(target_path(english, lang, root), root)


# --------------------------------------------------------------------------- status


@dataclass
class Status:
    english: Path
    lang: str
    exists: bool
    missing: list          # [(cell id, English fingerprint, first words)]
    stale: list            # [(cell id, fingerprint translated from, English fingerprint now)]
    orphan: list           # [cell id]: no such markdown cell in the English notebook
    duplicate: list        # [cell id]: two blocks for one cell
    unchanged: list        # [cell id]: the block still holds the English text (a note, not a failure)
    n_cells: int

    @property
    def ok(self) -> bool:
        return self.exists and not (self.missing or self.stale or self.orphan or self.duplicate)

    def lines(self, root: Path = ROOT) -> list[str]:
        name = f"{self.english.stem} ({self.lang})"
        if not self.exists:
            return [f"{name}: no translation file {rel_path(translation_path(self.english, self.lang, root), root)} "
                    f"({self.n_cells} markdown cells): ./course i18n skeleton {rel_path(self.english, root)}"]
        head = (f"{name}: {self.n_cells} markdown cells, {len(self.missing)} missing, {len(self.stale)} stale, "
                f"{len(self.orphan)} orphan" + (f", {len(self.duplicate)} duplicate" if self.duplicate else "")
                + (f" ({len(self.unchanged)} still English)" if self.unchanged else ""))
        out = [head]
        out += [f"  missing   cell {cid} en:{fp}  {words!r}" for cid, fp, words in self.missing]
        out += [f"  stale     cell {cid}: translated from en:{old}, the English cell is now en:{new}"
                for cid, old, new in self.stale]
        out += [f"  orphan    cell {cid}: no markdown cell with this id in {rel_path(self.english, root)}"
                for cid in self.orphan]
        out += [f"  duplicate cell {cid}: more than one block" for cid in self.duplicate]
        return out


def status(english: Path, lang: str, root: Path = ROOT) -> Status:
    english = Path(english)
    nb = nbformat.read(english, as_version=4)
    cells = [(c.id, cell_text(c)) for c in nb.cells if c.cell_type == "markdown"]
    path = translation_path(english, lang, root)
    if not path.exists():
        return Status(english, lang, False, [], [], [], [], [], len(cells))
    blocks = parse(path.read_text(encoding="utf-8"), rel_path(path, root))
    by_id: dict[str, Block] = {}
    duplicate = []
    for b in blocks:
        if b.cell_id in by_id:
            duplicate.append(b.cell_id)
        by_id[b.cell_id] = b
    english_ids = {cid for cid, _ in cells}
    missing, stale, unchanged = [], [], []
    for cid, text in cells:
        fp = cell_fingerprint(text)
        b = by_id.get(cid)
        if b is None or not b.text:
            missing.append((cid, fp, " ".join(text.split()[:6])))
        elif b.fp not in accepted_fingerprints(text):
            stale.append((cid, b.fp, fp))
        elif b.text == without_badges(text) and re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}\s+[A-Za-z]{3,}", text):
            unchanged.append(cid)
    orphan = [b.cell_id for b in blocks if b.cell_id not in english_ids]
    return Status(english, lang, True, missing, stale, orphan, duplicate, unchanged, len(cells))


# --------------------------------------------------------------------------- generating


def set_language(source: str, lang: str) -> str:
    """The generator's one change to code: the setup cell's language line."""
    return LANGUAGE_RE.sub(lambda m: m.group(0).replace(f'"{m["lang"]}"', f'"{lang}"', 1), source)


def translated(english: Path, lang: str, root: Path = ROOT):
    """The translated instructor notebook (an nbformat node; markdown cells without a translation stay English)."""
    english = Path(english)
    nb = nbformat.read(english, as_version=4)
    path = translation_path(english, lang, root)
    blocks = {}
    if path.exists():
        blocks = {b.cell_id: b for b in parse(path.read_text(encoding="utf-8"), rel_path(path, root))}
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.id in blocks and blocks[cell.id].text:
            cell.source = blocks[cell.id].text
        elif cell.cell_type == "code":
            cell.source = set_language(cell.source, lang)
    repo, branch = repo_settings(root)
    return normalise(nb, rel_path(target_path(english, lang, root), root), repo, branch)


def render(english: Path, lang: str, root: Path = ROOT) -> str:
    """The exact text of the translated instructor edition (nothing is written)."""
    return dumps(translated(english, lang, root))


def render_student(english: Path, lang: str, root: Path = ROOT, instructor_text: str | None = None) -> str:
    """The exact text of the translated student edition, made from the translated instructor edition."""
    import tempfile

    from tools.student import render as student_render

    target = target_path(english, lang, root)
    text = instructor_text if instructor_text is not None else render(english, lang, root)
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return student_render(target, root)
    # render from the would-be instructor edition without writing it: a temporary course with the same paths
    with tempfile.TemporaryDirectory() as tmp:
        troot = Path(tmp)
        (troot / "pyproject.toml").write_text((Path(root) / "pyproject.toml").read_text(encoding="utf-8"),
                                              encoding="utf-8")
        tpath = troot / target.relative_to(Path(root))
        tpath.parent.mkdir(parents=True)
        tpath.write_text(text, encoding="utf-8")
        return student_render(tpath, troot)


def _write(path: Path, text: str, changed: list[Path]) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(path)


def build(root: Path = ROOT, langs: list[str] | None = None) -> list[Path]:
    """Write every translated instructor and student edition; remove those whose English notebook is gone."""
    changed: list[Path] = []
    sources = source_notebooks(root)
    for lang in langs or languages(root):
        for english in sources:
            if not translation_path(english, lang, root).exists():
                continue
            text = render(english, lang, root)
            _write(target_path(english, lang, root), text, changed)
            _write(student_target(english, lang, root), render_student(english, lang, root, text), changed)
        names = {p.name for p in sources}
        for folder in (Path(root) / "notebooks" / lang, Path(root) / "notebooks" / lang / "student"):
            for stale in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
                if stale.name not in names:
                    stale.unlink()
                    changed.append(stale)
    return changed


# --------------------------------------------------------------------------- the sync check


def code_differences(english_nb, translated_nb, lang: str, label: str = "") -> list[str]:
    """Where a translated notebook's structure or code differs from the English one (after the one substitution)."""
    where = f"{label}: " if label else ""
    en, tr = english_nb.cells, translated_nb.cells
    if [c.id for c in en] != [c.id for c in tr]:
        return [f"{where}the cell ids differ from the English notebook's (cells added, removed or reordered)"]
    found = []
    for i, (e, t) in enumerate(zip(en, tr)):
        if e.cell_type != t.cell_type:
            found.append(f"{where}cell {i} (id {e.id}) is {t.cell_type}, in English {e.cell_type}")
        elif e.metadata != t.metadata:
            found.append(f"{where}cell {i} (id {e.id}): metadata differ from the English cell's")
        elif e.cell_type == "code" and t.source != set_language(e.source, lang):
            found.append(f"{where}code cell {i} (id {e.id}) differs from the English code cell")
    return found


def problems(root: Path = ROOT, langs: list[str] | None = None) -> list[str]:
    """Everything out of sync: translations missing or stale, generated notebooks missing, out of date, or with
    code that differs from the English code. Empty: in sync."""
    found = []
    for lang in langs or languages(root):
        for english in source_notebooks(root):
            st = status(english, lang, root)
            if not st.ok:
                found += st.lines(root)
    return found + notebook_problems(root, langs)


def notebook_problems(root: Path = ROOT, langs: list[str] | None = None) -> list[str]:
    """The generated notebooks: missing, out of date, or with structure or code that differs from the English."""
    from tools.student import render as student_render
    from tools.student import student_path

    found = []
    for lang in langs or languages(root):
        for english in source_notebooks(root):
            st = status(english, lang, root)
            target = target_path(english, lang, root)
            if not target.exists():
                if st.exists:
                    found.append(f"{rel_path(target, root)}: missing (run ./course i18n build)")
                continue
            en_nb = nbformat.read(english, as_version=4)
            for path in (target, student_path(target, root)):
                if not path.exists():
                    found.append(f"{rel_path(path, root)}: missing (run ./course i18n build)")
                    continue
                # the English student edition as tools.student would write it (a stale committed one is
                # tests/test_student_editions.py's finding, not a translation's)
                other = en_nb if path == target else nbformat.reads(student_render(english, root), as_version=4)
                found += code_differences(other, nbformat.read(path, as_version=4), lang, rel_path(path, root))
            text = render(english, lang, root)
            if target.read_text(encoding="utf-8") != text:
                found.append(f"{rel_path(target, root)}: out of date with {rel_path(english, root)} and its "
                             "translation (run ./course i18n build)")
            stud = student_path(target, root)
            if stud.exists() and stud.read_text(encoding="utf-8") != render_student(english, lang, root, text):
                found.append(f"{rel_path(stud, root)}: out of date (run ./course i18n build)")
    return found


# --------------------------------------------------------------------------- course_utils messages


MESSAGE_SOURCES = ("course_utils/checks/*.py", "course_utils/widgets.py", "course_utils/errors.py",
                   "course_utils/data.py", "course_utils/datasets/*.py")


def _placeholder(expr: ast.AST) -> str:
    name = re.sub(r"\W+", "_", ast.unparse(expr)).strip("_") or "value"
    return name if name[0].isalpha() else f"v_{name}"


def template_of(node: ast.AST) -> str | None:
    """The catalog template of a string constant or an f-string (``{expression}`` -> ``{name}``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if not isinstance(node, ast.JoinedStr):
        return None
    parts, names = [], {}
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
        elif isinstance(value, ast.FormattedValue):
            src = ast.unparse(value.value)
            if src not in names:
                base, name, k = _placeholder(value.value), _placeholder(value.value), 2
                while name in names.values():
                    name, k = f"{base}_{k}", k + 1
                names[src] = name
            parts.append("{" + names[src] + "}")
    return "".join(parts)


def _is_message(template: str) -> bool:
    words = re.findall(r"[A-Za-z]{2,}", re.sub(r"\{[^}]*\}", " ", template))
    return len(words) >= 2 and " " in template and not template.lstrip().startswith(("<", "%", "#"))


def extract_messages(root: Path = ROOT) -> dict[str, list[tuple[str, int]]]:
    """``{catalog name: [(template, line), ...]}``: the user-facing strings of the course_utils modules."""
    found: dict[str, list[tuple[str, int]]] = {}
    files = sorted({p for pattern in MESSAGE_SOURCES for p in Path(root).glob(pattern)})
    for path in files:
        if path.name == "cli.py":  # terminal commands: no notebook chooses their language
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        inside_fstring = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in ast.walk(n)
                          if v is not n}
        catalog = path.stem if path.parent.name == "checks" and path.stem != "__init__" else "messages"
        for node in ast.walk(tree):
            if id(node) in docstrings or id(node) in inside_fstring:
                continue
            template = template_of(node)
            if template and _is_message(template):
                found.setdefault(catalog, []).append((template, node.lineno, rel_path(path, root)))
    return found


def untranslated(lang: str, root: Path = ROOT) -> dict[str, list[tuple[str, int, str]]]:
    """The extracted messages the catalogs of ``lang`` do not translate (templates filled with markers)."""
    from course_utils import i18n as cu

    cu.reload()
    out: dict[str, list] = {}
    for name, items in extract_messages(root).items():
        seen = set()
        for template, line, file in items:
            if template in seen:
                continue
            seen.add(template)
            sample = re.sub(r"\{([A-Za-z_]\w*)\}", lambda m: f"<{m[1]}>", template)
            sample = sample.replace("{{", "{").replace("}}", "}")
            if cu.tr(sample, lang) == sample:
                out.setdefault(name, []).append((template, line, file))
    return out


def _po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# --------------------------------------------------------------------------- command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.i18n", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("build", "write the translated notebooks and their student editions"),
                       ("status", "list missing, stale and orphan translation blocks (exit 1 if any)"),
                       ("messages", "list course_utils messages the catalogs do not translate yet")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--lang", action="append", help="a language (default: every folder in i18n/)")
        if name == "messages":
            p.add_argument("--po", action="store_true", help="print PO entries with empty msgstr")
    p = sub.add_parser("skeleton", help="a translation file's blocks with the English text, for a notebook")
    p.add_argument("notebook", type=Path)
    args = parser.parse_args(argv)
    if args.command == "skeleton":
        if not args.notebook.exists():
            print(f"error: no such notebook: {args.notebook}", file=sys.stderr)
            return 2
        sys.stdout.write(skeleton(args.notebook))
        return 0
    langs = args.lang or languages()
    if not langs:
        print(f"no translations: make a folder {I18N_DIR}/<lang>/ with files from ./course i18n skeleton")
        return 0
    bad = [lang for lang in langs if language_of(f"notebooks/{lang}/x") != lang]
    if bad:
        print(f"error: {bad[0]!r} is not a language code (two or three lower-case letters, e.g. ko)", file=sys.stderr)
        return 2
    try:
        if args.command == "build":
            changed = build(langs=langs)
            for path in changed:
                print(f"{'wrote' if path.exists() else 'removed'} {rel_path(path)}")
            for lang in langs:
                n = len(list((ROOT / "notebooks" / lang).glob("[0-9][0-9]_*.ipynb")))
                print(f"{lang}: {n} notebooks in notebooks/{lang}/ and notebooks/{lang}/student/ "
                      f"({sum(1 for p in changed if f'notebooks/{lang}/' in rel_path(p))} files changed)")
            incomplete = [s for lang in langs for e in source_notebooks() if not (s := status(e, lang)).ok]
            if incomplete:
                print(f"note: {len(incomplete)} notebook(s) have missing or stale blocks (English text is used for "
                      "missing ones): ./course i18n status")
            return 0
        if args.command == "status":
            ok = True
            for lang in langs:
                for english in source_notebooks():
                    st = status(english, lang)
                    ok &= st.ok
                    print("\n".join(st.lines()))
            found = notebook_problems(langs=langs)
            if found:
                print("\n".join(found))
            return 0 if ok and not found else 1
        # messages
        for lang in langs:
            for name, items in sorted(untranslated(lang).items()):
                print(f"# {lang}: course_utils/locale/{lang}/{name}.po - {len(items)} untranslated")
                for template, line, file in items:
                    if args.po:
                        print(f"#: {file}:{line}\nmsgid {_po_quote(template)}\nmsgstr \"\"\n")
                    else:
                        print(f"  {file}:{line}: {template}")
        return 0
    except TranslationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
