"""Time the impact of every evacuation order (target: all of them in under 2 s in total).

    python bench/bench_order_impact.py

Loads the bundle and builds the metrics index first (not timed: the dashboard and CLI cache them), then
times ``order_impact.impact`` for each order, cold (first call prepares the facility arrays) and warm.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.runtime import order_impact  # noqa: E402
from pipeline.runtime.bundle import load_layer  # noqa: E402
from pipeline.runtime.metrics_index import index  # noqa: E402


def main() -> None:
    t0 = time.perf_counter()
    ix = index()
    fac, blocks = load_layer("facilities"), load_layer("blocks")
    print(f"load bundle + index: {time.perf_counter() - t0:.2f} s (not counted)")
    ids = order_impact.order_ids_between(ix)
    for run in ("cold", "warm", "warm"):
        per = []
        t = time.perf_counter()
        for o in ids:
            s = time.perf_counter()
            order_impact.impact(ix, fac, blocks, order_id=o)
            per.append(time.perf_counter() - s)
        total = time.perf_counter() - t
        print(f"{run}: {len(ids)} orders in {total:.3f} s (median {statistics.median(per) * 1000:.1f} ms, "
              f"max {max(per) * 1000:.1f} ms) - target under 2 s: {'ok' if total < 2 else 'MISSED'}")
    t = time.perf_counter()
    order_impact.impact(ix, fac, blocks, start="2023-10-07", end="2025-12-31")
    print(f"whole-war period (each block once): {time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main()
