"""Orders page: every evacuation order with what it touched (area, people, facilities, zone, new vs repeat).

All figures come from ``pipeline.runtime.order_impact.impact`` (the CLI's ``python -m pipeline orders``
prints the same). Pick a day or a date range and governorates; pick one order or the whole selection
(each block counted once) to draw it on the map with its impact card.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.html import fmt_date, md, safe_url
from dashboard.i18n import _, iso, lang, missing_mark, tr
from dashboard.orders_map import build_orders_map, orders_geojson
from pipeline.core.facilities import FACILITY_KINDS, KIND_EN
from pipeline.core.i18n import N_
from pipeline.core.layers import PCODES, PCODES_AR
from pipeline.core.names import normalize
from pipeline.runtime import order_impact
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.metrics_index import index
from pipeline.runtime.zones import zone_on

# Widget keys (tests find widgets by these).
DAY, FROM, TO, GOV, PICK, SHOW_ALL, FAC_Q = ("orders_day", "orders_from", "orders_to", "orders_gov", "orders_pick",
                                             "orders_all_facilities", "orders_fac_query")
ALL_DATES = N_("All dates (use the range below)")
WHOLE = "__selection__"
# Values from order_impact that the page shows as words (translated where shown).
WORDS = (N_("new"), N_("partly new"), N_("repeat"), N_("mapped"), N_("reported, not mapped"), N_("period"))
# The definitions' keys as titles (the English page shows the keys themselves).
DEF_TITLES = {"blocks": N_("Blocks"), "area_km2": N_("Area"), "population_prewar_est": N_("People (pre-war est.)"),
              "facilities": N_("Facilities inside"), "zone": N_("Zone taken"), "destination": N_("Destination"),
              "new": N_("New vs earlier orders")}
AR = lang() == "ar"
GOV_NAMES = PCODES_AR if AR else PCODES


@st.cache_resource(show_spinner=False)
def _data() -> dict[str, Any]:
    ix = index()
    fac, blocks = load_layer("facilities"), load_layer("blocks")
    rows = order_impact.impact_table(ix, fac, blocks)
    return {"ix": ix, "facilities": fac, "blocks": blocks, "rows": {r["order_id"]: r for r in rows},
            "table": order_impact.table_frame(rows), "orders": load_layer("orders"), "zones": load_layer("zones"),
            "strip": load_layer("strip"), "search": fac["name_ar"].map(normalize)}


@st.cache_data(show_spinner=False, max_entries=32)
def _geojson(ids: tuple[str, ...]) -> bytes:
    data = _data()
    shown = data["table"][data["table"]["order_id"].isin(ids)]
    return orders_geojson(data["orders"], shown).encode("utf-8")


def _d(v: Any) -> str:
    return fmt_date(v, lang())


def _num(v: Any, fmt: str = "{:,.0f}") -> str:
    return _("no data") if v is None else fmt.format(v)


def _km2(v: Any, fmt: str = "{:,.2f}") -> str:
    return _("no data") if v is None else _("{value} km²").format(value=fmt.format(v))


def _gov_names(text: Any) -> Any:
    """The table's "; "-joined English governorate names in the page's language."""
    by_en = {v: GOV_NAMES[k] for k, v in PCODES.items()}
    return "; ".join(by_en.get(n, n) for n in text.split("; ")) if isinstance(text, str) else text


st.title(_("Orders"))
st.caption(_("What each evacuation order touched: its blocks, area and share of the Strip, the pre-war population "
             "estimate, named facilities inside by kind, the part of the humanitarian zone of that date it covers, "
             "and what it added to earlier orders. Orders: GazaMaps (from IDF posts), OCHA's 2025 list, bothness "
             "(2/4 Dec 2023). Facilities: named landmarks (Arabic) classified by this project's rules."))

try:
    with st.spinner(_("Computing every order's impact…")):
        data = _data()
except Exception as exc:  # the bundle is missing or damaged
    st.error(_("The orders could not be loaded: {reason}. Run `python -m pipeline build`.").format(reason=exc))
    st.stop()
table: pd.DataFrame = data["table"]
rows: dict[str, dict[str, Any]] = data["rows"]
fac: gpd.GeoDataFrame = data["facilities"]

days = sorted(pd.to_datetime(table["issued_on"]).dt.date.unique())
per_day = pd.to_datetime(table["issued_on"]).dt.date.value_counts()
c1, c2, c3, c4 = st.columns([2, 1, 1, 2])


def _day_option(v: str) -> str:
    if v == ALL_DATES:
        return _(ALL_DATES)
    n = int(per_day[date.fromisoformat(v)])
    return (_("{date} ({n} orders)") if n > 1 else _("{date} ({n} order)")).format(date=_d(v), n=n)


day = c1.selectbox(_("Orders issued on"), [ALL_DATES] + [d.isoformat() for d in days], key=DAY,
                   format_func=_day_option)
if day == ALL_DATES:
    d_from = c2.date_input(_("From"), value=days[0], min_value=days[0], max_value=days[-1], key=FROM)
    d_to = c3.date_input(_("To"), value=days[-1], min_value=days[0], max_value=days[-1], key=TO)
else:
    d_from = d_to = date.fromisoformat(day)
govs = c4.multiselect(_("Governorates (blocks in any of them)"), list(PCODES), format_func=GOV_NAMES.__getitem__,
                      key=GOV, placeholder=_("Choose options"))

issued = pd.to_datetime(table["issued_on"]).dt.date
shown = table[(issued >= d_from) & (issued <= d_to)]
if govs:
    names = {PCODES[p] for p in govs}
    shown = shown[shown["governorates"].fillna("").map(lambda s: bool(names & set(s.split("; "))))]

st.subheader((_("{n} orders issued {start} – {end}") if len(shown) != 1 else _("{n} order issued {start} – {end}"))
             .format(n=len(shown), start=_d(d_from), end=_d(d_to)))
cols = ["issued_on", "order_id", "label", "governorates", "blocks", "area_km2", "share_of_strip",
        "population_prewar_est", "facilities_total"] + [f"facilities_{k}" for k in FACILITY_KINDS] + [
        "new_area_km2", "new_population_prewar_est", "status", "source_name", "link"]
view = shown[cols]
if AR:  # words from the data in Arabic on screen; the downloads keep the data's own values
    view = view.assign(label=view["label"].map(lambda v: _(v) if isinstance(v, str) else v),
                       status=view["status"].map(lambda v: _(v) if isinstance(v, str) else v),
                       governorates=view["governorates"].map(_gov_names))
st.dataframe(
    view, hide_index=True, width="stretch", placeholder=missing_mark(), height=300, key="orders_table",
    column_config={
        "issued_on": st.column_config.TextColumn(_("Issued")), "order_id": _("Order"), "label": _("New vs repeat"),
        "governorates": _("Governorates"), "status": _("Status"), "source_name": _("Source"),
        "blocks": st.column_config.NumberColumn(_("Blocks")),
        "area_km2": st.column_config.NumberColumn(_("km²"), format="%.2f"),
        "share_of_strip": st.column_config.NumberColumn(_("% of Strip"), format="percent"),
        "population_prewar_est": st.column_config.NumberColumn(_("People (pre-war est.)"), format="localized"),
        "facilities_total": st.column_config.NumberColumn(_("Facilities")),
        **{f"facilities_{k}": st.column_config.NumberColumn(_(KIND_EN[k])) for k in FACILITY_KINDS},
        "new_area_km2": st.column_config.NumberColumn(_("New km²"), format="%.2f"),
        "new_population_prewar_est": st.column_config.NumberColumn(_("New people"), format="localized"),
        "link": st.column_config.LinkColumn(_("Link")),
    })
d1, d2, _rest = st.columns([1, 1, 3])
d1.download_button(_("Download CSV"), shown.to_csv(index=False).encode("utf-8"), "orders-impact.csv", "text/csv",
                   key="orders_csv")
d2.download_button(_("Download GeoJSON"), _geojson(tuple(shown["order_id"])),
                   "orders-impact.geojson", "application/geo+json", key="orders_geojson")

ids = shown["order_id"].tolist()
options = ([WHOLE] if ids else []) + ids
# One day: all its orders by default; all dates: the latest order (the whole war is one click away).
pick = st.selectbox(
    _("Draw on the map"), options, key=PICK, index=0 if day != ALL_DATES or len(ids) < 2 else len(options) - 1,
    format_func=lambda o: (_("All orders of these dates, each block counted once") if o == WHOLE
                           else f"{_d(rows[o]['issued_on'])} · {o} · {tr(rows[o]['status'])}"))

if pick is None:
    st.info(_("No order matches these filters."))
    st.stop()
if pick == WHOLE:
    res = order_impact.impact(data["ix"], fac, data["blocks"], start=d_from, end=d_to)
    if govs:
        st.caption(_("The map and card cover every order issued in these dates; the governorate filter narrows the "
                     "table only."))
    head = _("All orders issued {start} – {end}").format(start=_d(d_from), end=_d(d_to))
else:
    res = rows[pick]
    head = _("Order {order}, issued {date}").format(order=pick, date=_d(res["issued_on"]))

zone_row = None
z = zone_on(data["zones"], date.fromisoformat(res["zone"]["on"])) if res["zone"]["zone_id"] else None
if z is not None:
    zone_row = data["zones"][data["zones"]["zone_id"] == z["zone_id"]]

map_col, card = st.columns([1, 1])
with card:
    st.subheader(head)
    defs = res["definitions"]
    if pick != WHOLE:
        src = res["source_name"]
        link_word = _("link")
        links = [u for u in (safe_url(res.get("link")), safe_url(res.get("source_url"))) if u]
        st.markdown(_("**Source:** {source}").format(source=iso(md(src)))
                    + "".join(f" · [{link_word}]({u})" for u in dict.fromkeys(links)))
        if not res["mapped"]:
            st.warning(_("Reported, not mapped: no source gives this order's blocks or area, so no figure is "
                         "computed (no data is not zero)."))
    else:
        st.markdown(_("**Sources:** {sources}").format(sources=iso(md("; ".join(res["sources"])))))
        if res["not_mapped_order_ids"]:
            st.caption(_("Reported but not mapped (listed, not counted): ") + ", ".join(res["not_mapped_order_ids"]))
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Area"), _km2(res["area_km2"]), help=md(tr(defs["area_km2"])))
    m2.metric(_("Share of the Strip"), _num(res["share_of_strip"], "{:.1%}"), help=md(tr(defs["area_km2"])))
    m3.metric(_("People (pre-war est.)"), _num(res["population_prewar_est"]),
              help=md(tr(defs["population_prewar_est"])))
    m4, m5, m6 = st.columns(3)
    m4.metric(_("Blocks"), _num(res["blocks"]["count"]), help=md(tr(defs["blocks"])))
    m5.metric(_("Facilities inside"), _num(res["facilities"]["total"]), help=md(tr(defs["facilities"])))
    zt = res["zone"]
    m6.metric(_("Zone taken"), _("no zone") if zt["zone_id"] is None else _km2(zt["taken_km2"]),
              help=md(tr(defs["zone"]) + (" " + _("Zone: {name} ({area} km²; {source}).").format(
                  name=iso(zt["name"]), area=f"{zt['zone_km2']:,.1f}", source=iso(zt["source"]))
                  if zt["zone_id"] else "")))
    by = res["facilities"]["by_kind"]
    if res["facilities"]["total"] is not None:
        st.markdown(_("**Facilities by kind:** ") + " · ".join(f"{tr(KIND_EN[k])} {by[k]:,}" for k in FACILITY_KINDS))
    new = res["new"]
    if new["label"] is not None:
        st.markdown(_("**New vs earlier orders:** {label} — {area} km² and ~{people} people not covered by orders "
                      "issued {start} – {end}; {facilities} facilities.").format(
                          label=tr(new["label"]), area=f"{new['area_km2']:,.2f}",
                          people=f"{new['population_prewar_est']:,}", start=_d(new["earlier_from"]),
                          end=_d(new["earlier_to"]), facilities=f"{new['facilities']:,}"),
                    help=md(tr(defs["new"])))
    dest = res["destination"]
    st.markdown(_("**Destination:** ") + (iso(md("; ".join(dest["text"]))) if dest["stated"]
                                          else _("not stated by the source")),
                help=md(tr(defs["destination"])))
    if res["blocks"].get("named_not_on_grid"):
        st.caption(_("Named but not on the grid: ") + ", ".join(md(b) for b in res["blocks"]["named_not_on_grid"]))
    with st.expander(_("Definitions and sources of every figure")):
        for k, v in defs.items():
            st.markdown(f"- **{tr(DEF_TITLES[k]) if AR and k in DEF_TITLES else k}**: {md(tr(v))}")

show_all = st.toggle(_("Show all facilities as a map layer (off by default; switch it on in the map's layer "
                       "control)"), key=SHOW_ALL)
q = st.text_input(_("Search facilities (Arabic name or kind: school, hospital, مدرسة …)"), key=FAC_Q)
found = fac.iloc[:0]
if q.strip():
    qn = normalize(q)
    kinds = [k for k, lab in KIND_EN.items() if q.strip().lower() in (k, lab.lower()) or q.strip() == _(lab)]
    hit = data["search"].str.contains(qn, regex=False) if qn else pd.Series(False, index=fac.index)
    found = fac[hit.to_numpy() | fac["kind"].isin(kinds).to_numpy()]

with map_col:
    extra = found if len(found) else (fac if show_all else None)
    fmap = build_orders_map(strip=data["strip"], blocks=data["blocks"], block_ids=res["blocks"]["block_ids"],
                            facilities=fac, facility_ids=res["facilities"]["facility_ids"], zone=zone_row,
                            all_facilities=extra, lang=lang(),
                            title=_("Facilities inside: {n}").format(n=f"{res['facilities']['total'] or 0:,}"))
    st_folium(fmap, key="orders_map", height=560, use_container_width=True, returned_objects=[])

if q.strip():
    st.markdown(_("**{n} facilities match** (drawn as the map's extra layer; switch it on in the layer control)")
                .format(n=f"{len(found):,}"))
    show = found[["facility_id", "name_ar", "kind_en", "pcode", "block_id", "neighbourhood_ar"]].copy()
    show["pcode"] = show["pcode"].map(GOV_NAMES)
    headers = {"pcode": "governorate"}
    if AR:
        show["kind_en"] = show["kind_en"].map(lambda v: _(v) if isinstance(v, str) else v)
        headers = {"facility_id": _("Facility"), "name_ar": _("Name"), "kind_en": _("Kind"), "pcode": _("Governorate"),
                   "block_id": _("Block"), "neighbourhood_ar": _("Neighbourhood")}
    st.dataframe(show.rename(columns=headers), hide_index=True, width="stretch", placeholder=missing_mark(),
                 height=240, key="orders_fac_table")
