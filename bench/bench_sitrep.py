"""Seconds per situation-report page and PDF bytes, for three dates in both languages.

    python bench/bench_sitrep.py [--repeat N]

The index and the map's layers are loaded once first (as in a running dashboard or a warm CLI) and timed
apart; each page is then timed from the request to the PDF's bytes (median of ``--repeat`` runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.runtime.metrics_index import index  # noqa: E402
from pipeline.runtime.sitrep import sitrep_pdf  # noqa: E402
from pipeline.runtime.sitrep_map import base_layers  # noqa: E402

DATES = ("2023-12-02", "2024-01-30", "2024-08-19")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    n = ap.parse_args().repeat
    t0 = time.perf_counter()
    ix = index()
    base_layers()
    print(f"load (index + map layers, once): {time.perf_counter() - t0:.2f} s")
    worst = 0.0
    for lang in ("en", "ar"):
        for d in DATES:
            times, size = [], 0
            for _ in range(n):
                t = time.perf_counter()
                size = len(sitrep_pdf(ix, d, lang=lang))
                times.append(time.perf_counter() - t)
            med = statistics.median(times)
            worst = max(worst, med)
            print(f"{d} {lang}: {med:.2f} s per page (min {min(times):.2f}), {size:,} bytes")
    print(f"slowest page: {worst:.2f} s (target under 5 s); every PDF under 1 MB: see above")


if __name__ == "__main__":
    main()
