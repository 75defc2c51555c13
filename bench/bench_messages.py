"""What translatable import sentences cost: ``msg()`` against the plain f-string it replaced, and the Arabic page.

    python3 bench/bench_messages.py [--rows 50000]

1. Making sentences: ``N`` times the same rejection sentence as an f-string (the code before) and as
   ``msg(N_(...), ...)`` (a ``str`` carrying its template and parameters), in the same run.
2. A whole import that rejects every row (a block-id orders file of ``--rows`` unknown blocks, dry run): with the
   readers' ``msg`` as it is, and with ``msg`` swapped for plain ``str.format`` (the f-string behaviour), same run.
3. The same for events: a points file of ``--rows`` rows outside the Strip (each rejected by the import's own
   check, with its distance), ``imports.msg`` as it is against plain ``str.format``, same run.
4. The Arabic Data page's share: rendering the report's listed rejections in Arabic from their templates, and
   matching English sentences back to templates (a report read from JSON), first call (patterns compiled) and
   then per sentence.
Prints seconds and ratios; timings on a shared machine are noisy, the ratios are what to read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.core import i18n  # noqa: E402
from pipeline.core.i18n import N_, msg  # noqa: E402


def _fmt(template: str, /, **params: object) -> str:
    return template.format(**params)


def with_plain_strings(module: Any, run: Callable[[], dict]) -> Callable[[], dict]:
    """``run`` with ``module.msg`` replaced by plain ``str.format`` (the naive sentences) while it runs."""
    def plain() -> dict:
        saved = module.msg
        module.msg = _fmt
        try:
            return run()
        finally:
            module.msg = saved
    return plain

def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    n = ap.parse_args().rows

    raws = [str(10_000 + i) for i in range(n)]
    plain = best(lambda: [f"unknown block id {r} (not in the 1 Dec 2023 block grid)" for r in raws])
    made = best(lambda: [msg(N_("unknown block id {raw} (not in the 1 Dec 2023 block grid)"), raw=r) for r in raws])
    print(f"1. {n:,} sentences: f-string {plain:.3f} s, msg() {made:.3f} s ({made / plain:.1f}x); "
          f"{(made - plain) / n * 1e6:.2f} us more per sentence")

    os.environ["GDM_WORKSPACE_DIR"] = tempfile.mkdtemp(prefix="bench-msg-")
    from pipeline.runtime import imports, user_orders
    from pipeline.runtime.readers import csv_points

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "orders.csv"
        f.write_text("date,block_id\n" + "".join(f"2023-12-02,{90_000 + i}\n" for i in range(n)), encoding="utf-8")

        def run() -> dict:
            return imports.import_file(f, as_="orders", dry_run=True)

        plain_run = with_plain_strings(user_orders, run)

        rep = run()
        with_msg, without = float("inf"), float("inf")
        for _ in range(3):  # alternated, so a burst of load on the shared machine hits both
            with_msg = min(with_msg, best(run, 1))
            without = min(without, best(plain_run, 1))
        print(f"2. import of {n:,} rejected rows (dry run): msg() {with_msg:.2f} s, plain str {without:.2f} s "
              f"({with_msg / without:.2f}x); {rep['rejected']:,} rejected, {rep['rejections_listed']:,} listed")

        pts = Path(tmp) / "points.csv"
        pts.write_text("date,lat,lon\n" + "".join(f"2024-01-02,{30.0 + i * 1e-6:.6f},31.2357\n" for i in range(n)),
                       encoding="utf-8")

        def points_run() -> dict:
            return imports.import_file(pts, dry_run=True)

        points_plain = with_plain_strings(imports, points_run)
        prep = points_run()
        p_msg, p_plain = float("inf"), float("inf")
        for _ in range(3):
            p_msg = min(p_msg, best(points_run, 1))
            p_plain = min(p_plain, best(points_plain, 1))
        print(f"3. points import of {n:,} rows outside the Strip (dry run): msg() {p_msg:.2f} s, plain str "
              f"{p_plain:.2f} s ({p_msg / p_plain:.2f}x); {prep['rejected']:,} rejected")
        del csv_points

    listed = rep["rejections"]
    t_render = best(lambda: [i18n.localise(r["reason"], "ar") for r in listed])
    back = json.loads(json.dumps(listed))
    i18n._patterns.cache_clear()
    t0 = time.perf_counter()
    i18n.recognise(back[0]["reason"], "ar")
    first = time.perf_counter() - t0
    t_match = best(lambda: [i18n.recognise(r["reason"], "ar") for r in back])
    print(f"4. Arabic page, {len(listed):,} listed rejections: from templates {t_render * 1e3:.1f} ms; "
          f"matched back from English (JSON) {t_match * 1e3:.1f} ms after a first call of {first * 1e3:.0f} ms "
          f"({len(i18n._patterns('ar')):,} catalogued templates)")


if __name__ == "__main__":
    main()
