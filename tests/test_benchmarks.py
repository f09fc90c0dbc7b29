"""Tests of the training benchmark (benchmarks/): the smoke run end to end, and its arithmetic.

No timed assertions: the performance targets live in the benchmark's printed figures.
These tests check that the harness runs, that its report has the promised structure,
and that every derived figure and ratio is computed from the measured numbers.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from benchmarks import configs as C
from benchmarks import models, report
from benchmarks import run as bench_run
from benchmarks.nbtime import execute

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 ** 2


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, path)
    return path


def _raw(epochs, accs, *, n_train=1000, prep=0.5, fit_start=0.25, rss=100 * MB, cpu=None):
    return {"epoch_seconds": list(epochs), "epoch_cpu_seconds": list(cpu or epochs), "test_accuracy": list(accs),
            "final_test_accuracy": accs[-1] if accs else None, "data": {"n_train": n_train},
            "prep_seconds": prep, "fit_start_seconds": fit_start, "peak_rss_bytes": rss}


# --------------------------------------------------------------------------- arithmetic


def test_derive_follows_the_documented_rules():
    raw = _raw([9.0, 2.0, 4.0, 3.0], [0.70, 0.80, 0.85, 0.84], n_train=1200)
    d = report.derive(raw, target=0.85)
    assert d["first_epoch_s"] == raw["epoch_seconds"][0]
    assert d["steady_epoch_s"] == sorted(raw["epoch_seconds"][1:])[1]  # median of epochs 2..n
    assert d["examples_per_s"] == raw["data"]["n_train"] / d["steady_epoch_s"]
    # reached at the 3rd epoch: preparation + fit start-up + the first three epochs
    assert d["epochs_to_target"] == 3
    assert d["time_to_target_s"] == pytest.approx(raw["prep_seconds"] + raw["fit_start_seconds"]
                                                  + sum(raw["epoch_seconds"][:3]))
    assert d["cpu_to_target_s"] == pytest.approx(sum(raw["epoch_cpu_seconds"][:3]))


def test_derive_without_reaching_the_target_and_with_one_epoch():
    d = report.derive(_raw([5.0, 1.0], [0.5, 0.6]), target=0.9)
    assert d["time_to_target_s"] is None and d["epochs_to_target"] is None
    one = report.derive(_raw([5.0], [0.5]), target=None)
    assert one["steady_epoch_s"] is None and one["examples_per_s"] is None


def test_ratios_are_course_over_baseline_and_missing_stays_missing():
    base = report.derive(_raw([10.0, 4.0, 4.0], [0.8, 0.85, 0.9]), target=0.9)
    course = report.derive(_raw([6.0, 1.0, 1.0], [0.88, 0.91, 0.92], rss=150 * MB), target=0.9)
    r = report.ratios(course, base)
    for key in ("first_epoch_s", "steady_epoch_s", "examples_per_s", "time_to_target_s", "cpu_to_target_s",
                "peak_rss_bytes"):
        assert r[key] == pytest.approx(course[key] / base[key])
    never = report.derive(_raw([6.0, 1.0], [0.1, 0.2]), target=0.9)
    assert report.ratios(never, base)["time_to_target_s"] is None


def test_configs_baseline_is_the_seed_reference_configuration():
    for task in C.TASKS:
        cfg = C.BASELINE[task]
        assert (cfg.pipeline, cfg.batch_size, cfg.epochs, cfg.optimizer, cfg.jit_compile) == \
            ("numpy", 32, 5, "adam", "auto")
    names = [c.name for c in C.sweep_configs()]
    assert len(names) == len(set(names)) == len(C.SWEEP_BATCHES) * len(C.SWEEP_XLA) + len(C.SWEEP_EXTRAS)


def test_bad_options_are_refused_with_a_message():
    for args in (["--only", "everything"], ["--tasks", "imagenet"], ["--epochs", "0"]):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.run", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 2
        assert args[1] in proc.stderr


def test_the_notebook_memory_target_is_1_5_gib_and_decides_the_verdict():
    assert report.NOTEBOOK_MEMORY_TARGET_BYTES == 1.5 * 1024 ** 3
    limit = report.NOTEBOOK_MEMORY_TARGET_BYTES
    rows = [{"notebook": "a.ipynb", "ok": True, "peak_rss_bytes": limit},
            {"notebook": "b.ipynb", "ok": True, "peak_rss_bytes": limit + MB},
            {"notebook": "c.ipynb", "ok": False, "peak_rss_bytes": MB}]
    summary = bench_run.targets_summary({"notebooks": {"full": rows}})
    assert [t["met"] for t in summary] == [True, False, None]
    assert all("<= 1.5 GiB" in t["target"] for t in summary)


# --------------------------------------------------------------------------- one source: notebook 04


def _nb04_code(marker: str) -> str:
    """The one code cell of notebook 04 that contains ``marker``."""
    cells = [c.source for c in nbformat.read(ROOT / "notebooks" / models.FASHION_NOTEBOOK, as_version=4).cells
             if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"notebook 04 should have one code cell with {marker!r}, found {len(cells)}"
    return cells[0]


def test_course_models_are_the_notebooks_own():
    """The benchmark builds notebooks 04's and 06's models with their code: same layers, same settings."""
    keras = pytest.importorskip("keras")
    for builder, notebook, name in [(models.course_fashion_dense, models.FASHION_NOTEBOOK, "make_dense"),
                                    (models.course_fashion_cnn, models.FASHION_NOTEBOOK, "make_cnn"),
                                    (models.course_cifar_alexnet, models.CIFAR_NOTEBOOK, "make_model")]:
        src = next(c.source for c in nbformat.read(ROOT / "notebooks" / notebook, as_version=4).cells
                   if c.cell_type == "code" and f"def {name}(" in c.source)
        ns = {"keras": keras, "layers": keras.layers, "np": __import__("numpy")}
        exec(src, ns)  # noqa: S102 - the course's own notebook, run whole here
        expected, built = ns[name](), builder()
        strip = lambda m: [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})  # noqa: E731
                           for layer in m.layers]
        assert strip(built) == strip(expected), f"{builder.__name__} differs from {notebook}'s {name}"
        assert built.count_params() == expected.count_params() > 0
    # ... and nothing is re-typed here: the course builders hold no layer of their own
    import inspect
    for builder in (models.course_fashion_dense, models.course_fashion_cnn, models.course_cifar_alexnet):
        assert "layers." not in inspect.getsource(builder)


def test_notebook_function_runs_only_definitions_and_says_what_is_missing(tmp_path):
    pytest.importorskip("keras")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def helper():\n    return 2\n\ndef make():\n    return helper() * 21\n\n"
                                          "raise RuntimeError('a side effect that must not run')")]
    nbformat.write(nb, tmp_path / "99_x.ipynb")
    assert models.notebook_function("99_x.ipynb", "make", folder=tmp_path)() == 42
    with pytest.raises(LookupError, match=r"99_x.ipynb: expected one code cell defining `def absent\(`, found 0"):
        models.notebook_function("99_x.ipynb", "absent", folder=tmp_path)
    with pytest.raises(FileNotFoundError, match="98_missing.ipynb not found"):
        models.notebook_function("98_missing.ipynb", "make", folder=tmp_path)


class _Recorder:
    """Stands in for a Keras model: records what the notebook's ``train`` passes to compile and fit."""

    def compile(self, **kwargs):
        self.compiled = kwargs

    def fit(self, *args, **kwargs):
        self.fitted = (args, kwargs)


def test_course_recipe_is_notebook_04s(monkeypatch):
    """configs.COURSE["fashion_*"] is what notebook 04's data cell and ``train`` do in full mode."""
    keras = pytest.importorskip("keras")
    import numpy as np

    from course_utils.callbacks import EpochTimer
    from course_utils.config import pick, take

    monkeypatch.setenv("COURSE_QUICK", "0")
    n = 6_000  # a small stand-in of the training set: the notebook holds out a fixed number of images
    ns = {"np": np, "keras": keras, "pick": pick, "take": take, "EpochTimer": EpochTimer,
          "x_train_full": np.zeros((n, 28, 28), np.uint8), "y_train_full": np.zeros(n, np.uint8),
          "x_test": np.zeros((100, 28, 28), np.uint8), "y_test": np.zeros(100, np.uint8)}
    exec(_nb04_code("x_val, y_val = "), ns)  # noqa: S102
    exec(_nb04_code("def train("), ns)  # noqa: S102
    model = _Recorder()
    ns["train"](model)
    (x, _), fit = model.fitted[0], model.fitted[1]
    opt = model.compiled["optimizer"]
    lr = opt.get_config()["learning_rate"]  # a schedule is serialised as {"class_name": ..., "config": ...}
    seeds = {int(s) for s in __import__("re").findall(r"set_random_seed\((\d+)\)", _nb04_code("train(dense)"))}
    for task in ("fashion_dense", "fashion_cnn"):
        cfg = C.COURSE[task]
        assert cfg.pipeline == "numpy" and isinstance(x, np.ndarray)            # fit on the arrays themselves
        assert cfg.scaling == "none" and x.dtype == np.uint8                   # the model rescales
        assert cfg.channel_axis and x.shape[1:] == (28, 28, 1)
        assert len(x) == n - cfg.holdout and len(fit["validation_data"][0]) == cfg.holdout
        assert (fit["batch_size"], fit["epochs"]) == (cfg.batch_size, cfg.epochs)
        assert model.compiled["steps_per_execution"] == cfg.steps_per_execution
        assert model.compiled.get("jit_compile", "auto") == cfg.jit_compile
        assert isinstance(opt, keras.optimizers.Adam) and cfg.optimizer == "adam"
        assert cfg.cosine_decay and lr["class_name"] == "CosineDecay" and lr["config"]["alpha"] == 0.0  # to 0
        assert lr["config"]["initial_learning_rate"] == cfg.learning_rate
        assert lr["config"]["decay_steps"] == cfg.epochs * -(-len(x) // cfg.batch_size)  # as benchmarks/worker.py
        assert model.compiled["loss"] == "sparse_categorical_crossentropy" and not cfg.logits
        assert seeds == {cfg.seed}
        assert cfg.model == f"course_{task}"


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_smoke_run_end_to_end(tmp_path):
    """``--quick`` on one model, the overhead part and one tiny notebook; then check the report."""
    nb = _notebook(tmp_path / "99_tiny.ipynb",
                   "import numpy as np\nblock = np.ones(300 * 2**20 // 8)  # 300 MB, touched\nfloat(block.sum())")
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "models,overhead,notebooks",
         "--tasks", "fashion_dense", "--notebooks", str(nb), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rep = json.loads((out / "report.json").read_text())
    md = (out / "report.md").read_text()
    assert "SMOKE RUN" in md and "course / seed" in md and "Machine:" in md
    assert "| 99_tiny.ipynb |" in md

    # The machine's description is there, with the load average.
    m = rep["machine"]
    assert m["cores"] >= 1 and m["tensorflow"] and len(m["load_start"]) == 3 and len(m["load_end"]) == 3
    assert "intra_op" in m["threads"]

    # One model, measured on both sides; every derived figure recomputed from the raw numbers.
    (item,) = rep["models"]
    assert item["task"] == "fashion_dense" and item["stand_in"] is False
    base_raw, course_raw = item["baseline"]["raw"], item["course"]["raw"]
    assert base_raw["config"]["pipeline"] == "numpy" and base_raw["config"]["batch_size"] == 32
    course = C.COURSE["fashion_dense"]
    assert (course_raw["config"]["model"], course_raw["config"]["cosine_decay"]) == (course.model, course.cosine_decay)
    assert len(base_raw["epoch_seconds"]) == len(base_raw["test_accuracy"]) == 2
    assert item["target_accuracy"] == base_raw["final_test_accuracy"] == base_raw["test_accuracy"][-1]
    for side in ("baseline", "course"):
        raw, derived = item[side]["raw"], item[side]["derived"]
        assert derived == report.derive(raw, item["target_accuracy"])
        assert derived["steady_epoch_s"] == report.median(raw["epoch_seconds"][1:])
        assert raw["peak_rss_bytes"] > 50 * MB  # a TensorFlow process holding a data set
    for key, value in item["ratios"].items():
        c, b = item["course"]["derived"][key], item["baseline"]["derived"][key]
        if c is None or not b:
            assert value is None
        else:
            assert math.isclose(value, c / b)
    # The baseline reaches its own final accuracy by definition.
    assert item["baseline"]["derived"]["time_to_target_s"] is not None

    # Overhead: both settings measured, percentages computed from them.
    ov = rep["overhead"]
    assert ov["plain_steady_s"] > 0 and ov["helpers_steady_s"] > 0
    assert ov["ab_overhead_pct"] == pytest.approx((ov["helpers_steady_s"] - ov["plain_steady_s"])
                                                  / ov["plain_steady_s"] * 100)
    assert any("EpochTimer" in h for h in ov["helpers"])

    # The notebook: executed, timed, and its 300 MB seen in the kernel's peak memory.
    (nbr,) = rep["notebooks"]["quick"]
    assert nbr["ok"] and nbr["seconds"] > 0
    assert nbr["peak_rss_bytes"] >= 300 * MB
    assert rep["notebooks"]["quick_total_s"] == pytest.approx(nbr["seconds"])
    assert {t["target"] for t in rep["targets"]} >= {"course helpers add < 2 % to an epoch",
                                                     "whole notebook suite in quick mode < 10 min"}


@pytest.mark.slow
def test_a_failing_notebook_is_reported_not_hidden(tmp_path):
    nb = _notebook(tmp_path / "98_broken.ipynb", "x = 1", "raise ValueError('deliberately broken')")
    result = execute(nb, "quick", timeout=120)
    assert result["ok"] is False
    assert "deliberately broken" in result["error"]
    assert result["seconds"] > 0 and result["peak_rss_bytes"] > 0
