"""Consistency of the project's own files: pins, Binder, the entry point, the test command."""

import re
import subprocess
from pathlib import Path

from course_utils import env

ROOT = Path(__file__).resolve().parents[1]


def pins(path):
    found = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{path}: '{line}' is not pinned with =="
            found[name.lower().replace("_", "-")] = version
    return found


def test_binder_builds_the_same_environment_as_requirements():
    assert pins(ROOT / "binder" / "requirements.txt") == pins(ROOT / "requirements.txt")


def test_binder_installs_course_utils_and_uses_a_supported_python():
    assert "pip install --no-deps ." in (ROOT / "binder" / "postBuild").read_text()
    major, minor = map(int, (ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-").split("."))
    assert env.TESTED["python"][0] <= (major, minor) <= env.TESTED["python"][1]


def test_binder_badge_opens_jupyterlab_on_the_notebooks():
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"mybinder\.org/v2/gh/[^)\s]+\?urlpath=lab/tree/notebooks/", readme)


def test_pins_are_inside_the_tested_range():
    pinned = pins(ROOT / "requirements.txt")
    for package in ("tensorflow", "keras"):
        assert env.in_tested_range(package, pinned[package]), package


def test_course_utils_itself_does_not_pin_tensorflow():
    """On Colab, installing course_utils must not replace Colab's TensorFlow."""
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"^dependencies = \[(.*?)\]", text, re.M | re.S).group(1)
    assert "tensorflow" not in deps and "keras" not in deps


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "./course test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    # The suite, then the notebooks on the oldest supported TensorFlow/Keras; `set -e` stops at the first failure.
    assert "set -euo pipefail" in ci
    assert "./course test" in lines and lines[-1] == "./course test-oldest"


def test_course_entry_point_rejects_unknown_commands():
    result = subprocess.run([str(ROOT / "course"), "no-such-command"], capture_output=True, text=True)
    assert result.returncode == 2 and "unknown command 'no-such-command'" in result.stderr


def test_course_entry_point_help_lists_the_two_main_commands():
    result = subprocess.run([str(ROOT / "course"), "help"], capture_output=True, text=True, check=True)
    assert "./course lab" in result.stdout and "./course test" in result.stdout


def test_readme_table_links_every_notebook_in_both_editions():
    from tools.notebooks import colab_url, repo_settings, source_notebooks

    readme = (ROOT / "README.md").read_text()
    repo, branch = repo_settings(ROOT)
    for path in source_notebooks(ROOT):
        for rel in (f"notebooks/{path.name}", f"notebooks/student/{path.name}"):
            assert f"({colab_url(rel, repo, branch)})" in readme, f"README has no Colab badge for {rel}"


def test_the_tested_range_is_what_ci_runs_on():
    """Its bottom is the oldest pair CI runs the notebooks on (./course test-oldest), its top the pinned one."""
    newest, oldest = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-oldest.txt")
    for package in ("tensorflow", "keras"):
        low, high = env.TESTED[package]
        assert env._major_minor(oldest[package]) == low, (package, oldest[package], low)
        assert env._major_minor(newest[package]) == high, (package, newest[package], high)
