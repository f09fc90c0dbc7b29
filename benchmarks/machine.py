"""The machine's description, printed with every absolute figure.

TensorFlow is not imported here (the parent process stays light): its version and
thread settings come from a worker, see :func:`benchmarks.run.main`.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
from importlib import metadata

THREAD_ENV = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "TF_ENABLE_ONEDNN_OPTS",
              "TF_XLA_FLAGS", "CUDA_VISIBLE_DEVICES")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def memory_gb() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 1024 ** 3, 1)
    except ImportError:
        return None


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (os.getloadavg), rounded."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def describe() -> dict:
    """CPU, cores, memory, versions, thread-related environment variables and the load now."""
    cores = usable_cores()
    load = load_average()
    return {
        "cpu_model": cpu_model(),
        "cores": cores,
        "logical_cpus": os.cpu_count(),
        "memory_gb": memory_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": version("tensorflow") or version("tensorflow-cpu"),
        "keras": version("keras"),
        "numpy": version("numpy"),
        "threads": {"env": {k: os.environ[k] for k in THREAD_ENV if k in os.environ}},
        "load_start": load,
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def is_busy(load: list[float], cores: int) -> bool:
    """True when the 1-minute load average says other work shared the CPU (more than half a core)."""
    return bool(load) and load[0] > 0.5
