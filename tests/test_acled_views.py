"""Imported ACLED layers by event type, governorate and month (aggregates only), and their geocoding precision."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard import map_payload
from dashboard.map_layers import prepare_workspace_layer
from pipeline.core.layers import PCODES_AR
from pipeline.runtime import acled_views, imports, workspace
from pipeline.runtime.bundle import load_geolayer
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "imports"
MONTHLY = DATA / "acled-monthly.csv"


def _layer(path=MONTHLY) -> tuple[dict, pd.DataFrame]:
    rep = imports.import_file(path, as_="acled")
    assert rep["status"] == "written", rep["rejections"]
    return workspace.entry(rep["layer"]), workspace.load(rep["layer"])


def test_the_import_keeps_acleds_event_and_sub_event_types(ws):
    _, frame = _layer()
    assert acled_views.types_of(frame) == {
        "Battles": ["Armed clash"],
        "Explosions/Remote violence": ["Air/drone strike", "Shelling/artillery/missile attack"],
        "Protests": ["Peaceful protest"], "Violence against civilians": ["Attack"]}


def test_political_violence_by_governorate_and_month_equals_a_hand_count(ws):
    _, frame = _layer()
    got = acled_views.monthly(frame, acled_views.POLITICAL_VIOLENCE)
    # by hand from acled-monthly.csv, the protest of 10 Feb 2024 (Deir El Balah) left out; SYN0307 has no figure
    hand = pd.DataFrame([("2024-01", "PS0260", "Gaza", 2, 8, 2), ("2024-01", "PS0275", "Rafah", 1, 0, 1),
                         ("2024-02", "PS0255", "North Gaza", 1, 0, 0), ("2024-02", "PS0260", "Gaza", 1, 2, 1),
                         ("2024-02", "PS0275", "Rafah", 1, 1, 1)], columns=list(acled_views.MONTHLY_COLUMNS))
    assert got.astype(str).values.tolist() == hand.astype(str).values.tolist()
    strikes = acled_views.monthly(frame, None, ["Air/drone strike"])
    assert strikes[["month", "pcode", "events"]].values.tolist() == [["2024-01", "PS0260", 1], ["2024-02", "PS0255", 1]]
    assert acled_views.monthly(frame)["events"].sum() == 7


def test_the_csv_holds_aggregates_and_no_event_level_column(ws):
    _, frame = _layer()
    csv = acled_views.monthly_csv(acled_views.monthly(frame))
    back = pd.read_csv(io.BytesIO(csv))
    assert list(back.columns) == list(acled_views.MONTHLY_COLUMNS)
    text = csv.decode("utf-8")
    for event_level in ("SYN03", "Synthetic", "event_id", "notes", "latitude", "location", "actor"):
        assert event_level not in text


def test_a_layer_placed_mostly_at_town_or_district_level_says_so(ws):
    entry, frame = _layer()
    note = acled_views.precision_note(frame)
    assert note["coarse"] == 6 and note["known"] == 7  # geo_precision 2 or 3 in six of the seven rows
    assert "placed at the town or district level" in note["sentence"] and "not where the event happened" in note["sentence"]
    layer = prepare_workspace_layer(entry, frame, on=date(2024, 2, 28), window=60, blocks=load_geolayer("blocks"),
                                    governorates=load_geolayer("governorates"))
    assert layer.aggregated and "placed at the town or district level" in layer.detail
    assert all("not block precision" in t for t in layer.frame["tip"])
    strings = map_payload.Strings()  # and in the lines the map shows
    shown = [[strings.items[i] for i in p[3]] for p in map_payload._workspace([layer], strings)[0]["points"]]
    assert shown and all(lines[-1] == "Most events placed at the town or district level (ACLED geo_precision 2 or 3): "
                         "not block precision"
                         for lines in shown)


def test_a_layer_placed_at_the_events_own_points_says_nothing_of_it(ws):
    entry, frame = _layer(DATA / "acled-clean.csv")
    assert acled_views.precision_note(frame)["sentence"] is None
    layer = prepare_workspace_layer(entry, frame, on=date(2023, 12, 5), window=30, blocks=load_geolayer("blocks"),
                                    governorates=load_geolayer("governorates"))
    assert "town or district" not in layer.detail


def test_the_data_page_shows_the_monthly_section_with_chart_table_and_aggregate_download(ws):
    _layer()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("dashboard/pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="gdm_acled_types").value == list(acled_views.POLITICAL_VIOLENCE)
    (table,) = [d.value for d in at.dataframe if "governorate" in d.value.columns]
    assert int(table["events"].sum()) == 6  # political violence: the protest is not in it
    assert [b for b in at.get("download_button") if b.proto.label.startswith("Download these monthly aggregates")]
    captions = " ".join(c.value for c in at.caption).replace("\\", "")  # as shown: markdown escapes rendered
    assert "ACLED, imported by you from acled-monthly.csv on" in captions
    assert "Battles, Explosions/Remote violence, Violence against civilians, as ACLED defines it" in captions
    assert any("town or district level" in w.value for w in at.warning)
    at.multiselect(key="gdm_acled_types").set_value(["Protests"]).run()
    (table,) = [d.value for d in at.dataframe if "governorate" in d.value.columns]
    assert table[["month", "governorate", "events"]].values.tolist() == [["2024-02", "Deir al-Balah", 1]]


def test_the_monthly_section_in_arabic_glosses_acleds_terms_and_keeps_the_csv_as_written(ws):
    _layer()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "ar"
    at.run()
    at.switch_page("dashboard/pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="gdm_acled_types").value == list(acled_views.POLITICAL_VIOLENCE)  # values as written
    assert any(s.value == "بيانات ACLED حسب المحافظة والشهر" for s in at.subheader)
    (table,) = [d.value for d in at.dataframe if "governorate" in d.value.columns]
    assert int(table["events"].sum()) == 6
    assert set(table["governorate"]) <= set(PCODES_AR.values()) | {"بلا محافظة"}, set(table["governorate"])
    assert all("20" in m and not m[:1].isdigit() for m in table["month"])  # "شباط 2024", not "2024-02"
    captions = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "\u2066Battles\u2069 (معارك)" in captions and "كما تعرّفه ACLED" in captions
    assert any("البلدة أو المنطقة" in w.value for w in at.warning)
    assert [b for b in at.get("download_button") if b.proto.label == "تنزيل هذه المجاميع الشهرية (CSV)"]


def test_the_acled_credit_stays_as_acled_writes_it_and_the_projects_note_is_translated(ws):
    from pipeline.runtime.readers.acled import ACLED_CREDIT, acled_attribution

    entry, frame = _layer()
    shown = {lang: prepare_workspace_layer(entry, frame, on=date(2024, 2, 28), window=60, lang=lang,
                                           blocks=load_geolayer("blocks"),
                                           governorates=load_geolayer("governorates")).attribution
             for lang in ("en", "ar")}
    assert shown["en"] == acled_attribution  # English as stored
    assert shown["ar"].startswith(f"\u2066{ACLED_CREDIT}\u2069 ")  # ACLED's credit word for word, isolated
    assert "استورده المستخدم من تصديره الخاص من ACLED" in shown["ar"] and "Imported by" not in shown["ar"]
