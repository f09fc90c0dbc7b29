"""Translations of the notebooks' prose, kept beside the English source and tied to it.

A translation file ``i18n/<lang>/<notebook stem>.md`` holds one block per markdown cell of the English notebook:

    <!-- cell <cell id> en:<fingerprint> -->
    <the translated markdown>

The fingerprint is the first 12 hex digits of the SHA-256 of the English cell's source (UTF-8) the translation
was made from, so a later change of the English cell shows as a stale translation.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = re.compile(r"^<!-- cell (?P<id>[A-Za-z0-9_-]+) en:(?P<fp>[0-9a-f]{12}) -->$")


def fingerprint(text: str) -> str:
    """The fingerprint of an English cell's source."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


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
            blocks.append(f"<!-- cell {cell['id']} en:{fingerprint(text)} -->\n{text.strip()}\n")
    return "\n".join(blocks)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "skeleton":
        sys.exit("usage: python tools/i18n.py skeleton notebooks/NN_name.ipynb > i18n/ko/NN_name.md")
    sys.stdout.write(skeleton(Path(sys.argv[2])))
