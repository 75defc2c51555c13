"""Benchmark: the workspace's two backends (files, PostGIS) on generated ACLED-format imports.

    python3 bench/bench_workspace.py                 # 100,000 and 1,000,000 rows
    python3 bench/bench_workspace.py 100000          # only the sizes given
    GDM_DATABASE_URL=postgresql://... python3 bench/bench_workspace.py   # an existing PostGIS instead of a throwaway one

For each size and backend, one child process imports the file (detect, read, validate, join to blocks and
governorates, save) and reports its wall time and its peak resident memory; then a fresh child runs the map's data
query for one date (the events of a 7-day window of the largest layer: ``workspace.load_dates``) and reports its
time, three runs, median. Without GDM_DATABASE_URL a throwaway PostgreSQL server is started
(``tests/pg_cluster.py``: needs ``postgresql-15-postgis-3``) and removed after. The rows are invented (bench_imports).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_imports import generate
from tests.pg_cluster import start_server

ON = "2024-06-01"


def _import(path: str, env: dict[str, str], q) -> None:
    os.environ.update(env)
    from pipeline.runtime.imports import import_file, reference

    reference()  # the bundle's blocks/governorates are loaded once per process (the dashboard keeps them)
    t0 = time.perf_counter()
    rep = import_file(path, accept_partial=True)
    q.put((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rep["status"],
           rep["accepted"], rep["layer"]))


def _query(name: str, env: dict[str, str], q) -> None:
    os.environ.update(env)
    import pandas as pd

    from pipeline.runtime import workspace

    times, rows = [], 0
    for _ in range(3):
        t0 = time.perf_counter()
        rows = len(workspace.load_dates(name, pd.Timestamp(ON) - pd.Timedelta(days=6), pd.Timestamp(ON)))
        times.append(time.perf_counter() - t0)
    q.put((statistics.median(times), rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def _child(target, *args):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    os.environ.setdefault("GDM_MAX_UPLOAD_MB", "4096")
    os.environ.setdefault("GDM_MAX_FEATURES", "2000000")
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    url, stop = (os.environ["GDM_DATABASE_URL"], None) if os.environ.get("GDM_DATABASE_URL") else start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                f = Path(tmp) / f"acled-{n}.csv"
                generate(n, f)
                for kind, db in (("files", ""), ("postgis", url)):
                    env = {"GDM_WORKSPACE_DIR": str(Path(tmp) / f"ws-{kind}-{n}"), "GDM_DATABASE_URL": db}
                    dt, peak_kb, status, acc, layer = _child(_import, str(f), env)
                    qt, rows, qpeak = _child(_query, layer, env)
                    print(f"{kind:8} {n:>9,} rows  import {dt:6.1f} s  peak {peak_kb / 1024:6.0f} MiB  "
                          f"({status}, {acc:,} accepted)  map query for {ON} (7 days): {qt * 1000:7.0f} ms, "
                          f"{rows:,} rows, peak {qpeak / 1024:5.0f} MiB", flush=True)
                    if db:
                        _child(_delete, layer, env)
    finally:
        if stop is not None:
            stop()


def _delete(name: str, env: dict[str, str], q) -> None:
    os.environ.update(env)
    from pipeline.runtime import workspace

    q.put(workspace.delete(name))


if __name__ == "__main__":
    main()
