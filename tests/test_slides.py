"""Offline reveal.js slides (tools/slides.py), checked in real headless Chromium.

Chromium runs with every host name unresolvable (``--host-resolver-rules``), so a deck that
needed a CDN would fail here. A small probe script, written into a copy of each deck, waits for
reveal.js (and MathJax) to finish, counts the slides, opens the speaker view and reads the notes
it shows; ``--dump-dom`` hands the result back. The expected numbers come from the notebook's
cell metadata, counted here independently of the exporter.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from tools import slides
from tools.nbbuild import code, exercise, md, notes
from tools.notebooks import ROOT, format_file, source_notebooks

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
HAVE_ASSETS = shutil.which("npm") is not None or all(
    (slides.VENDOR / f"{name}-{version}.tgz").exists() for name, (version, _, _) in slides.PACKAGES.items())
SOURCES = source_notebooks()

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium; "
                                                ".ci/run does this when it runs as root)"),
    pytest.mark.skipif(not HAVE_ASSETS, reason="reveal.js/MathJax are not cached in build/vendor and npm is not "
                                               "installed to fetch them (see tools/slides.py)"),
]

PROBE_HEAD = """<script>window.__courseErrors = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  window.__courseErrors.push(t && t !== window && (t.src || t.href) ? 'failed to load ' + (t.src || t.href)
                                                                     : String(e.message));
}, true);</script>"""

PROBE = """<script>(function () {
  var t0 = Date.now();
  function done(o) { var p = document.createElement('pre'); p.id = 'course-probe';
                     p.textContent = JSON.stringify(o); document.body.appendChild(p); }
  function report() {
    var R = window.Reveal, all = R.getSlides();
    var noted = all.filter(function (s) { return !!R.getSlideNotes(s); });
    var res = {ready: true, total: R.getTotalSlides(), horizontal: R.getHorizontalSlides().length,
               notes: noted.length, plugins: Object.keys(R.getPlugins()),
               math: document.querySelectorAll('mjx-container').length, errors: window.__courseErrors};
    if (!noted.length) { done(res); return; }
    var at = R.getIndices(noted[0]); R.slide(at.h, at.v);          // a slide with notes, then 's'
    R.getPlugin('notes').open();
    var t1 = Date.now();
    (function wait() {
      var w = window.open('', 'reveal.js - Notes');
      var v = w && w.document.querySelector('.speaker-controls-notes .value');
      if (v && v.textContent.trim()) { res.speaker_notes = v.textContent.trim(); done(res); }
      else if (Date.now() - t1 > 15000) { res.speaker_notes = null; done(res); }
      else { setTimeout(wait, 200); }
    })();
  }
  (function poll() {
    var R = window.Reveal;
    if (R && R.isReady && R.isReady()) {
      (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(report);
    } else if (Date.now() - t0 > 20000) { done({ready: false, errors: window.__courseErrors}); }
    else { setTimeout(poll, 100); }
  })();
})();</script>"""


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-popup-blocking",
           "--hide-scrollbars", f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def probe(deck: Path, tmp: Path) -> dict:
    page = deck.with_name(deck.stem + ".probe.html")  # next to the deck, so assets/ resolves the same way
    text = deck.read_text(encoding="utf-8")
    page.write_text(text.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE + "</body>", 1),
                    encoding="utf-8")
    try:
        for _attempt in range(2):  # a second chance only for a browser that quit early on a busy machine
            run = chromium(tmp, "--virtual-time-budget=60000", "--dump-dom", page.as_uri())
            found = re.search(r'<pre id="course-probe">(.*?)</pre>', run.stdout, re.S)
            if found:
                break
    finally:
        page.unlink()
    assert found, (f"the probe never reported (reveal.js did not load?) exit code {run.returncode}\n"
                   f"{run.stdout[-1000:]}\n{run.stderr[-2000:]}")
    import html

    return json.loads(html.unescape(found.group(1)))


def implied_by_metadata(nb) -> tuple[int, int, int, list[str]]:
    """(slides, horizontal slides, slides with notes, notes texts) from the cells' slideshow metadata."""
    total = horizontal = 0
    noted, texts = set(), []
    started = False
    for cell in nb.cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind == "skip":
            continue
        if not started:
            if kind == "notes":
                continue
            started, total, horizontal = True, 1, 1
            continue
        if kind == "slide":
            total, horizontal = total + 1, horizontal + 1
        elif kind == "subslide":
            total += 1
        elif kind == "notes":
            noted.add(total)
            texts.append(cell.source)
    return total, horizontal, len(noted), texts


def _words(markdown: str) -> str:
    return " ".join(re.sub(r"[*_`#>\[\]()-]", " ", markdown).split()[:6])


# --------------------------------------------------------------------------- a throw-away deck


def demo_notebook(folder: Path) -> Path:
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    cells = [
        md("# 98 · Demo deck (데모)", "slide"),
        code("", "skip"),
        md("## Squares\nWe square numbers: $y = x^2$.", "slide"),
        notes("Ask the class what the square of minus three is."),
        code("import numpy as np\nvalues = np.arange(5)\nprint(values ** 2)"),
        md("### The curve", "subslide"),
        code("import matplotlib.pyplot as plt\n"
             "fig, ax = plt.subplots(figsize=(5, 3))\nax.plot(values, values ** 2, marker='o')\n"
             "ax.set(title='Squares', xlabel='x', ylabel='x squared')\nplt.show()", "fragment"),
        notes("Point at the curvature."),
        md("## Exercise", "slide"),
        exercise("demo-cube", "def cube(v):\n    ### BEGIN SOLUTION\n    return v ** 3\n    ### END SOLUTION",
                 "from course_utils.checks import check_function\n"
                 "check_function(cube, lambda v: v * v * v, [(2,)], name='cube', hint='three factors')"),
        code("print('plumbing')", "skip"),
        md("## Summary", "slide"),
    ]
    flat = [c for item in cells for c in (item if isinstance(item, list) else [item])]
    path = folder / "notebooks" / "98_demo.ipynb"
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=flat)) + "\n", encoding="utf-8")
    format_file(path, root=folder)
    return path


@pytest.fixture(scope="module", autouse=True)
def work_dir_outside_the_repository(tmp_path_factory):
    """Executed decks write their course work (checkpoints, logs) to a temporary folder, not to build/."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_WORK_DIR", str(tmp_path_factory.mktemp("course-work")))
        yield


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    path = demo_notebook(folder)
    deck, _ = slides.build_deck(str(path), str(folder / "slides"))  # executed, quick mode
    return path, Path(deck), folder


def test_demo_deck_in_chromium(demo, tmp_path):
    path, deck, _ = demo
    nb = nbformat.read(path, as_version=4)
    total, horizontal, n_noted, texts = implied_by_metadata(nb)
    assert (total, horizontal, n_noted) == (5, 4, 2)  # the notebook above: 4 sections, one subslide, 2 notes
    result = probe(deck, tmp_path)
    assert result["ready"], result
    assert result["errors"] == []
    assert (result["total"], result["horizontal"], result["notes"]) == (total, horizontal, n_noted)
    assert "notes" in result["plugins"]
    assert result["speaker_notes"] == "Ask the class what the square of minus three is."
    assert result["math"] >= 1  # MathJax (local) typeset $y = x^2$
    text = deck.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64") >= 1  # executed: the figure is on the slide
    plain = _plain(text)
    assert "v ** 3" not in plain and "# YOUR CODE HERE" in plain  # exercises as students see them (the stub)
    assert re.search(r"\[\s*0\s+1\s+4\s+9\s+16\]", plain)  # and the printed output
    assert "colab-badge.svg" not in text


def test_solutions_flag_keeps_the_solution(demo):
    path, _, folder = demo
    deck = slides.export(slides.for_slides(nbformat.read(path, as_version=4), solutions=True), "with_solutions",
                         folder / "slides")
    plain = _plain(deck.read_text(encoding="utf-8"))
    assert "return v ** 3" in plain and "# YOUR CODE HERE" not in plain
    # Through build_deck (what the command runs) the deck gets its own name beside the students' deck.
    built, _ = slides.build_deck(str(path), str(folder / "slides"), execute_it=False, solutions=True)
    assert Path(built).name == "98_demo.solutions.slides.html"
    assert "return v ** 3" in _plain(Path(built).read_text(encoding="utf-8"))


def _plain(page: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _remote_references(text: str) -> list[str]:
    patterns = [r"<script[^>]*\bsrc=[\"'](https?:)?//[^\"']*", r"<link[^>]*\bhref=[\"'](https?:)?//[^\"']*",
                r"<img[^>]*\bsrc=[\"'](https?:)?//[^\"']*", r"import[^;\n]*from\s*[\"']https?://[^\"']*",
                r"@import\s+url\([\"']?https?://[^)]*"]
    return [m.group(0)[:120] for p in patterns for m in re.finditer(p, text)]


def test_demo_deck_needs_no_network(demo):
    _, deck, folder = demo
    assert _remote_references(deck.read_text(encoding="utf-8")) == []
    assets = folder / "slides" / "assets"
    for theme in slides.offline_themes(assets):
        assert "https://" not in (assets / "reveal.js" / "dist" / "theme" / f"{theme}.css").read_text()
    assert "white" in slides.offline_themes(assets) and "simple" not in slides.offline_themes(assets)


def test_first_slide_screenshot(demo, tmp_path):
    """Saves a screenshot of a first slide (a course notebook's if there is one) and prints its path."""
    import matplotlib.image as mpimg

    _, deck, _ = demo
    if SOURCES:
        out = tmp_path / "slides"
        deck = slides.export(slides.for_slides(nbformat.read(SOURCES[0], as_version=4)), SOURCES[0].stem, out)
    shot = tmp_path / f"{deck.name.removesuffix('.slides.html')}-slide1.png"  # pytest keeps it for a look
    run = chromium(tmp_path, f"--window-size={slides.WIDTH},{slides.HEIGHT}", "--virtual-time-budget=15000",
                   f"--screenshot={shot}", deck.as_uri())
    assert shot.exists(), run.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (slides.HEIGHT, slides.WIDTH)
    assert pixels[..., :3].std() > 0.02, "the screenshot is blank"
    print(f"\nscreenshot of the first slide: {shot}")


# --------------------------------------------------------------------------- the course's decks


@pytest.fixture(scope="module")
def course_decks(tmp_path_factory):
    """Every course notebook exported without execution (fast; the slide structure is the same)."""
    out = tmp_path_factory.mktemp("course-slides")
    return {p.name: slides.export(slides.for_slides(nbformat.read(p, as_version=4)), p.stem, out) for p in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_course_deck_in_chromium(source, course_decks, tmp_path):
    deck = course_decks[source.name]
    nb = nbformat.read(source, as_version=4)
    total, horizontal, n_noted, texts = implied_by_metadata(nb)
    assert _remote_references(deck.read_text(encoding="utf-8")) == []
    result = probe(deck, tmp_path)
    assert result["ready"], result
    assert result["errors"] == [], f"{deck.name}: {result['errors']}"
    assert (result["total"], result["horizontal"]) == (total, horizontal), f"{deck.name}: slide count"
    assert result["notes"] == n_noted, f"{deck.name}: slides with speaker notes"
    if texts:
        shown = " ".join(result["speaker_notes"].split())
        assert any(_words(t) and _words(t).split()[0] in shown for t in texts), (shown[:200], texts[0][:200])


# --------------------------------------------------------------------------- the command


def test_command_exports_and_indexes(demo, tmp_path, capsys):
    path, _, _ = demo
    assert slides.main([str(path), "--no-execute", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "98_demo.slides.html").exists()
    assert "98_demo.slides.html" in (tmp_path / "out" / "index.html").read_text()
    assert "assets/reveal.js" in (tmp_path / "out" / "98_demo.slides.html").read_text()


def test_bad_input_is_reported(demo, tmp_path, capsys):
    path, _, folder = demo
    assert slides.main([str(tmp_path / "nope.ipynb")]) == 2
    assert "no such notebook" in capsys.readouterr().err
    with pytest.raises(slides.SlidesError, match="theme 'simple' is not available offline; choose one of"):
        slides.export(nbformat.read(path, as_version=4), "x", folder / "slides", theme="simple")


def test_tampered_tarball_is_refused(tmp_path):
    name = "mathjax"
    good = slides.tarball(name)  # cached (or fetched) and verified
    (tmp_path / good.name).write_bytes(good.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(slides.SlidesError, match="does not match its pinned sha512"):
        slides.tarball(name, vendor=tmp_path)
    assert not (tmp_path / good.name).exists() and (tmp_path / f"{good.name}.bad").exists()


# --------------------------------------------------------------------------- a Korean deck (tools/i18n.py)


GLYPH_PROBE = """<script>(function () {
  function done(o) { var p = document.createElement('pre'); p.id = 'course-glyphs';
                     p.textContent = JSON.stringify(o); document.body.appendChild(p); }
  function glyph(font, ch) {  // the character drawn alone: its ink and a hash of its pixels
    var c = document.createElement('canvas'); c.width = 72; c.height = 72;
    var x = c.getContext('2d'); x.font = font; x.fillStyle = '#000'; x.textBaseline = 'top';
    x.fillText(ch, 6, 6);
    var d = x.getImageData(0, 0, 72, 72).data, ink = 0, h = 2166136261;
    for (var i = 3; i < d.length; i += 4) { var on = d[i] > 127 ? 1 : 0; ink += on;
                                            h = Math.imul(h ^ (on + (i & 255)), 16777619) >>> 0; }
    return {ink: ink, hash: h};
  }
  document.fonts.ready.then(function () {
    var h1 = document.querySelector('.reveal .slides h1'), st = getComputedStyle(h1);
    var font = '48px ' + st.fontFamily, out = {};
    CHARS.forEach(function (ch) { out[ch] = glyph(font, ch); });
    done({lang: document.documentElement.lang, title: h1.textContent, family: st.fontFamily, glyphs: out});
  });
})();</script>"""
HANGUL = ["합", "성", "곱", "신", "경", "망"]


def glyphs(deck: Path, tmp: Path, env: dict | None = None) -> dict:
    """Run GLYPH_PROBE on a copy of ``deck`` in Chromium (``env``: e.g. another font configuration)."""
    import html
    import os

    page = deck.with_name(f"glyphs-{len(list(tmp.glob('profile-*')))}.html")
    chars = HANGUL + ["\u0378"]  # an unassigned code point: what a missing glyph looks like
    page.write_text(deck.read_text(encoding="utf-8").replace(
        "</body>", GLYPH_PROBE.replace("CHARS", json.dumps(chars)) + "</body>", 1), encoding="utf-8")
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=20000", "--dump-dom", page.as_uri()]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})})
    found = re.search(r'<pre id="course-glyphs">(.*?)</pre>', run.stdout, re.S)
    assert found, run.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def korean_demo(folder: Path) -> Path:
    """A translated notebook as tools.i18n writes it: notebooks/ko/98_demo.ipynb, Korean prose, English code."""
    (folder / "notebooks" / "ko").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    cells = [md("# 98 · 합성곱 신경망 데모", "slide"), code("", "skip"),
             md("## 합성곱 층\n합성곱 층은 필터로 특징 맵을 계산합니다.", "slide"),
             notes("합성곱과 완전 연결 층의 차이를 물어봅니다."),
             code("import numpy as np\nprint(np.arange(3))")]
    path = folder / "notebooks" / "ko" / "98_demo.ipynb"
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)) + "\n", encoding="utf-8")
    format_file(path, root=folder)
    return path


def test_korean_deck_renders_hangul(tmp_path):
    """A Korean deck: its own name and lang="ko", notes in Korean, and Hangul drawn with real glyphs (each
    syllable different, not one repeated box: no tofu), in Chromium with the system's fonts (fonts-noto-cjk)."""
    path = korean_demo(tmp_path)
    assert 'os.environ["COURSE_LANGUAGE"] = "ko"' in nbformat.read(path, as_version=4).cells[1].source
    deck, _ = slides.build_deck(str(path), str(tmp_path / "slides"), execute_it=False)
    deck = Path(deck)
    assert deck.name == "98_demo.ko.slides.html"
    result = probe(deck, tmp_path)
    assert result["ready"] and result["errors"] == [], result
    assert result["speaker_notes"] == "합성곱과 완전 연결 층의 차이를 물어봅니다."
    got = glyphs(deck, tmp_path)
    assert got["lang"] == "ko" and got["title"].startswith("98 · 합성곱 신경망")
    drawn = got["glyphs"]
    assert all(drawn[ch]["ink"] > 40 for ch in HANGUL), drawn  # something is drawn
    hashes = {drawn[ch]["hash"] for ch in HANGUL}
    assert len(hashes) == len(HANGUL), f"Hangul syllables render alike (tofu boxes?): {drawn}"
    assert drawn["\u0378"]["hash"] not in hashes, drawn
    # the check can fail: with only DejaVu (no CJK font) every syllable is the same missing-glyph box
    if Path("/usr/share/fonts/truetype/dejavu").is_dir():
        conf = tmp_path / "fonts.conf"
        conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>'
                        f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>', encoding="utf-8")
        boxes = glyphs(deck, tmp_path, {"FONTCONFIG_FILE": str(conf)})["glyphs"]
        assert len({boxes[ch]["hash"] for ch in HANGUL + ["\u0378"]}) == 1, boxes
    shot = tmp_path / "98_demo.ko-slide1.png"  # pytest keeps it for a look
    chromium(tmp_path, f"--window-size={slides.WIDTH},{slides.HEIGHT}", "--virtual-time-budget=15000",
             f"--screenshot={shot}", deck.as_uri())
    assert shot.exists()
    print(f"\nscreenshot of the Korean deck's first slide: {shot}")


def test_command_exports_korean_decks_by_language(tmp_path, monkeypatch):
    folder = tmp_path / "course"
    korean_demo(folder)
    english = demo_notebook(folder)
    monkeypatch.setattr(slides, "language_notebooks",
                        lambda lang, root=folder: [english] if lang == "en" else
                        sorted((folder / "notebooks" / lang).glob("[0-9][0-9]_*.ipynb")))
    monkeypatch.setattr(slides, "all_languages", lambda root=folder: ["en", "ko"])
    assert slides.main(["--no-execute", "--lang", "ko", "--out", str(tmp_path / "ko")]) == 0
    assert [p.name for p in (tmp_path / "ko").glob("*.slides.html")] == ["98_demo.ko.slides.html"]
    assert slides.main(["--no-execute", "--out", str(tmp_path / "all")]) == 0
    assert sorted(p.name for p in (tmp_path / "all").glob("*.slides.html")) == ["98_demo.ko.slides.html",
                                                                               "98_demo.slides.html"]
    assert slides.main(["--lang", "xx"]) == 2
