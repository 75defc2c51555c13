"""Dashboard benchmark: a real `streamlit run` server, headless Chromium, and the naive build beside ours.

    python3 bench/bench_dashboard.py [--runs 3] [--baseline main] [--naive]

Measures today's build (``--baseline main``: a clean ``git archive`` copy, the folium map) and this
checkout in the same run, and prints both with their ratio (targets from issue 13):
- the first visit after server start to the map drawn with all default layers (< 3 s), later visits (< 2 s),
  each from a new browser (no cache) and from the same browser coming back (its HTTP cache); around the
  automation's navigation and wait, and in the page (navigation start to the first frame after the map's legend
  shows the date: without the driver's own round trips, as the date change below);
- where a visit's time goes, in the page: Streamlit's code run, the websocket, the first element, the elements
  whose code loads late, the map mounted, built and painted, with the map's own time and the server's CPU;
- a date change (the "day" button) to the map restyled, median (< 0.3 s), timed in the page from the click
  event to the legend of the new date (and, beside it, around the automation's click, its own steps included);
- the bytes received over Streamlit's websocket per date change (< 50 KB);
- a small response's round trip on a kept-alive connection (the health check: 40+ ms with Nagle's algorithm on);
- the server's peak RSS with one visitor; playback frames per second at 20 days/s (>= 10);
- with ``--naive``: the naive folium build (one Marker per event, full polygons) beside ours.
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


def start_server(root: Path = ROOT, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, float]:
    """`streamlit run app.py` in ``root``; (process, URL, seconds until healthy)."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("streamlit did not start")


def small_round_trip_ms(url: str, n: int = 20) -> float:
    """Median round trip of a small response (the health check) on one kept-alive connection, in ms: about
    1 ms, or 40+ ms where the server's connections keep Nagle's algorithm (``dashboard.server_socket``)."""
    import http.client

    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    waits = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.request("GET", "/_stcore/health")
            conn.getresponse().read()
            waits.append(time.perf_counter() - t0)
    finally:
        conn.close()
    return statistics.median(waits[1:]) * 1000


def day_label(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


# The component's map (in the page): 620 blocks in Leaflet and the legend of the expected date.
DRAWN_COMPONENT = """([day]) => { const m = window.gdmMap; if (!m || !m.__rev) return false; let n = 0;
    m.eachLayer(l => { if (l.feature && l.feature.properties.block_id !== undefined) n++; });
    const lg = document.querySelector('.gdm-map .gdm-legend');
    return n === 620 && !!lg && lg.textContent.includes(day); }"""


def wait_drawn(page, d: date, timeout: float = 60_000) -> None:
    """Until the map of ``d`` is drawn: the component's (in the page) or the folium iframe's (older builds).
    One wait for whichever of the two appears first, so the time measured has no polling step of its own."""
    page.wait_for_selector(f"{MAP_FRAME}, .gdm-map", state="attached", timeout=timeout)
    if page.locator(".gdm-map").count():
        page.wait_for_function(DRAWN_COMPONENT, arg=[day_label(d)], timeout=timeout, polling="raf")
        return
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        try:
            frame = page.locator(MAP_FRAME).last
            frame.wait_for(state="attached", timeout=2_000)
            inner = frame.element_handle(timeout=2_000).content_frame()
            inner.wait_for_function(DRAWN, arg=[day_label(d)], timeout=timeout, polling="raf")
            return
        except Exception:  # the iframe was replaced while we waited (a rerun): look again
            if time.monotonic() >= deadline:
                raise


IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# A date change as the person sees it, timed inside the page: from the click on "day ▶" (its click event) to the
# map's legend showing the new date (a MutationObserver), so the automation's own steps around the click
# (actionability checks, scrolling, its round trips) are not counted. ``CHANGE_MS`` is None where the legend
# is not in the page (an older build's map iframe): the time around the click is used then.
WATCH_CHANGE = """(day) => { window.__gdmClick = null; window.__gdmDone = null;
    const btn = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'day ▶');
    if (btn) btn.addEventListener('click', () => { window.__gdmClick = performance.now(); },
                                  {capture: true, once: true});
    const seen = () => { const lg = document.querySelector('.gdm-map .gdm-legend');
        return !!lg && lg.textContent.includes(day); };
    const obs = new MutationObserver(() => {
        if (window.__gdmClick !== null && window.__gdmDone === null && seen()) {
            window.__gdmDone = performance.now(); obs.disconnect(); } });
    obs.observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
CHANGE_MS = """() => (window.__gdmClick !== null && window.__gdmDone !== null)
    ? window.__gdmDone - window.__gdmClick : null"""


# Where a visit's time goes, recorded in the page (ms since navigation start): the HTML, Streamlit's code run
# (DOMContentLoaded), the websocket open and its first message, the first element drawn (the title), the
# elements whose code loads later (the first KPI card), the map's element mounted, and the map drawn; with the
# map's own build and update time (map.js) and the server's CPU seconds during the visit.
PHASES_INIT = """(() => { const t = window.__gdmPhases = {};
  const at = k => { if (!(k in t)) t[k] = performance.now(); };
  window.WebSocket = class extends window.WebSocket { constructor(...a) { super(...a);
    this.addEventListener('open', () => at('ws_open')); this.addEventListener('message', () => at('ws_first_msg')); } };
  const mo = new MutationObserver(() => {
    const lg = document.querySelector('.gdm-map .gdm-legend-date');
    if (!('map_painted' in t) && !t.__legend && lg && lg.textContent && window.gdmMap && window.gdmMap.__rev) {
      t.__legend = true; requestAnimationFrame(() => at('map_painted')); }
    if (document.querySelector('[data-testid=stHeading]')) at('first_element');
    if (document.querySelector('[data-testid=stMetric]')) at('late_elements');
    if (document.querySelector('.gdm-map')) at('map_mounted'); });
  document.addEventListener('DOMContentLoaded', () => { at('streamlit_code_run');
    mo.observe(document.documentElement, {subtree: true, childList: true}); }); })()"""
PHASES = """() => { const n = performance.getEntriesByType('navigation')[0];
  const t = Object.assign({html: n ? n.responseEnd : null}, window.__gdmPhases || {}, {drawn: performance.now()});
  const m = window.gdmMap && window.gdmMap.__timing;
  if (m) Object.assign(t, {map_build_start: m.build_at, map_updated: m.updated_at,
                           map_own: (m.build_ms || 0) + (m.update_ms || 0)});
  return t; }"""
PHASE_ORDER = ("html", "streamlit_code_run", "ws_open", "ws_first_msg", "first_element", "late_elements",
               "map_mounted", "map_build_start", "map_updated", "map_painted", "drawn", "map_own", "server_cpu")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children."""
    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    return sum(p.cpu_times().user + p.cpu_times().system for p in procs)


def timed_visit(page, url: str, pid: int) -> tuple[float, dict[str, float]]:
    """Open the map and wait for it drawn: (seconds, the phases in ms and the server's CPU seconds)."""
    c0 = cpu_s(pid)
    t0 = time.perf_counter()
    page.goto(url)
    wait_drawn(page, date(2023, 12, 2))
    wall = time.perf_counter() - t0
    phases = {k: v for k, v in page.evaluate(PHASES).items() if v is not None and not k.startswith("__")}
    phases["server_cpu"] = cpu_s(pid) - c0
    return wall, phases


def median_phases(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs if k in r) for k in PHASE_ORDER if any(k in r for r in runs)}


def bench_app(runs: int, root: Path = ROOT, env: dict[str, str] | None = None,
              fps_seconds: float = 0.0) -> dict[str, object]:
    """First visit after start, later visits, date changes (time and websocket bytes), peak RSS; and, with
    ``fps_seconds``, the frames per second of playback at the fastest speed (the component only)."""
    from playwright.sync_api import sync_playwright

    proc, url, healthy = start_server(root, env)
    rss = PeakRSS(proc.pid)
    rss.start()
    out: dict[str, object] = {"healthy_s": healthy, "small_rtt_ms": small_round_trip_ms(url)}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            loads, load_phases = [], []
            for i in range(runs + 1):
                ctx = browser.new_context(viewport={"width": 1440, "height": 1200})
                ctx.add_init_script(PHASES_INIT)
                page = ctx.new_page()
                wall, phases = timed_visit(page, url, proc.pid)
                loads.append(wall)
                load_phases.append(phases)
                if i < runs:
                    ctx.close()
            out["load_cold_s"] = loads[0]
            out["load_warm_s"] = statistics.median(loads[1:])
            out["load_all_s"] = loads
            out["phases_first"] = load_phases[0]
            out["phases_later"] = median_phases(load_phases[1:])
            returns, return_phases = [], []  # a visitor coming back: the same browser (its HTTP cache), a new tab
            for _ in range(runs):
                tab = ctx.new_page()
                wall, phases = timed_visit(tab, url, proc.pid)
                returns.append(wall)
                return_phases.append(phases)
                tab.close()
            out["load_return_s"] = statistics.median(returns)
            out["load_return_all_s"] = returns
            out["phases_return"] = median_phases(return_phases)
            for kind in ("first", "later", "return"):  # in the page: navigation start to the map's first frame
                ms = out[f"phases_{kind}"].get("map_painted")  # type: ignore[union-attr]
                out[f"painted_{kind}_s"] = ms / 1000 if ms is not None else float("nan")
            received: list[int] = []
            page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(
                len(payload) if isinstance(payload, (bytes, str)) else 0)))
            page.reload()  # the websocket of this page, now watched
            wait_drawn(page, date(2023, 12, 2))
            changes, walls, sizes = [], [], []
            d = date(2023, 12, 2)
            for _ in range(runs):
                page.wait_for_selector(IDLE)
                page.wait_for_timeout(300)
                d = d + timedelta(days=1)
                received.clear()
                page.evaluate(WATCH_CHANGE, day_label(d))
                t0 = time.perf_counter()
                page.get_by_role("button", name="day ▶").click()
                wait_drawn(page, d)
                walls.append(time.perf_counter() - t0)
                in_page = page.evaluate(CHANGE_MS)
                changes.append(in_page / 1000 if in_page is not None else walls[-1])
                page.wait_for_selector(IDLE)
                page.wait_for_timeout(500)  # the run's last messages
                sizes.append(sum(received))
            out["date_change_s"] = statistics.median(changes)
            out["date_change_all_s"] = changes
            out["date_change_wall_s"] = statistics.median(walls)
            out["date_change_wall_all_s"] = walls
            out["date_change_bytes"] = statistics.median(sizes)
            out["date_change_bytes_all"] = sizes
            if fps_seconds and page.locator(".gdm-play-btn").count():
                page.locator(".gdm-play-speed").select_option("20")
                page.locator(".gdm-play-loop").check()
                page.locator(".gdm-play-btn").click()
                page.wait_for_function("() => window.gdmMap.__frames > 0", timeout=60_000)
                f0 = page.evaluate("window.gdmMap.__frames")
                t0 = time.perf_counter()
                page.wait_for_timeout(fps_seconds * 1000)
                f1 = page.evaluate("window.gdmMap.__frames")
                out["playback_fps"] = (f1 - f0) / (time.perf_counter() - t0)
                out["playback_speed"] = 20
                page.locator(".gdm-play-btn").click()
            ctx.close()
            browser.close()
    finally:
        rss.running = False
        rss.join()
        proc.terminate()
        proc.wait(timeout=15)
    out["server_peak_rss_mb"] = rss.peak / 2**20
    return out


def baseline_copy(ref: str) -> Path:
    """A clean copy of ``ref``'s files (git archive): "today's build" measured in the same run."""
    tmp = Path(tempfile.mkdtemp(prefix="gdm-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    return tmp


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
    ap.add_argument("--baseline", default="main",
                    help="git ref of today's build to measure in the same run (folium map), or '' to skip")
    ap.add_argument("--naive", action="store_true", help="also the naive-vs-ours folium comparison")
    args = ap.parse_args()
    if not (ROOT / "static" / "vendor" / "leaflet" / "dist" / "leaflet.js").exists():
        print("static/vendor is missing: run `bash scripts/fetch_leaflet.sh` first", file=sys.stderr)
        return 1

    results = {}
    if args.baseline:
        base_root = baseline_copy(args.baseline)
        try:
            results["today"] = bench_app(args.runs, base_root)
        finally:
            shutil.rmtree(base_root, ignore_errors=True)
    results["new"] = bench_app(args.runs, ROOT, fps_seconds=4.0)

    print("Dashboard benchmark (streamlit run + headless Chromium, this machine)")
    rows = [("server start to healthy (s)", "healthy_s", None),
            ("a small response's round trip (ms)", "small_rtt_ms", None),
            ("first visit after start (s)", "load_cold_s", 3.0),
            ("later visits (a new browser), median (s)", "load_warm_s", 2.0),
            ("  a visitor back in the same browser (s)", "load_return_s", 2.0),
            ("  in the page: to the map's first frame (s)", "painted_first_s", 3.0),
            ("  in the page: later visits, median (s)", "painted_later_s", 2.0),
            ("  in the page: back in the same browser (s)", "painted_return_s", 2.0),
            ("date change to map restyled, median (s)", "date_change_s", 0.3),
            ("  the same with the driver's click (s)", "date_change_wall_s", None),
            ("websocket bytes per date change (KB)", "date_change_bytes", 50.0),
            ("server peak RSS, one visitor (MB)", "server_peak_rss_mb", None)]
    cols = list(results)
    print(f"  {'':42}" + "".join(f"{c:>10}" for c in cols) + ("   new/today" if len(cols) == 2 else "") + "  target")
    for label, k, target in rows:
        vals = [results[c].get(k, float("nan")) / (1024 if "bytes" in k else 1) for c in cols]
        ratio = f"{vals[1] / vals[0]:12.3f}" if len(vals) == 2 and vals[0] else ""
        print(f"  {label:42}" + "".join(f"{v:10.2f}" for v in vals) + ratio + (f"  < {target:g}" if target else ""))
    for c in cols:
        r = results[c]
        print(f"  {c}: loads {', '.join(f'{x:.2f}' for x in r['load_all_s'])}; date changes "
              f"{', '.join(f'{x:.2f}' for x in r['date_change_all_s'])} s (with the driver's click "
              f"{', '.join(f'{x:.2f}' for x in r['date_change_wall_all_s'])} s), "
              f"{', '.join(f'{x / 1024:.1f}' for x in r['date_change_bytes_all'])} KB")
    print("  where a visit's time goes (ms since navigation start, medians; map_own: map.js building and "
          "styling the map; server_cpu: CPU-s)")
    for c in cols:
        for kind in ("first", "later", "return"):
            ph = results[c].get(f"phases_{kind}") or {}
            print(f"  {c:>6} {kind:>6}: " + "  ".join(
                f"{k} {ph[k]:.2f}" if k == "server_cpu" else f"{k} {ph[k]:.0f}" for k in PHASE_ORDER if k in ph))
    if "playback_fps" in results["new"]:
        print(f"  playback at {results['new']['playback_speed']} days/s, all 620 blocks: "
              f"{results['new']['playback_fps']:.1f} frames/s   (target >= 10)")
    if not args.naive:
        return 0
    b = build_maps()
    draw = browser_draw({"ours": b["ours_html"], "naive": b["naive_html"]}, b["n_blocks"] + b["n_events"])
    mb = lambda s: len(s.encode()) / 1e6  # noqa: E731
    print(f"Ours (folium) vs naive on the same data: {b['n_blocks']} blocks + {b['n_events']} events (all dates)")
    print(f"  {'':28}{'ours':>10}{'naive':>10}{'naive/ours':>12}")
    for label, o, n in [("server build+render (s)", b["ours_build_s"], b["naive_build_s"]),
                        ("HTML size (MB)", mb(b["ours_html"]), mb(b["naive_html"])),
                        ("browser: to all drawn (s)", draw["ours"], draw["naive"])]:
        print(f"  {label:28}{o:10.2f}{n:10.2f}{n / o:12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
