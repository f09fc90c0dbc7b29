"""The kernel that ``./course lab`` starts: ipykernel, minus TensorFlow's harmless start-up lines.

On import, TensorFlow's C++ runtime writes a dozen lines straight to file descriptor 2
(oneDNN and CPU-feature notes, "Could not find cuda drivers", and on a machine without a GPU
``E0000 ... failed call to cuInit: ... UNKNOWN ERROR (303)``). ipykernel shows file
descriptor 2 in the notebook as a red box, which students read as "broken".
``TF_CPP_MIN_LOG_LEVEL`` cannot silence them: they are written before TensorFlow's logging
is set up.

This launcher starts the ordinary ipykernel and then filters file descriptor 2 line by line:
it drops INFO lines (``I`` + 4 digits), absl's "before InitializeLog" banner and the
continuation of the CPU-feature note, and the cuInit error only when this machine has no
NVIDIA device (``/dev/nvidiactl`` absent), where it is expected. Everything else (warnings,
real errors, a cuInit failure on a machine that has a GPU) reaches the notebook unchanged.

Used through ``tools/jupyter/kernels/python3/kernel.json`` (``./course lab`` puts
``tools/jupyter`` on ``JUPYTER_PATH``); notebooks keep their standard ``python3`` kernelspec.
"""

from __future__ import annotations

import os
import re
import sys
import threading

_INFO = re.compile(r"^I\d{4} ")
_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_CPU_NOTE = "To enable the following instructions:"
_CUINIT = re.compile(r"^E\d{4} .*failed call to cuInit")


def has_nvidia_device() -> bool:
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/dxg")  # Linux driver; WSL2


def is_noise(line: str, gpu: bool) -> bool:
    """Whether one line written to file descriptor 2 is TensorFlow start-up noise (see the module doc)."""
    text = line.rstrip("\r\n")
    if _INFO.match(text) or text.startswith(_BANNER) or text.startswith(_CPU_NOTE):
        return True
    return bool(_CUINIT.match(text)) and not gpu


def filter_fd(fd: int = 2, gpu: bool | None = None) -> threading.Thread:
    """Route file descriptor ``fd`` through a thread that drops :func:`is_noise` lines."""
    gpu = has_nvidia_device() if gpu is None else gpu
    target = os.dup(fd)
    read_end, write_end = os.pipe()
    os.dup2(write_end, fd)
    os.close(write_end)

    def pump() -> None:
        pending = b""
        while True:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = [ln + b"\n" for ln in lines if not is_noise(ln.decode("utf-8", "replace"), gpu)]
            if kept:
                os.write(target, b"".join(kept))
        if pending and not is_noise(pending.decode("utf-8", "replace"), gpu):
            os.write(target, pending)

    thread = threading.Thread(target=pump, name="course-fd-filter", daemon=True)
    thread.start()
    return thread


def main() -> None:
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])  # sets up ipykernel's own capture of fd 1 and 2
    filter_fd(2)
    app.start()


if __name__ == "__main__":
    main()
