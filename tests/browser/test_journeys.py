"""User journeys in headless Chromium against a real `streamlit run` server (see conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pipeline.runtime.bundle import load_layer

from .conftest import IDLE, MAP_FRAME, shot

pytestmark = pytest.mark.browser


def metric(page, label: str):
    return page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=label)).locator("[data-testid='stMetricValue']")


# All vector layers share one canvas: we ask Leaflet (the map object is `window.gdmMap`, set by the component)
# which features it has drawn, instead of counting SVG paths.
COUNT = """cls => { let n = 0; gdmMap.eachLayer(l => { if (l.feature && l.feature.properties &&
    (cls === 'block' ? l.feature.properties.block_id !== undefined : l.feature.properties.zone_id !== undefined)
    && l._map) n++; }); return n; }"""


def map_frame(page):
    """Where the map's JavaScript runs: the page itself (the component is not in an iframe)."""
    return page.main_frame


def map_box(page) -> dict:
    """The map's box on the page, scrolled into view first: a mouse event lands only on what the viewport shows."""
    container = page.locator(f"{MAP_FRAME} .leaflet-container").last
    container.scroll_into_view_if_needed()
    return container.bounding_box()


def open_map(page, url: str, blocks: int = 620):
    page.goto(url)
    frame = page.locator(MAP_FRAME).last
    expect(frame.locator(".leaflet-container")).to_be_visible()
    expect(frame.locator("canvas").first).to_be_visible()
    map_frame(page).wait_for_function(f"typeof gdmMap !== 'undefined' && ({COUNT})('block') === {blocks}")
    return frame


def block_point(page, status: str = "recent") -> dict:
    """A page point inside a block of the given status (Leaflet's own hit test) and the block's id."""
    map_box(page)  # scrolls the map into view before its points are read
    inner = map_frame(page)
    pt = inner.evaluate("""status => {
        let found = null;
        gdmMap.eachLayer(l => {
            if (found || !l.feature || l.feature.properties.status !== status || !l._containsPoint) return;
            const ll = l.getBounds().getCenter(), c = gdmMap.latLngToContainerPoint(ll);
            const size = gdmMap.getSize();
            if (c.x < 20 || c.y < 20 || c.x > size.x - 20 || c.y > size.y - 20) return;
            if (l._containsPoint(gdmMap.latLngToLayerPoint(ll)))
                found = {x: c.x, y: c.y, id: l.feature.properties.block_id};
        });
        return found;
    }""", status)
    assert pt, f"no {status} block with its centre inside it is in view"
    box = map_box(page)
    return {"x": box["x"] + pt["x"], "y": box["y"] + pt["y"], "id": pt["id"]}


def click_block(page, status: str = "recent") -> int:
    pt = block_point(page, status)
    page.mouse.click(pt["x"], pt["y"])
    return pt["id"]


def test_map_loads_offline_and_date_change_updates_kpis_and_map(server, page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    frame = open_map(page, server.url)
    expect(frame.locator(".gdm-legend")).to_contain_text("2 Dec 2023")
    assert map_frame(page).evaluate(f"({COUNT})('zone')") == 1
    expect(frame.locator(".leaflet-control-scale")).to_be_visible()
    assert any(u.split("?")[0].endswith("/app/static/vendor/leaflet/dist/leaflet.js") for u in requests)
    assert not [u for u in requests if "cdn.jsdelivr" in u or "cdnjs" in u or "code.jquery" in u]
    # incidents are drawn on one canvas (not a DOM marker each)
    assert frame.locator(".leaflet-marker-icon").count() == 0
    killed, area = metric(page, "Killed since 7 Oct"), metric(page, "Area under orders")
    killed_before, area_before = killed.inner_text(), area.inner_text()
    shot(page, "map-2023-12-02")

    # type a new date into the date control
    day = page.get_by_role("spinbutton", name="day, Date", exact=True)
    day.click()
    page.keyboard.type("05")
    page.get_by_role("heading", name="Evacuation orders, zones and strikes").click()  # blur commits the date
    expect(killed).not_to_have_text(killed_before)
    expect(area).not_to_have_text(area_before)
    expect(frame.locator(".gdm-legend")).to_contain_text("5 Dec 2023")
    expect(page).to_have_url(re.compile(r"date=2023-12-05"))
    page.wait_for_selector(IDLE)
    shot(page, "map-2023-12-05")

    # the next-day button moves the date by one
    page.get_by_role("button", name="day ▶").click()
    expect(frame.locator(".gdm-legend")).to_contain_text("6 Dec 2023")
    expect(page).to_have_url(re.compile(r"date=2023-12-06"))



def test_date_is_drawn_above_the_map_and_kept_across_pages(server, page):
    """The Map page's date control sits above the map (not in the sidebar); the other pages show it in the
    sidebar; a date set on one page is the date of the next, in the control, the URL and the map."""
    frame = open_map(page, server.url)
    sidebar = page.locator("[data-testid='stSidebar']")
    main = page.locator("[data-testid='stMain']")
    day = "day, Date"
    expect(sidebar.get_by_role("spinbutton", name=day, exact=True)).to_have_count(0)
    expect(sidebar.get_by_text("Orders since")).to_be_visible()  # the other shared filters stay in the sidebar
    for _ in range(2):
        page.wait_for_selector(IDLE)
        main.get_by_role("button", name="day ▶").click()
    expect(frame.locator(".gdm-legend")).to_contain_text("4 Dec 2023")
    expect(page).to_have_url(re.compile(r"date=2023-12-04"))

    page.get_by_role("link", name="Orders").first.click()
    expect(page.get_by_label("Orders issued on")).to_be_visible()
    expect(sidebar.get_by_role("spinbutton", name=day, exact=True)).to_have_attribute("aria-valuenow", "4")
    expect(page).to_have_url(re.compile(r"date=2023-12-04"))
    page.wait_for_selector(IDLE)
    sidebar.get_by_role("button", name="day ▶").click()  # on Orders the date is changed in the sidebar
    expect(sidebar.get_by_role("spinbutton", name=day, exact=True)).to_have_attribute("aria-valuenow", "5")
    page.wait_for_selector(IDLE)

    page.get_by_role("link", name="Map").first.click()
    frame = page.locator(MAP_FRAME).last
    expect(frame.locator(".gdm-legend")).to_contain_text("5 Dec 2023")
    expect(main.get_by_role("spinbutton", name=day, exact=True)).to_have_attribute("aria-valuenow", "5")
    expect(page.locator("[data-testid='stCaptionContainer']").first).to_contain_text("5 Dec 2023")
    expect(page).to_have_url(re.compile(r"date=2023-12-05"))
    expect(sidebar.get_by_role("spinbutton", name=day, exact=True)).to_have_count(0)
    assert page.locator("[data-testid='stException']").count() == 0

def test_click_a_block_shows_its_history_without_reloading_the_map(server, page):
    frame = open_map(page, f"{server.url}/?layers=Boundaries&layers=Blocks")
    page.wait_for_selector(IDLE)
    inner = map_frame(page)
    inner.evaluate("gdmMap.__notReloaded = true")  # a new map object (a reload) would not carry it
    # record every script run of the app from now on: panning/zooming must not rerun it
    page.evaluate("""() => {
        window.__states = [];
        const app = document.querySelector("[data-testid='stApp']");
        new MutationObserver(() => window.__states.push(app.getAttribute('data-test-script-state')))
            .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }""")
    inner.evaluate("""() => new Promise(done => { gdmMap.once('zoomend', () => done()); gdmMap.zoomIn(); })""")
    inner.evaluate("""() => new Promise(done => { gdmMap.once('moveend', () => done()); gdmMap.panBy([60, 40]); })""")
    assert page.evaluate("window.__states") == []

    block = str(click_block(page, "recent"))
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(f"Block {block}")
    expect(popup).to_contain_text("Orders that named it")
    panel = page.locator(".gdm-block-panel")
    expect(panel).to_have_attribute("data-block", block)
    history = page.locator(".gdm-history")
    expect(history).to_contain_text("order(s) named this block")
    expect(history.locator("a").first).to_have_attribute("href", re.compile(r"^https?://"))
    assert inner.evaluate("window.gdmMap.__notReloaded") is True  # the map was not reloaded
    expect(popup).to_be_visible()  # and its popup is still open
    shot(page, f"map-block-{block}-history")


FACILITIES = """() => { const by = {}; gdmMap.eachLayer(l => { const k = l.feature && l.feature.properties
    && l.feature.properties.facility; if (k && l._map) by[k] = (by[k] || 0) + 1; }); return by; }"""


def test_facilities_layer_is_off_by_default_and_shown_by_kind_with_a_legend(server, page):
    frame = open_map(page, server.url)
    assert map_frame(page).evaluate(f"({FACILITIES})()") == {}  # off by default
    legend = frame.locator(".gdm-legend")
    expect(legend).not_to_contain_text("Facilities")
    control = frame.locator(".leaflet-control-layers")
    control.hover()
    frame.get_by_label("Facilities (named landmarks)").check()
    map_frame(page).wait_for_function(f"Object.values(({FACILITIES})()).reduce((a, b) => a + b, 0) === 4320")
    by = map_frame(page).evaluate(f"({FACILITIES})()")
    facilities = load_layer("facilities")
    assert by == facilities["kind"].value_counts().to_dict()  # every landmark, by its kind
    expect(legend).to_contain_text("Facilities (named landmarks")
    expect(legend).to_contain_text("Hospital")
    shot(page, "map-facilities")


def test_shared_link_opens_the_same_view(server, page):
    page.goto(f"{server.url}/?date=2023-12-05&window=3&layers=Blocks&layers=Zone")
    frame = page.locator(MAP_FRAME).last
    expect(frame.locator(".gdm-legend")).to_contain_text("5 Dec 2023")
    expect(frame.locator(".gdm-legend")).to_contain_text("last 3 days")
    expect(frame.locator(".gdm-legend")).not_to_contain_text("Strikes")
    map_frame(page).wait_for_function(f"({COUNT})('block') === 620")
    expect(page.get_by_role("spinbutton", name="day, Date", exact=True)).to_have_attribute("aria-valuenow", "5")
    shot(page, "map-shared-link")


@pytest.mark.parametrize("path,text", [("timeline", "Share of the Strip under evacuation orders"),
                                       ("data", "Download the layers as filtered on the map"),
                                       ("method", "Pre-war population of blocks")])
def test_other_pages(server, page, path, text):
    page.goto(f"{server.url}/{path}")
    expect(page.get_by_text(text).first).to_be_visible()
    page.wait_for_selector(IDLE)
    if path == "timeline":
        expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    if path == "data":
        expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()
        button = page.locator(".st-key-dl_blocks_csv").get_by_role("button", name="CSV", exact=True)  # blocks
        expect(button).to_be_visible()
        with page.expect_download() as info:
            button.click()
        rows = info.value.path().read_text(encoding="utf-8").splitlines()
        assert len(rows) == 621 and "status" in rows[0] and "block_id" in rows[0]
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, f"page-{path}")
