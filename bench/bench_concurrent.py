"""Many users at once: N concurrent sessions on loopback, each opening the map and changing the date once.

    python3 bench/bench_concurrent.py [--users 20] [--timeout 120] [--client browser|protocol] [--baseline main]

One `streamlit run app.py` server; all sessions start together. Two clients:
- ``browser`` (default): one headless Chromium with a context per user (async Playwright). Each session opens
  the Map page, waits for the map drawn (620 blocks, the default date in the legend), presses "day ▶" once and
  waits for the next date drawn. The browsers run on the same cores as the server: this measures the machine.
- ``protocol``: each session speaks Streamlit's websocket protocol and makes the map component's HTTP requests,
  with no rendering (``bench/protocol_client.py``): "to map" ends when the map's data has arrived, the date
  change is a rerun of the date's fragment with the new date. This measures the server.
``--baseline REF`` first measures a clean copy of REF (git archive) the same way, and prints the ratios.
Bounded: one pass per user, every wait has a timeout, the whole run a deadline. Prints errors (page errors,
Streamlit exceptions, timeouts), p50/p95/max time to map and to the date change, the server's CPU seconds and
peak RSS. Targets (issue 13): 20 users, no errors, p95 to map < 10 s, server RSS < 690 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard import (  # noqa: E402
    ARGS,
    CHROMIUM,
    DRAWN_COMPONENT,
    PeakRSS,
    baseline_copy,
    day_label,
    start_server,
)
from protocol_client import session  # noqa: E402

FIRST, THEN = date(2023, 12, 2), date(2023, 12, 3)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


async def one_user(browser, url: str, i: int, timeout_ms: int) -> dict[str, object]:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    out: dict[str, object] = {"user": i, "errors": errors}
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=timeout_ms)
        await page.wait_for_function(DRAWN_COMPONENT, arg=[day_label(date(2023, 12, 2))], timeout=timeout_ms)
        out["to_map_s"] = time.perf_counter() - t0
        await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                                     timeout=timeout_ms)
        t0 = time.perf_counter()
        await page.get_by_role("button", name="day ▶").click(timeout=timeout_ms)
        await page.wait_for_function(DRAWN_COMPONENT, arg=[day_label(date(2023, 12, 3))], timeout=timeout_ms)
        out["date_change_s"] = time.perf_counter() - t0
        if await page.locator("[data-testid='stException']").count():
            errors.append("a Streamlit exception is shown")
    except Exception as exc:  # a timeout or a closed page: counted as an error, never retried
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    finally:
        await ctx.close()
    return out


async def protocol_user(url: str, i: int, timeout_s: float) -> dict[str, object]:
    out = await session(url, first=FIRST, then=THEN, timeout_s=timeout_s)
    return {"user": i, **out}


def _cpu_s(proc: psutil.Process) -> float:
    """User + system CPU seconds of the server and its children so far."""
    total = 0.0
    for p in (proc, *proc.children(recursive=True)):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


async def run(users: int, timeout_s: float, client: str, root: Path = ROOT) -> dict[str, object]:
    proc, url, healthy = start_server(root)
    rss = PeakRSS(proc.pid)
    rss.start()
    server = psutil.Process(proc.pid)
    await asyncio.sleep(1.0)  # the warm-up runs in the lifespan, before health answers; let the log settle
    cpu0 = _cpu_s(server)
    try:
        t0 = time.perf_counter()
        if client == "protocol":
            results = await asyncio.wait_for(
                asyncio.gather(*(protocol_user(url, i, timeout_s) for i in range(users))), timeout=timeout_s * 3)
        else:
            from playwright.async_api import async_playwright

            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                t0 = time.perf_counter()
                results = await asyncio.wait_for(
                    asyncio.gather(*(one_user(browser, url, i, int(timeout_s * 1000)) for i in range(users))),
                    timeout=timeout_s * 3)
                await browser.close()
        wall = time.perf_counter() - t0
        cpu = _cpu_s(server) - cpu0
    finally:
        rss.running = False
        rss.join()
        proc.terminate()
        proc.wait(timeout=15)
    return {"results": results, "wall_s": wall, "rss_mb": rss.peak / 2**20, "healthy_s": healthy, "cpu_s": cpu}


def summary(r: dict[str, object], users: int) -> dict[str, float]:
    """The figures of one run (p50/p95/max, errors, CPU, RSS), printed and returned for the ratios."""
    res: list[dict[str, object]] = r["results"]  # type: ignore[assignment]
    errors = [(x["user"], e) for x in res for e in x["errors"]]  # type: ignore[attr-defined]
    to_map = [float(x["to_map_s"]) for x in res if "to_map_s" in x]  # type: ignore[arg-type]
    change = [float(x["date_change_s"]) for x in res if "date_change_s" in x]  # type: ignore[arg-type]
    sizes = [float(x["date_change_bytes"]) for x in res if "date_change_bytes" in x]  # type: ignore[arg-type]
    print(f"  wall {r['wall_s']:.1f} s; errors: {len(errors)}"
          + "".join(f"\n    user {u}: {e}" for u, e in errors[:10]))
    out: dict[str, float] = {"errors": float(len(errors)), "cpu_s": float(r["cpu_s"]),  # type: ignore[arg-type]
                             "rss_mb": float(r["rss_mb"])}  # type: ignore[arg-type]
    if to_map:
        out.update(map_p50=statistics.median(to_map), map_p95=pct(to_map, 0.95), map_max=max(to_map))
        print(f"  to map: p50 {out['map_p50']:.2f} s, p95 {out['map_p95']:.2f} s, max {out['map_max']:.2f} s "
              f"({len(to_map)} of {users})   (target p95 < 10 s)")
    if change:
        out.update(change_p50=statistics.median(change), change_p95=pct(change, 0.95), change_max=max(change))
        print(f"  date change: p50 {out['change_p50']:.2f} s, p95 {out['change_p95']:.2f} s, "
              f"max {out['change_max']:.2f} s ({len(change)} of {users})")
    if sizes:
        out["change_kb"] = statistics.median(sizes) / 1024
        print(f"  websocket bytes per date change: median {out['change_kb']:.1f} KB")
    print(f"  server CPU during the run: {out['cpu_s']:.1f} s; peak RSS: {out['rss_mb']:.0f} MB   (target < 690 MB)")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds each wait may take")
    ap.add_argument("--client", choices=("browser", "protocol"), default="browser",
                    help="headless Chromium contexts (the machine) or Streamlit's protocol without rendering "
                         "(the server)")
    ap.add_argument("--baseline", default="", help="git ref to measure first the same way (e.g. main), for ratios")
    args = ap.parse_args()
    what = "headless Chromium" if args.client == "browser" else "protocol client, no rendering"
    figures: dict[str, dict[str, float]] = {}
    failed = False
    roots: list[tuple[str, Path | None]] = [(args.baseline, None)] if args.baseline else []
    for name, _root in [*roots, ("this checkout", ROOT)]:
        root = baseline_copy(name) if _root is None else _root
        try:
            print(f"{name}: {args.users} concurrent sessions on loopback (one server, {what})")
            r = asyncio.run(run(args.users, args.timeout, args.client, root))
        finally:
            if _root is None:
                shutil.rmtree(root, ignore_errors=True)
        figures[name] = summary(r, args.users)
        failed = failed or bool(figures[name]["errors"])
    if len(figures) == 2:
        (a, fa), (b, fb) = figures.items()
        print(f"ratios {b} / {a}: " + ", ".join(f"{k} {fb[k] / fa[k]:.2f}" for k in fa
                                              if k in fb and fa[k] and k != "errors"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
