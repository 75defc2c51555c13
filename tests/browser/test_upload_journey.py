"""Bring your own data, in a real browser: upload a CSV on the Data page, import it, see its points on the map.

A server of its own reads a fresh, empty workspace folder (GDM_WORKSPACE_DIR); the map is opened once
before the import, so the journey also shows that a new import appears without a restart.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pipeline.runtime import workspace

from .conftest import IDLE, Server, shot
from .test_journeys import map_box, map_frame, open_map

pytestmark = pytest.mark.browser

LAYER = "my-field-points"  # the layer name the import gives a file called my-field-points.csv
POINTS = """latitude,longitude,date,place
31.3300,34.2900,2023-12-02,Field point west of Khan Younis
31.2750,34.2650,2023-12-01,Field point near Rafah
31.4300,34.3800,2023-11-30,Field point in Deir al-Balah
"""

# Leaflet's own answer: the imported features on the map, with their container points.
IMPORTED = """name => { const pts = []; gdmMap.eachLayer(l => {
    if (l.feature && l.feature.properties && l.feature.properties.ws === name && l._map) {
        const c = gdmMap.latLngToContainerPoint(l.getLatLng()); pts.push({x: c.x, y: c.y}); } });
    return pts; }"""


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory):
    ws = tmp_path_factory.mktemp("workspace")  # fresh and empty
    s = Server(env={"GDM_WORKSPACE_DIR": str(ws)}, log_name="server-upload")
    yield s, ws
    s.stop()


def upload(page, path) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))


def alert(page, text: str):
    return page.locator("[data-testid='stAlert']").filter(has_text=text)


def test_upload_a_csv_and_see_its_points_on_the_map(upload_server, page, tmp_path):
    srv, ws = upload_server
    csv = tmp_path / f"{LAYER}.csv"
    csv.write_text(POINTS, encoding="utf-8")

    # before: no imported layer on the map
    frame = open_map(page, f"{srv.url}/?date=2023-12-02")
    legend = frame.locator(".gdm-legend")
    expect(legend).to_contain_text("2 Dec 2023")
    expect(legend).not_to_contain_text("Imported:")

    # the Data page: choose the file, read the check, import
    page.goto(f"{srv.url}/data")
    expect(page.get_by_text("Add your own data")).to_be_visible()
    upload(page, csv)
    expect(page.get_by_text(f"Check of {LAYER}.csv (nothing saved yet)")).to_be_visible()
    accepted = page.locator("[data-testid='stMetric']").filter(has_text="accepted")
    expect(accepted.locator("[data-testid='stMetricValue']")).to_have_text("3")
    assert workspace.list_layers(ws) == []  # the check saves nothing
    page.wait_for_selector(IDLE)
    accepted.scroll_into_view_if_needed()
    shot(page, "upload-checked")
    button = page.get_by_role("button", name="Import", exact=True)
    expect(button).to_be_enabled()
    button.click()
    expect(alert(page, f"imported 3 of 3 row(s) into {LAYER}")).to_be_visible()
    page.wait_for_selector(IDLE)
    layers = workspace.list_layers(ws)
    assert [(e["name"], e["rows"], e["kind"], e["acled"]) for e in layers] == [(LAYER, 3, "events", False)]
    shot(page, "upload-imported")

    # the Map page for 2 Dec 2023 now draws the three points, with their own legend entry and toggle
    frame = open_map(page, f"{srv.url}/?date=2023-12-02")
    inner = map_frame(page)
    inner.wait_for_function(f"({IMPORTED})('{LAYER}').length === 3")
    legend = frame.locator(".gdm-legend")
    expect(legend).to_contain_text(f"Imported: {LAYER}")
    expect(legend).to_contain_text("points: 3 in the last 7 days")
    expect(legend).to_contain_text("Strikes/incidents")  # the shipped incidents keep their own entry
    expect(page.get_by_text("Imported layers: 3 events in window")).to_be_visible()
    assert frame.locator(".leaflet-marker-icon").count() == 0  # circle markers on the canvas
    # hovering a point shows its place text and the layer it came from
    box = map_box(page)
    size = inner.evaluate("() => gdmMap.getSize()")
    pts = [p for p in inner.evaluate(f"({IMPORTED})('{LAYER}')")
           if 10 < p["x"] < size["x"] - 10 and 10 < p["y"] < size["y"] - 10]
    assert pts, "no imported point is in view"
    page.mouse.move(box["x"] + pts[0]["x"], box["y"] + pts[0]["y"])
    tip = frame.locator(".leaflet-tooltip").filter(has_text=f"Imported: {LAYER}")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Field point")
    page.wait_for_selector(IDLE)
    shot(page, "upload-map-2023-12-02")

    # the layer's toggle takes it off the map (and out of the legend)
    # the page's toggle (the map, now in the page, shows the same words in its legend and layers control)
    page.get_by_test_id("stCheckbox").get_by_text(f"Imported: {LAYER}", exact=True).click()
    expect(legend).not_to_contain_text("Imported:")
    expect(page.get_by_text("Imported layers: 0 events in window")).to_be_visible()
    map_frame(page).wait_for_function(f"typeof gdmMap !== 'undefined' && ({IMPORTED})('{LAYER}').length === 0")


def test_a_bad_file_shows_its_error_and_changes_nothing(upload_server, page, tmp_path):
    srv, ws = upload_server
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 40)  # binary junk with a .csv name
    before = workspace.file_hashes(ws)
    page.goto(f"{srv.url}/data")
    expect(page.get_by_text("Add your own data")).to_be_visible()
    upload(page, junk)
    expect(alert(page, "junk.csv: the file is binary, not text")).to_be_visible()
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    page.wait_for_selector(IDLE)
    assert page.locator("[data-testid='stException']").count() == 0
    assert workspace.file_hashes(ws) == before
    alert(page, "junk.csv").scroll_into_view_if_needed()
    shot(page, "upload-bad-file")
