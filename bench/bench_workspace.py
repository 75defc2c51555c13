"""Benchmark: the workspace's two backends (files, PostGIS) on generated ACLED-format imports.

    python3 bench/bench_workspace.py                       # 100,000 and 1,000,000 rows, this checkout
    python3 bench/bench_workspace.py --baseline main       # the same with main's code (git archive) beside it
    python3 bench/bench_workspace.py --sizes 100000        # only the sizes given
    python3 bench/bench_workspace.py --baseline main --repeat 2   # each import twice, the trees' order swapped
    GDM_DATABASE_URL=postgresql://... python3 bench/bench_workspace.py   # an existing PostGIS, not a throwaway one

For each size, code tree and backend, one child process imports the file (detect, read, validate, join to
blocks and governorates, save) into a new workspace (a fresh folder, or a fresh schema of the database, where a
five-row import has already loaded the bundle's reference tables, as after a deployment's first import) and
reports its wall time and its peak resident memory (the app process's own ``ru_maxrss``, never the database
server's; also the peak when the file had been read, and when the checks had run, before the save; on PostGIS
an events CSV is read, checked and COPYed to the database a chunk at a time, so "read" there is the peak once
every chunk was staged, and "checked" once the whole-file checks had run in SQL); then a fresh child runs the
map's data queries for one date: the rows of a 7-day window
(``workspace.load_dates``) and the per-day x block count table (``event_counts.table_for``, what the map and
the figures use), each timed (median of three; the count table's first build and its cached reuse). Without
GDM_DATABASE_URL a throwaway PostgreSQL server is started (``tests/pg_cluster.py``: needs
``postgresql-15-postgis-3``) and removed after. The rows are invented (``bench_imports.frame``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("GDM_BENCH_CODE") or ROOT)  # the code tree a child measures (a baseline's, or this one)
sys.path.insert(0, str(CODE))
sys.path.insert(1, str(Path(__file__).resolve().parent))
import child_run  # noqa: E402

ON = "2024-06-01"


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_import(path: str) -> dict[str, object]:
    from pipeline.runtime.imports import import_file, reference

    reference()  # the bundle's blocks/governorates are loaded once per process (the dashboard keeps them)
    marks: dict[str, float] = {}

    def progress(message: str) -> None:  # the peak so far as each step starts: the step before peaked below it
        marks.setdefault(message.split()[0], _peak_mib())

    import resource

    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    rep = import_file(path, accept_partial=True, progress=progress)
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    import pipeline

    return {"seconds": time.perf_counter() - t0, "peak_mib": _peak_mib(), "status": rep["status"],
            "cpu_s": c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime,
            "read_mib": marks.get("validating", float("nan")), "checked_mib": marks.get("saving", float("nan")),
            "accepted": rep["accepted"], "layer": rep["layer"], "code": str(Path(pipeline.__file__).parents[1])}


def child_query(name: str) -> dict[str, object]:
    import pandas as pd

    from pipeline.runtime import event_counts, workspace

    times, rows = [], 0
    for _ in range(3):
        t0 = time.perf_counter()
        rows = len(workspace.load_dates(name, pd.Timestamp(ON) - pd.Timedelta(days=6), pd.Timestamp(ON)))
        times.append(time.perf_counter() - t0)
    entry = workspace.entry(name)
    t0 = time.perf_counter()
    table = event_counts.table_for(entry)
    first = time.perf_counter() - t0
    again = []
    for _ in range(3):
        t0 = time.perf_counter()
        event_counts.totals(event_counts.table_for(workspace.entry(name)), ON, 7)
        again.append(time.perf_counter() - t0)
    return {"window_s": statistics.median(times), "rows": rows, "counts_first_s": first,
            "counts_s": statistics.median(again), "count_rows": len(table.frame), "peak_mib": _peak_mib()}


def run_child(code: Path, kind: str, arg: str, env: dict[str, str]) -> dict[str, object]:
    return child_run.run_child(__file__, code, kind, arg, env)


def _schema_url(base: str) -> str:
    """A fresh, empty schema of the database at ``base`` (a workspace of its own)."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema},public')}"


def _baseline(ref: str, tmp: Path) -> Path:
    code = tmp / f"code-{ref}"
    code.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
    return code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    ap.add_argument("--baseline", help="a git ref (e.g. main) measured beside this checkout")
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--backends", nargs="*", default=["files", "postgis"], choices=["files", "postgis"])
    ap.add_argument("--repeat", type=int, default=1, help="runs of each import, the code trees' order swapped each "
                    "time (so that a change in the machine's load falls on both)")
    args = ap.parse_args()
    if args.child:
        kind, arg = args.child
        out = child_import(arg) if kind == "import" else child_query(arg)
        print("RESULT " + json.dumps(out), flush=True)
        return
    sys.path.insert(0, str(ROOT))
    from bench.bench_imports import cached
    from tests.pg_cluster import start_server

    os.environ.setdefault("GDM_MAX_UPLOAD_MB", "4096")
    os.environ.setdefault("GDM_MAX_FEATURES", "2000000")
    stop = None
    base = os.environ.get("GDM_DATABASE_URL", "")
    if "postgis" in args.backends and not base:
        base, stop = start_server()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    print("peak MiB: the import's whole peak (the app process, not the database server); read / checked: the peak "
          "when the file was read, and when the checks were done (before the save); on PostGIS an events CSV is "
          "read, checked and COPYed a chunk at a time: read = every chunk staged, checked = the whole-file checks "
          "done in SQL", flush=True)
    print("app CPU s: the import's CPU time in the app process (user + system; the database server's is not in it), "
          "steadier than the wall time when other work shares the machine", flush=True)
    print(f"{'code':6} {'backend':8} {'rows':>9}  {'import s':>8}  {'app CPU s':>9}  {'peak MiB':>8}  {'read':>5}  "
          f"{'checked':>7}  "
          f"{'7-day rows s':>12}  "
          f"{'counts 1st s':>12}  {'counts s':>8}  {'query peak':>10}", flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            codes = ([(args.baseline, _baseline(args.baseline, Path(tmp)))] if args.baseline else []) + \
                [("this", ROOT)]
            for n in args.sizes:
                path = cached(n, "csv")
                for kind, turn in [(k, t) for k in args.backends for t in range(args.repeat)]:
                    for label, code in (codes if turn % 2 == 0 else codes[::-1]):
                        env = {"GDM_WORKSPACE_DIR": str(Path(tmp) / f"ws-{label}-{kind}-{n}-{turn}"),
                               "GDM_DATABASE_URL": _schema_url(base) if kind == "postgis" else ""}
                        # a five-row import first: the database then holds the bundle's reference tables, as it
                        # does after the first import of a deployment (the steady state measured)
                        run_child(code, "import", str(ROOT / "tests" / "data" / "imports" / "acled-clean.csv"), env)
                        r = run_child(code, "import", str(path), env)
                        if Path(str(r["code"])).resolve() != code.resolve():
                            raise RuntimeError(f"the child ran {r['code']}, not {code}")
                        q = run_child(code, "query", str(r["layer"]), env)
                        print(f"{label:6} {kind:8} {n:>9,}  {float(r['seconds']):8.1f}  {float(r['cpu_s']):9.1f}  "
                              f"{float(r['peak_mib']):8.0f}  "
                              f"{float(r['read_mib']):5.0f}  {float(r['checked_mib']):7.0f}  "
                              f"{float(q['window_s']):12.3f}  {float(q['counts_first_s']):12.3f}  "
                              f"{float(q['counts_s']):8.4f}  {float(q['peak_mib']):7.0f} MiB   "
                              f"({r['status']}, {r['accepted']:,} stored; window {q['rows']:,} rows; count table "
                              f"{q['count_rows']:,} rows)", flush=True)
    finally:
        if stop is not None:
            stop()
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)


if __name__ == "__main__":
    main()
