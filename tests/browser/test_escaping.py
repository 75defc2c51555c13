"""Hostile text in every text field that reaches the map or a table shows as text, and no script runs.

A copy of the shipped bundle is made with its text columns overwritten by an HTML/JS payload, quotes
and backticks; a second server reads it (GDM_BUNDLE_DIR). Identifiers used for joins are kept.
"""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pandas as pd
import pytest
from playwright.sync_api import expect

from pipeline.runtime.bundle import bundle_dir, sha256_file

from .conftest import IDLE, MAP_FRAME, Server, shot
from .test_journeys import block_point, click_block, map_frame, open_map

pytestmark = pytest.mark.browser

PAYLOAD = "<img src=x onerror=alert(1)> \"dq\" 'sq' `bt` ${1+1}"
TEXT = {  # layer -> text columns overwritten (ids, dates, numbers and kinds used by the metrics are kept)
    "blocks": ["neighbourhood", "locality", "pop_method"],
    "governorates": ["name_en", "name_ar", "pop_prewar_source"],
    "orders": ["source_name", "sources", "destination"],
    "order_blocks": ["source_name"],
    "zones": ["name", "source"],
    "events": ["kind", "location", "notes", "source"],
    "series": ["source", "method"],
    "claims": ["claim", "attributed_to", "source"],
    "places": ["name_en", "name_ar", "aliases"],
    "strip": ["name"],
}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "bundle"
    shutil.copytree(bundle_dir(), out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name, cols in TEXT.items():
        if name not in manifest["layers"]:
            continue
        path = out / manifest["layers"][name]["file"]
        frame = gpd.read_parquet(path) if manifest["layers"][name].get("crs") else pd.read_parquet(path)
        for i, col in enumerate(c for c in cols if c in frame.columns):
            frame[col] = f"{name}.{col} {PAYLOAD}"
        if "source_url" in frame.columns:
            frame["source_url"] = "javascript:alert(1)"
        frame.to_parquet(path, index=False)
        manifest["layers"][name]["sha256"] = sha256_file(path)  # a rebuilt bundle, not a damaged one
    for meta in manifest["layers"].values():
        meta["description"] = f"description {PAYLOAD}"
        if "pop_method" in meta:
            meta["pop_method"] = f"manifest.pop_method {PAYLOAD}"
    for src in manifest["sources"]:
        src["title"], src["origin"], src["caveat"] = (f"{k} {PAYLOAD}" for k in ("title", "origin", "caveat"))
    manifest["built_at"] = manifest["built_at"] + "-hostile"
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    s = Server(env={"GDM_BUNDLE_DIR": str(out)}, log_name="server-hostile")
    yield s
    s.stop()


def no_injected_images(page) -> None:
    assert page.locator("img[src='x']").count() == 0
    for frame in page.frames:
        assert frame.locator("img[src='x']").count() == 0


def test_hostile_text_shows_as_text_and_no_script_runs(hostile_server, page):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    frame = open_map(page, hostile_server.url)
    page.wait_for_selector(IDLE)
    # place labels (permanent, bilingual) carry the payload as text
    label = frame.locator(".gdm-place-label").first
    expect(label).to_contain_text("<img src=x onerror=alert(1)>")
    expect(label).to_contain_text("`bt`")
    # our population figure's source, and the attributed claims of the window
    expect(page.locator(".gdm-claims").first).to_contain_text("series.source <img src=x onerror=alert(1)>")
    page.get_by_text("Reported events in the 7 days").click()
    claims = page.locator(".gdm-claims").last
    expect(claims).to_contain_text("claims.claim <img src=x onerror=alert(1)>")
    expect(claims).to_contain_text("according to claims.attributed_to <img src=x")

    # only blocks and boundaries: click a block, its popup and the history panel show the payload as text
    open_map(page, f"{hostile_server.url}/?layers=Boundaries&layers=Blocks")
    page.wait_for_selector(IDLE)
    frame = page.locator(MAP_FRAME).last
    block = click_block(page, "recent")
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(f"Block {block}")
    expect(popup).to_contain_text("blocks.neighbourhood <img src=x onerror=alert(1)> \"dq\" 'sq' `bt` ${1+1}")
    expect(popup).to_contain_text("orders.source_name <img src=x")
    assert popup.locator("a").count() == 0  # javascript: links are not made into links
    panel = page.locator(".gdm-block-panel")
    expect(panel).to_have_attribute("data-block", str(block))
    expect(panel).to_contain_text("governorates.name_en <img src=x onerror=alert(1)>")
    expect(page.locator(".gdm-history")).to_contain_text("orders.source_name <img src=x")
    assert page.locator(".gdm-history a").count() == 0
    # a hover tooltip
    map_frame(page).evaluate("() => { gdmMap.closePopup(); }")
    pt = block_point(page, "none")  # another block: the tooltip opens on entering it
    for d in range(0, 10, 2):  # mouse moves over the canvas: Leaflet hit-tests them
        page.mouse.move(pt["x"] + d, pt["y"] + d)
    expect(frame.locator(".leaflet-tooltip").first).to_contain_text("<img src=x onerror=alert(1)>")
    shot(page, "escaping-map")
    no_injected_images(page)

    for path, needle in (("timeline", "claims.claim <img src=x"), ("method", "manifest.pop_method <img src=x"),
                         ("data", "Download the layers")):
        page.goto(f"{hostile_server.url}/{path}")
        try:
            expect(page.get_by_text(needle).first).to_be_visible()
        except AssertionError:
            shot(page, f"escaping-{path}-failed")
            raise
        page.wait_for_selector(IDLE)
        assert page.locator("[data-testid='stException']").count() == 0
        if path == "timeline":  # text from data in a markdown caption keeps its backticks and brackets
            expect(page.get_by_text(f"series.method {PAYLOAD}").first).to_be_visible()
        no_injected_images(page)
        shot(page, f"escaping-{path}")
    assert dialogs == []
