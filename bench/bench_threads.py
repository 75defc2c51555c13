"""Concurrent imports in threads of one process (one Streamlit server, several sessions importing at once).

    python3 bench/bench_threads.py [--rounds 36] [--threads 8] [--per-thread 3] [--warm] [--checks]

Each round is a fresh child process (so a segfault or abort is counted, not fatal to the bench) that
imports different small files (the test fixtures: CSV points, HXL, ACLED, GeoJSON zones) from
``--threads`` threads at once into a temporary workspace (GDM_WORKSPACE_DIR), ``--per-thread`` imports each.
It prints how many rounds crashed (killed by a signal or a non-zero exit) and how many imports failed
with a traceback instead of a report. ``--warm`` builds the reference layers before the threads start
(used to tell a first-use race from a race during use). ``--checks`` runs only the validation step
(the zone and point checks against the cached Strip bands: ``finish_zones``/``finish_events``), 40 times
per thread on files read once, which is where the native calls race.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"
FILES = ["zones-invalid.geojson", "points-wild-dates.csv", "arcgis-zones.geojson", "hxl-points.csv",
         "zones-invalid.geojson", "acled-clean.csv", "arcgis-zones.geojson", "points-sub-blocks.csv",
         "arcgis-points.geojson", "acled-weeks-1.csv", "hxl-governorates.csv"]

CHILD = r"""
import os, sys, threading, traceback
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pipeline.runtime import imports
files, n_threads, per, warm = sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
if warm:
    imports.reference()
errors = []
checks = sys.argv[6] == "1"
if checks:
    import tempfile
    from pipeline.runtime.detect import detect
    parsed = []
    for f in files:
        with tempfile.TemporaryDirectory() as tmp:
            parsed += imports.read_any(Path(f), detect(Path(f)), Path(f).name, Path(tmp))
    finish = {"events": imports.finish_events, "zones": imports.finish_zones, "figures": imports.finish_figures}
def run(k):
    if checks:
        for j in range(40):
            p = parsed[(k + j) % len(parsed)]
            try:
                finish[p.kind](p)
            except BaseException:
                errors.append(traceback.format_exc(limit=-4))
        return
    for j in range(per):
        f = Path(files[(k + j) % len(files)])
        try:
            rep = imports.import_file(f, accept_partial=True, display=f"t{k}-{j}-{f.name}")
            if rep["status"] not in ("written", "refused", "dry-run"):
                errors.append(rep["message"])
        except BaseException:
            errors.append(traceback.format_exc(limit=-4))
threads = [threading.Thread(target=run, args=(k,)) for k in range(n_threads)]
for t in threads: t.start()
for t in threads: t.join()
for e in errors: print("IMPORT-ERROR", e.replace("\n", " | ")[:900])
sys.exit(3 if errors else 0)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=36)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--per-thread", type=int, default=3)
    ap.add_argument("--warm", action="store_true")
    ap.add_argument("--checks", action="store_true")
    args = ap.parse_args()
    files = ",".join(str(DATA / f) for f in FILES)
    outcomes: Counter[str] = Counter()
    t0 = time.perf_counter()
    for i in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="gdm-threads-") as tmp:
            env = {**__import__("os").environ, "GDM_WORKSPACE_DIR": str(Path(tmp) / "ws")}
            r = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), files, str(args.threads),
                                str(args.per_thread), "1" if args.warm else "0", "1" if args.checks else "0"],
                               env=env, capture_output=True, text=True, timeout=600)
        kind = ("ok" if r.returncode == 0 else "import error" if r.returncode == 3
                else f"crash (signal {-r.returncode})" if r.returncode < 0 else f"crash (exit {r.returncode})")
        outcomes[kind] += 1
        if r.returncode != 0:
            tail = (r.stdout + r.stderr).strip().splitlines()[-3:]
            print(f"round {i + 1}: {kind}: {' / '.join(tail)[:1200]}", flush=True)
    crashed = sum(v for k, v in outcomes.items() if k.startswith("crash"))
    print(f"{args.rounds} rounds x {args.threads} threads x {args.per_thread} imports"
          f"{' (reference warmed first)' if args.warm else ''}{' (validation only, 40 a thread)' if args.checks else ''}: {crashed} crashed, "
          f"{outcomes['import error']} with an import error, {outcomes['ok']} clean; "
          f"{dict(outcomes)}; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
