"""Dashboard benchmark: a real `streamlit run` server, headless Chromium, and the naive build beside ours.

    python3 bench/bench_dashboard.py [--runs 3]

Prints (targets from issue 4):
- navigation to the map drawn with all default layers (< 4 s), cold (first visit) and warm;
- a date change to the map redrawn (< 1.5 s);
- the map's HTML for the default view (< 2 MB);
- the server's peak RSS with one visitor (< 500 MB);
- the naive build (one folium.Marker per event, unsimplified polygons) beside ours on the same data, as
  ratios: server build+render time, HTML size, browser time to drawn.
Needs Debian's chromium (/usr/bin/chromium) and static/vendor (bash scripts/fetch_leaflet.sh).
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"
# The map is drawn when Leaflet holds all 620 block polygons and the legend of the expected date.
DRAWN = """([day]) => { if (typeof map_div === 'undefined') return false; let n = 0;
    map_div.eachLayer(l => { if (l.feature && l.feature.properties.block_id !== undefined) n++; });
    const lg = document.querySelector('.gdm-legend');
    return n === 620 && !!lg && lg.textContent.includes(day); }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeakRSS(threading.Thread):
    """Samples the resident memory of a process and its children every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.05)


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("streamlit did not start")


def day_label(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def wait_drawn(page, d: date, timeout: float = 60_000) -> None:
    frame = page.locator(MAP_FRAME).last
    frame.wait_for(state="attached", timeout=timeout)
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        try:
            inner = page.locator(MAP_FRAME).last.element_handle(timeout=timeout).content_frame()
            inner.wait_for_function(DRAWN, arg=[day_label(d)], timeout=timeout, polling="raf")
            return
        except Exception:  # the iframe was replaced while we waited (a rerun): look again
            if time.monotonic() >= deadline:
                raise


def bench_app(runs: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    proc, url = start_server()
    rss = PeakRSS(proc.pid)
    rss.start()
    out: dict[str, object] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            loads = []
            for i in range(runs + 1):
                ctx = browser.new_context(viewport={"width": 1440, "height": 1200})
                page = ctx.new_page()
                t0 = time.perf_counter()
                page.goto(url)
                wait_drawn(page, date(2023, 12, 2))
                loads.append(time.perf_counter() - t0)
                if i < runs:
                    ctx.close()
            out["load_cold_s"] = loads[0]
            out["load_warm_s"] = statistics.median(loads[1:])
            changes = []
            d = date(2023, 12, 2)
            for _ in range(runs):
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
                d = d + timedelta(days=1)
                t0 = time.perf_counter()
                page.get_by_role("button", name="day ▶").click()
                wait_drawn(page, d)
                changes.append(time.perf_counter() - t0)
            out["date_change_s"] = statistics.median(changes)
            out["date_change_all_s"] = changes
            ctx.close()
            browser.close()
    finally:
        rss.running = False
        rss.join()
        proc.terminate()
        proc.wait(timeout=15)
    out["server_peak_rss_mb"] = rss.peak / 2**20
    return out


def build_maps() -> dict[str, object]:
    """Server-side build and render of the default view, and of ours vs naive on the same (all) events."""
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from dashboard import data
    from dashboard.map_draw import build_map, naive_map, render_html
    from dashboard.map_layers import DEFAULT_LAYERS, MapInput, display_blocks, prepare_blocks, prepare_events
    from pipeline.runtime.bundle import load_layer

    on, since = data.default_date(), data.default_since()
    t0 = time.perf_counter()
    default_html = render_html(build_map(data.map_input(on, since, 7, DEFAULT_LAYERS, "none")))
    t_default = time.perf_counter() - t0

    blocks, events = load_layer("blocks"), load_layer("events")
    events = events[events.geometry.notna()]
    t0 = time.perf_counter()
    ours = build_map(MapInput(
        on=on, since=since, window=7, layers=["blocks", "incidents"],
        blocks=prepare_blocks(display_blocks(blocks, load_layer("governorates")), data.block_status(on, since, 7),
                              data.order_history(), on=on, since=since, window=7),
        incidents=prepare_events(events)))
    ours_html = render_html(ours)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive_html = render_html(naive_map(blocks, events))
    t_naive = time.perf_counter() - t0
    return {"default_html": default_html, "default_build_s": t_default, "ours_html": ours_html,
            "naive_html": naive_html, "ours_build_s": t_ours, "naive_build_s": t_naive,
            "n_events": len(events), "n_blocks": len(blocks)}


def browser_draw(html_by_name: dict[str, str], expected: int) -> dict[str, float]:
    """Time from navigation to all features drawn, for standalone map pages served with /app/static/vendor."""
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp())
    (tmp / "app").mkdir()
    os.symlink(ROOT / "static", tmp / "app" / "static")
    for name, html in html_by_name.items():
        (tmp / f"{name}.html").write_text(html, encoding="utf-8")
    port = free_port()
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = partial(Quiet, directory=str(tmp))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    counted = """(n) => { const k = Object.keys(window).find(k => k.startsWith('map_') && window[k] &&
        window[k].eachLayer); if (!k) return false; let c = 0;
        window[k].eachLayer(l => { if (l.feature || l instanceof L.Marker) c++; }); return c >= n; }"""
    out = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name in html_by_name:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                t0 = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/{name}.html")
                page.wait_for_function(counted, arg=expected, timeout=180_000, polling=100)
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                out[name] = time.perf_counter() - t0
                page.close()
            browser.close()
    finally:
        httpd.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not (ROOT / "static" / "vendor" / "leaflet" / "dist" / "leaflet.js").exists():
        print("static/vendor is missing: run `bash scripts/fetch_leaflet.sh` first", file=sys.stderr)
        return 1

    app = bench_app(args.runs)
    b = build_maps()
    draw = browser_draw({"ours": b["ours_html"], "naive": b["naive_html"]}, b["n_blocks"] + b["n_events"])
    mb = lambda s: len(s.encode()) / 1e6  # noqa: E731

    print("Dashboard benchmark (streamlit run + headless Chromium, this machine)")
    print(f"  navigation -> map drawn, all default layers: cold {app['load_cold_s']:.2f} s, "
          f"warm median {app['load_warm_s']:.2f} s   (target < 4 s)")
    print(f"  date change -> map redrawn: median {app['date_change_s']:.2f} s "
          f"({', '.join(f'{x:.2f}' for x in app['date_change_all_s'])})   (target < 1.5 s)")
    print(f"  map HTML, default view: {mb(b['default_html']):.2f} MB (server build+render {b['default_build_s']:.2f} s)"
          "   (target < 2 MB)")
    print(f"  server peak RSS, one visitor: {app['server_peak_rss_mb']:.0f} MB   (target < 500 MB)")
    print(f"Ours vs naive on the same data: {b['n_blocks']} blocks + {b['n_events']} events (all dates)")
    print(f"  {'':28}{'ours':>10}{'naive':>10}{'naive/ours':>12}")
    rows = [("server build+render (s)", b["ours_build_s"], b["naive_build_s"]),
            ("HTML size (MB)", mb(b["ours_html"]), mb(b["naive_html"])),
            ("browser: to all drawn (s)", draw["ours"], draw["naive"])]
    for label, o, n in rows:
        print(f"  {label:28}{o:10.2f}{n:10.2f}{n / o:12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
