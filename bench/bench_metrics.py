"""Benchmark of pipeline.runtime.metrics: one date, the daily share series, and the naive per-day union.

Run: ``python3 bench/bench_metrics.py`` (prints figures; no pass/fail).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

from pipeline.core.layers import AREA_CRS  # noqa: E402
from pipeline.runtime import bundle, metrics  # noqa: E402
from pipeline.runtime.bundle import load_layer  # noqa: E402
from pipeline.runtime.metrics_index import INDEX_LAYERS, build_index, index  # noqa: E402

START, END = "2023-10-07", "2025-06-20"


def naive_series(start: str, end: str) -> pd.DataFrame:
    """A fresh shapely union per day of the order geometries issued in [start, day], clipped to the Strip."""
    orders = load_layer("orders")
    orders = orders[orders.geometry.notna()].to_crs(AREA_CRS)
    issued = pd.to_datetime(orders["issued_on"]).to_numpy().astype("datetime64[D]")
    geoms = np.asarray(orders.geometry.values)
    outline = load_layer("strip").to_crs(AREA_CRS).union_all()
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
    out = []
    for day in days:
        sel = (issued >= np.datetime64(start)) & (issued <= day)
        u = shapely.union_all(geoms[sel]) if sel.any() else shapely.Polygon()
        out.append(u.intersection(outline).area / 1e6)
    return pd.DataFrame({"date": days, "area_km2": out})


def main() -> None:
    t0 = time.perf_counter()
    ix = index()
    t_load = time.perf_counter() - t0

    # the same, split: reading the layers (a cache the dashboard shares) vs. preparing the index
    bundle._read_layer.cache_clear()
    t0 = time.perf_counter()
    layers = {name: load_layer(name) for name in INDEX_LAYERS}
    t_read = time.perf_counter() - t0
    builds = []
    for _ in range(3):
        t0 = time.perf_counter()
        build_index(layers)
        builds.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    metrics.compute(ix, "2023-12-02", since="2023-12-01", window=7)
    t_first = time.perf_counter() - t0
    times = []
    for d in ["2023-10-20", "2024-05-10", "2024-08-20", "2025-05-31", "2025-06-13"]:
        t0 = time.perf_counter()
        metrics.compute(ix, d, window=7)
        times.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    fast = metrics.share_series(ix, START, END)
    t_series = time.perf_counter() - t0

    t0 = time.perf_counter()
    naive = naive_series(START, END)
    t_naive = time.perf_counter() - t0
    diff = float(np.abs(fast["area_km2"].to_numpy() - naive["area_km2"].to_numpy()).max())

    print(f"index load (once per bundle):        {t_load:.3f} s")
    print(f"  of which reading the layers (again): {t_read:.3f} s")
    print(f"  build_index, layers cached (min of 3): {min(builds):.3f} s")
    print(f"compute() 2023-12-02 (first call):   {t_first:.3f} s")
    print(f"compute() other dates (max of {len(times)}):   {max(times):.3f} s")
    print(f"share_series {START}..{END} ({len(fast)} days): {t_series:.3f} s")
    print(f"naive series (fresh union per day):  {t_naive:.3f} s")
    print(f"naive / fast ratio:                  {t_naive / t_series:.1f}x")
    print(f"max |fast - naive| area:             {diff:.6f} km2")


if __name__ == "__main__":
    main()
