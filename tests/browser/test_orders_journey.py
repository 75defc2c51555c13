"""Orders page in a real browser: pick the 2 Dec 2023 orders, see their blocks and the CLI's facility count."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from .conftest import IDLE, ROOT, shot

MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"  # the Orders page's folium map

pytestmark = pytest.mark.browser


def cli_period(day: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "pipeline", "orders", "--from", day, "--to", day],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["period"]


def test_pick_dec2_orders_see_blocks_and_cli_count(server, page):
    want = cli_period("2023-12-02")
    page.goto(f"{server.url}/orders")
    expect(page.get_by_role("heading", name="Orders", exact=True)).to_be_visible()
    page.wait_for_selector(IDLE)
    box = page.get_by_label("Orders issued on")
    box.click()
    page.keyboard.type("2 Dec 2023")
    page.get_by_role("option", name="2 Dec 2023 (2 orders)").click()
    page.wait_for_selector(IDLE)
    expect(page.get_by_role("heading", name="2 orders issued 2 Dec 2023 – 2 Dec 2023")).to_be_visible()
    card = page.locator("[data-testid='stMetric']").filter(has_text="Facilities inside")
    expect(card).to_contain_text(f"{want['facilities']['total']:,}")
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Blocks")).to_contain_text(
        str(want["blocks"]["count"]))
    fmap = page.frame_locator(MAP_FRAME).first
    expect(fmap.locator(".leaflet-container")).to_be_visible()
    expect(fmap.get_by_text(f"Blocks ordered ({want['blocks']['count']})")).to_be_attached()
    expect(fmap.locator(".gdm-legend")).to_contain_text(f"School: {want['facilities']['by_kind']['school']:,}")
    expect(fmap.locator("path.leaflet-interactive, canvas").first).to_be_attached()
    assert page.locator("[data-testid='stException']").count() == 0
    page.wait_for_timeout(800)  # let the canvas paint before the screenshot (events flow during the wait)
    shot(page, "orders-dec2")


def test_map_and_orders_pages_keep_their_maps_across_navigation(server, page):
    """Map -> Orders -> Map -> Orders: each page's map draws every time (timing is bench/bench_dashboard.py's job)."""
    page.goto(f"{server.url}/orders")
    page.wait_for_selector(IDLE)
    expect(page.frame_locator(MAP_FRAME).first.locator(".leaflet-container")).to_be_visible()
    for _ in range(2):
        page.get_by_role("link", name="Map").first.click()
        page.wait_for_selector(IDLE)
        expect(page.locator(".gdm-map .leaflet-container").last).to_be_visible()  # the Map page's own component
        page.get_by_role("link", name="Orders").first.click()
        expect(page.get_by_label("Orders issued on")).to_be_visible()
        page.wait_for_selector(IDLE)
        expect(page.frame_locator(MAP_FRAME).first.locator(".leaflet-container")).to_be_visible()
        assert page.locator("[data-testid='stException']").count() == 0
