"""course_utils.env: the version and device checks of notebook 00."""

from types import SimpleNamespace

import pytest

from course_utils import env


def test_versions_here_are_in_the_tested_range():
    rows = {r["package"]: r for r in env.version_report(warn=False)}
    assert set(rows) == {"python", "tensorflow", "keras"}
    assert all(r["verdict"] == "ok" for r in rows.values()), rows


def test_outside_the_range_warns_and_does_not_crash(monkeypatch):
    versions = {"tensorflow": "2.15.1", "python": "3.11.0", "keras": "3.15.0"}
    monkeypatch.setattr(env, "installed_version", versions.get)
    with pytest.warns(env.UntestedVersionWarning, match="tensorflow 2.15.1"):
        rows = {r["package"]: r for r in env.version_report()}
    assert rows["tensorflow"]["verdict"].startswith("untested")
    assert rows["keras"]["verdict"] == "ok"


def test_missing_package_is_reported(monkeypatch):
    versions = {"keras": None, "tensorflow": "2.21.0", "python": "3.11.2"}
    monkeypatch.setattr(env, "installed_version", versions.get)
    rows = {r["package"]: r for r in env.version_report(warn=False)}
    assert rows["keras"]["verdict"].startswith("MISSING")


def fake(kind, name):
    return SimpleNamespace(device_type=kind, name=name)


def test_devices_with_a_gpu():
    report = env.device_report([fake("CPU", "/physical_device:CPU:0"), fake("GPU", "/physical_device:GPU:0")])
    assert report["gpus"] == ["/physical_device:GPU:0"] and "Keras uses the first one" in report["advice"]


@pytest.mark.parametrize("where, words", [("colab", "Runtime > Change runtime type"), ("kaggle", "Accelerator"),
                                          ("local", "open the notebook in Colab")])
def test_gpu_instructions_without_a_gpu(monkeypatch, where, words):
    monkeypatch.setattr(env, "platform_name", lambda: where)
    report = env.device_report([fake("CPU", "/physical_device:CPU:0")])
    assert report["gpus"] == [] and words in report["advice"]


def test_real_device_list_has_a_cpu():
    assert env.device_report()["cpus"]
