"""An import checked on the Arabic Data page, in a real browser: the file's faults in Arabic, the English kept.

The file is real-shaped: governorate figures tagged with HXL, one row naming Tulkarm (West Bank), row 7.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, IDLE, shot

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def test_arabic_data_page_shows_the_rejected_row_in_arabic_and_keeps_the_english(server, page):
    page.goto(f"{server.url}/data?lang=ar")
    page.wait_for_selector(IDLE)
    page.locator(".st-key-gdm_upload input[type=file]").set_input_files(str(DATA / "hxl-governorates.csv"))
    heading = page.locator(".st-key-gdm_upload_section strong").filter(has_text="لم يُحفظ شيء بعد")
    expect(heading).to_contain_text("hxl-governorates.csv", timeout=30000)
    page.wait_for_selector(IDLE)
    grid = page.locator(".st-key-gdm_upload_section [data-testid='stDataFrame']").first
    expect(grid).to_be_visible()
    # the table is drawn on a canvas; its accessible copy (what a screen reader reads) holds the cells
    row = grid.locator("[role='row']").filter(has_text="ليست محافظة في غزة (رمز pcode أو اسم)")
    expect(row).to_have_count(1)
    expect(row.locator("[role='gridcell']").first).to_have_text("7")  # the row as a spreadsheet numbers it
    shot(page, "arabic-import-rejected-row")
    ARTIFACTS.mkdir(exist_ok=True)
    grid.screenshot(path=str(ARTIFACTS / "arabic-import-rejected-row-table.png"))
    english = page.locator(".st-key-gdm_upload_section [data-testid='stExpander']",
                           has_text="التقرير بالإنجليزية")
    english.locator("summary").click()
    expect(english.locator("[lang='en']", has_text="'Tulkarm' is not a Gaza governorate (pcode or name)")
           ).to_be_visible()
    shot(page, "arabic-import-report-in-english")


def test_arabic_data_page_shows_an_acled_files_faults_by_row(server, page, tmp_path):
    """acled-edges.csv (ACLED's layout): row 3 naval fire at sea, kept and flagged; row 5 a point in Cairo; row 6's
    date made unreadable here."""
    lines = (DATA / "acled-edges.csv").read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[1], "31 Febuary 2024", 1)
    path = tmp_path / "acled-edges.csv"
    path.write_text("\n".join(lines) + "\n")
    page.goto(f"{server.url}/data?lang=ar")
    page.wait_for_selector(IDLE)
    page.locator(".st-key-gdm_upload input[type=file]").set_input_files(str(path))
    heading = page.locator(".st-key-gdm_upload_section strong").filter(has_text="لم يُحفظ شيء بعد")
    expect(heading).to_contain_text("acled-edges.csv", timeout=30000)
    page.wait_for_selector(IDLE)
    grid = page.locator(".st-key-gdm_upload_section [data-testid='stDataFrame']").first
    outside = grid.locator("[role='row']").filter(has_text="تقع خارج قطاع غزة")
    expect(outside).to_have_count(1)
    expect(outside.locator("[role='gridcell']").first).to_have_text("5")
    bad_date = grid.locator("[role='row']").filter(has_text="ليس تاريخًا في التقويم")
    expect(bad_date).to_have_count(1)
    expect(bad_date.locator("[role='gridcell']").first).to_have_text("6")
    expect(page.locator(".st-key-gdm_upload_section").get_by_text("قبالة الساحل", exact=False).first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".st-key-gdm_upload_section").screenshot(path=str(ARTIFACTS / "arabic-import-acled-faults.png"))
