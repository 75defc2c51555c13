"""The Orders page through app.py (AppTest) and its map as HTML."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.orders_map import build_orders_map
from pipeline.runtime import order_impact as oi
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.metrics_index import index

from .conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def at() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("dashboard/pages/orders.py")
    at.run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_orders_page_dec2_matches_the_function(at):
    ix, fac, blocks = index(), load_layer("facilities"), load_layer("blocks")
    want = oi.impact(ix, fac, blocks, start="2023-12-02", end="2023-12-02")
    at.selectbox(key="orders_day").set_value("2023-12-02").run()
    assert not at.exception
    assert at.subheader[0].value == "2 orders issued 2 Dec 2023 – 2 Dec 2023"
    shown = metrics(at)
    assert shown["Facilities inside"] == f"{want['facilities']['total']:,}" == "1,111"
    assert shown["Area"] == f"{want['area_km2']:,.2f} km²"
    assert shown["People (pre-war est.)"] == "539,407"
    at.selectbox(key="orders_pick").set_value("gazamaps-42").run()
    assert metrics(at)["Blocks"] == "60"
    assert any("repeat" in m.value for m in at.markdown)


def test_orders_page_governorate_filter_and_unmapped_order(at):
    at.selectbox(key="orders_day").set_value("2023-11-15").run()
    at.selectbox(key="orders_pick").set_value("gazamaps-105").run()
    assert metrics(at)["Area"] == "no data"
    assert any("Reported, not mapped" in w.value for w in at.warning)
    at.selectbox(key="orders_day").set_value("(all)" if False else "All dates (use the range below)").run()
    at.multiselect(key="orders_gov").set_value(["PS0275"]).run()
    assert not at.exception
    n = int(at.subheader[0].value.split()[0])
    table = oi.table_frame(oi.impact_table(index(), load_layer("facilities"), load_layer("blocks")))
    assert n == int(table["governorates"].str.contains("Rafah").sum())


def test_orders_page_facility_search(at):
    at.text_input(key="orders_fac_query").set_value("مستشفى الشفاء").run()
    assert not at.exception
    assert any(m.value.startswith("**") and "facilities match" in m.value for m in at.markdown)


def test_orders_map_html_escapes_and_serves_leaflet_locally():
    fac, blocks = load_layer("facilities"), load_layer("blocks")
    r = oi.impact(index(), fac, blocks, order_id="gazamaps-15")
    evil = fac.copy()
    i = evil.index[evil["facility_id"] == r["facilities"]["facility_ids"][0]][0]
    evil.loc[i, "name_ar"] = "<img src=x onerror=alert(1)>"
    m = build_orders_map(strip=load_layer("strip"), blocks=blocks, block_ids=r["blocks"]["block_ids"],
                         facilities=evil, facility_ids=r["facilities"]["facility_ids"], zone=None,
                         all_facilities=fac)
    raw = m.get_root().render()
    html = "".join(raw.split())
    assert "\\u0026lt;imgsrc=xonerror=alert(1)\\u0026gt;" in html  # escaped, then JSON-encoded
    assert "<imgsrc=x" not in html and "\\u003cimgsrc=x" not in html
    assert "/app/static/vendor/" in html and "cdn.jsdelivr.net/npm/leaflet@" not in html
    assert "Blocksordered(41)" in html and f"Facilitiesinside({r['facilities']['total']:,})" in html
    layers = dict(re.findall(r'"((?:All facilities|Facilities inside)[^"]*)"\s*:\s*(\w+)', raw))
    inside = layers[f"Facilities inside ({r['facilities']['total']:,})"]
    assert f"{inside}.addTo(" in raw                                         # shown
    assert f"{layers['All facilities (4,320)']}.addTo(" not in raw             # off by default
    assert "School:57" in html  # the legend counts the facilities inside by kind


@pytest.mark.parametrize("lang,scale", [("en", "L.control.scale()"), ("ar", "L.control.scale({imperial: false})")])
def test_orders_and_places_maps_scale_in_metres_only_in_arabic(lang, scale):
    """The scale bar reads "1 km" in Arabic (no feet or miles, as the main map), both lines in English."""
    from dashboard.places_map import build_places_map
    from pipeline.runtime.place_search import get_index

    fac, blocks = load_layer("facilities"), load_layer("blocks")
    r = oi.impact(index(), fac, blocks, order_id="gazamaps-15")
    orders = build_orders_map(strip=load_layer("strip"), blocks=blocks, block_ids=r["blocks"]["block_ids"],
                              facilities=fac, facility_ids=r["facilities"]["facility_ids"], zone=None,
                              localize=False, lang=lang).get_root().render()
    places = build_places_map(get_index().places, localize=False, lang=lang).get_root().render()
    for html in (orders, places):
        assert html.count("L.control.scale(") == 1 and scale in html
