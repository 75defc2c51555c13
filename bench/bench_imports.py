"""Benchmark: import generated ACLED-format CSVs (20,000 and 1,000,000 rows) and join them to blocks.

    python3 bench/bench_imports.py            # 20k and 1M
    python3 bench/bench_imports.py 20000      # only the sizes given

Each import runs in a child process (a real import into a temporary workspace: detect, read, validate,
sjoin to blocks and governorates, write GeoParquet); the figure printed is its wall time and the child's
peak resident memory. Limits are raised for the run (GDM_MAX_UPLOAD_MB, GDM_MAX_FEATURES) so 1M rows fit.
The rows are invented (random points in the Strip); they only have ACLED's column names.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.runtime.bundle import load_layer

SUBS = np.array(["Air/drone strike", "Shelling/artillery/missile attack", "Armed clash", "Attack",
                 "Looting/property destruction"])
ADMIN2 = np.array(["Khan Yunis", "Deir El Balah", "Gaza City", "North Gaza", "Rafah"])


def generate(n: int, path: Path, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    strip = load_layer("strip").union_all()
    shapely.prepare(strip)
    x0, y0, x1, y1 = strip.bounds
    xs, ys = [], []
    have = 0
    while have < n:
        x = rng.uniform(x0, x1, n)
        y = rng.uniform(y0, y1, n)
        ok = shapely.contains_xy(strip, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
    lon = np.concatenate(xs)[:n].round(5)
    lat = np.concatenate(ys)[:n].round(5)
    days = pd.to_datetime("2023-10-07") + pd.to_timedelta(rng.integers(0, 450, n), unit="D")
    sub = SUBS[rng.integers(0, len(SUBS), n)]
    frame = pd.DataFrame({
        "event_id_cnty": np.char.add("BEN", np.arange(n).astype(str)),
        "event_date": days.strftime("%Y-%m-%d"),
        "year": days.year,
        "time_precision": 1,
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": sub,
        "actor1": "Generated actor A", "assoc_actor_1": "", "inter1": 8,
        "actor2": "Generated actor B", "assoc_actor_2": "", "inter2": 7, "interaction": 78,
        "civilian_targeting": "", "iso": 275, "region": "Middle East", "country": "Palestine",
        "admin1": "Gaza Strip", "admin2": ADMIN2[rng.integers(0, 5, n)], "admin3": "",
        "location": np.char.add("Generated place ", rng.integers(0, 500, n).astype(str)),
        "latitude": lat, "longitude": lon, "geo_precision": rng.integers(1, 4, n),
        "source": "Generated source", "source_scale": "Other",
        "notes": np.char.add("Generated note for a benchmark row number ", np.arange(n).astype(str)),
        "fatalities": rng.integers(0, 12, n), "tags": "", "timestamp": 1700000000,
    })
    frame.to_csv(path, index=False)


def _child(path: str, ws: str, q) -> None:
    os.environ["GDM_WORKSPACE_DIR"] = ws
    from pipeline.runtime.imports import import_file, reference

    reference()  # the bundle's blocks/governorates are loaded once per process (the dashboard keeps them)
    t0 = time.perf_counter()
    rep = import_file(path, accept_partial=True)
    dt = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    q.put((dt, peak_kb, rep["status"], rep["rows_read"], rep["accepted"], rep["rejected"]))


def run(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / f"acled-{n}.csv"
        t0 = time.perf_counter()
        generate(n, f)
        gen = time.perf_counter() - t0
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        p = ctx.Process(target=_child, args=(str(f), str(Path(tmp) / "ws"), q))
        p.start()
        dt, peak_kb, status, read, acc, rej = q.get()
        p.join()
        print(f"{n:>9,} rows  file {f.stat().st_size / 1048576:7.1f} MiB (generated in {gen:5.1f} s)  "
              f"import+join {dt:6.2f} s  peak memory {peak_kb / 1024:7.0f} MiB  "
              f"status {status}: read {read:,} accepted {acc:,} rejected {rej:,}", flush=True)


def main() -> None:
    os.environ.setdefault("GDM_MAX_UPLOAD_MB", "4096")
    os.environ.setdefault("GDM_MAX_FEATURES", "2000000")
    sizes = [int(a) for a in sys.argv[1:]] or [20_000, 1_000_000]
    for n in sizes:
        run(n)


if __name__ == "__main__":
    main()
