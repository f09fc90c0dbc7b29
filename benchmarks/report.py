"""Derived figures, ratios and the tables of the benchmark report.

Everything here is computed from the raw measurements the subprocesses return, so a
reader (and ``tests/test_benchmarks.py``) can recompute each figure from the JSON:

- steady-state seconds per epoch = the median of epochs 2..n (the first epoch, which
  carries tracing, XLA compilation and filling the ``tf.data`` cache, is reported apart);
- examples per second = training examples / steady-state seconds per epoch;
- time to target = preparation + ``fit`` start-up + every epoch up to and including the
  first one whose test accuracy reaches the target (evaluation time excluded).  The
  target is the BASELINE's own final test accuracy measured in the same run, so both
  sides of a ratio come from one machine, one load and one data set;
- ratio = course / baseline (below 1 is better for seconds and memory; above 1 is
  better for examples per second).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

GB = 1024 ** 3  # a GiB (binary), as the memory figures are printed
MB = 1024 ** 2
# Issue 13: every notebook in full mode within 1.5 GiB peak resident memory of the kernel's process tree
# (a classroom server's per-student share; mybinder.org allows 2 GB).
NOTEBOOK_MEMORY_TARGET_BYTES = int(1.5 * GB)
NOTEBOOK_MEMORY_TARGET = "<= 1.5 GiB"


def median(values):
    """The median of a non-empty sequence (None for an empty one)."""
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def derive(raw: dict, target: float | None) -> dict:
    """The figures of one run, from its raw measurements and the accuracy target."""
    epochs = raw["epoch_seconds"]
    steady = median(epochs[1:])
    n_train = raw["data"]["n_train"]
    out = {
        "first_epoch_s": epochs[0] if epochs else None,
        "steady_epoch_s": steady,
        "examples_per_s": (n_train / steady) if steady else None,
        "steady_epoch_cpu_s": median(raw.get("epoch_cpu_seconds", [])[1:]),
        "final_test_accuracy": raw.get("final_test_accuracy"),
        "target_accuracy": target,
        "time_to_target_s": None,
        "cpu_to_target_s": None,
        "epochs_to_target": None,
        "peak_rss_bytes": raw["peak_rss_bytes"],
        "train_wall_s": raw["prep_seconds"] + (raw["fit_start_seconds"] or 0.0) + sum(epochs),
    }
    bd = raw.get("breakdown")
    if bd and steady:
        step_ms = steady / bd["steps_per_epoch"] * 1000
        out["breakdown"] = {"steps_per_epoch": bd["steps_per_epoch"], "step_ms": step_ms,
                            "compute_step_ms": bd["compute_step_ms"],
                            "other_step_ms": step_ms - bd["compute_step_ms"],
                            "input_alone_epoch_s": bd["input_epoch_s"]}
    if target is not None:
        elapsed = raw["prep_seconds"] + (raw["fit_start_seconds"] or 0.0)
        for i, (seconds, acc) in enumerate(zip(epochs, raw["test_accuracy"])):
            elapsed += seconds
            if acc >= target:
                out["time_to_target_s"] = elapsed
                out["epochs_to_target"] = i + 1
                cpu = raw.get("epoch_cpu_seconds")
                out["cpu_to_target_s"] = sum(cpu[: i + 1]) if cpu else None
                break
    return out


RATIO_KEYS = ("first_epoch_s", "steady_epoch_s", "steady_epoch_cpu_s", "examples_per_s", "time_to_target_s",
              "cpu_to_target_s", "peak_rss_bytes")


def ratios(course: dict, baseline: dict) -> dict:
    """course / baseline for each figure both sides have (None where one is missing)."""
    out = {}
    for key in RATIO_KEYS:
        c, b = course.get(key), baseline.get(key)
        out[key] = (c / b) if (c is not None and b) else None
    return out


# --------------------------------------------------------------------------- formatting


def fmt(value, kind="s"):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "s":
        return f"{value:.2f} s"
    if kind == "x":
        return f"{value:.2f}x"
    if kind == "acc":
        return f"{value:.4f}"
    if kind == "mem":
        return f"{value / MB:,.0f} MiB"
    if kind == "rate":
        return f"{value:,.0f}/s"
    if kind == "pct":
        return f"{value:+.2f} %"
    return str(value)


def md_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_lines(machine: dict) -> list[str]:
    threads = machine.get("threads", {})
    return [
        f"- CPU: {machine.get('cpu_model')} ({machine.get('cores')} cores usable, "
        f"{machine.get('logical_cpus')} logical)",
        f"- memory: {machine.get('memory_gb')} GB; OS: {machine.get('platform')}",
        f"- Python {machine.get('python')}, TensorFlow {machine.get('tensorflow')}, Keras {machine.get('keras')}, "
        f"NumPy {machine.get('numpy')}",
        f"- threads: TensorFlow intra-op {threads.get('intra_op')}, inter-op {threads.get('inter_op')} "
        f"(0 = TensorFlow's default: one per core); env {threads.get('env') or '{}'}",
        f"- load average (1, 5, 15 min) at start {machine.get('load_start')}, at end {machine.get('load_end')}"
        + ("  ** the CPU was busy: absolute figures are contaminated **" if machine.get("busy") else ""),
        f"- date: {machine.get('date_utc')}",
    ]


def model_rows(models: list[dict]) -> list[list[str]]:
    rows = []
    for m in models:
        stand_in = " (STAND-IN data: s/epoch only)" if m.get("stand_in") else ""
        for side in ("baseline", "course"):
            r = m.get(side)
            if not r:
                continue
            d = r["derived"]
            rows.append([f"{m['task']}{stand_in}", side, r["label"], fmt(d["first_epoch_s"]), fmt(d["steady_epoch_s"]),
                         fmt(d["steady_epoch_cpu_s"]), fmt(d["examples_per_s"], "rate"),
                         fmt(d["final_test_accuracy"], "acc"),
                         (fmt(d["time_to_target_s"])
                          + (f" ({d['epochs_to_target']} ep)" if d["epochs_to_target"] else ""))
                         if not m.get("stand_in") else "n/a (stand-in)",
                         fmt(d["peak_rss_bytes"], "mem")])
        ra = m.get("ratios")
        if ra:
            rows.append([f"{m['task']}{stand_in}", "**course / seed**", "", fmt(ra["first_epoch_s"], "x"),
                         fmt(ra["steady_epoch_s"], "x"), fmt(ra["steady_epoch_cpu_s"], "x"),
                         fmt(ra["examples_per_s"], "x"), "",
                         fmt(ra["time_to_target_s"], "x") if not m.get("stand_in") else "n/a",
                         fmt(ra["peak_rss_bytes"], "x")])
    return rows


MODEL_HEADER = ["task", "run", "settings", "first epoch", "steady s/epoch", "CPU s/epoch", "examples/s",
                "final test acc",
                "time to seed's acc", "peak RSS"]


def render_markdown(report: dict) -> str:
    """The whole report as markdown (also what is printed to stdout)."""
    out = ["# Training benchmark", ""]
    if report.get("quick"):
        out += ["**SMOKE RUN (--quick): tiny data and epochs; the figures only show that the harness works.**", ""]
    out += ["Machine:", *machine_lines(report["machine"]), ""]
    out += [f"Command: `{report['command']}`", ""]

    if report.get("models"):
        out += ["## Seed code vs course, per model", "",
                "Target accuracy = the seed baseline's own final test accuracy in this run. "
                "Steady s/epoch = median wall time of epochs 2..n; CPU s/epoch = the CPU time the run used in "
                "such an epoch (all threads; less disturbed by other processes). Ratios = course / seed.", ""]
        out += [md_table(MODEL_HEADER, model_rows(report["models"])), ""]
        for m in report["models"]:
            out.append(f"- {m['task']}: target accuracy {fmt(m.get('target_accuracy'), 'acc')}; "
                       f"data: {m.get('data_source')}; course recipe: {m.get('recipe_source')}")
        out.append("")

    bd_rows = []
    for m in report.get("models", []):
        for side in ("baseline", "course"):
            d = (m.get(side) or {}).get("derived") or {}
            b = d.get("breakdown")
            if b:
                bd_rows.append([m["task"], side, b["steps_per_epoch"], f"{b['step_ms']:.2f} ms",
                                f"{b['compute_step_ms']:.2f} ms", f"{b['other_step_ms']:.2f} ms",
                                fmt(b["input_alone_epoch_s"])])
    if bd_rows:
        out += ["### Where a steady epoch's time goes (per training step)", "",
                "compute = the train step on one batch already in memory (no input cost); other = the rest "
                "of a real step (input pipeline not hidden by prefetching, per-step overhead); input alone = "
                "iterating one epoch of the input without a model.", ""]
        out += [md_table(["task", "run", "steps/epoch", "real step", "compute", "other", "input alone / epoch"],
                         bd_rows), ""]

    sweep = report.get("sweep")
    if sweep and sweep.get("runs"):
        out += ["## Batch size and XLA sweep (course Fashion-MNIST CNN)", "",
                f"Target accuracy {fmt(sweep.get('target_accuracy'), 'acc')} (the seed CNN's, this run).", ""]
        rows = []
        for r in sweep["runs"]:
            if "derived" not in r:
                rows.append([r["label"], "FAILED", "", "", "", "", "", "", ""])
                continue
            d = r["derived"]
            if d["time_to_target_s"] is not None:
                ttt = fmt(d["time_to_target_s"]) + f" ({d['epochs_to_target']} ep)"
            elif r["raw"].get("stopped_early"):
                ttt = f"> {fmt(r['raw']['config']['stop_after_s'])} (stopped: slower than the best)"
            else:
                ttt = "not reached"
            rows.append([r["label"], fmt(d["first_epoch_s"]), fmt(d["steady_epoch_s"]), fmt(d["steady_epoch_cpu_s"]),
                         fmt(d["examples_per_s"], "rate"), fmt(d["final_test_accuracy"], "acc"), ttt,
                         fmt(d["cpu_to_target_s"]), fmt(d["peak_rss_bytes"], "mem")])
        out += [md_table(["settings", "first epoch", "steady s/epoch", "CPU s/epoch", "examples/s", "final test acc",
                          "time to seed's acc", "CPU s to seed's acc", "peak RSS"], rows), ""]
        out += [f"Fastest to the seed's accuracy: **{sweep.get('fastest') or 'none reached it'}**", ""]
        bd = [(r["label"], r["derived"]["breakdown"]) for r in sweep["runs"]
              if (r.get("derived") or {}).get("breakdown")]
        if bd:
            out += [md_table(["settings", "steps/epoch", "real step", "compute", "other", "input alone / epoch"],
                             [[lab, b["steps_per_epoch"], f"{b['step_ms']:.2f} ms", f"{b['compute_step_ms']:.2f} ms",
                               f"{b['other_step_ms']:.2f} ms", fmt(b["input_alone_epoch_s"])] for lab, b in bd]), ""]

    ov = report.get("overhead")
    if ov:
        out += ["## Course helpers' overhead on an epoch", ""]
        out += [f"- model: {ov.get('label')}; helpers: {', '.join(ov.get('helpers', []))}",
                f"- steady epoch without helpers {fmt(ov.get('plain_steady_s'))}, with helpers "
                f"{fmt(ov.get('helpers_steady_s'))}: {fmt(ov.get('ab_overhead_pct'), 'pct')} "
                f"(A/B, {ov.get('repeats')} interleaved runs; noise: {fmt(ov.get('ab_noise_pct'), 'pct')} "
                "between repeats of the same setting)",
                f"- time spent inside the helpers' callback hooks: {fmt(ov.get('hook_seconds_per_epoch'))} per epoch = "
                f"{fmt(ov.get('hook_overhead_pct'), 'pct')} of an epoch",
                f"- plotting after training (once): {fmt(ov.get('plot_seconds'))} = "
                f"{fmt(ov.get('plot_pct_of_epoch'), 'pct')} of one epoch",
                f"- total per epoch over a {ov.get('epochs_for_amortising')}-epoch run: "
                f"**{fmt(ov.get('total_overhead_pct'), 'pct')}** (target < 2 %)", ""]

    nb = report.get("notebooks")
    if nb:
        if nb.get("quick"):
            out += ["## Notebooks in quick mode (COURSE_QUICK=1, COURSE_ALLOW_SYNTHETIC=1)", ""]
            rows = [[r["notebook"], fmt(r.get("seconds")), fmt(r.get("peak_rss_bytes"), "mem"),
                     "ok" if r.get("ok") else f"FAILED: {r.get('error', '')[:80]}"] for r in nb["quick"]]
            rows.append(["**total**", fmt(nb.get("quick_total_s")), "", "target < 600 s"])
            out += [md_table(["notebook", "wall time", "kernel peak RSS", "status"], rows), ""]
        if nb.get("full"):
            out += ["## Notebooks in full mode (peak resident memory of the kernel's process tree)", ""]
            rows = [[r["notebook"], fmt(r.get("seconds")), fmt(r.get("peak_rss_bytes"), "mem"),
                     "ok" if r.get("ok") else f"FAILED: {r.get('error', '')[:80]}"] for r in nb["full"]]
            out += [md_table(["notebook", "wall time", "kernel peak RSS", "status"], rows), "",
                    f"Target: {NOTEBOOK_MEMORY_TARGET} per notebook.", ""]

    if report.get("targets"):
        out += ["## Targets", ""]
        rows = [[t["target"], t["measured"], {True: "met", False: "MISSED", None: "not measured"}[t["met"]]]
                for t in report["targets"]]
        out += [md_table(["target", "measured", "verdict"], rows), ""]
    for note in report.get("notes", []):
        out.append(f"- {note}")
    return "\n".join(out).rstrip() + "\n"


def write(report: dict, out_dir: Path) -> tuple[Path, Path]:
    """Write report.json and report.md into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "report.json", out_dir / "report.md"
    json_path.write_text(json.dumps(report, indent=1, default=str))
    md_path.write_text(render_markdown(report))
    return json_path, md_path
