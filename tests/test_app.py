"""The app through app.py with Streamlit's AppTest: every page runs, widgets by key, KPIs for two dates.

AppTest cannot see inside the map (st_folium is an unknown element) nor run fragments: the map's
contents are tested as HTML in test_maps.py and clicks in tests/browser/.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.kpis import kpis
from pipeline.runtime import metrics, order_impact
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.metrics_index import index

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 120


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_kpis(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_kpis(on: str, since: str | None = None, window: int = 7) -> dict[str, str]:
    return {c["label"]: c["value"] for c in kpis(metrics.compute(index(), on, since=since, window=window))}


def number(text: str) -> float:
    return float(text.replace("~", "").replace(",", "").split()[0].rstrip("%"))


def test_map_page_is_default_with_kpis_for_2_dec_2023():
    at = run_app()
    assert at.title[0].value.startswith("Evacuation orders")
    assert at.date_input(key=state.DATE).value == date(2023, 12, 2)
    assert at.selectbox(key=state.FRAMING).value == state.DEFAULT_FRAMING  # OCHA's framing for the date
    shown = shown_kpis(at)
    assert shown == expected_kpis("2023-12-02") == expected_kpis("2023-12-02", since="2023-12-01")
    captions = " ".join(c.value for c in at.caption)
    assert "since the block grid (1 Dec 2023), OCHA's framing for this date" in captions
    # the scenario's facts for that Saturday
    assert number(shown["Killed since 7 Oct (cum.)"]) > 15_200  # "more than 15,200" (health officials)
    assert 0 < number(shown["Share of the Strip"]) < 100
    assert shown["Humanitarian zone"].endswith("km²")
    for m in at.metric:  # each figure has its definition and source one click away
        assert m.help and "Source:" in m.help
    # our population share beside the attributed 80% claim
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "according to report" in html and "80%" in html


def test_changing_the_date_changes_the_kpis():
    at = run_app()
    before = shown_kpis(at)
    at.date_input(key=state.DATE).set_value(date(2023, 12, 5)).run()
    assert not at.exception
    after = shown_kpis(at)
    assert after == expected_kpis("2023-12-05")
    assert after != before
    assert number(after["Area under orders"]) > number(before["Area under orders"])  # orders of 3-4 Dec
    assert number(after["Killed since 7 Oct (cum.)"]) > number(before["Killed since 7 Oct (cum.)"])


def test_next_day_button_and_window_and_since():
    at = run_app()
    at.button(key="date_next").click().run()
    assert at.date_input(key=state.DATE).value == date(2023, 12, 3)
    at.number_input(key=state.WINDOW).set_value(3).run()
    assert shown_kpis(at) == expected_kpis("2023-12-03", window=3)
    at.selectbox(key=state.FRAMING).set_value("war").run()
    assert shown_kpis(at) == expected_kpis("2023-12-03", since="2023-10-07", window=3)
    at.selectbox(key=state.FRAMING).set_value(state.ANY_DATE).run()
    at.date_input(key=state.SINCE).set_value(date(2023, 11, 20)).run()
    assert shown_kpis(at) == expected_kpis("2023-12-03", since="2023-11-20", window=3)
    assert "since 20 Nov 2023" in " ".join(c.value for c in at.caption)


def test_layer_widget_keeps_the_view():
    at = run_app()
    at.multiselect(key=state.LAYERS).set_value(["Blocks", "Zone"]).run()
    assert not at.exception
    assert at.multiselect(key=state.LAYERS).value == ["Blocks", "Zone"]
    at.radio(key=state.BASEMAP).set_value("OpenStreetMap").run()
    assert not at.exception
    assert at.radio(key=state.BASEMAP).value == "OpenStreetMap"
    # the Data page offers exactly the layers switched on
    at.switch_page("dashboard/pages/data.py")
    at.run()
    offered = " ".join(m.value for m in at.markdown)
    assert "**blocks**" in offered and "**zones**" in offered and "**events**" not in offered


def test_url_opens_the_same_view():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["date"] = "2023-12-05"
    at.query_params["window"] = "3"
    at.run()
    assert not at.exception
    assert at.date_input(key=state.DATE).value == date(2023, 12, 5)
    assert shown_kpis(at) == expected_kpis("2023-12-05", window=3)


@pytest.mark.parametrize("page", ["timeline.py", "data.py", "method.py", "places.py"])
def test_every_page_runs(page):
    if page == "places.py" and not (ROOT / "dashboard" / "pages" / "places.py").exists():
        pytest.fail("dashboard/pages/places.py is missing")
    at = run_app()
    at.switch_page(f"dashboard/pages/{page}")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, page
    # the shared filters stay in the sidebar on every page
    assert at.date_input(key=state.DATE).value == date(2023, 12, 2)


def test_data_page_lists_layers_and_downloads():
    at = run_app()
    at.switch_page("dashboard/pages/data.py")
    at.run()
    assert not at.exception
    frames = [df.value for df in at.dataframe]
    layers = frames[0]
    assert {"blocks", "orders", "zones", "events", "series"} <= set(layers["layer"])
    assert {"source", "licence", "date range", "rows", "built"} <= set(layers.columns)
    assert (layers.loc[layers["layer"] == "blocks", "rows"] == 620).all()
    headings = [s.value for s in at.subheader]
    assert "Bring your own data" in headings
    text = " ".join(m.value for m in at.markdown)
    assert "blocks" in text and "events" in text  # filtered layers offered for download


def test_method_page_has_definitions_and_population_method():
    at = run_app()
    at.switch_page("dashboard/pages/method.py")
    at.run()
    assert not at.exception
    texts = " ".join(t.value for t in at.text)
    assert "Area under evacuation orders" in texts
    assert "Dasymetric" in texts
    md = " ".join(m.value for m in at.markdown)
    assert "Pre-war baseline" in md and "Attribution" in md and "Contested figures" in md


def test_a_damaged_bundle_is_named_on_the_page_with_the_rebuild_command(tmp_path, monkeypatch):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shipped = ROOT / "geodata" / "bundle"
    for f in shipped.iterdir():
        (bundle / f.name).write_bytes(f.read_bytes())
    (bundle / "events.parquet").write_bytes((shipped / "events.parquet").read_bytes()[:4000])  # truncated
    monkeypatch.setenv("GDM_BUNDLE_DIR", str(bundle))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (err,) = at.error
    assert "events.parquet (layer 'events') is damaged" in err.value
    assert "python -m pipeline build" in err.value
    assert not at.metric  # nothing drawn from a damaged bundle


def test_a_malformed_setting_is_a_sentence_on_the_page(monkeypatch):
    monkeypatch.setenv("GDM_MAX_UPLOAD_MB", "abc")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (err,) = at.error
    assert "GDM_MAX_UPLOAD_MB='abc' is not valid" in err.value and "a whole number" in err.value


def test_a_since_after_the_date_is_refused_with_a_sentence_not_a_crash():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["date"] = "2023-11-15"  # before the grid: the default framing is the war's start
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert shown_kpis(at) == expected_kpis("2023-11-15", since="2023-10-07")
    at.selectbox(key=state.FRAMING).set_value("grid").run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert "starts after 15 Nov 2023" in warning and "OCHA's framing for the date instead" in warning
    assert shown_kpis(at) == expected_kpis("2023-11-15", since="2023-10-07")
    at.selectbox(key=state.FRAMING).set_value(state.ANY_DATE).run()
    at.date_input(key=state.SINCE).set_value(date(2023, 11, 30)).run()
    assert not at.exception
    assert any("is after the date (15 Nov 2023)" in w.value for w in at.warning)


def test_an_older_link_with_a_since_date_opens_that_framing():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["date"] = "2023-12-05"
    at.query_params["since"] = "2023-10-07"
    at.run()
    assert not at.exception
    assert at.selectbox(key=state.FRAMING).value == state.ANY_DATE
    assert shown_kpis(at) == expected_kpis("2023-12-05", since="2023-10-07")


def test_outside_a_sources_coverage_a_card_says_no_data_not_zero():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["date"] = "2024-08-19"  # after the incident data ends (March 2024)
    at.run()
    assert not at.exception
    shown = shown_kpis(at)
    assert shown["Incidents, 7 days"] == "no data" and shown["Reported deaths, 7 days"] == "no data"
    assert shown["Aid trucks (day)"] == "no data"
    helps = {m.label: m.help for m in at.metric}
    assert "No data for this date" in helps["Incidents, 7 days"] and "13 Mar 2024" in helps["Incidents, 7 days"]
    # the default framing from February 2024 is the war's start, as OCHA's 86% of 19 Aug 2024
    assert number(shown["Share of the Strip"]) > 80
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "19 Aug 2024:</b> 86%" in html and "ours on the same definition: <b>82.8%</b>" in html
    assert "before the war" in html and "latest claim, 261 days old" in html  # no pre-war figure shown as current


def test_reported_unmapped_orders_are_listed_beside_the_figure():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["date"] = "2024-01-30"
    at.run()
    assert not at.exception
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "UN OCHA, 30 Jan 2024:</b> 41%" in html and "6 order(s) of the period were reported" in html
    assert "Bureij camp" in html  # one of the reported orders, listed with who reported it
    labels = [e.label for e in at.expander]
    assert any(lbl.startswith("6 order(s) in the period reported but mapped by no source") for lbl in labels)


def test_the_2_dec_orders_show_each_sources_block_count():
    at = run_app()
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "GazaMaps (gazamaps.com), from IDF Arabic-language posts: 84 blocks" in html
    assert "bothness/gaza-geojson (block polygons of the order): 164 blocks" in html


WEEKS = pd.date_range("2023-10-07", "2025-06-30", freq="7D").date


@pytest.mark.slow
def test_every_week_of_the_span_opens_every_page():
    """One date a week through the data's span, each page: no exception, KPIs on the Map page."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    pages = ["timeline.py", "data.py", "method.py", "places.py", "map.py"]
    for i, d in enumerate(WEEKS):
        at.date_input(key=state.DATE).set_value(d).run()
        assert not at.exception, (d, [e.value for e in at.exception])
        if i % 10 == 0:  # every page on every tenth week; the Map page on every week
            for page in pages:
                at.switch_page(f"dashboard/pages/{page}")
                at.run()
                assert not at.exception, (d, page, [e.value for e in at.exception])
        assert len(at.metric) == 9, d


def test_what_changed_cards_show_the_orders_of_the_date_with_the_clis_figures():
    at = run_app()
    labels = [e.label for e in at.expander]
    assert "What changed: 2 order(s) issued in the 7 days to the date (2 on the date itself)" in labels
    html = " ".join(h.proto.body for h in at.get("html"))
    r = {x["order_id"]: x for x in order_impact.what_changed(index(), load_layer("facilities"), load_layer("blocks"),
                                                             "2023-12-02", 7)}
    assert f"{r['gazamaps-18']['facilities']['total']:,} facilities inside" in html
    assert "order gazamaps-42" in html and "repeat of earlier orders" in html


def test_timeline_draws_ochas_statements_on_the_curve():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["date"] = "2024-01-30"
    at.run()
    at.switch_page("dashboard/pages/timeline.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    chart = at.get("vega_lite_chart")[0].proto
    assert '"type": "point"' in chart.spec and '"title": "According to"' in chart.spec  # the statements layer
    assert len(chart.datasets) == 4  # the curve, the order ticks, OCHA's points and the selected-date rule
    assert any(b"UN OCHA" in d.data.data for d in chart.datasets)
    captions = " ".join(c.value for c in at.caption)
    assert "Blue points: OCHA's published figures" in captions and "since the block grid" in captions


def test_map_page_offers_the_situation_report_of_the_view():
    at = run_app()
    assert not at.exception
    (button,) = [b for b in at.get("download_button") if b.proto.label == "Situation report (PDF)"]
    assert "A4 page of this view" in button.proto.help


def test_zone_area_and_population_disagreements_are_shown_per_source():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["date"] = "2023-12-10"  # zone version hz_005 (17.7 km² in the outline shipped here)
    at.run()
    assert not at.exception
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "17.673 km² in the outline shipped here; 8.5 km2 <i>according to press report" in html
    at = run_app()  # 2 Dec 2023: OCHA gave the pre-war population of the southern and northern orders
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "352,000 <i>according to UN OCHA</i> (2 Dec 2023); our estimate for the same blocks: ~197,883" in html
