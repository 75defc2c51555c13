"""Many users at once: N concurrent headless sessions on loopback, each opening the map and changing the date once.

    python3 bench/bench_concurrent.py [--users 20] [--timeout 120]

One `streamlit run app.py` server and one headless Chromium with a context per user (async Playwright,
all started together). Each session opens the Map page, waits for the map drawn (620 blocks, the default
date in the legend), presses "day ▶" once and waits for the next date drawn. Bounded: one pass per user,
every wait has a timeout, the whole run a deadline. Prints errors (page errors, Streamlit exceptions,
timeouts), p50/p95/max time to map and to the date change, and the server's peak RSS. Targets (issue 13):
20 users, no errors, p95 to map < 10 s, server RSS < 690 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard import ARGS, CHROMIUM, DRAWN_COMPONENT, PeakRSS, day_label, start_server  # noqa: E402


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


async def run(users: int, timeout_s: float) -> dict[str, object]:
    from playwright.async_api import async_playwright

    proc, url, healthy = start_server()
    rss = PeakRSS(proc.pid)
    rss.start()
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            t0 = time.perf_counter()
            results = await asyncio.wait_for(
                asyncio.gather(*(one_user(browser, url, i, int(timeout_s * 1000)) for i in range(users))),
                timeout=timeout_s * 3)
            wall = time.perf_counter() - t0
            await browser.close()
    finally:
        rss.running = False
        rss.join()
        proc.terminate()
        proc.wait(timeout=15)
    return {"results": results, "wall_s": wall, "rss_mb": rss.peak / 2**20, "healthy_s": healthy}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds each wait may take")
    args = ap.parse_args()
    r = asyncio.run(run(args.users, args.timeout))
    res = r["results"]
    errors = [(x["user"], e) for x in res for e in x["errors"]]
    to_map = [x["to_map_s"] for x in res if "to_map_s" in x]
    change = [x["date_change_s"] for x in res if "date_change_s" in x]
    print(f"{args.users} concurrent sessions on loopback (one server, headless Chromium), wall {r['wall_s']:.1f} s")
    print(f"  errors: {len(errors)}" + "".join(f"\n    user {u}: {e}" for u, e in errors[:10]))
    if to_map:
        print(f"  to map drawn: p50 {statistics.median(to_map):.2f} s, p95 {pct(to_map, 0.95):.2f} s, "
              f"max {max(to_map):.2f} s ({len(to_map)} of {args.users})   (target p95 < 10 s)")
    if change:
        print(f"  date change to map restyled: p50 {statistics.median(change):.2f} s, p95 {pct(change, 0.95):.2f} s "
              f"({len(change)} of {args.users})")
    print(f"  server peak RSS: {r['rss_mb']:.0f} MB   (target < 690 MB)")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
