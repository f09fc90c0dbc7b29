"""The course's training benchmark: ``./course bench [OPTIONS]``  (``python -m benchmarks.run``).

Parts (``--only``, comma-separated; default: all four):

- ``models``    the seed code's reference configurations vs the course's recipes, per model:
                first epoch, steady-state seconds per epoch, examples per second, wall time to
                the seed's test accuracy, peak resident memory, and course / seed ratios;
- ``sweep``     the course's Fashion-MNIST CNN at several batch sizes, with and without XLA:
                which reaches the seed's accuracy fastest on this machine;
- ``overhead``  the course helpers' overhead on an epoch (timing callback, progress, plots);
- ``notebooks`` each ``notebooks/NN_*.ipynb`` executed in quick mode (time, peak memory);
                ``--notebooks-full 04 07`` also runs those notebooks in full mode.

Every training configuration and every notebook runs in its own subprocess, so each
peak-memory figure is that configuration's own.  The report is printed and written to
``build/bench/report.md`` and ``build/bench/report.json`` (``--out`` to change).

``--quick`` is a smoke run (a few hundred images, 2 epochs): it shows that the harness
works, its figures mean nothing.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from . import configs as C
from . import machine, report

PARTS = ("models", "sweep", "overhead", "notebooks")
ROOT = Path(__file__).resolve().parents[1]
QUICK_TRAIN, QUICK_TEST, QUICK_EPOCHS = 512, 256, 2


# --------------------------------------------------------------------------- subprocesses


def _busy_cpu_seconds() -> float | None:
    """CPU seconds all processes on the machine have used so far (non-idle time)."""
    try:
        import psutil

        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)
    except ImportError:
        return None


def _children_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_module(module: str, args: list[str], log_path: Path, timeout: float, env=None) -> dict:
    """Run ``python -m module args`` (which writes JSON to its --out); return the JSON plus timings.

    Also records how much CPU OTHER processes used meanwhile (``foreign_cores``: the
    machine's busy CPU time minus the subprocess's own, per second of wall time), which
    says how contaminated the figures are.
    """
    out = Path(tempfile.mkstemp(suffix=".json", prefix="bench-")[1])
    cmd = [sys.executable, "-m", module, *args, "--out", str(out)]
    busy0, child0, t0 = _busy_cpu_seconds(), _children_cpu_seconds(), time.perf_counter()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        try:
            proc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                                  env={**os.environ, **(env or {})})
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    wall = time.perf_counter() - t0
    busy1, child1 = _busy_cpu_seconds(), _children_cpu_seconds()
    own = child1 - child0
    foreign = ((busy1 - busy0) - own) / wall if busy0 is not None and wall > 0 else None
    result = {}
    if code == 0 and out.stat().st_size:
        result = json.loads(out.read_text())
    else:
        tail = log_path.read_text().strip().splitlines()[-5:]
        result = {"error": f"exit {code}; see {log_path}: " + " | ".join(tail)}
    out.unlink(missing_ok=True)
    result["subprocess"] = {"wall_s": wall, "cpu_s": own, "foreign_cores": foreign, "log": str(log_path)}
    return result


def train(config: C.Config, logs: Path, timeout: float) -> dict:
    print(f"  training {config.name}: {config.label()} ...", flush=True)
    raw = run_module("benchmarks.worker", ["--config", json.dumps(config.to_dict())],
                     logs / f"{config.name.replace('/', '__')}.log", timeout)
    if "error" in raw:
        print(f"    FAILED: {raw['error']}", flush=True)
    else:
        print(f"    epochs {', '.join(f'{s:.1f}' for s in raw['epoch_seconds'])} s "
              f"(CPU {', '.join(f'{s:.1f}' for s in raw['epoch_cpu_seconds'])} s); "
              f"test acc {', '.join(f'{a:.4f}' for a in raw['test_accuracy']) or 'not evaluated'}; "
              f"other processes used {raw['subprocess']['foreign_cores'] or 0:.2f} cores meanwhile", flush=True)
    return raw


def entry(raw: dict, config: C.Config, target) -> dict:
    """One run's report entry: its label, raw measurements and derived figures."""
    if "error" in raw:
        return {"name": config.name, "label": config.label(), "error": raw["error"], "raw": raw}
    return {"name": config.name, "label": config.label(), "raw": raw, "derived": report.derive(raw, target)}


# --------------------------------------------------------------------------- parts


def part_models(tasks, args, logs) -> tuple[list[dict], dict]:
    out, targets = [], {}
    for task in tasks:
        base_cfg = replace(adjust(C.BASELINE[task], args), breakdown=True)
        course_cfg = replace(adjust(C.COURSE[task], args), breakdown=True)
        base_raw = train(base_cfg, logs, args.timeout)
        target = None if ("error" in base_raw or task == "cifar") else base_raw["final_test_accuracy"]
        targets[task] = target
        course_raw = train(course_cfg, logs, args.timeout)
        base, course = entry(base_raw, base_cfg, target), entry(course_raw, course_cfg, target)
        item = {"task": task, "dataset": C.DATASET[task], "stand_in": task == "cifar",
                "target_accuracy": target,
                "target_rule": "the seed baseline's own final test accuracy in this run",
                "data_source": (base_raw.get("data") or {}).get("source"),
                "recipe_source": C.RECIPE_SOURCE[task],
                "baseline": base, "course": course, "ratios": None}
        if "derived" in base and "derived" in course:
            item["ratios"] = report.ratios(course["derived"], base["derived"])
        out.append(item)
    return out, targets


def part_sweep(args, logs, target) -> dict:
    batches = [int(b) for b in args.sweep_batches.split(",")]
    xla = {"both": (False, True), "on": (True,), "off": (False,)}[args.sweep_xla]
    if target is None:  # the sweep needs the seed CNN's accuracy: measure it if the models part did not
        base_cfg = adjust(C.BASELINE["fashion_cnn"], args)
        base_raw = train(base_cfg, logs, args.timeout)
        target = base_raw.get("final_test_accuracy")
    runs, best = [], None
    # Without XLA first (expected faster on a CPU); a later run that is already slower than the
    # best time to target is stopped after 2 epochs (it cannot win), which keeps the sweep short.
    extras = () if args.quick or args.no_sweep_extras else C.SWEEP_EXTRAS
    for cfg in sorted(C.sweep_configs(batches, xla, extras), key=lambda c: (c.jit_compile is True, c.batch_size)):
        cfg = adjust(cfg, args)
        if best is not None and not args.quick:
            cfg = replace(cfg, stop_after_s=best)
        if args.sweep_breakdown:
            cfg = replace(cfg, breakdown=True)
        r = entry(train(cfg, logs, args.timeout), cfg, target)
        runs.append(r)
        t = (r.get("derived") or {}).get("time_to_target_s")
        if t is not None and (best is None or t < best):
            best = t
    reached = [r for r in runs if "derived" in r and r["derived"]["time_to_target_s"] is not None]
    fastest = min(reached, key=lambda r: r["derived"]["time_to_target_s"]) if reached else None
    return {"target_accuracy": target, "runs": runs, "fastest": fastest["label"] if fastest else None}


def part_overhead(args, logs) -> dict:
    cfg = adjust(C.COURSE["fashion_cnn"], args)
    print(f"  overhead of the course helpers on {cfg.label()} ...", flush=True)
    extra = ["--verbose", str(args.overhead_verbose)]
    if args.quick:
        extra += ["--repeats", "1", "--epochs-per-fit", "2"]
    else:
        extra += ["--repeats", str(args.overhead_repeats)]
    extra += ["--amortise-epochs", str(C.COURSE["fashion_cnn"].epochs)]
    raw = run_module("benchmarks.overhead", ["--config", json.dumps(cfg.to_dict()), *extra],
                     logs / "overhead.log", args.timeout)
    if "error" in raw:
        print(f"    FAILED: {raw['error']}", flush=True)
        return {"label": cfg.label(), "error": raw["error"]}
    return summarise_overhead(raw, cfg.label())


def summarise_overhead(raw: dict, label: str) -> dict:
    """Overhead percentages from the raw epoch times, hook times and plot time."""
    plain, helped = raw["plain_steady_s"], raw["helpers_steady_s"]
    per_epoch_hooks = (raw["hook_seconds_per_epoch"] or 0.0) + (raw.get("progress_seconds_per_epoch") or 0.0)
    ab = (helped - plain) / plain * 100
    plot_pct = raw["plot_seconds"] / plain * 100
    amort = raw["epochs_for_amortising"]
    return {
        "label": label, "helpers": raw["helpers"], "repeats": raw["repeats"],
        "plain_steady_s": plain, "helpers_steady_s": helped,
        "ab_overhead_pct": ab, "ab_noise_pct": raw["ab_noise_pct"],
        "hook_seconds_per_epoch": per_epoch_hooks, "hook_overhead_pct": per_epoch_hooks / plain * 100,
        "plot_seconds": raw["plot_seconds"], "plot_pct_of_epoch": plot_pct,
        "epochs_for_amortising": amort,
        # The verdict uses the larger of the two per-epoch estimates (A/B is noisy, the hooks exact).
        "total_overhead_pct": max(ab, per_epoch_hooks / plain * 100) + plot_pct / amort,
        "raw": raw,
    }


def notebook_paths(patterns) -> list[Path]:
    paths = []
    for pattern in patterns:
        matches = sorted(glob.glob(str(ROOT / pattern))) if not os.path.isabs(pattern) else sorted(glob.glob(pattern))
        paths += [Path(p) for p in matches if Path(p) not in paths]
    return paths


def part_notebooks(args, logs) -> dict:
    result = {"quick": [], "full": []}
    if args.notebooks_quick:
        paths = notebook_paths(args.notebooks)
        if not paths:
            print(f"  no notebooks match {args.notebooks}", flush=True)
        for path in paths:
            print(f"  notebook {path.name} (quick mode) ...", flush=True)
            r = run_module("benchmarks.nbtime", [str(path), "--mode", "quick"], logs / f"nb-quick-{path.stem}.log",
                           args.timeout)
            r.setdefault("notebook", path.name)
            r.setdefault("ok", False)
            print(f"    {r.get('seconds', float('nan')):.1f} s, peak {r.get('peak_rss_bytes', 0) / report.MB:,.0f} MiB"
                  f"{'' if r.get('ok') else ' FAILED ' + str(r.get('error'))}", flush=True)
            result["quick"].append(r)
        result["quick_total_s"] = sum(r.get("seconds") or 0.0 for r in result["quick"])
        result["quick_count"] = len(result["quick"])
    for number in args.notebooks_full or []:
        paths = notebook_paths([f"notebooks/{number}_*.ipynb"]) if not number.endswith(".ipynb") else [Path(number)]
        if not paths:
            print(f"  --notebooks-full {number}: no such notebook", flush=True)
            result["full"].append({"notebook": number, "ok": False, "error": "no such notebook"})
        for path in paths:
            print(f"  notebook {path.name} (FULL mode; this takes long) ...", flush=True)
            r = run_module("benchmarks.nbtime", [str(path), "--mode", "full",
                                                 "--executed", str(logs / f"nb-full-{path.stem}.ipynb")],
                           logs / f"nb-full-{path.stem}.log", args.full_timeout)
            r.setdefault("notebook", path.name)
            r.setdefault("ok", False)
            print(f"    {r.get('seconds', float('nan')):.1f} s, peak {r.get('peak_rss_bytes', 0) / report.MB:,.0f} MiB"
                  f"{'' if r.get('ok') else ' FAILED ' + str(r.get('error'))}; executed notebook with its outputs: "
                  f"{logs / f'nb-full-{path.stem}.ipynb'}", flush=True)
            result["full"].append(r)
    return result


# --------------------------------------------------------------------------- assembling


def adjust(config: C.Config, args) -> C.Config:
    if args.quick:
        return C.shrink(config, epochs=args.epochs or QUICK_EPOCHS, train_limit=args.train_limit or QUICK_TRAIN,
                        test_limit=QUICK_TEST)
    return C.shrink(config, epochs=args.epochs, train_limit=args.train_limit)


def targets_summary(rep: dict) -> list[dict]:
    out = []
    models = {m["task"]: m for m in rep.get("models", [])}
    cnn = models.get("fashion_cnn")
    if cnn and cnn.get("ratios"):
        r = cnn["ratios"]["time_to_target_s"]
        out.append({"target": "Fashion-MNIST CNN: course reaches the seed's test accuracy in <= 0.5x the seed's time",
                    "measured": report.fmt(r, "x") if r is not None else "course never reached it",
                    "met": (r is not None and r <= 0.5)})
        ca, ba = cnn["course"]["derived"]["final_test_accuracy"], cnn["baseline"]["derived"]["final_test_accuracy"]
        out.append({"target": "Fashion-MNIST CNN: course final test accuracy >= the seed's",
                    "measured": f"{report.fmt(ca, 'acc')} vs {report.fmt(ba, 'acc')}",
                    "met": (ca is not None and ba is not None and ca >= ba)})
    ov = rep.get("overhead")
    if ov and "total_overhead_pct" in ov:
        out.append({"target": "course helpers add < 2 % to an epoch",
                    "measured": report.fmt(ov["total_overhead_pct"], "pct"),
                    "met": ov["total_overhead_pct"] < 2.0})
    nb = rep.get("notebooks") or {}
    if nb.get("quick"):
        all_ok = all(r.get("ok") for r in nb["quick"])
        out.append({"target": "whole notebook suite in quick mode < 10 min",
                    "measured": f"{nb['quick_total_s']:.0f} s for {nb['quick_count']} notebooks"
                                + ("" if all_ok else " (some FAILED)"),
                    "met": nb["quick_total_s"] < 600 if all_ok else None})
    for r in nb.get("full", []):
        if r.get("peak_rss_bytes"):
            out.append({"target": f"{r['notebook']} full mode {report.NOTEBOOK_MEMORY_TARGET} resident",
                        "measured": report.fmt(r["peak_rss_bytes"], "mem") + ("" if r.get("ok") else " (FAILED run)"),
                        "met": r["peak_rss_bytes"] <= report.NOTEBOOK_MEMORY_TARGET_BYTES if r.get("ok") else None})
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="./course bench", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--only", default=",".join(PARTS), help=f"parts to run, comma-separated from {', '.join(PARTS)}")
    p.add_argument("--tasks", default=",".join(C.TASKS), help=f"models part: tasks from {', '.join(C.TASKS)}")
    p.add_argument("--epochs", type=int, default=None, help="override every configuration's epochs")
    p.add_argument("--quick", action="store_true", help="smoke run: tiny data and 2 epochs (figures meaningless)")
    p.add_argument("--sweep-batches", default=",".join(map(str, C.SWEEP_BATCHES)))
    p.add_argument("--sweep-xla", choices=("both", "on", "off"), default="both")
    p.add_argument("--no-sweep-extras", action="store_true",
                   help="sweep only batch size x XLA (not steps_per_execution / scaled learning rate)")
    p.add_argument("--sweep-breakdown", action="store_true",
                   help="also time each sweep run's train step alone and input alone (adds about an epoch each)")
    p.add_argument("--train-limit", type=int, default=None,
                   help="train on only the first N images (exploration; time to target then means little)")
    p.add_argument("--overhead-verbose", type=int, default=None,
                   help="the Keras progress setting the notebooks use (default: the course recipe's)")
    p.add_argument("--overhead-repeats", type=int, default=3)
    p.add_argument("--notebooks", nargs="+", default=["notebooks/[0-9][0-9]_*.ipynb"],
                   help="notebooks (glob patterns relative to the repository) to time in quick mode")
    p.add_argument("--no-notebooks-quick", dest="notebooks_quick", action="store_false",
                   help="skip the quick-mode notebook timings (e.g. with --notebooks-full only)")
    p.add_argument("--notebooks-full", nargs="*", metavar="NN",
                   help="also run these notebooks (numbers like 04, or paths) in FULL mode for their peak memory")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per training subprocess or quick notebook")
    p.add_argument("--full-timeout", type=float, default=3 * 3600, help="seconds per full-mode notebook")
    args = p.parse_args(argv)
    parts = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = [s for s in parts if s not in PARTS]
    if bad:
        p.error(f"--only {args.only!r}: unknown part(s) {bad}; choose from {', '.join(PARTS)}")
    args.parts = parts
    tasks = [s.strip() for s in args.tasks.split(",") if s.strip()]
    if [t for t in tasks if t not in C.TASKS]:
        p.error(f"--tasks {args.tasks!r}: choose from {', '.join(C.TASKS)}")
    args.task_list = tasks
    if args.epochs is not None and args.epochs < 1:
        p.error(f"--epochs {args.epochs}: must be at least 1")
    if args.overhead_verbose is None:
        args.overhead_verbose = C.NOTEBOOK_VERBOSE
    if args.notebooks_full and "notebooks" not in parts:
        args.parts.append("notebooks")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    out_dir: Path = args.out
    logs = out_dir / "logs"
    command = "./course bench " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    rep = {"schema": 1, "command": command.strip(), "quick": args.quick, "parts": args.parts,
           "machine": machine.describe(), "notes": []}
    print(f"==> course benchmark: {', '.join(args.parts)}; load average now {rep['machine']['load_start']} "
          f"on {rep['machine']['cores']} cores", flush=True)
    t0 = time.perf_counter()
    targets = {}
    if "models" in args.parts:
        print("==> seed code vs course, per model", flush=True)
        rep["models"], targets = part_models(args.task_list, args, logs)
    if "sweep" in args.parts:
        print("==> batch size / XLA sweep", flush=True)
        rep["sweep"] = part_sweep(args, logs, targets.get("fashion_cnn"))
    if "overhead" in args.parts:
        print("==> helpers' overhead", flush=True)
        rep["overhead"] = part_overhead(args, logs)
    if "notebooks" in args.parts:
        print("==> notebooks", flush=True)
        rep["notebooks"] = part_notebooks(args, logs)

    m = rep["machine"]
    m["load_end"] = machine.load_average()
    m["busy"] = machine.is_busy(m["load_start"], m["cores"])
    first = next((e["raw"] for item in rep.get("models", []) for e in (item["baseline"], item["course"])
                  if "derived" in e), None) or next((r["raw"] for r in (rep.get("sweep") or {}).get("runs", [])
                                                     if "derived" in r), None)
    if first:
        m["threads"].update(first["threads"])
    foreign = [e["raw"]["subprocess"]["foreign_cores"] for item in rep.get("models", [])
               for e in (item["baseline"], item["course"])
               if e.get("raw", {}).get("subprocess", {}).get("foreign_cores") is not None]
    if foreign:
        m["foreign_cores_max"] = round(max(foreign), 2)
        rep["notes"].append(f"Other processes used up to {max(foreign):.2f} CPU cores while a configuration trained "
                            "(0 on a quiet machine); figures taken with more than ~0.2 are contaminated.")
    rep["targets"] = targets_summary(rep)
    rep["total_seconds"] = time.perf_counter() - t0
    rep["notes"].append(f"Benchmark wall time: {rep['total_seconds']:.0f} s.")
    rep["notes"].append("CIFAR-10 here is the labelled synthetic stand-in (course_utils.data), so only its seconds "
                        "per epoch mean anything; its accuracies are not reported.")
    rep["notes"].append("Seed CIFAR-10 model: our reading of seed 004 (3 conv + 2 dense, dropout; textbook layer "
                        "widths), trained with Adam like the other seed models (the textbook used RMSprop).")

    json_path, md_path = report.write(rep, out_dir)
    print()
    print(report.render_markdown(rep))
    print(f"==> written {md_path} and {json_path}")
    failed = [e for item in rep.get("models", []) for e in (item["baseline"], item["course"]) if "error" in e]
    failed += [r for r in (rep.get("sweep") or {}).get("runs", []) if "error" in r]
    failed += [1] if "error" in (rep.get("overhead") or {}) else []
    failed += [r for r in (rep.get("notebooks") or {}).get("quick", []) + (rep.get("notebooks") or {}).get("full", [])
               if not r.get("ok")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
