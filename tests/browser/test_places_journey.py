"""Places page in a real browser: search in Arabic, paste a report, see its places on the map."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import IDLE, shot

pytestmark = pytest.mark.browser

FRAME = "iframe[title='streamlit_folium.st_folium']"
REPORT = ("Families fled from the areas east of Khan Yunis towards Rafah on Friday. "
          "Aid agencies said the Mawasi area could not hold them. Talks continued in Doha.")


def test_search_in_arabic_then_report_to_map(server, page):
    page.goto(f"{server.url}/places")
    expect(page.get_by_role("heading", name="Places")).to_be_visible()
    page.get_by_label("Place name (English or Arabic)").fill("خان يونس")
    page.get_by_label("Place name (English or Arabic)").press("Enter")
    page.wait_for_selector(IDLE)
    matches = page.get_by_role("radiogroup", name="Matches (best first): choose one to zoom the map to it")
    expect(matches).to_contain_text("Khan Younis")
    expect(page.frame_locator(FRAME).first.locator(".leaflet-container")).to_be_visible()
    shot(page, "places-search-arabic")

    page.get_by_role("tab", name="Report to map").click()
    box = page.get_by_label("Paste a report")
    box.fill(REPORT)
    box.press("Control+Enter")
    page.wait_for_selector(IDLE)
    expect(page.get_by_role("heading", name="Places named")).to_be_visible()
    named = page.get_by_role("heading", name="Places named").locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
    for name in ("Rafah", "Al-Mawasi"):
        expect(named.get_by_text(name).first).to_be_visible()
    outside = page.get_by_text("outside Gaza", exact=False).first
    expect(outside).to_be_visible()
    expect(page.get_by_text("Doha").first).to_be_visible()
    report_map = page.frame_locator(FRAME).last
    expect(report_map.locator(".leaflet-container")).to_be_visible()
    expect(report_map.locator(".leaflet-interactive").first).to_be_attached()
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "places-report")
