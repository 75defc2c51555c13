"""The Map page on a phone and on a laptop, with and without imported layers; playback pausing moves the page.

Screenshots at 390x844 and 1280x800 go to ``test-artifacts/`` (``layout-<w>x<h>-<plain|imported>.png``), the
imported ones from a server of its own whose workspace (GDM_WORKSPACE_DIR) holds three layers imported with
``python -m pipeline import`` before it starts: ACLED events, HXL-tagged points and zones.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from .conftest import ARTIFACTS, IDLE, MAP_FRAME, ROOT, Server
from .test_journeys import metric

pytestmark = pytest.mark.browser

IMPORTS = [["tests/data/imports/acled-clean.csv"], ["tests/data/imports/hxl-points.csv"],
           ["tests/data/imports/arcgis-zones.geojson", "--as", "zones"]]
SIZES = [(390, 844), (1280, 800)]

# The boxes of the major-place labels Leaflet shows (not hidden by the decluttering), in page pixels.
LABELS = """() => [...document.querySelectorAll('.gdm-map .gdm-place-label')]
    .filter(e => getComputedStyle(e).visibility !== 'hidden')
    .map(e => { const r = e.getBoundingClientRect(); return {t: e.textContent, l: r.left, r: r.right, top: r.top, b: r.bottom}; })"""


@pytest.fixture(scope="module")
def imported_server(tmp_path_factory):
    ws = tmp_path_factory.mktemp("workspace-three")
    env = {"GDM_WORKSPACE_DIR": str(ws)}
    for args in IMPORTS:
        done = subprocess.run([sys.executable, "-m", "pipeline", "import", *args], cwd=ROOT, capture_output=True,
                              text=True, env={**os.environ, **env}, timeout=300)
        assert done.returncode == 0, done.stderr + done.stdout
    s = Server(env=env, log_name="server-layout-imported")
    yield s
    s.stop()


def open_at(browser, url: str, size: tuple[int, int]):
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_function("() => window.gdmMap && window.gdmMap.__rev", polling="raf")
    page.wait_for_selector(IDLE)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return ctx, page


def box(page, selector: str) -> dict:
    b = page.locator(selector).first.bounding_box()
    assert b, f"{selector} is not on the page"
    return b


def meets(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def shot(page, name: str) -> None:
    """The page as it opens and, beside it (``-map``), scrolled to the map, which lies below the fold on a laptop
    (Streamlit scrolls its main block itself, so a full-page screenshot shows only the first screen)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.locator(MAP_FRAME).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{name}-map.png"))


def check_layout(page, size: tuple[int, int], layers: int) -> None:
    w, _ = size
    narrow = w <= 640
    the_map, kpi = box(page, MAP_FRAME), box(page, "[data-testid='stMetric']")
    legend = page.locator(f"{MAP_FRAME} details.gdm-legend")
    if narrow:  # a phone: sidebar collapsed, the map first and full width, the KPIs below, the legend closed
        expect(page.locator("[data-testid='stSidebar']")).to_have_attribute("data-collapsed", "true")
        assert the_map["y"] < kpi["y"], "the map should come before the KPIs on a narrow screen"
        assert the_map["width"] >= w - 48, f"the map is {the_map['width']} px wide on a {w} px screen"
        assert legend.get_attribute("open") is None
    else:  # a laptop: the KPIs above the map, the legend open
        assert kpi["y"] < the_map["y"]
        assert legend.get_attribute("open") is not None
    # the attribution is one short line with a "sources" link, clear of the scale bar and the legend
    attribution = box(page, f"{MAP_FRAME} .gdm-attribution")
    assert attribution["height"] <= 18, "the attribution should be one line"
    link = box(page, f"{MAP_FRAME} .gdm-attribution a")
    assert link["x"] + link["width"] <= attribution["x"] + attribution["width"], "the 'sources' link is cut off"
    assert not meets(attribution, box(page, f"{MAP_FRAME} .leaflet-control-scale"))
    assert not meets(attribution, box(page, f"{MAP_FRAME} .gdm-legend"))
    assert the_map["x"] <= attribution["x"] and attribution["x"] + attribution["width"] <= the_map["x"] + the_map["width"], \
        "the attribution runs past the map's edge"
    lg = box(page, f"{MAP_FRAME} .gdm-legend")
    assert attribution["y"] >= lg["y"] + lg["height"] - 1, "the attribution should sit at the map's foot, under the legend"
    assert attribution["y"] + attribution["height"] >= the_map["y"] + the_map["height"] - 24
    # the major places' labels do not overlap one another at the default zoom, and most of them show
    try:  # the labels are placed once the map has its size: on a busy machine that can take a moment
        page.wait_for_function(f"({LABELS})().length >= 6", timeout=15_000)
    except PlaywrightTimeout:
        pass  # the assertion below says what was shown
    labels = page.evaluate(LABELS)
    assert len(labels) >= 6, labels
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert not (a["l"] < b["r"] and b["l"] < a["r"] and a["top"] < b["b"] and b["top"] < a["b"]), (a, b)
    # imported layers: each has its legend entry (the legend opened on a phone to read it)
    if narrow and layers:
        page.locator(f"{MAP_FRAME} .gdm-legend summary").click()
    expect(page.locator(f"{MAP_FRAME} .gdm-legend .gdm-ws-entry")).to_have_count(layers)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_map_layout_without_imported_layers(server, browser, size):
    ctx, page = open_at(browser, server.url, size)
    try:
        check_layout(page, size, 0)
        shot(page, f"layout-{size[0]}x{size[1]}-plain")
    finally:
        ctx.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_map_layout_with_three_imported_layers(imported_server, browser, size):
    ctx, page = open_at(browser, imported_server.url, size)
    try:
        check_layout(page, size, 3)
        if size[0] <= 640:
            page.locator(f"{MAP_FRAME} .gdm-legend summary").click()  # closed again for the picture
        shot(page, f"layout-{size[0]}x{size[1]}-imported")
    finally:
        ctx.close()


def test_kpis_follow_when_playback_pauses(server, page):
    page.goto(server.url)
    page.wait_for_function("() => window.gdmMap && window.gdmMap.__rev", polling="raf")
    page.wait_for_selector(IDLE)
    killed = metric(page, "Killed since 7 Oct")
    before = killed.inner_text()
    frame = page.locator(MAP_FRAME)
    frame.locator(".gdm-play-speed").select_option("5")
    frame.locator(".gdm-play-btn").click()
    legend = frame.locator(".gdm-legend")
    expect(legend).to_contain_text("(playing)")
    page.wait_for_function("() => /^([5-9]|1[0-9]) Dec 2023 \\(playing\\)$/.test("
                           "document.querySelector('.gdm-map .gdm-legend-date').textContent)", polling="raf")
    # pause, and read the day shown at that instant (in one go: playback moves on five times a second)
    day = page.evaluate("""() => { const lg = document.querySelector('.gdm-map .gdm-legend-date').textContent;
        document.querySelector('.gdm-map .gdm-play-btn').click(); return lg.replace(' (playing)', ''); }""")
    iso = datetime.strptime(day, "%d %b %Y").date().isoformat()
    expect(page).to_have_url(re.compile(rf"date={iso}"))
    expect(page.locator("[data-testid='stCaptionContainer']").first).to_contain_text(day)  # the view's line
    expect(killed).not_to_have_text(before)  # the KPIs above the map are the paused day's
    expect(page.locator(f"{MAP_FRAME} .gdm-legend-date")).to_have_text(day)  # and the map holds that day
    expect(page.get_by_role("spinbutton", name="day, Date", exact=True)).to_have_text(iso[-2:])
