"""Execute one notebook with nbclient; record its wall time and the kernel's peak memory.

Run by :mod:`benchmarks.run` as a subprocess (one per notebook, so that nothing is
shared between notebooks)::

    python -m benchmarks.nbtime notebooks/04_dnn_vs_cnn.ipynb --mode quick --out nb.json

- ``--mode quick`` sets ``COURSE_QUICK=1 COURSE_ALLOW_SYNTHETIC=1`` for the kernel (what
  the test suite does); ``--mode full`` sets ``COURSE_QUICK=0`` (synthetic data is still
  allowed, so a notebook whose data is missing here runs on the labelled stand-in).
- Wall time: from starting the kernel to its shutdown, as a student's "Restart and run all".
- Peak memory: a sampler thread reads ``/proc/<pid>/status`` of every process below this
  one (the kernel and anything it starts) every 0.1 s.  It records the largest SUM of
  their current resident sizes (``VmRSS``, a lower bound of the tree's true peak) and
  the sum of each process's own high-water mark (``VmHWM``, exact per process, so the
  sum is an upper bound of the tree's peak; for a kernel without children the two
  bounds meet).  ``peak_rss_bytes`` is the upper bound, the figure checked against the
  1.5 GiB target (``report.NOTEBOOK_MEMORY_TARGET_BYTES``).
- The slowest cells (from nbclient's execution timestamps) are listed, so a slow
  notebook points at its bottleneck.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path


def _status_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


class TreeMemorySampler(threading.Thread):
    """Samples the resident memory of every descendant of this process until stopped."""

    def __init__(self, interval: float = 0.1):
        super().__init__(daemon=True)
        self.interval = interval
        self.hwm_kb: dict[int, int] = {}  # pid -> its VmHWM, the largest seen
        self.peak_sum_rss_kb = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def sample(self) -> None:
        total = 0
        for pid in _descendants(os.getpid()):
            rss = _status_kb(pid, "VmRSS")
            hwm = _status_kb(pid, "VmHWM")
            if rss is not None:
                total += rss
            if hwm is not None:
                self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), hwm)
        self.peak_sum_rss_kb = max(self.peak_sum_rss_kb, total)
        self.samples += 1

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    @property
    def peak_upper_bytes(self) -> int:
        return sum(self.hwm_kb.values()) * 1024

    @property
    def peak_lower_bytes(self) -> int:
        return self.peak_sum_rss_kb * 1024


def _cell_seconds(cell) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def execute(path: Path, mode: str, timeout: int = 1800, executed: Path | None = None) -> dict:
    """Run the notebook at ``path`` in ``mode`` ("quick" or "full"); return the figures.

    ``executed``: also write the notebook with its outputs there (to read a full-mode run's figures)."""
    saved = dict(os.environ)  # the kernel inherits this process's environment: set it, then restore it
    os.environ["COURSE_QUICK"] = "1" if mode == "quick" else "0"
    os.environ["COURSE_ALLOW_SYNTHETIC"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    work = tempfile.TemporaryDirectory(prefix="course-bench-work-")
    os.environ["COURSE_WORK_DIR"] = work.name
    try:
        return _execute(path, mode, timeout, executed)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        work.cleanup()


def _execute(path: Path, mode: str, timeout: int, executed: Path | None = None) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    sampler = TreeMemorySampler()
    sampler.start()
    ok, error = True, None
    t = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        ok, error = False, str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - a kernel that dies, a bad notebook: report it, do not crash
        ok, error = False, f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - t
    sampler.stop()
    if executed is not None:
        nbformat.write(nb, executed)

    cells = [(i, _cell_seconds(c)) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    slowest = sorted(((s, i) for i, s in cells if s is not None), reverse=True)[:3]
    return {
        "notebook": path.name,
        "mode": mode,
        "ok": ok,
        "error": error,
        "seconds": seconds,
        "peak_rss_bytes": sampler.peak_upper_bytes,
        "peak_rss_sampled_bytes": sampler.peak_lower_bytes,
        "processes": len(sampler.hwm_kb),
        "samples": sampler.samples,
        "slowest_cells": [{"cell": i, "seconds": s} for s, i in slowest],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--mode", choices=("quick", "full"), default="quick")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--out", required=True)
    parser.add_argument("--executed", type=Path, default=None, help="also save the executed notebook here")
    args = parser.parse_args(argv)
    result = execute(args.notebook, args.mode, args.timeout, args.executed)
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
