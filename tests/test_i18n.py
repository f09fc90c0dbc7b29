"""Translated editions (tools/i18n.py) and the course speaking the notebook's language (course_utils/i18n.py).

* the generator on a throw-away notebook: cell ids, metadata and code copied, markdown replaced, the one
  language line, the student edition made from the translated instructor edition;
* the sync check fails on a stale, a missing and an orphan translation block and on a translated code
  cell that differs from the English one (temporary copies, including a real notebook and its translation);
* the committed translations and translated notebooks are in sync and follow the notebook conventions;
* the catalogs: they parse, each msgstr uses its msgid's placeholders, and a miss, a pass and the progress
  line come out in Korean when the notebook chose Korean (and in English otherwise).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import checks
from course_utils import i18n as cu
from tools import i18n, student
from tools.nbbuild import code, exercise, md, notes
from tools.notebooks import ROOT, check_notebook, format_file, language_of, rel_path, source_notebooks

LANGS = i18n.languages()
TRANSLATED = [(lang, e) for lang in LANGS for e in source_notebooks() if i18n.translation_path(e, lang).exists()]
TRANSLATED_IDS = [f"{lang}-{e.stem}" for lang, e in TRANSLATED]


# --------------------------------------------------------------------------- a throw-away course


def make_course(root: Path) -> Path:
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    cells = [
        md("# 98 · Squares", "slide"),
        code("", "skip"),
        md("## Why square\nSquaring makes every value positive.", "slide"),
        notes("Ask what the square of minus three is."),
        code("import numpy as np\nvalues = np.arange(4)  # four values\nprint(values ** 2)"),
        md("Write `square(v)`.", "subslide"),
        exercise("demo-square", "def square(v):\n    ### BEGIN SOLUTION\n    return v * v\n    ### END SOLUTION",
                 "from course_utils.checks import check_function\n"
                 "check_function(square, lambda v: v ** 2, [(2,)], name='square', hint='multiply v by v')"),
        md("## Summary", "slide"),
    ]
    flat = [c for item in cells for c in (item if isinstance(item, list) else [item])]
    path = root / "notebooks" / "98_demo.ipynb"
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=flat)) + "\n", encoding="utf-8")
    format_file(path, root=root)
    return path


KOREAN = {"# 98 · Squares": "# 98 · 제곱", "## Why square": "## 왜 제곱하나요",
          "Ask what": "-3의 제곱이 무엇인지 물어봅니다.", "Write `square(v)`.": "`square(v)`를 작성하세요.",
          "## Summary": "## 정리"}


def translate(english_block: str) -> str:
    for start, korean in KOREAN.items():
        if english_block.startswith(start):
            return english_block.replace(english_block.split("\n[![")[0], korean, 1) if start.startswith("# ") \
                else korean
    raise AssertionError(english_block)


def write_translation(english: Path, root: Path, lang: str = "ko") -> Path:
    """A translation file made from the skeleton, every block translated."""
    out = []
    for block in i18n.parse(i18n.skeleton(english)):
        out.append(f"<!-- cell {block.cell_id} en:{block.fp} -->\n{translate(block.text)}\n")
    path = i18n.translation_path(english, lang, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


@pytest.fixture
def course(tmp_path):
    english = make_course(tmp_path)
    student.generate(tmp_path)
    write_translation(english, tmp_path)
    i18n.build(tmp_path)
    return tmp_path, english


def test_generator_on_a_throwaway_notebook(course):
    root, english = course
    target = root / "notebooks" / "ko" / english.name
    stud = root / "notebooks" / "ko" / "student" / english.name
    assert i18n.languages(root) == ["ko"]
    en, ko, ko_student = (nbformat.read(p, as_version=4) for p in (english, target, stud))
    assert [c.id for c in ko.cells] == [c.id for c in en.cells] == [c.id for c in ko_student.cells]
    assert ko.metadata == en.metadata
    for e, k in zip(en.cells, ko.cells):
        assert (e.cell_type, e.metadata) == (k.cell_type, k.metadata)
        if e.cell_type == "code" and e is not en.cells[1]:
            assert k.source == e.source
    assert ko.cells[0].source.startswith("# 98 · 제곱\n")
    assert "notebooks/ko/98_demo.ipynb" in ko.cells[0].source  # the badge row points at the Korean file
    assert ko.cells[3].source == "-3의 제곱이 무엇인지 물어봅니다."
    assert ko.cells[3].metadata["slideshow"]["slide_type"] == "notes"
    # the one difference in code: the setup cell's language line
    assert 'os.environ["COURSE_LANGUAGE"] = "en"' in en.cells[1].source
    assert ko.cells[1].source == en.cells[1].source.replace('"en"', '"ko"')
    # the student edition comes from the Korean instructor edition
    assert "notebooks/ko/student/98_demo.ipynb" in ko_student.cells[0].source
    assert ko_student.cells[0].source.startswith("# 98 · 제곱")
    square = next(c for c in ko_student.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "demo-square")
    assert square.source == "def square(v):\n    # YOUR CODE HERE\n    pass"
    assert i18n.problems(root) == []
    assert i18n.build(root) == []  # idempotent
    assert check_notebook(target, root) == [] and check_notebook(stud, root) == []


def test_stale_translation_is_detected(course):
    root, english = course
    nb = nbformat.read(english, as_version=4)
    nb.cells[2].source += " Even negative ones."
    nbformat.write(nb, english)
    format_file(english, root=root)
    found = i18n.problems(root)
    assert any(f"stale     cell {nb.cells[2].id}: translated from en:" in line for line in found), found
    assert len(found) == 2  # the English markdown is not in the Korean notebook: only the translation is stale


def test_missing_and_orphan_blocks_are_detected(course):
    root, english = course
    path = i18n.translation_path(english, "ko", root)
    text = path.read_text(encoding="utf-8")
    summary_id = nbformat.read(english, as_version=4).cells[-1].id
    text = re.sub(rf"<!-- cell {summary_id} en:[0-9a-f]+ -->\n## 정리\n", "", text)
    text += "\n<!-- cell deadbeef en:0123456789ab -->\n사라진 셀\n"
    path.write_text(text, encoding="utf-8")
    st = i18n.status(english, "ko", root)
    assert [m[0] for m in st.missing] == [summary_id] and st.orphan == ["deadbeef"] and not st.ok
    found = i18n.problems(root)
    assert any(f"missing   cell {summary_id}" in line for line in found)
    assert any("orphan    cell deadbeef" in line for line in found)
    # a missing file is reported too, and the build keeps English text where a block is missing
    i18n.build(root)
    assert nbformat.read(root / "notebooks" / "ko" / english.name, as_version=4).cells[-1].source == "## Summary"
    path.unlink()
    assert "no translation file i18n/ko/98_demo.md" in i18n.problems(root, ["ko"])[0]


def test_a_korean_code_cell_that_differs_is_detected(course):
    root, english = course
    for target in (root / "notebooks" / "ko" / english.name, root / "notebooks" / "ko" / "student" / english.name):
        original = target.read_text(encoding="utf-8")
        nb = nbformat.read(target, as_version=4)
        nb.cells[4].source = nb.cells[4].source.replace("np.arange(4)", "np.arange(5)")
        nbformat.write(nb, target)
        found = i18n.problems(root)
        assert f"{rel_path(target, root)}: code cell 4 (id {nb.cells[4].id}) differs from the English code cell" \
            in found, found
        target.write_text(original, encoding="utf-8")
    assert i18n.problems(root) == []
    # a comment translated into the code cell is a difference too (code cells are copied, never translated)
    nb = nbformat.read(root / "notebooks" / "ko" / english.name, as_version=4)
    nb.cells[4].source = nb.cells[4].source.replace("# four values", "# 값 네 개")
    nbformat.write(nb, root / "notebooks" / "ko" / english.name)
    assert any("differs from the English code cell" in p for p in i18n.problems(root))


def test_malformed_translation_files_are_refused():
    with pytest.raises(i18n.TranslationError, match=r"x.md:2: a malformed cell header"):
        i18n.parse("<!-- cell abc en:0123456789ab -->\n<!-- cell abc en:short -->\n", "x.md")
    with pytest.raises(i18n.TranslationError, match=r"x.md:1: text before the first"):
        i18n.parse("hello\n<!-- cell abc en:0123456789ab -->\n", "x.md")
    blocks = i18n.parse("<!-- a comment may come first -->\n<!-- cell abc en:0123456789ab -->\n\n안녕\n\n", "x.md")
    assert [(b.cell_id, b.fp, b.text) for b in blocks] == [("abc", "0123456789ab", "안녕")]


def test_command_line(course, capsys):
    root, english = course
    assert i18n.main(["skeleton", str(english)]) == 0
    assert capsys.readouterr().out == i18n.skeleton(english)
    assert i18n.main(["status", "--lang", "x1"]) == 2
    assert "not a language code" in capsys.readouterr().err


@pytest.mark.skipif(not TRANSLATED, reason="no translation files yet")
def test_a_real_translation_goes_stale_when_its_english_cell_changes(tmp_path):
    """The sync test can fail: edit an English cell of a temporary copy of a real notebook."""
    lang, english = TRANSLATED[0]
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "notebooks").mkdir()
    copy = Path(shutil.copy(english, tmp_path / "notebooks" / english.name))
    (tmp_path / "i18n" / lang).mkdir(parents=True)
    shutil.copy(i18n.translation_path(english, lang), i18n.translation_path(copy, lang, tmp_path))
    before = i18n.status(copy, lang, tmp_path)
    nb = nbformat.read(copy, as_version=4)
    cell = next(c for c in nb.cells[2:] if c.cell_type == "markdown" and c.id not in [m[0] for m in before.missing])
    cell.source += "\n\nOne more sentence."
    nbformat.write(nb, copy)
    after = i18n.status(copy, lang, tmp_path)
    assert [s[0] for s in after.stale] == [s[0] for s in before.stale] + [cell.id] or \
        cell.id in [s[0] for s in after.stale]
    assert not after.ok


# --------------------------------------------------------------------------- the committed translations


@pytest.mark.parametrize("lang,english", TRANSLATED, ids=TRANSLATED_IDS)
def test_translation_is_complete_and_current(lang, english):
    st = i18n.status(english, lang)
    assert st.ok, "\n".join(st.lines()) + "\n(./course i18n status; translate, then ./course i18n build)"


@pytest.mark.parametrize("lang", LANGS)
def test_every_notebook_has_a_translation(lang):
    missing = [e.name for e in source_notebooks() if not i18n.translation_path(e, lang).exists()]
    assert not missing, f"i18n/{lang}/ has no translation of {missing}"


@pytest.mark.parametrize("lang,english", TRANSLATED, ids=TRANSLATED_IDS)
def test_translated_notebooks_are_generated_and_in_sync(lang, english):
    found = [p for p in i18n.notebook_problems(langs=[lang]) if english.name in p]
    assert not found, "\n".join(found)
    target = i18n.target_path(english, lang)
    assert check_notebook(target) == [], check_notebook(target)
    assert check_notebook(student.student_path(target)) == []
    assert language_of(rel_path(target)) == lang


@pytest.mark.parametrize("english", source_notebooks(), ids=[p.stem for p in source_notebooks()])
def test_english_notebooks_choose_english(english):
    for path in (english, student.student_path(english)):
        setup = nbformat.read(path, as_version=4).cells[1].source
        assert 'os.environ["COURSE_LANGUAGE"] = "en"' in setup, f"{rel_path(path)}: run ./course format"


# --------------------------------------------------------------------------- the course's messages


CATALOGS = sorted(cu.LOCALE_DIR.glob("*/*.po"))


@pytest.mark.parametrize("po", CATALOGS, ids=[f"{p.parent.name}-{p.stem}" for p in CATALOGS])
def test_catalog_parses_and_keeps_placeholders(po):
    entries = cu.parse_po(po.read_text(encoding="utf-8"), str(po))
    assert entries, f"{po}: no translated entry"
    for msgid, msgstr in entries.items():
        assert sorted(set(cu.placeholders(msgstr))) == sorted(set(cu.placeholders(msgid))), \
            f"{po.name}: {msgid!r} -> {msgstr!r}: use the same {{placeholders}}"


def test_po_parser():
    text = ('# comment\nmsgid ""\nmsgstr "Language: ko\\n"\n\n#, fuzzy\nmsgid "old"\nmsgstr "낡은"\n\n'
            'msgid "a \\"quoted\\" "\n"text"\nmsgstr "인용"\n"된 글"\n\nmsgid "untranslated"\nmsgstr ""\n')
    assert cu.parse_po(text) == {'a "quoted" text': "인용된 글"}
    with pytest.raises(ValueError, match="x.po:1: expected a quoted string"):
        cu.parse_po("msgid = 'x'", "x.po")


def test_templates_translate_finished_messages():
    cat = cu.Catalog({"the shape is {got} but should be {want}": "모양이 {got}인데 {want}이어야 합니다",
                      "`{name}`: {problem}.": "`{name}`: {problem}.", "Hint: {hint}": "힌트: {hint}",
                      "use a loop.": "반복문을 쓰세요.", "{a} {b}": "never: too little literal text"})
    assert cat.translate("`x`: the shape is (3,) but should be (4,).") == "`x`: 모양이 (3,)인데 (4,)이어야 합니다."
    # pieces joined into one message are translated sentence by sentence; unknown text stays English
    assert cat.translate("use a loop. Something new. Hint: use a loop.") == \
        "반복문을 쓰세요. Something new. 힌트: 반복문을 쓰세요."
    assert cat.translate("two words") == "two words"


def test_checks_speak_the_notebooks_language(monkeypatch, capsys):
    """A miss, a pass, a hint and the progress line in Korean when the notebook set COURSE_LANGUAGE=ko."""
    monkeypatch.delenv(checks.STRICT_ENV, raising=False)
    monkeypatch.delenv(checks.GRADER_ENV, raising=False)
    for lang, miss, ok in (("en", "❌ Not yet.", "✅ Correct!"), ("ko", "❌ 아직 아닙니다.", "✅ 정답입니다!")):
        monkeypatch.setenv(cu.LANGUAGE_ENV, lang)
        checks.check_value([1, 2], [1, 3], name="pair", hint=["look again", "the second item"])
        checks.check_value(None, 3, name="answer", hint="add")
        checks.check_value(3, 3, name="answer", hint="add")
        out = capsys.readouterr().out
        lines = out.splitlines()
        assert lines[0].startswith(f"\x1b[31m{miss}\x1b[0m") and lines[2].startswith(ok), out
        if lang == "ko":
            assert "`pair`: 모양은 맞지만 값 2개 중 1개가 다릅니다 (첫 번째는 인덱스 (1,))." in lines[0]
            assert "힌트 1/2: look again 다음 힌트를 보려면 `more_hint()`를 실행하세요." in lines[0]
            assert "`answer`은(는) 여전히 None입니다. 아직 풀지 않았습니다." in lines[1]
            assert not re.search(r"[A-Za-z]{4,}", re.sub(r"`[^`]*`|look again|None|\x1b\[\d+m", "", out)), out
        else:
            assert "the shape is right but 1 of 2 values differ" in lines[0]


def test_progress_and_errors_in_korean(monkeypatch, capsys):
    from course_utils.checks import padding  # registers its exercises

    monkeypatch.setenv(cu.LANGUAGE_ENV, "ko")
    checks.reset()
    padding.progress()
    out = capsys.readouterr().out
    n = len(checks.exercises("padding"))
    assert out.startswith(f"연습 문제: {n}개 중 0개 통과.") and "아직 남은 문제:" in out, out
    err = checks.CourseError(checks.NOT_ATTEMPTED)
    assert err._render_traceback_()[0].endswith(cu.tr(checks.NOT_ATTEMPTED, "ko"))
    assert str(err) == checks.NOT_ATTEMPTED  # the exception stays English; only what is shown is translated
    monkeypatch.setenv(cu.LANGUAGE_ENV, "en")
    assert cu.tr(checks.NOT_ATTEMPTED) == checks.NOT_ATTEMPTED


def test_untranslated_messages_are_listed(tmp_path):
    (tmp_path / "course_utils" / "checks").mkdir(parents=True)
    (tmp_path / "course_utils" / "checks" / "demo.py").write_text(
        '"""Docstrings are not messages."""\n'
        'def f(name, n):\n'
        '    fail(f"`{name}` has {n + 1} rows, not the right number.", "count the rows again")\n'
        '    print(f"✅ Correct! {name}")\n'
        '    return "ok"\n', encoding="utf-8")
    found = i18n.extract_messages(tmp_path)["demo"]
    templates = [t for t, _line, _file in found]
    assert "`{name}` has {n_1} rows, not the right number." in templates and "count the rows again" in templates
    assert "Docstrings are not messages." not in templates
    left = [t for t, _line, _file in i18n.untranslated("ko", tmp_path)["demo"]]
    assert "count the rows again" in left and "✅ Correct! {name}" not in left  # messages.po has the latter


# --------------------------------------------------------------------------- launching the translated editions


def test_fork_repoints_the_translated_editions_and_their_readme(course):
    from tools import notebooks as nbtools

    root, english = course
    old_repo, branch = nbtools.repo_settings(root)
    shutil.copy(ROOT / "README.ko.md", root / "README.ko.md")
    changed = nbtools.fork("my-school/cnn-2027", root=root)
    for path in (root / "notebooks" / "ko" / english.name, root / "notebooks" / "ko" / "student" / english.name):
        text = path.read_text(encoding="utf-8")
        assert path in changed and old_repo not in text
        assert f"my-school/cnn-2027/blob/{branch}/{rel_path(path, root)}" in text
        setup = nbformat.read(path, as_version=4).cells[1].source
        assert "git+https://github.com/my-school/cnn-2027.git@" in setup and '"COURSE_LANGUAGE"] = "ko"' in setup
        assert check_notebook(path, root) == []
    readme = (root / "README.ko.md").read_text(encoding="utf-8")
    assert root / "README.ko.md" in changed and old_repo not in readme
    assert f"colab.research.google.com/github/my-school/cnn-2027/blob/{branch}/notebooks/ko/student/" in readme
    assert i18n.problems(root) == []  # the translated editions are still what the generator writes


@pytest.mark.parametrize("lang", LANGS)
def test_readme_launches_every_translated_edition(lang):
    from tools.notebooks import binder_url, colab_url, repo_settings

    repo, branch = repo_settings()
    readme = ROOT / f"README.{lang}.md"
    assert f"(README.{lang}.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    text = readme.read_text(encoding="utf-8")
    for english in source_notebooks():
        target = i18n.target_path(english, lang)
        for path in (target, student.student_path(target)):
            assert f"({colab_url(rel_path(path), repo, branch)})" in text, f"{readme.name}: no Colab badge for {path}"
    assert binder_url(f"notebooks/{lang}/00_setup.ipynb", repo, branch) in text


def test_a_message_template_does_not_swallow_the_hint_frame_around_it():
    """Specificity counts literal text, not placeholder names; the frame around a whole message goes first."""
    from course_utils.i18n import Catalog

    cat = Catalog({
        "{problem} Hint: {hint}": "{problem} 힌트: {hint}",
        "`{a_very_long_placeholder_name}` is not one of {the_kernels_the_notebook_shows}.": "`{a_very_long_placeholder_name}`은(는) {the_kernels_the_notebook_shows} 중 하나가 아닙니다.",  # noqa: E501
        "copy the names exactly.": "이름을 그대로 복사하세요.",
        "`{name}` is {value}.": "`{name}`은(는) {value}입니다.",
    })
    said = cat.translate("`k` is not one of ['a', 'b']. Hint: copy the names exactly.")
    assert said == "`k`은(는) ['a', 'b'] 중 하나가 아닙니다. 힌트: 이름을 그대로 복사하세요.", said
