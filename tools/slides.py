"""Offline reveal.js slides of the notebooks.

    python -m tools.slides                    # every notebook, executed in quick mode -> build/slides/
    python -m tools.slides notebooks/03_pooling.ipynb --full   # one deck, full-mode figures
    python -m tools.slides --no-execute       # fast: the cells' stored outputs only (no figures)
    python -m tools.slides --solutions        # keep exercise solutions on the slides (instructor deck)
    python -m tools.slides --lang ko          # only the Korean decks (notebooks/ko/ -> NN_x.ko.slides.html)

(``./course slides`` runs this.)  Open ``build/slides/index.html`` or a deck in any browser: no
internet is needed. Press ``s`` for the speaker view (notes, timer, next slide), ``f`` for full
screen, ``Esc`` for the overview. Copy the whole ``build/slides`` folder (decks + ``assets/``) to
the classroom machine.

What makes the decks work offline:

* reveal.js (with its notes plugin and the non-Google-font themes) and MathJax 3 come from the
  npm registry once, pinned by version and sha512, cached in ``build/vendor/`` and copied to
  ``build/slides/assets/``; with no npm, put the two tarballs named in ``PACKAGES`` into
  ``build/vendor/`` by hand;
* nbconvert's reveal template is used with its CDN parts replaced (see ``TEMPLATE``): no
  require.js, jQuery, mermaid or widget-manager downloads, and MathJax 3 (SVG output, one
  self-contained file, menu off so it never fetches accessibility add-ons) instead of MathJax 2
  from cdnjs;
* the badge row (remote badge images, useless on a slide) is dropped from the title cell.

Decks are exported from *executed* notebooks so that figures and printed numbers appear:
quick mode (``COURSE_QUICK=1``: small subsets, 1-2 epochs) by default, ``--full`` for the
real run. Exercise cells show what students see (the ``# YOUR CODE HERE`` stub, no output,
and no self-check output) unless ``--solutions`` is given; the notebook is still executed with
the solutions, so every later figure is there.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat

from .notebooks import BADGE_RE, ROOT, language_of, rel_path, source_notebooks

VENDOR = ROOT / "build" / "vendor"
OUT = ROOT / "build" / "slides"
# npm package -> (version, the registry's sha512 integrity, files to copy into assets/<package>/)
PACKAGES = {
    "reveal.js": ("5.2.1",
                  "sha512-r7//6mIM5p34hFiDMvYfXgyjXqGRta+/psd9YtytsgRlrpRzFv4RbH76TXd2qD+7ZPZEbpBDhdRhJaFgfQ7zNQ==",
                  ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/reset.css", "dist/theme/",
                   "plugin/notes/notes.js")),
    "mathjax": ("3.2.2",
                "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
                ("LICENSE", "es5/tex-svg-full.js")),
}
WIDTH, HEIGHT = 1280, 800

# nbconvert's reveal template (templates/reveal/index.html.j2) with every CDN reference replaced.
TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true},
  options: {enableMenu: false, ignoreHtmlClass: 'tex2jax_ignore', processHtmlClass: 'tex2jax_process'},
  svg: {fontCache: 'global'}
};
</script>
<script src="{{ resources.course_assets }}/mathjax/es5/tex-svg-full.js"></script>
{%- endblock html_head_js_mathjax -%}
{%- block html_head_css -%}
<style>.reveal .slides section h1, .reveal .slides section h2,
.reveal .slides section h3, .reveal .slides section h4 { text-transform: none; }</style>
{%- endblock html_head_css -%}
{% block footer_js %}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true, progress: true, history: true, center: false,
  transition: "{{ resources.reveal.transition }}",
  slideNumber: "c/t",
  width: {{ resources.course_width }}, height: {{ resources.course_height }},
  plugins: [RevealNotes]
});
</script>
{% endblock footer_js %}
"""


class SlidesError(RuntimeError):
    """An export that cannot go on; the message says what to do."""


# --------------------------------------------------------------------------- assets


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def tarball(name: str, vendor: Path = VENDOR) -> Path:
    """The pinned npm tarball of ``name``, from the cache or fetched once with ``npm pack``."""
    version, integrity, _ = PACKAGES[name]
    path = vendor / f"{name}-{version}.tgz"
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SlidesError(
                f"{name} {version} is not cached in {vendor} and npm is not installed. Install Node.js "
                f"(it brings npm) and run again, or copy {path.name} (from `npm pack {name}@{version}` on "
                f"another machine) into {vendor}/.")
        vendor.mkdir(parents=True, exist_ok=True)
        try:
            run = subprocess.run([npm, "pack", f"{name}@{version}", "--pack-destination", str(vendor), "--silent"],
                                 capture_output=True, text=True, timeout=600)
        except (subprocess.TimeoutExpired, OSError) as exc:
            raise SlidesError(f"`npm pack {name}@{version}` did not finish ({exc}): is the npm registry reachable? "
                              f"Or copy {path.name} (from `npm pack` on another machine) into {vendor}/.") from None
        if run.returncode != 0 or not path.exists():
            raise SlidesError(f"`npm pack {name}@{version}` failed (is the npm registry reachable?):\n"
                              f"{run.stderr.strip()[-800:]}")
    if _integrity(path) != integrity:
        bad = path.with_suffix(".tgz.bad")
        path.replace(bad)
        raise SlidesError(f"{path.name} does not match its pinned sha512 (moved to {bad.name}); run again to "
                          "fetch a fresh copy.")
    return path


def install_assets(out: Path = OUT, vendor: Path = VENDOR) -> Path:
    """Copy the files the decks load into ``out/assets`` (idempotent). Returns the assets folder."""
    assets = out / "assets"
    for name, (version, _, wanted) in PACKAGES.items():
        stamp = assets / name / ".version"
        if stamp.exists() and stamp.read_text() == version:
            continue
        target = assets / name
        if target.exists():
            shutil.rmtree(target)
        with tarfile.open(tarball(name, vendor)) as tar:
            for member in tar.getmembers():
                rel = member.name.removeprefix("package/")
                if member.isfile() and any(rel == w or (w.endswith("/") and rel.startswith(w)) for w in wanted):
                    if ".." in Path(rel).parts:
                        continue
                    dest = target / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(tar.extractfile(member).read())
        stamp.write_text(version)
    return assets


def offline_themes(assets: Path) -> list[str]:
    """reveal.js themes that need no web fonts (several import Google Fonts)."""
    themes = sorted((assets / "reveal.js" / "dist" / "theme").glob("*.css"))
    return [t.stem for t in themes if "https://" not in t.read_text(encoding="utf-8")]


# --------------------------------------------------------------------------- notebooks


def execute(path: Path, full: bool = False, timeout: int = 1800) -> nbformat.NotebookNode:
    """Run a notebook (cwd = its folder) in quick mode, or full mode with ``full``."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, COURSE_QUICK="0" if full else "1", MPLBACKEND="module://matplotlib_inline.backend_inline")
    env.setdefault("COURSE_WORK_DIR", str(ROOT / "build" / "slides-work"))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            store_widget_state=False, resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute(env=env)
    return nb


def for_slides(nb, solutions: bool = False):
    """The notebook as shown on slides: no badge row; exercises as students see them."""
    from .student import clear_solutions, exercise_roles

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.metadata.pop("widgets", None)
    if nb.cells and nb.cells[0].cell_type == "markdown":
        nb.cells[0].source = BADGE_RE.sub("", nb.cells[0].source).rstrip()
    if not solutions:
        roles = exercise_roles(nb)
        nb = clear_solutions(nb)
        for i in roles:
            nb.cells[i].outputs = []
            nb.cells[i].execution_count = None
    return nb


def export(nb, name: str, out: Path = OUT, theme: str = "white", lang: str = "en") -> Path:
    """Write ``out/<name>.slides.html`` from a (possibly executed) notebook (``lang``: the page's language)."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter

    assets = install_assets(out)
    themes = offline_themes(assets)
    if theme not in themes:
        raise SlidesError(f"theme {theme!r} is not available offline; choose one of {', '.join(themes)}")
    exporter = SlidesExporter(extra_loaders=[DictLoader({"course_reveal.html.j2": TEMPLATE})],
                              template_file="course_reveal.html.j2", reveal_url_prefix="assets/reveal.js",
                              reveal_theme=theme, reveal_transition="none", embed_images=True,
                              exclude_input_prompt=True, exclude_output_prompt=True, language_code=lang)
    body, _ = exporter.from_notebook_node(nb, resources={"course_assets": "assets", "course_width": WIDTH,
                                                         "course_height": HEIGHT,
                                                         "metadata": {"name": name}})
    target = out / f"{name}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


def build_deck(path: str, out: str, execute_it: bool = True, full: bool = False, solutions: bool = False,
               theme: str = "white") -> tuple[str, float]:
    """Execute (optionally) and export one notebook; returns (deck path, seconds)."""
    start = time.monotonic()
    path = Path(path)
    nb = execute(path, full) if execute_it else nbformat.read(path, as_version=4)
    # A translated notebook (notebooks/ko/NN_x.ipynb) gives NN_x.ko.slides.html beside the English deck.
    lang = deck_language(path)
    # A deck with solutions gets its own name, so that it is never handed out in place of the students' deck.
    name = path.stem + ("" if lang == "en" else f".{lang}") + (".solutions" if solutions else "")
    deck = export(for_slides(nb, solutions), name, Path(out), theme, lang)
    return str(deck), time.monotonic() - start


def deck_language(path: Path) -> str:
    """The language of a notebook from its path: notebooks/<lang>/NN_x.ipynb, else English."""
    return language_of("/".join(Path(path).resolve().parts[-3:]))


def language_notebooks(lang: str, root: Path = ROOT) -> list[Path]:
    """The instructor notebooks of a language: notebooks/NN_*.ipynb for English, notebooks/<lang>/NN_*.ipynb."""
    if lang == "en":
        return source_notebooks(root)
    return sorted((Path(root) / "notebooks" / lang).glob("[0-9][0-9]_*.ipynb"))


def all_languages(root: Path = ROOT) -> list[str]:
    """English and every language with translated notebooks (notebooks/<lang>/)."""
    folder = Path(root) / "notebooks"
    return ["en"] + sorted(p.name for p in folder.iterdir() if p.is_dir() and language_of(f"notebooks/{p.name}/x")
                           == p.name and language_notebooks(p.name, root))


def write_index(decks: list[Path], out: Path = OUT) -> Path:
    items = "\n".join(f'<li><a href="{html.escape(d.name)}">{html.escape(d.name.removesuffix(".slides.html"))}</a></li>'
                      for d in sorted(decks))
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Course slides</title></head>\n"
            f"<body style=\"font-family: sans-serif\"><h1>Course slides</h1>\n<ul>\n{items}\n</ul>\n"
            "<p>In a deck: <kbd>s</kbd> speaker view (notes, timer), <kbd>f</kbd> full screen, "
            "<kbd>Esc</kbd> overview, arrow keys to move.</p></body></html>\n")
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


# --------------------------------------------------------------------------- command line


def _summary(exc: BaseException) -> str:
    """The failing cell and the error's last lines (an nbclient error message is long)."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    lines = text.splitlines()
    if len(lines) <= 30:
        return f"{type(exc).__name__}: {text}"
    return f"{type(exc).__name__}: " + "\n".join(lines[:14] + ["  ..."] + lines[-8:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.slides", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to export (default: every notebooks/NN_*.ipynb "
                                                     "and every translated notebooks/<lang>/NN_*.ipynb)")
    parser.add_argument("--lang", default="all",
                        help="the decks' language when no notebook is named: en, ko, ... or all (default: all)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="execute in full mode (real data, all epochs; slow)")
    mode.add_argument("--no-execute", action="store_true", help="don't execute: no figures, fast")
    parser.add_argument("--solutions", action="store_true", help="show exercise solutions on the slides")
    parser.add_argument("--theme", default="white", help="reveal.js theme (offline ones only; default white)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {rel_path(OUT)})")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    args = parser.parse_args(argv)
    langs = all_languages() if args.lang == "all" else [args.lang]
    if args.lang not in ("all", *all_languages()):
        print(f"error: no notebooks in language {args.lang!r}; choose one of: all, {', '.join(all_languages())}",
              file=sys.stderr)
        return 2
    paths = [Path(p) for p in args.notebooks] or [p for lang in langs for p in language_notebooks(lang)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        install_assets(out)
    except SlidesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    how = "not executed" if args.no_execute else ("full mode" if args.full else "quick mode")
    print(f"exporting {len(paths)} deck(s) ({how}) to {out}", flush=True)
    jobs = [(str(p), str(out), not args.no_execute, args.full, args.solutions, args.theme) for p in paths]
    decks, failed = [], []
    with ProcessPoolExecutor(max_workers=max(1, min(args.jobs, len(jobs))), mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(build_deck, *job): job[0] for job in jobs}
        for future, path in futures.items():
            try:
                deck, seconds = future.result()
            except Exception as exc:  # noqa: BLE001 - report every notebook, then fail
                failed.append(path)
                print(f"FAILED {path}: {_summary(exc)}", file=sys.stderr, flush=True)
                continue
            decks.append(Path(deck))
            print(f"  {Path(deck).name}  ({seconds:.0f} s)", flush=True)
    existing = sorted(out.glob("*.slides.html"))
    index = write_index(existing, out)
    print(f"open {index}  (press s in a deck for the speaker view)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
