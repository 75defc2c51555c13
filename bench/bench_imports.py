"""Benchmark: importing ACLED-format files at scale, and the dashboard with 1,000,000 imported events.

    python3 bench/bench_imports.py                         # everything, this checkout only
    python3 bench/bench_imports.py --baseline main         # the same, and main's code (git archive) beside it
    python3 bench/bench_imports.py --only csv --sizes 20000  # parts: csv, cap, xlsx, dashboard

One run prints:
- **csv**: import time and peak resident memory of generated ACLED-format CSVs (default 20,000 and
  1,000,000 rows; targets for 1M: under 10 s and under 1 GB);
- **cap**: the size of a 100,000-row export and whether the default upload cap (``max_upload_mb``) admits it;
- **xlsx**: import time of a 14,000-row ACLED xlsx (target under 3 s);
- **dashboard**: with the 1M-row layer imported and with an empty workspace, the server-side functions a
  date change on the Map page calls (metrics, imported layers' counts, the map's per-view message):
  seconds per date change (median of several new dates), the map message's bytes (target under 2 MB) and
  the process's peak and current memory (target under 1 GB).
Every measurement runs in a fresh child process (``resource.getrusage`` gives its own peak RSS), with the
bundle of this checkout. Limits are raised for the run (GDM_MAX_UPLOAD_MB, GDM_MAX_FEATURES) so 1M rows fit.
Generated files are cached under /tmp/gdm-bench (delete the folder to make them again). The rows are invented
(random points in the Strip); they only have ACLED's column names.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("GDM_BENCH_CODE") or ROOT)
sys.path.insert(0, str(CODE))
sys.path.insert(1, str(Path(__file__).resolve().parent))
import child_run  # noqa: E402

CACHE = Path("/tmp/gdm-bench")
GEN_VERSION = 2  # bump when generate() changes, so cached files are made again

SUBS = ["Air/drone strike", "Shelling/artillery/missile attack", "Armed clash", "Attack",
        "Looting/property destruction"]
ADMIN2 = ["Khan Yunis", "Deir El Balah", "Gaza City", "North Gaza", "Rafah"]


def frame(n: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """``n`` invented ACLED-format rows: random points in the Strip, dates from 7 Oct 2023 over 450 days."""
    import numpy as np
    import pandas as pd
    import shapely

    from pipeline.runtime.bundle import load_layer

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
    return pd.DataFrame({
        "event_id_cnty": np.char.add("BEN", np.arange(n).astype(str)),
        "event_date": days.strftime("%Y-%m-%d"),
        "year": days.year,
        "time_precision": 1,
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": np.array(SUBS)[rng.integers(0, len(SUBS), n)],
        "actor1": "Generated actor A", "assoc_actor_1": "", "inter1": 8,
        "actor2": "Generated actor B", "assoc_actor_2": "", "inter2": 7, "interaction": 78,
        "civilian_targeting": "", "iso": 275, "region": "Middle East", "country": "Palestine",
        "admin1": "Gaza Strip", "admin2": np.array(ADMIN2)[rng.integers(0, 5, n)], "admin3": "",
        "location": np.char.add("Generated place ", rng.integers(0, 500, n).astype(str)),
        "latitude": lat, "longitude": lon, "geo_precision": rng.integers(1, 4, n),
        "source": "Generated source", "source_scale": "Other",
        "notes": np.char.add("Generated note for a benchmark row number ", np.arange(n).astype(str)),
        "fatalities": rng.integers(0, 12, n), "tags": "", "timestamp": 1700000000,
    })


def cached(n: int, ext: str) -> Path:
    """The generated file of ``n`` rows (csv or xlsx), made once and kept under /tmp/gdm-bench."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"acled-{n}-v{GEN_VERSION}.{ext}"
    if not path.exists():
        t0 = time.perf_counter()
        f = frame(n)
        tmp = path.with_suffix(f".tmp.{ext}")
        if ext == "csv":
            f.to_csv(tmp, index=False)
        else:
            f.to_excel(tmp, index=False, engine="openpyxl")
        tmp.replace(path)
        print(f"  (generated {path.name} in {time.perf_counter() - t0:.1f} s)", flush=True)
    return path


# ---------------------------------------------------------------- child processes (one measurement each)


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_import(path: str) -> dict[str, object]:
    from pipeline.runtime.imports import import_file, reference

    reference()  # the bundle's blocks/governorates are loaded once per process (the dashboard keeps them)
    t0 = time.perf_counter()
    rep = import_file(path, accept_partial=True)
    return {"seconds": time.perf_counter() - t0, "peak_mib": _peak_mib(), "status": rep["status"],
            "read": rep["rows_read"], "accepted": rep["accepted"], "rejected": rep["rejected"]}


def _child_dashboard(dates: list[str]) -> dict[str, object]:
    import logging

    import psutil

    logging.disable(logging.WARNING)  # st.cache_* outside a Streamlit runtime warns once per call
    from dashboard import data

    def change(on: str) -> int:
        since = data.default_since(on)
        data.metrics(on, since, 7)
        data.block_status(on, since, 7)
        entries = data.workspace_entries()
        data.workspace_counts(on, 7)
        view = data.map_view(on, since, 7, ["boundaries", "blocks", "zone", "incidents", "places", "claims"],
                             "none", imported=[e["name"] for e in entries])
        return len(json.dumps(view, separators=(",", ":"), default=str).encode())

    t0 = time.perf_counter()
    first_bytes = change(dates[0])
    first = time.perf_counter() - t0
    times, sizes = [], []
    for d in dates[1:]:
        t = time.perf_counter()
        sizes.append(change(d))
        times.append(time.perf_counter() - t)
    return {"first": first, "change": statistics.median(times), "changes": times, "bytes": max([first_bytes, *sizes]),
            "peak_mib": _peak_mib(), "rss_mib": psutil.Process().memory_info().rss / 1048576}


def child(kind: str, arg: str) -> None:
    out = _child_import(arg) if kind == "import" else _child_dashboard(json.loads(arg))
    print("RESULT " + json.dumps(out), flush=True)


def run_child(code: Path, kind: str, arg: str, env: dict[str, str]) -> dict[str, object]:
    return child_run.run_child(__file__, code, kind, arg, env)


# ---------------------------------------------------------------- parts


def _codes(baseline: Path | None) -> list[tuple[str, Path]]:
    return ([("main", baseline)] if baseline else []) + [("this", ROOT)]


def _line(label: str, results: dict[str, list[dict[str, object]]], key: str, fmt: str) -> str:
    parts = []
    for name, rs in results.items():
        vals = [float(r[key]) for r in rs]  # type: ignore[arg-type]
        parts.append(f"{name} {fmt.format(statistics.median(vals))} ({', '.join(fmt.format(v) for v in vals)})")
    if len(results) == 2:
        a, b = (statistics.median(float(r[key]) for r in rs) for rs in results.values())  # type: ignore[arg-type]
        first, second = results
        parts.append(f"ratio {second}/{first} {b / a:.2f}" if a else "")
    return f"  {label:<22} " + "  ·  ".join(parts)


def _imports(path: Path, codes: list[tuple[str, Path]], runs: int) -> dict[str, list[dict[str, object]]]:
    """Import ``path`` ``runs`` times with each code tree (alternating), each into an empty workspace; print."""
    results: dict[str, list[dict[str, object]]] = {name: [] for name, _ in codes}
    for _ in range(runs):
        for name, code in codes:
            with tempfile.TemporaryDirectory() as ws:
                results[name].append(run_child(code, "import", str(path), {"GDM_WORKSPACE_DIR": ws}))
    print(_line("seconds", results, "seconds", "{:.2f}"))
    print(_line("peak memory MiB", results, "peak_mib", "{:.0f}"), flush=True)
    return results


def part_csv(sizes: list[int], codes: list[tuple[str, Path]], runs: int) -> None:
    for n in sizes:
        path = cached(n, "csv")
        print(f"CSV import, {n:,} rows ({path.stat().st_size / 1048576:.1f} MiB), median of {runs} (each run):",
              flush=True)
        results = _imports(path, codes, runs)
        r = results["this"][-1]
        print(f"  status {r['status']}: read {r['read']:,} accepted {r['accepted']:,} rejected {r['rejected']:,}",
              flush=True)


def part_cap() -> None:
    from pipeline.core import settings

    sample = 2000
    path = CACHE / f"acled-cap-{sample}.csv"
    CACHE.mkdir(parents=True, exist_ok=True)
    frame(sample).to_csv(path, index=False)
    per_row = path.stat().st_size / sample
    size = per_row * 100_000
    for name, default in (("this", settings.MAX_UPLOAD_MB.default),):
        print(f"100,000-row export: {size / 1048576:.1f} MiB (generated rows, {per_row:.0f} bytes a row); "
              f"default cap {default} MiB ({name}): {'admitted' if size <= default * 1048576 else 'REFUSED'}; "
              f"the issue's real export of 100,000 rows, 54 MiB: {'admitted' if 54 <= default else 'REFUSED'}",
              flush=True)


def part_xlsx(codes: list[tuple[str, Path]], runs: int) -> None:
    path = cached(14_000, "xlsx")
    print(f"XLSX import, 14,000 rows ({path.stat().st_size / 1048576:.1f} MiB), median of {runs}:", flush=True)
    _imports(path, codes, runs)


def part_dashboard(codes: list[tuple[str, Path]], runs: int, n: int) -> None:
    ws_full = CACHE / f"ws-{n}-v{GEN_VERSION}"
    if not (ws_full / "manifest.json").exists():
        r = run_child(ROOT, "import", str(cached(n, "csv")), {"GDM_WORKSPACE_DIR": str(ws_full)})
        print(f"  (imported {n:,} rows into {ws_full.name}: {r['status']}, {float(r['seconds']):.1f} s)", flush=True)
    ws_empty = CACHE / "ws-empty"
    ws_empty.mkdir(parents=True, exist_ok=True)
    dates = ["2023-12-02", "2023-12-03", "2023-12-04", "2023-12-05", "2023-12-06", "2023-12-09"]
    print(f"Dashboard date change (server side: metrics, counts, map message), median of {len(dates) - 1} changes "
          f"a run, {runs} run(s):", flush=True)
    for name, code in codes:
        res: dict[str, list[dict[str, object]]] = {"empty": [], f"{n // 1000}k events": []}
        for _ in range(runs):
            res["empty"].append(run_child(code, "dashboard", json.dumps(dates), {"GDM_WORKSPACE_DIR": str(ws_empty)}))
            res[f"{n // 1000}k events"].append(run_child(code, "dashboard", json.dumps(dates),
                                                         {"GDM_WORKSPACE_DIR": str(ws_full)}))
        print(f" {name}:")
        print(_line("first view s", res, "first", "{:.2f}"))
        print(_line("date change s", res, "change", "{:.3f}"))
        print(_line("map message bytes", res, "bytes", "{:,.0f}"))
        print(_line("peak memory MiB", res, "peak_mib", "{:.0f}"))
        print(_line("memory after MiB", res, "rss_mib", "{:.0f}"), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    ap.add_argument("--baseline", help="a git ref (e.g. main) measured beside this checkout, from a git archive copy")
    ap.add_argument("--sizes", type=int, nargs="*", default=[20_000, 1_000_000])
    ap.add_argument("--only", nargs="*", choices=["csv", "cap", "xlsx", "dashboard"])
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    os.environ.setdefault("GDM_MAX_UPLOAD_MB", "4096")
    os.environ.setdefault("GDM_MAX_FEATURES", "2000000")
    baseline = None
    if args.baseline:
        baseline = CACHE / f"code-{args.baseline}"
        if baseline.exists():
            subprocess.run(["rm", "-rf", str(baseline)], check=True)
        baseline.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive.stdout, check=True)
    codes = _codes(baseline)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    only = set(args.only or ["csv", "cap", "xlsx", "dashboard"])
    if "cap" in only:
        part_cap()
    if "xlsx" in only:
        part_xlsx(codes, args.runs)
    if "csv" in only:
        part_csv(args.sizes, codes, args.runs)
    if "dashboard" in only:
        part_dashboard(codes, args.runs, max(args.sizes))
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)


if __name__ == "__main__":
    main()
