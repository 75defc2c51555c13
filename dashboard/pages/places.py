"""Places page: find a place in English or Arabic; paste a report and see the places it names."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.html import esc, md, rtl
from dashboard.places_map import build_places_map
from pipeline.core.errors import InputError
from pipeline.core.facilities import FACILITY_KINDS, KIND_EN
from pipeline.core.layers import PCODES
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.facility_search import find_facilities
from pipeline.runtime.mentions import find_mentions, save_annotations
from pipeline.runtime.place_search import GazetteerIndex, get_index, search
from pipeline.runtime.report_files import text_from_file

# Widget keys (tests find widgets by these).
QUERY, PICK, TEXT, UPLOAD, REPORT_DATE = "places_query", "places_pick", "places_text", "places_upload", "places_date"
KEEP, TITLE, LINK, SAVE = "places_keep", "places_title", "places_link", "places_save"
FAC_QUERY, FAC_KINDS, FAC_GOV = "facilities_query", "facilities_kinds", "facilities_gov"

EXAMPLE = ("On Friday leaflets told people in areas east of Khan Younis to move to Rafah. Jets struck over "
           "50 targets in the Khan Younis area overnight. 50 trucks of aid entered through the Rafah crossing, "
           "while families sheltered in al-Mawasi and in خان يونس. Talks went on in Doha and Cairo.")


@st.cache_resource(show_spinner="Loading the gazetteer…")
def _index() -> GazetteerIndex:
    return get_index()


@st.cache_data(show_spinner="Reading the report…", max_entries=16)
def _mentions(text: str, report_date: date | None, index_key: int) -> dict[str, Any]:
    """find_mentions, cached by text and date: a rerun of the page with the same report costs nothing."""
    return find_mentions(_index(), text, report_date=report_date)


def _value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"
    return str(v)


def _ar(value: Any) -> str:
    return rtl(value) if isinstance(value, str) and value else ""


st.title("Places")
st.caption("Find a place in English, Arabic or a common transliteration, or paste a report to see the places "
           "it names on the map. Names: PCBS 2017 localities, OpenStreetMap (© OpenStreetMap contributors, "
           "ODbL) and this project's list of aliases; crossings from cited public coordinates.")

try:
    idx = _index()
except Exception as exc:  # the bundle or the raw files are missing
    st.error(f"The gazetteer could not be loaded: {md(exc)}. Run `python -m pipeline build`.")
    st.stop()
places = idx.places

find_tab, facilities_tab, report_tab = st.tabs(["Find a place", "Find a facility", "Report to map"])

with find_tab:
    q = st.text_input("Place name (English or Arabic)", key=QUERY, placeholder="Khan Yunis, المواصي, Shujaiyya …")
    focus = None
    if q.strip():
        hits = search(idx, q, limit=10)
        if not hits:
            st.warning(f"No place matches “{md(q)}”.")  # the query as typed, never as markdown
        else:
            labels = {h["place_id"]: f"{md(h['name_en'])} · {md(h['name_ar'] or '')} · {md(h['kind'])}"
                                     f"{'' if h['inside_gaza'] else ' · outside Gaza'} · {h['score']:.0f}"
                      for h in hits}
            focus = st.radio("Matches (best first): choose one to zoom the map to it", list(labels),
                             format_func=labels.get, key=PICK)
            chosen = next(h for h in hits if h["place_id"] == focus)
            st.markdown(
                f"**{esc(chosen['name_en'])}** {_ar(chosen['name_ar'])} — {esc(chosen['kind'])}, "
                f"{esc(chosen['pcode'] or 'no single governorate')}, matched on “{esc(chosen['matched'])}”"
                + ("" if chosen["inside_gaza"] else " — **outside the map's area** (not drawn)"),
                unsafe_allow_html=True)
    fmap = build_places_map(places, focus=focus)
    st_folium(fmap, key="places_search_map", height=480, use_container_width=True, returned_objects=[])

@st.cache_resource(show_spinner=False)
def _facilities() -> pd.DataFrame:
    return load_layer("facilities")


with facilities_tab:
    st.caption("Named landmarks (Arabic names, one public mapping) classified by this project's rules into schools, "
               "hospitals, clinics, pharmacies, water, bakeries, mosques, shelters and other; search by Arabic name, "
               "neighbourhood, kind or block number. Counts are lower bounds. On the Map page, switch on "
               "'Facilities' in the map's layers control to see them by kind.")
    c1, c2, c3 = st.columns([2, 2, 2])
    fq = c1.text_input("Name, neighbourhood, kind or block", key=FAC_QUERY, placeholder="مستشفى, الشفاء, school, 1745")
    fk = c2.multiselect("Kinds", list(FACILITY_KINDS), format_func=KIND_EN.__getitem__, key=FAC_KINDS)
    fg = c3.multiselect("Governorates", list(PCODES), format_func=PCODES.__getitem__, key=FAC_GOV)
    found, total = find_facilities(_facilities(), fq, kinds=fk, pcodes=fg)
    st.markdown(f"**{total:,}** facilities match" + (f" (the first {len(found):,} shown)" if total > len(found) else ""))
    st.dataframe(found.assign(governorate=found["pcode"].map(PCODES)).drop(columns=["pcode"]), hide_index=True,
                 width="stretch", column_config={"name_ar": "name (Arabic)", "kind_en": "kind", "block_id": "block",
                                                 "neighbourhood_ar": "neighbourhood", "municipality_ar": "municipality"})

with report_tab:
    left, right = st.columns([3, 1])
    with right:
        up = st.file_uploader("…or upload .txt, .md, .html", type=["txt", "md", "html", "htm"], key=UPLOAD)
        rdate = st.date_input("Report date (resolves “on Friday”)", value=None, key=REPORT_DATE,
                              min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
    with left:
        text = st.text_area("Paste a report", key=TEXT, height=180, placeholder=EXAMPLE)
    source_text = text
    if up is not None:
        try:
            source_text = text_from_file(up.name, up.getvalue())
        except InputError as exc:
            st.error(md(exc.message()))
            source_text = ""
    if not source_text.strip():
        st.info("Paste a report (or upload a file) to see the places and figures it names.")
        st.stop()

    res = _mentions(source_text, rdate, id(idx))
    if res["cut"]:
        st.warning(md(f"The report is long: {res['cut']}."))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Places in Gaza", len({m["place_id"] for m in res["mentions"]}))
    c2.metric("Outside Gaza", len({m["place_id"] for m in res["outside"]}))
    c3.metric("Unmatched names", len(res["unmatched"]))
    c4.metric("Figures", len(res["figures"]))

    inside_places = [p for p in res["places"] if p["inside_gaza"]]
    fmap = build_places_map(places, named=inside_places)
    st_folium(fmap, key="places_report_map", height=480, use_container_width=True, returned_objects=[])
    st.caption("Regions (purple) and areas (green) are drawn as areas; towns, camps' labels, landmarks and "
               "crossings as dots. Places outside Gaza are listed below, not drawn.")

    st.subheader("Places named")
    if inside_places:
        st.markdown("<ul>" + "".join(
            f"<li><b>{esc(p['name_en'])}</b> {_ar(p['name_ar'])} · {esc(p['kind'])} · named {p['count']}× "
            f"as {', '.join(esc(n) for n in p['names'])}</li>" for p in inside_places) + "</ul>",
            unsafe_allow_html=True)
    mentions = pd.DataFrame([{"name as written": m["name"], "place": m["name_en"], "kind": m["kind"],
                              "place id": m["place_id"], "start": m["start"], "end": m["end"],
                              "sentence": m["sentence"]} for m in res["mentions"]])
    if len(mentions):
        st.dataframe(mentions, hide_index=True, width="stretch", key="places_mentions_table")
    else:
        st.write("No place in Gaza is named.")

    st.subheader("Outside the map's area")
    if res["outside"]:
        outside: dict[str, dict[str, Any]] = {}
        for m in res["outside"]:
            outside.setdefault(m["place_id"], m)
        st.markdown("<ul>" + "".join(f"<li><b>{esc(m['name_en'])}</b> {_ar(m['name_ar'])} — outside Gaza, "
                                     f"not drawn</li>" for m in outside.values()) + "</ul>",
                    unsafe_allow_html=True)
    else:
        st.write("None.")

    st.subheader("Unmatched names")
    if res["unmatched"]:
        st.dataframe(pd.DataFrame([{"name": u["name"], "closest gazetteer place (not applied)": u["suggestion"] or "",
                                    "sentence": u["sentence"]} for u in res["unmatched"]]),
                     hide_index=True, width="stretch", key="places_unmatched_table")
    else:
        st.write("None: every place-like name matched the gazetteer.")

    st.subheader("Figures")
    if res["figures"]:
        st.dataframe(pd.DataFrame([{"figure": f["text"], "kind": f["kind"], "value": _value(f["value"]),
                                    "qualifier": f["qualifier"] or "", "counts": f["counts"],
                                    "places in the sentence": ", ".join(f["places"]), "sentence": f["sentence"]}
                                   for f in res["figures"]]),
                     hide_index=True, width="stretch", key="places_figures_table")
    else:
        st.write("No figures found.")

    st.subheader("Keep as an annotation layer")
    options = sorted({m["place_id"] for m in res["mentions"]})
    with st.form("places_annotation_form"):
        keep = st.multiselect("Places to keep", options, default=options, key=KEEP,
                              format_func=lambda pid: idx.by_id[pid]["name_en"])
        title = st.text_input("Title of the source text", key=TITLE)
        link = st.text_input("Link (URL)", key=LINK)
        submitted = st.form_submit_button("Keep as annotation layer", key=SAVE)
    if submitted:
        kept = [m for m in res["mentions"] if m["place_id"] in set(keep)]
        try:
            entry = save_annotations(idx, kept, title=title, date=rdate.isoformat() if rdate else None,
                                     link=link.strip() or None)
        except InputError as exc:
            st.error(md(exc.message()))
        else:
            st.success(f"Saved workspace layer “{md(entry['name'])}” with {entry['rows']} annotations.")
