"""Places page in a real browser: search in Arabic, paste a report, see its places on the map."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import IDLE, shot

pytestmark = pytest.mark.browser

FRAME = "iframe[title='streamlit_folium.st_folium']"
REPORT = ("Families fled from the areas east of Khan Yunis towards Rafah on Friday. "
          "Aid agencies said the Mawasi area could not hold them. Talks continued in Doha.")


CRAFTED = "[x](https://evil.example) ![i](https://evil.example/i.png) www.evil.example a@evil.example"


def test_search_in_arabic_then_report_to_map(server, page):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{server.url}/places")
    expect(page.get_by_role("heading", name="Places")).to_be_visible()
    # A query that is markdown is shown as typed: no link, no remote image.
    page.get_by_label("Place name (English or Arabic)").fill(CRAFTED)
    page.get_by_label("Place name (English or Arabic)").press("Enter")
    page.wait_for_selector(IDLE)
    warning = page.get_by_text("No place matches", exact=False)
    expect(warning).to_be_visible()
    assert warning.inner_text().replace("\u2060", "") == f"No place matches “{CRAFTED}”."  # word joiners: invisible
    assert page.locator("a[href*='evil.example'], img[src*='evil.example']").count() == 0
    assert not [u for u in requested if "evil.example" in u]
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
