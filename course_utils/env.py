"""Environment and device checks for notebook 00 (and for anyone debugging a setup).

``version_report()`` compares installed versions with the range the course is
tested on and warns (never crashes) outside it; ``device_report()`` lists the
CPU and GPUs TensorFlow sees and, on Colab or Kaggle without a GPU, prints the
exact menu steps to enable one.
"""

from __future__ import annotations

import os
import platform
import sys
import warnings
from importlib import metadata

# The tested range. Its top is what requirements.txt pins, its bottom what requirements-oldest.txt pins (Colab's
# TensorFlow/Keras from 2025-01-27 to 2025-07-30); CI runs the notebooks on both (./course test, test-oldest) and
# tests/test_foundation.py checks that both files pin inside this range.
TESTED = {
    "python": ((3, 10), (3, 13)),
    "tensorflow": ((2, 18), (2, 21)),
    "keras": ((3, 8), (3, 15)),
}

GPU_STEPS = {
    "colab": "Runtime > Change runtime type > Hardware accelerator: T4 GPU > Save, then run the notebook again.",
    "kaggle": "Open the right-hand panel (Settings) > Accelerator > GPU T4 x2 (or P100), "
    "then run the notebook again. A phone-verified Kaggle account is needed for GPUs.",
}


class UntestedVersionWarning(UserWarning):
    """A version outside the course's tested range: things may still work."""


def _major_minor(version: str) -> tuple[int, int]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    while len(parts) < 2:
        parts.append(0)
    return tuple(parts)  # type: ignore[return-value]


def installed_version(package: str) -> str | None:
    if package == "python":
        return platform.python_version()
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def in_tested_range(package: str, version: str) -> bool:
    low, high = TESTED[package]
    return low <= _major_minor(version) <= high


def version_report(warn: bool = True) -> list[dict]:
    """One row per key package: version, tested range, verdict. Warns outside the range."""
    rows = []
    for package, (low, high) in TESTED.items():
        version = installed_version(package)
        tested = f"{low[0]}.{low[1]}" + ("" if low == high else f" to {high[0]}.{high[1]}")
        if version is None:
            verdict = "MISSING: install the course environment (./course lab) or `pip install -r requirements.txt`"
        elif in_tested_range(package, version):
            verdict = "ok"
        else:
            verdict = "untested: it may work, but if something breaks, try the tested version first"
            if warn:
                warnings.warn(f"{package} {version} is outside the course's tested range ({tested}).",
                              UntestedVersionWarning, stacklevel=2)
        rows.append({"package": package, "installed": version or "-", "tested": tested, "verdict": verdict})
    return rows


def platform_name() -> str:
    """'colab', 'kaggle' or 'local'."""
    if "google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG"):
        return "colab"
    if os.environ.get("KAGGLE_KERNEL_RUN_TYPE") or os.path.isdir("/kaggle/working"):
        return "kaggle"
    return "local"


def device_report(devices=None) -> dict:
    """The devices TensorFlow sees and advice on getting a GPU.

    ``devices`` (for tests) replaces ``tf.config.list_physical_devices()``; each
    item needs ``.device_type`` and ``.name``.
    """
    if devices is None:
        import tensorflow as tf

        devices = tf.config.list_physical_devices()
    cpus = [d.name for d in devices if d.device_type == "CPU"]
    gpus = [d.name for d in devices if d.device_type == "GPU"]
    where = platform_name()
    if gpus:
        advice = f"{len(gpus)} GPU(s) found: Keras uses the first one automatically."
    elif where in GPU_STEPS:
        advice = f"No GPU in this {where.title()} session. To get one: {GPU_STEPS[where]}"
    else:
        advice = ("No GPU found: everything in the course runs on the CPU (quick mode keeps it short). "
                  "For faster training, open the notebook in Colab (badge at the top) and enable a GPU: "
                  + GPU_STEPS["colab"])
    return {"platform": where, "cpus": cpus, "gpus": gpus, "cores": os.cpu_count(), "advice": advice}
