"""The data command line: ``status``, ``prefetch`` and ``verify`` (``python -m course_utils.data ...``).

:func:`status` says which data sets this machine can load without a download, :func:`prefetch` fills a
directory with verified copies for an offline classroom, :func:`verify` checks such a directory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .. import config
from ..errors import CourseValueError, DatasetError
from . import sources as chain
from .sources import short_error
from .specs import SPECS, DataFile, Spec, check_file, get_spec

DESCRIPTION = "Load the course's data sets: the real Keras path first, then offline copies."


def status() -> list[dict]:
    """Which copies of each data set are on this machine now (nothing is loaded or downloaded)."""
    rows = []
    for spec in SPECS.values():
        copies = [c for c in (s.offline_copy(spec) for s in chain.SOURCES if s.serves(spec)) if c]
        sources = [label for label, _ in copies]
        if any(full for _, full in copies):
            verdict = "ready offline"
        elif sources:
            verdict = "subset offline; full set needs a download"
        elif config.offline():
            verdict = "not available offline"
        else:
            verdict = "will download on first use"
        rows.append({"dataset": spec.name, "title": spec.title, "offline copies": ", ".join(sources) or "none",
                     "status": verdict})
    return rows


def _ensure_writable(target: Path) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DatasetError(
            f"Cannot write to {target} ({exc.strerror or exc}). Choose a directory you can write to, "
            "e.g. `python -m course_utils.data prefetch ~/course-data`, then set COURSE_DATA_DIR to it."
        ) from None


def _candidates(spec: Spec, f: DataFile) -> list[Path]:
    return [p for s in chain.SOURCES if s.serves(spec) for p in s.file_copies(spec, f)]


def prefetch(target, names=None, *, download: bool | None = None, log=print) -> bool:
    """Put verified copies of the data sets into ``target`` for an offline classroom.

    For each file: a good copy already in ``target`` is kept; otherwise it is copied
    from Keras's cache or Debian's package, and failing that Keras downloads it (its
    real download path, tried once per data set) and it is copied from Keras's cache.
    ``download=None`` downloads unless ``COURSE_OFFLINE=1``.  Every copy is verified
    (size and SHA-256) before it takes its final name, so a failed prefetch never
    leaves a half-written file, and nothing already in ``target`` is deleted or
    overwritten.  Returns True when every requested data set is there and verified.
    """
    target = Path(target).expanduser()
    names = list(names or SPECS)
    specs = [get_spec(n) for n in names]
    if download is None:
        download = not config.offline()
    _ensure_writable(target)
    all_ok = True
    for spec in specs:
        tried_download = False
        for f in spec.files:
            dest = target / f.relpath
            if dest.exists():
                problem = check_file(dest, f)
                if problem is None:
                    log(f"ok        {f.relpath} (already there, verified)")
                else:
                    all_ok = False
                    log(f"PROBLEM   {problem}. It was left untouched: move it away and run prefetch again.")
                continue
            source = next((p for p in _candidates(spec, f) if p.is_file() and check_file(p, f) is None), None)
            if source is None and download and not tried_download:
                tried_download = True  # one attempt per data set: Keras fetches all of its files at once
                try:
                    chain.keras_loader(spec.name)()  # the real Keras download, into Keras's cache
                except Exception as exc:  # noqa: BLE001 - any failure of the download: one line, go on
                    log(f"FAILED    Keras could not download {spec.title} ({short_error(exc)})")
                source = next((p for p in _candidates(spec, f) if p.is_file() and check_file(p, f) is None), None)
            if source is None:
                all_ok = False
                log(f"MISSING   {f.relpath}: no verified copy on this machine and no download"
                    + ("" if download else " (downloads were turned off: COURSE_OFFLINE=1 or --no-download)"))
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(dest.name + ".partial")
            try:
                shutil.copyfile(source, partial)
                problem = check_file(partial, f)
                if problem:
                    raise DatasetError(problem)
                os.replace(partial, dest)
                log(f"copied    {f.relpath} from {source}, verified")
            except (OSError, DatasetError) as exc:
                all_ok = False
                partial.unlink(missing_ok=True)
                log(f"FAILED    {f.relpath}: {exc}")
    return all_ok


def verify(target, names=None, *, log=print) -> bool:
    """Check every expected file in ``target``; True only if all are present and good."""
    target = Path(target).expanduser()
    if not target.is_dir():
        raise DatasetError(f"{target} is not a directory. Give the directory that `prefetch` filled.")
    ok = True
    for spec in (get_spec(n) for n in (names or SPECS)):
        for f in spec.files:
            problem = check_file(target / f.relpath, f)
            ok &= problem is None
            log(f"{'ok' if problem is None else 'BAD':9} {f.relpath}" + ("" if problem is None else f": {problem}"))
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.data", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="which data sets can be loaded here without a download")
    for cmd, text in (("prefetch", "fill DIR with verified copies"), ("verify", "check the copies in DIR")):
        p = sub.add_parser(cmd, help=text)
        p.add_argument("dir")
        p.add_argument("--datasets", nargs="+", choices=list(SPECS), help="default: all")
        if cmd == "prefetch":
            p.add_argument("--no-download", action="store_true",
                           help="only copy what is on this machine (also the default with COURSE_OFFLINE=1)")
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            for row in status():
                print(f"{row['title']:14} {row['status']:45} ({row['offline copies']})")
            return 0
        if args.command == "prefetch":
            ok = prefetch(args.dir, args.datasets, download=False if args.no_download else None)
            print(f"\n{'All verified' if ok else 'Some files are missing or bad (see above)'}: {args.dir}")
            if ok:
                print(f"Use it with: export COURSE_DATA_DIR={Path(args.dir).expanduser().resolve()}")
            return 0 if ok else 1
        ok = verify(args.dir, args.datasets)
        return 0 if ok else 1
    except (DatasetError, CourseValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
