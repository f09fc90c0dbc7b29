"""Run All on a student edition in a real JupyterLab, as a student does it (issue 10).

``jupyter lab`` from the course environment serves a temporary copy of a student edition (the
committed file is never opened, so JupyterLab's autosave cannot write outputs into it), and
headless Chromium, driven by Playwright, opens it, waits for the kernel, clicks
Run > Run All Cells and waits until the kernel is idle again with every code cell numbered.
Then the page must show what a student sees: the last cell ran (its progress line
"Exercises: 0 of N pass"), the untouched exercises print their "❌ Not yet." line, and no cell
shows an error traceback.

The kernel's environment is a student's: quick mode, offline data, and *without*
``COURSE_STRICT_CHECKS`` (tests/conftest.py sets it for the test process; here a miss must print,
not raise).  JupyterLab's settings and workspaces live in the temporary folder, autosave is off,
and news/update checks are off (no network, no toast over the notebook).

Needs Playwright (``pip install playwright``; it is in requirements.txt) and a Chromium.  Playwright
cannot download its own browser here, so the test launches the system one: ``COURSE_CHROMIUM``, or
``chromium`` / ``chromium-browser`` / ``google-chrome`` on PATH; without one it is skipped.
A screenshot of the finished notebook is saved as ``run_all.png`` in the test's tmp folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "00_setup.ipynb"  # the lightest student edition with exercises: no training, data loads in seconds
STUDENT = ROOT / "notebooks" / "student" / NOTEBOOK
RUN_TIMEOUT_S = 240
START_TIMEOUT_S = 180  # a loaded 2-core machine: the server alone has taken over 60 s to answer
JUPYTER = Path(sys.executable).with_name("jupyter")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-extensions"]

# JupyterLab settings for the run: no autosave (nothing is written back), no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def chromium_path() -> str | None:
    """The system Chromium/Chrome to drive (Playwright's own download is not used)."""
    explicit = os.environ.get("COURSE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def student_env() -> dict:
    """The kernel's (and server's) environment: a student's quick, offline run; misses print."""
    env = dict(os.environ)
    env.pop("COURSE_STRICT_CHECKS", None)
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("MPLBACKEND", None)  # the notebook's inline backend, as in a student's JupyterLab
    env.update(COURSE_QUICK="1", COURSE_OFFLINE="1", COURSE_ALLOW_SYNTHETIC="1", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONUNBUFFERED="1")
    return env


@contextmanager
def jupyter_lab(root: Path, home: Path):
    """A JupyterLab server on 127.0.0.1 serving ``root``; yields its base URL and token."""
    for name, value in LAB_SETTINGS.items():
        target = home / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value), encoding="utf-8")
    port, token = free_port(), secrets.token_hex(16)
    env = student_env()
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               IPYTHONDIR=str(home / "ipython"))
    log = (home / "lab.log").open("w", encoding="utf-8")
    cmd = [str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
           "--LabApp.news_url=", "--LabApp.expose_app_in_browser=True", "--ServerApp.allow_root=True"]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{(home / 'lab.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                log = (home / "lab.log").read_text()
                raise RuntimeError(f"jupyter lab did not answer in {START_TIMEOUT_S} s:\n{log}")
            time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def chromium_page(viewport=(1400, 1000)):
    """A Playwright page in the system Chromium (headless)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            yield page
        finally:
            browser.close()


def open_notebook(page, base: str, token: str, rel: str, timeout_s: float = 180) -> None:
    """Open ``rel`` (relative to the server root) and wait until its kernel is idle."""
    page.goto(f"{base}/lab/tree/{rel}?token={token}", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout_s * 1000)
    deadline, calm = time.monotonic() + timeout_s, 0
    while calm < 4:  # idle, with no dialog, for 4 checks in a row (2 s)
        dialog = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
        if dialog.count():  # "Select Kernel" may pop up after the first idle: keep the notebook's kernel
            dialog.first.click()
            calm = 0
        calm = calm + 1 if page.evaluate(IDLE_JS) else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"the kernel was not idle {timeout_s:.0f} s after opening {rel}")
        page.wait_for_timeout(500)


IDLE_JS = """() => !!document.querySelector(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]')"""


def click_menu(page, *path: str) -> None:
    """Click a main-menu entry, e.g. ``click_menu(page, "Run", "Run All Cells")``."""
    top = page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(path[0])}$"))
    for attempt in range(4):  # a click while the page is still busy can leave the menu closed: retry
        top.click()
        try:
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(path[1])}$")).first.wait_for(
                state="visible", timeout=5000)
            break
        except Exception:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")
    for label in path[1:]:
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$")).first.click()


# JavaScript: the open notebook's code cells as JupyterLab's model holds them (execution count and
# nbformat outputs: output_type, text, ename...).  The DOM alone cannot tell an error from stderr
# (JupyterLab renders both as application/vnd.jupyter.stderr); the model can.
# (--LabApp.expose_app_in_browser gives window.jupyterapp, as JupyterLab's own UI tests use.)
MODEL_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells, out = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    const outputs = [];
    for (let j = 0; j < c.outputs.length; j++) outputs.push(c.outputs.get(j).toJSON());
    out.push({count: c.executionCount, outputs: outputs});
  }
  return out;
}"""

# JavaScript: the text every output area of the open notebook shows (textContent: cells scrolled out
# of view are not rendered, content-visibility, so innerText would miss them).
SHOWN_JS = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')).map(c =>
    Array.from(c.querySelectorAll('.jp-OutputArea-output')).map(o => o.textContent).join('\\n'))"""

# Run All has finished when the kernel is idle and no cell waits ("[*]"): every code cell has its
# execution count, or a cell raised (JupyterLab then drops the rest of the queue).
DONE_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return false;
  const ind = panel.node.querySelector('.jp-Notebook-ExecutionIndicator');
  if (!ind || ind.getAttribute('data-status') !== 'idle') return false;
  const prompts = Array.from(panel.node.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')).map(p => p.textContent);
  if (prompts.some(p => p.includes('*'))) return false;
  const cells = panel.content.model.cells;
  let numbered = true, raised = false;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    if (c.executionCount === null) numbered = false;
    for (let j = 0; j < c.outputs.length; j++) if (c.outputs.get(j).type === 'error') raised = true;
  }
  return numbered || raised;
}"""


def run_all_and_wait(page, timeout_s: float = RUN_TIMEOUT_S) -> list[dict]:
    """Run > Run All Cells, then wait until the kernel is idle with every code cell numbered (or one
    raised).  Returns the code cells: ``{"count", "outputs" (nbformat dicts), "shown" (text on the page)}``."""
    click_menu(page, "Run", "Run All Cells")
    page.wait_for_timeout(1000)  # the queue's "[*]" prompts appear first
    page.wait_for_function(DONE_JS, timeout=timeout_s * 1000, polling=500)
    cells, shown = page.evaluate(MODEL_JS), page.evaluate(SHOWN_JS)
    assert len(cells) == len(shown), (len(cells), len(shown))
    return [dict(cell, shown=text) for cell, text in zip(cells, shown)]


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    return "".join((output.get("data") or {}).get("text/plain", ""))


@pytest.mark.slow
def test_run_all_on_a_student_edition_reaches_the_end_and_shows_misses(tmp_path):
    pytest.importorskip("playwright.sync_api", reason="needs Playwright (pip install playwright)")
    if chromium_path() is None:
        pytest.skip("needs a Chromium (set COURSE_CHROMIUM or install chromium); Playwright's download is not used")
    if not JUPYTER.exists():
        pytest.skip(f"no jupyter next to {sys.executable}")
    if not STUDENT.exists():
        pytest.skip(f"no student edition {STUDENT.relative_to(ROOT)} (run ./course student)")
    root = tmp_path / "course"
    (root / "notebooks" / "student").mkdir(parents=True)
    shutil.copy(STUDENT, root / "notebooks" / "student" / NOTEBOOK)
    home = tmp_path / "jupyter"
    home.mkdir()
    rel = f"notebooks/student/{NOTEBOOK}"
    start = time.monotonic()
    with jupyter_lab(root, home) as (base, token), chromium_page() as page:
        open_notebook(page, base, token, rel)
        try:
            cells = run_all_and_wait(page)
        finally:  # what the student would see, also when the wait fails
            page.screenshot(path=str(tmp_path / "run_all.png"))
        first_miss = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output",
                                  has_text="❌ Not yet.").first
        if first_miss.count():
            first_miss.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "first_miss.png"))
    seconds = time.monotonic() - start
    print(f"Run All in JupyterLab: {len(cells)} code cells in {seconds:.0f} s; screenshots in {tmp_path}")

    errors = [(i, _text(o)) for i, c in enumerate(cells) for o in c["outputs"] if o.get("output_type") == "error"]
    assert not errors, f"a cell raised (code cell, error): {errors}"
    not_run = [i for i, c in enumerate(cells) if c["count"] is None]
    assert not not_run, f"Run All stopped: code cells without an execution count: {not_run}"
    assert not [i for i, c in enumerate(cells) if "Traceback (most recent call last)" in c["shown"]], \
        "a traceback is shown on the page"
    last = cells[-1]["shown"]
    progress = re.search(r"Exercises: 0 of (\d+) pass", last)
    assert progress, ("the last code cell does not show the progress line 'Exercises: 0 of N pass'; "
                      f"it shows {last[:500]!r}")
    assert int(progress.group(1)) >= 1
    missed = [i for i, c in enumerate(cells) if "❌ Not yet." in c["shown"]]
    assert missed, "no output on the page shows a '❌ Not yet.' line"
