"""The language the course speaks: English in the code, translated when a message is shown.

The notebook chooses the language, not the machine's locale: its setup cell sets
``os.environ["COURSE_LANGUAGE"] = "ko"`` (English notebooks set ``"en"``). Messages are written in English
in the code; :func:`tr` translates a finished English message with the catalogs of that language,
``course_utils/locale/<lang>/*.po`` (gettext PO files, shipped inside the package; i18n/README.md
describes them). A catalog entry is an exact English text or a template with ``{name}`` placeholders
(from an f-string); the text a placeholder catches is translated in turn. What no entry matches stays
English: a missing translation is never an error.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

LANGUAGE_ENV = "COURSE_LANGUAGE"
DEFAULT = "en"
LOCALE_DIR = Path(__file__).with_name("locale")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")
_BULLET = re.compile(r"^(?P<head>[ \t]*(?:[-*]|\d+\.)[ \t]+)(?P<rest>[^\n]*)$")
_MAX_DEPTH = 4


def language() -> str:
    """The language of the running notebook: ``COURSE_LANGUAGE`` (set by its setup cell), else English."""
    lang = os.environ.get(LANGUAGE_ENV, "").strip().lower().replace("-", "_")
    return lang or DEFAULT


def languages() -> list[str]:
    """The languages that have catalogs (besides English, the source)."""
    if not LOCALE_DIR.is_dir():
        return []
    return sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir() and any(p.glob("*.po")))


# --------------------------------------------------------------------------- reading PO files


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"{where}: expected a quoted string, got {text[:60]!r}")
    body, out, i = text[1:-1], [], 0
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_po(text: str, where: str = "catalog") -> dict[str, str]:
    """``{msgid: msgstr}`` of a PO file's translated entries (empty and ``#, fuzzy`` entries left out)."""
    entries: dict[str, str] = {}
    cur: dict[str, str] = {}
    field = None
    fuzzy = False

    def flush():
        nonlocal cur, field, fuzzy
        if cur.get("msgid") and cur.get("msgstr") and not fuzzy:
            entries[cur["msgid"]] = cur["msgstr"]
        cur, field, fuzzy = {}, None, False

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        at = f"{where}:{n}"
        if not line:
            flush()
        elif line.startswith("#"):
            if "msgstr" in cur:
                flush()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
        elif line.startswith(("msgid ", "msgstr ")):
            key, _, rest = line.partition(" ")
            if key == "msgid" and "msgstr" in cur:
                flush()
            cur[key] = _unquote(rest, at)
            field = key
        elif line.startswith('"'):
            if field is None:
                raise ValueError(f"{at}: a continued string outside an entry")
            cur[field] += _unquote(line, at)
        else:
            raise ValueError(f"{at}: not PO syntax (msgid, msgstr, \"...\" or # comment): {line[:60]!r}")
    flush()
    return entries


def placeholders(template: str) -> list[str]:
    """The ``{name}`` placeholders of a catalog template, in order."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)]


def _pattern(template: str) -> re.Pattern | None:
    """A regex that matches the finished messages of a template (None for a plain text)."""
    parts, seen, pos, literal = [], set(), 0, 0
    for m in _PLACEHOLDER.finditer(template):
        lit = template[pos:m.start()]
        parts.append(re.escape(lit))
        literal += len(lit.strip())
        pos = m.end()
        if not m.group(1):
            parts.append(re.escape(m.group(0)[0]))
            literal += 1
        elif m.group(1) in seen:
            parts.append(f"(?P={m.group(1)})")
        else:
            seen.add(m.group(1))
            parts.append(f"(?P<{m.group(1)}>.+?)")
    if not seen:
        return None
    tail = template[pos:]
    parts.append(re.escape(tail))
    literal += len(tail.strip())
    if literal < 3:  # "{a} {b}" would match anything
        return None
    return re.compile("".join(parts), re.DOTALL)


def _literal(text: str) -> str:
    """A template without placeholders stands for itself (``{{`` -> ``{``)."""
    return text.replace("{{", "{").replace("}}", "}")


class Catalog:
    """The merged catalogs of one language."""

    def __init__(self, entries: dict[str, str]):
        self.exact: dict[str, str] = {}
        templates = []
        for msgid, msgstr in entries.items():
            pattern = _pattern(msgid)
            if pattern is None:
                self.exact[_literal(msgid)] = _literal(msgstr) if not placeholders(msgstr) else msgstr
            else:
                templates.append((msgid, pattern, msgstr))
        # Frames around a whole message ("{problem} Hint: {hint}") first, so that a message's own template cannot
        # swallow the frame; then the most specific template: the most literal text of its msgid (placeholder
        # names don't count, so a long name does not make a template look specific).
        templates.sort(key=lambda t: (not t[0].startswith("{problem}"), -len(_PLACEHOLDER.sub("", t[0]))))
        self.templates: list[tuple[re.Pattern, str]] = [(pattern, msgstr) for _, pattern, msgstr in templates]

    def __len__(self) -> int:
        return len(self.exact) + len(self.templates)

    def whole(self, text: str, depth: int = 0) -> str | None:
        """The translation of ``text`` as one message, or None."""
        if text in self.exact:
            return self.exact[text]
        stripped = text.strip()
        if stripped != text and stripped in self.exact:
            return text.replace(stripped, self.exact[stripped])
        for pattern, msgstr in self.templates:
            m = pattern.fullmatch(text)
            if m:
                values = {k: self.translate(v, depth + 1) for k, v in m.groupdict().items()}
                try:
                    return msgstr.format(**values)
                except (KeyError, IndexError, ValueError):
                    continue
        return None

    def translate(self, text: str, depth: int = 0) -> str:
        if depth > _MAX_DEPTH or not text or not text.strip():
            return text
        found = self.whole(text, depth)
        if found is not None:
            return found
        bullet = _BULLET.match(text)
        if bullet and bullet["rest"].strip():  # "  - item", "  1. step": the item in the catalog's words
            return bullet["head"] + self.translate(bullet["rest"], depth + 1)
        if "\n" in text:  # a multi-line message: line by line
            lines = text.split("\n")
            out = [self.translate(line, depth + 1) for line in lines]
            return "\n".join(out)
        # Pieces joined into one message: the longest runs of sentences the catalog knows.
        pieces = _SENTENCE_END.split(text)
        if len(pieces) < 2:
            return text
        out, i = [], 0
        while i < len(pieces):
            for j in range(len(pieces), i, -1):
                if j - i == len(pieces):
                    continue  # the whole was tried above
                found = self.whole(" ".join(pieces[i:j]), depth + 1)
                if found is not None:
                    out.append(found)
                    i = j
                    break
            else:
                out.append(pieces[i])
                i += 1
        return " ".join(out)


@functools.cache
def catalog(lang: str) -> Catalog:
    """Every ``course_utils/locale/<lang>/*.po`` merged (an empty catalog for English or an unknown language)."""
    entries: dict[str, str] = {}
    folder = LOCALE_DIR / lang
    if lang != DEFAULT and folder.is_dir():
        for po in sorted(folder.glob("*.po")):
            entries.update(parse_po(po.read_text(encoding="utf-8"), str(po)))
    return Catalog(entries)


def tr(text: str, lang: str | None = None) -> str:
    """``text`` (a finished English message) in the notebook's language; unchanged where no entry matches."""
    lang = lang or language()
    if lang == DEFAULT or not isinstance(text, str):
        return text
    try:
        return catalog(lang).translate(text)
    except Exception:  # noqa: BLE001 - a broken catalog must never hide the English message
        return text


def reload() -> None:
    """Forget the loaded catalogs (after editing a .po file in a running kernel)."""
    catalog.cache_clear()
