"""The course's kernel launcher (course_utils/kernel.py): TensorFlow's start-up noise out, real errors in."""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path

import pytest

from course_utils.kernel import is_noise

ROOT = Path(__file__).resolve().parents[1]

# Lines as TensorFlow 2.21 writes them to file descriptor 2 on import (copied from a real run).
STARTUP = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796238750.454810    8123 port.cc:153] oneDNN custom operations are on.",
    "I0000 00:00:1796238750.455310    8123 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU "
    "will not be used.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.",
]
CUINIT = ("E0000 00:00:1796238758.124769    8123 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
          "Failed call to cuInit: UNKNOWN ERROR (303)")


@pytest.mark.parametrize("line", STARTUP)
def test_startup_lines_are_noise_with_or_without_a_gpu(line):
    assert is_noise(line, gpu=False) and is_noise(line + "\n", gpu=True)


def test_cuinit_error_is_noise_only_without_a_gpu():
    assert is_noise(CUINIT, gpu=False)
    assert not is_noise(CUINIT, gpu=True)


@pytest.mark.parametrize("line", [
    "E0000 00:00:1.0 1 allocator.cc:1] Out of memory while trying to allocate 1.0GiB",
    "W0000 00:00:1.0 1 op_kernel.cc:1] OP_REQUIRES failed",
    "Traceback (most recent call last):",
    "Segmentation fault",
    "",
])
def test_everything_else_is_kept(line):
    assert not is_noise(line, gpu=False)


@pytest.mark.slow
def test_kernel_started_as_course_lab_does(monkeypatch):
    """Through tools/jupyter's kernelspec, as ./course lab starts it: importing TensorFlow prints nothing
    to the notebook, while a real error written to file descriptor 2 still reaches it."""
    from jupyter_client.manager import start_new_kernel

    monkeypatch.setenv("JUPYTER_PATH", str(ROOT / "tools" / "jupyter"))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    # ipykernel does not capture file descriptors under pytest (it looks for PYTEST_CURRENT_TEST): the
    # kernel gets the environment a student's kernel has, so the capture and the filter are both real.
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        assert km.kernel_spec.argv[:3] == ["python", "-m", "course_utils.kernel"]

        def run(code: str) -> list[tuple[str, str]]:
            msg_id = kc.execute(code)
            out = []
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                msg = kc.get_iopub_msg(timeout=180)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    out.append((msg["content"]["name"], msg["content"]["text"]))
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return out
            raise TimeoutError(code)

        out = run("import tensorflow as tf\nprint(len(tf.config.list_physical_devices('CPU')))")
        assert out == [("stdout", "1\n")], out
        out = run("import os, time\nos.write(2, b'E0000 a real error from C++\\n')\ntime.sleep(2)")
        deadline = time.monotonic() + 20  # on a loaded machine the fd watcher may forward it a little later
        while not any("a real error" in text for _, text in out) and time.monotonic() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["msg_type"] == "stream":
                out.append((msg["content"]["name"], msg["content"]["text"]))
        assert ("stderr", "E0000 a real error from C++\n") in out, out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
