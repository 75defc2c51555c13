"""Places page: find a place in English or Arabic; paste a report and see the places it names.

In Arabic the labels, headings and summaries are the catalogue's, a place reads by its Arabic name first (its
English name follows, isolated and marked English) and governorates and kinds are Arabic words; the search
still accepts English and Latin transliterations. What the report says (names as written, sentences, figures)
is shown as written.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.html import esc, md, rtl
from dashboard.i18n import _, iso, lang, missing_mark, tr
from dashboard.places_map import KINDS, build_places_map
from pipeline.core.errors import InputError
from pipeline.core.facilities import FACILITY_KINDS, KIND_EN
from pipeline.core.i18n import N_, number_text
from pipeline.core.layers import PCODES, PCODES_AR
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.facility_search import find_facilities
from pipeline.runtime.mentions import find_mentions, save_annotations
from pipeline.runtime.place_search import GazetteerIndex, get_index, search
from pipeline.runtime.report_files import text_from_file

# Widget keys (tests find widgets by these).
QUERY, PICK, TEXT, UPLOAD, REPORT_DATE = "places_query", "places_pick", "places_text", "places_upload", "places_date"
KEEP, TITLE, LINK, SAVE = "places_keep", "places_title", "places_link", "places_save"
FAC_QUERY, FAC_KINDS, FAC_GOV = "facilities_query", "facilities_kinds", "facilities_gov"

LANG = lang()
AR = LANG == "ar"
EXAMPLE = N_("On Friday leaflets told people in areas east of Khan Younis to move to Rafah. Jets struck over "
           "50 targets in the Khan Younis area overnight. 50 trucks of aid entered through the Rafah crossing, "
           "while families sheltered in al-Mawasi and in خان يونس. Talks went on in Doha and Cairo.")


@st.cache_resource(show_spinner=False)
def _index() -> GazetteerIndex:
    return get_index()


@st.cache_data(show_spinner=False, max_entries=16)
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


def _en(value: Any) -> str:
    """An English name inside Arabic HTML: isolated and marked English."""
    return f'<bdi dir="ltr" lang="en">{esc(value)}</bdi>' if value else ""


def _written(value: Any) -> str:
    """Text as the user or the data wrote it: marked English when it holds Latin letters, else Arabic."""
    return _en(value) if re.search("[A-Za-z]", str(value or "")) else _ar(value)


def _place_html(p: dict[str, Any]) -> str:
    """A place in bold: the English name then the Arabic; in Arabic the Arabic name first, the English after it."""
    if AR and p.get("name_ar"):
        return f"<b>{_ar(p['name_ar'])}</b> {_en(p['name_en'])}"
    if AR:
        return f"<b>{_en(p['name_en'])}</b>"
    return f"<b>{esc(p['name_en'])}</b> {_ar(p['name_ar'])}"


def _kind(kind: Any) -> str:
    return tr(KINDS.get(str(kind), str(kind))) if AR else str(kind)


def _hit_label(h: dict[str, Any]) -> str:
    if not AR:
        return (f"{md(h['name_en'])} · {md(h['name_ar'] or '')} · {md(h['kind'])}"
                f"{'' if h['inside_gaza'] else ' · outside Gaza'} · {h['score']:.0f}")
    names = f"{md(h['name_ar'])} · {md(iso(h['name_en']))}" if h["name_ar"] else md(iso(h["name_en"]))
    return (f"{names} · {md(_kind(h['kind']))}{'' if h['inside_gaza'] else ' · ' + _('outside Gaza')}"
            f" · {h['score']:.0f}")


# The report tables' columns, as labels on the Arabic page (the English page shows the columns' own names).
COLUMNS = {"name as written": N_("name as written"), "name_ar": N_("place (Arabic)"), "place": N_("place"),
           "kind": N_("kind"), "place id": N_("place id"), "start": N_("start"), "end": N_("end"),
           "sentence": N_("sentence"), "name": N_("name"),
           "closest gazetteer place (not applied)": N_("closest gazetteer place (not applied)"),
           "figure": N_("figure"), "value": N_("value"), "qualifier": N_("qualifier"), "counts": N_("counts"),
           "places in the sentence": N_("places in the sentence")}


# The kinds of figure ``pipeline.runtime.figures`` finds in a report, as words on the Arabic page.
FIGURE_KINDS = {"count": N_("count"), "percent": N_("percent"), "population": N_("population"), "money": N_("money"),
                "area": N_("area"), "date": N_("date")}


def _cols(frame: pd.DataFrame) -> dict[str, str] | None:
    return {c: tr(COLUMNS[c]) for c in frame.columns if c in COLUMNS} if AR else None


st.title(_("Places"))
st.caption(_("Find a place in English, Arabic or a common transliteration, or paste a report to see the places "
             "it names on the map. Names: PCBS 2017 localities, OpenStreetMap (© OpenStreetMap contributors, "
             "ODbL) and this project's list of aliases; crossings from cited public coordinates."))

try:
    with st.spinner(_("Loading the gazetteer…")):
        idx = _index()
except Exception as exc:  # the bundle or the raw files are missing
    st.error(_("The gazetteer could not be loaded: {error}. Run `python -m pipeline build`.").format(
        error=md(iso(exc) if AR else exc)))
    st.stop()
places = idx.places

find_tab, facilities_tab, report_tab = st.tabs([_("Find a place"), _("Find a facility"), _("Report to map")])

with find_tab:
    q = st.text_input(_("Place name (English or Arabic)"), key=QUERY,
                      placeholder=_("Khan Yunis, المواصي, Shujaiyya …"))
    focus = None
    if q.strip():
        hits = search(idx, q, limit=10)  # English, Arabic and Latin transliterations in either language
        if not hits:
            st.warning(_("No place matches “{query}”.").format(query=md(iso(q) if AR else q)))  # never as markdown
        else:
            labels = {h["place_id"]: _hit_label(h) for h in hits}
            focus = st.radio(_("Matches (best first): choose one to zoom the map to it"), list(labels),
                             format_func=labels.get, key=PICK)
            chosen = next(h for h in hits if h["place_id"] == focus)
            if AR:
                gov = PCODES_AR.get(str(chosen["pcode"])) if chosen["pcode"] else _("no single governorate")
                st.markdown(
                    _("{place} — {kind}, {governorate}, matched on “{matched}”").format(
                        place=_place_html(chosen), kind=esc(_kind(chosen["kind"])),
                        governorate=esc(gov or chosen["pcode"]), matched=_written(chosen["matched"]))
                    + ("" if chosen["inside_gaza"] else _(" — **outside the map's area** (not drawn)")),
                    unsafe_allow_html=True)
            else:
                st.markdown(
                    f"**{esc(chosen['name_en'])}** {_ar(chosen['name_ar'])} — {esc(chosen['kind'])}, "
                    f"{esc(chosen['pcode'] or 'no single governorate')}, matched on “{esc(chosen['matched'])}”"
                    + ("" if chosen["inside_gaza"] else " — **outside the map's area** (not drawn)"),
                    unsafe_allow_html=True)
    fmap = build_places_map(places, focus=focus, lang=LANG)
    st_folium(fmap, key="places_search_map", height=480, use_container_width=True, returned_objects=[])

@st.cache_resource(show_spinner=False)
def _facilities() -> pd.DataFrame:
    return load_layer("facilities")


with facilities_tab:
    st.caption(_("Named landmarks (Arabic names, one public mapping) classified by this project's rules into "
                 "schools, hospitals, clinics, pharmacies, water, bakeries, mosques, shelters and other; search by "
                 "Arabic name, neighbourhood, kind or block number. Counts are lower bounds. On the Map page, switch "
                 "on 'Facilities' in the map's layers control to see them by kind."))
    c1, c2, c3 = st.columns([2, 2, 2])
    fq = c1.text_input(_("Name, neighbourhood, kind or block"), key=FAC_QUERY,
                       placeholder=_("مستشفى, الشفاء, school, 1745"))
    fk = c2.multiselect(_("Kinds"), list(FACILITY_KINDS), key=FAC_KINDS,
                        format_func=(lambda k: tr(KIND_EN[k])) if AR else KIND_EN.__getitem__)
    fg = c3.multiselect(_("Governorates"), list(PCODES), key=FAC_GOV,
                        format_func=(PCODES_AR if AR else PCODES).__getitem__)
    found, total = find_facilities(_facilities(), fq, kinds=fk, pcodes=fg)
    if AR:
        st.markdown(_("**{total}** facilities match").format(total=number_text(total, LANG))
                    + (_(" (the first {n} shown)").format(n=number_text(len(found), LANG)) if total > len(found)
                       else ""))
        table = found.assign(governorate=found["pcode"].map(PCODES_AR), kind_en=found["kind_en"].map(tr))
        fac_cols = {"facility_id": _("facility id"), "name_ar": _("name (Arabic)"), "kind_en": _("kind"),
                    "block_id": _("block"), "neighbourhood_ar": _("neighbourhood"),
                    "municipality_ar": _("municipality"), "governorate": _("governorate")}
    else:
        st.markdown(f"**{total:,}** facilities match"
                    + (f" (the first {len(found):,} shown)" if total > len(found) else ""))
        table = found.assign(governorate=found["pcode"].map(PCODES))
        fac_cols = {"name_ar": "name (Arabic)", "kind_en": "kind", "block_id": "block",
                    "neighbourhood_ar": "neighbourhood", "municipality_ar": "municipality"}
    st.dataframe(table.drop(columns=["pcode"]), hide_index=True, width="stretch", placeholder=missing_mark(), column_config=fac_cols)

with report_tab:
    left, right = st.columns([3, 1])
    with right:
        up = st.file_uploader(_("…or upload .txt, .md, .html"), type=["txt", "md", "html", "htm"], key=UPLOAD)
        rdate = st.date_input(_("Report date (resolves “on Friday”)"), value=None, key=REPORT_DATE,
                              min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
    with left:
        text = st.text_area(_("Paste a report"), key=TEXT, height=180, placeholder=tr(EXAMPLE))
    source_text = text
    if up is not None:
        try:
            source_text = text_from_file(up.name, up.getvalue())
        except InputError as exc:
            if AR:
                st.error(_("The file cannot be read:"))
                st.html(f'<div lang="en" dir="ltr" style="text-align:left">{esc(exc.message())}</div>')
            else:
                st.error(md(exc.message()))
            source_text = ""
    if not source_text.strip():
        st.info(_("Paste a report (or upload a file) to see the places and figures it names."))
        st.stop()

    with st.spinner(_("Reading the report…")):
        res = _mentions(source_text, rdate, id(idx))
    if res["cut"]:
        if AR:
            st.warning(_("The report is long:"))
            st.html(f'<div lang="en" dir="ltr" style="text-align:left">{esc(res["cut"])}</div>')
        else:
            st.warning(md(f"The report is long: {res['cut']}."))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Places in Gaza"), len({m["place_id"] for m in res["mentions"]}))
    c2.metric(_("Outside Gaza"), len({m["place_id"] for m in res["outside"]}))
    c3.metric(_("Unmatched names"), len(res["unmatched"]))
    c4.metric(_("Figures"), len(res["figures"]))

    inside_places = [p for p in res["places"] if p["inside_gaza"]]
    fmap = build_places_map(places, named=inside_places, lang=LANG)
    st_folium(fmap, key="places_report_map", height=480, use_container_width=True, returned_objects=[])
    st.caption(_("Regions (purple) and areas (green) are drawn as areas; towns, camps' labels, landmarks and "
                 "crossings as dots. Places outside Gaza are listed below, not drawn."))

    st.subheader(_("Places named"))
    if inside_places and AR:
        st.markdown("<ul>" + "".join(
            "<li>" + _("{place} · {kind} · named {n}× as {names}").format(
                place=_place_html(p), kind=esc(_kind(p["kind"])), n=p["count"],
                names="، ".join(_written(n) for n in p["names"])) + "</li>" for p in inside_places) + "</ul>",
            unsafe_allow_html=True)
    elif inside_places:
        st.markdown("<ul>" + "".join(
            f"<li><b>{esc(p['name_en'])}</b> {_ar(p['name_ar'])} · {esc(p['kind'])} · named {p['count']}× "
            f"as {', '.join(esc(n) for n in p['names'])}</li>" for p in inside_places) + "</ul>",
            unsafe_allow_html=True)
    mentions = pd.DataFrame([{"name as written": m["name"], "place": m["name_en"], "kind": m["kind"],
                              "place id": m["place_id"], "start": m["start"], "end": m["end"],
                              "sentence": m["sentence"]} for m in res["mentions"]])
    if AR and len(mentions):  # the Arabic name first; the English name stays searchable in its own column
        by_id = {m["place_id"]: m for m in res["mentions"]}
        mentions.insert(1, "name_ar", [by_id[pid].get("name_ar") or "" for pid in mentions["place id"]])
        mentions["kind"] = mentions["kind"].map(_kind)
    if len(mentions):
        st.dataframe(mentions, hide_index=True, width="stretch", placeholder=missing_mark(), key="places_mentions_table",
                     column_config=_cols(mentions))
    else:
        st.write(_("No place in Gaza is named."))

    st.subheader(_("Outside the map's area"))
    if res["outside"]:
        outside: dict[str, dict[str, Any]] = {}
        for m in res["outside"]:
            outside.setdefault(m["place_id"], m)
        if AR:
            items = "".join("<li>" + _("{place} — outside Gaza, not drawn").format(place=_place_html(m)) + "</li>"
                            for m in outside.values())
        else:
            items = "".join(f"<li><b>{esc(m['name_en'])}</b> {_ar(m['name_ar'])} — outside Gaza, "
                            f"not drawn</li>" for m in outside.values())
        st.markdown("<ul>" + items + "</ul>", unsafe_allow_html=True)
    else:
        st.write(_("None."))

    st.subheader(_("Unmatched names"))
    if res["unmatched"]:
        unmatched = pd.DataFrame([{"name": u["name"], "closest gazetteer place (not applied)": u["suggestion"] or "",
                                   "sentence": u["sentence"]} for u in res["unmatched"]])
        st.dataframe(unmatched, hide_index=True, width="stretch", placeholder=missing_mark(), key="places_unmatched_table",
                     column_config=_cols(unmatched))
    else:
        st.write(_("None: every place-like name matched the gazetteer."))

    st.subheader(_("Figures"))
    if res["figures"]:
        figures = pd.DataFrame([{"figure": f["text"], "kind": f["kind"], "value": _value(f["value"]),
                                 "qualifier": f["qualifier"] or "", "counts": f["counts"],
                                 "places in the sentence": ", ".join(f["places"]), "sentence": f["sentence"]}
                                for f in res["figures"]])
        if AR:  # the kind is the project's word; the figure, its qualifier and the sentence are the report's
            figures["kind"] = figures["kind"].map(lambda k: tr(FIGURE_KINDS.get(str(k), str(k))))
        st.dataframe(figures, hide_index=True, width="stretch", placeholder=missing_mark(), key="places_figures_table",
                     column_config=_cols(figures))
    else:
        st.write(_("No figures found."))

    st.subheader(_("Keep as an annotation layer"))
    options = sorted({m["place_id"] for m in res["mentions"]})
    with st.form("places_annotation_form"):
        keep = st.multiselect(_("Places to keep"), options, default=options, key=KEEP,
                              format_func=lambda pid: (idx.by_id[pid].get("name_ar") or idx.by_id[pid]["name_en"])
                              if AR else idx.by_id[pid]["name_en"])
        title = st.text_input(_("Title of the source text"), key=TITLE)
        link = st.text_input(_("Link (URL)"), key=LINK)
        submitted = st.form_submit_button(_("Keep as annotation layer"), key=SAVE)
    if submitted:
        kept = [m for m in res["mentions"] if m["place_id"] in set(keep)]
        try:
            entry = save_annotations(idx, kept, title=title, date=rdate.isoformat() if rdate else None,
                                     link=link.strip() or None)
        except InputError as exc:
            if AR:
                st.error(_("The annotations cannot be kept:"))
                st.html(f'<div lang="en" dir="ltr" style="text-align:left">{esc(exc.message())}</div>')
            else:
                st.error(md(exc.message()))
        else:
            st.success(_("Saved workspace layer “{name}” with {n} annotations.").format(
                name=md(iso(entry["name"]) if AR else entry["name"]), n=entry["rows"]))
