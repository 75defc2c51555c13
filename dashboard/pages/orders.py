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

from dashboard.html import md, safe_url
from dashboard.orders_map import build_orders_map, orders_geojson
from pipeline.core.facilities import FACILITY_KINDS, KIND_EN
from pipeline.core.layers import PCODES
from pipeline.core.names import normalize
from pipeline.runtime import order_impact
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.metrics_index import index
from pipeline.runtime.zones import zone_on

# Widget keys (tests find widgets by these).
DAY, FROM, TO, GOV, PICK, SHOW_ALL, FAC_Q = ("orders_day", "orders_from", "orders_to", "orders_gov", "orders_pick",
                                             "orders_all_facilities", "orders_fac_query")
ALL_DATES = "All dates (use the range below)"
WHOLE = "__selection__"


@st.cache_resource(show_spinner="Computing every order's impact…")
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
    d = pd.Timestamp(v)
    return f"{d.day} {d:%b %Y}"


def _num(v: Any, fmt: str = "{:,.0f}") -> str:
    return "no data" if v is None else fmt.format(v)


st.title("Orders")
st.caption("What each evacuation order touched: its blocks, area and share of the Strip, the pre-war population "
           "estimate, named facilities inside by kind, the part of the humanitarian zone of that date it covers, "
           "and what it added to earlier orders. Orders: GazaMaps (from IDF posts), OCHA's 2025 list, bothness "
           "(2/4 Dec 2023). Facilities: named landmarks (Arabic) classified by this project's rules.")

try:
    data = _data()
except Exception as exc:  # the bundle is missing or damaged
    st.error(f"The orders could not be loaded: {exc}. Run `python -m pipeline build`.")
    st.stop()
table: pd.DataFrame = data["table"]
rows: dict[str, dict[str, Any]] = data["rows"]
fac: gpd.GeoDataFrame = data["facilities"]

days = sorted(pd.to_datetime(table["issued_on"]).dt.date.unique())
per_day = pd.to_datetime(table["issued_on"]).dt.date.value_counts()
c1, c2, c3, c4 = st.columns([2, 1, 1, 2])
day = c1.selectbox("Orders issued on", [ALL_DATES] + [d.isoformat() for d in days], key=DAY,
                   format_func=lambda v: v if v == ALL_DATES else
                   f"{_d(v)} ({per_day[date.fromisoformat(v)]} order{'s' if per_day[date.fromisoformat(v)] > 1 else ''})")
if day == ALL_DATES:
    d_from = c2.date_input("From", value=days[0], min_value=days[0], max_value=days[-1], key=FROM)
    d_to = c3.date_input("To", value=days[-1], min_value=days[0], max_value=days[-1], key=TO)
else:
    d_from = d_to = date.fromisoformat(day)
govs = c4.multiselect("Governorates (blocks in any of them)", list(PCODES), format_func=PCODES.__getitem__, key=GOV)

issued = pd.to_datetime(table["issued_on"]).dt.date
shown = table[(issued >= d_from) & (issued <= d_to)]
if govs:
    names = {PCODES[p] for p in govs}
    shown = shown[shown["governorates"].fillna("").map(lambda s: bool(names & set(s.split("; "))))]

st.subheader(f"{len(shown)} order{'s' if len(shown) != 1 else ''} issued {_d(d_from)} – {_d(d_to)}")
cols = ["issued_on", "order_id", "label", "governorates", "blocks", "area_km2", "share_of_strip",
        "population_prewar_est", "facilities_total"] + [f"facilities_{k}" for k in FACILITY_KINDS] + [
        "new_area_km2", "new_population_prewar_est", "status", "source_name", "link"]
st.dataframe(
    shown[cols], hide_index=True, width="stretch", height=300, key="orders_table",
    column_config={
        "issued_on": st.column_config.TextColumn("Issued"), "order_id": "Order", "label": "New vs repeat",
        "governorates": "Governorates", "status": "Status", "source_name": "Source",
        "blocks": st.column_config.NumberColumn("Blocks"), "area_km2": st.column_config.NumberColumn("km²", format="%.2f"),
        "share_of_strip": st.column_config.NumberColumn("% of Strip", format="percent"),
        "population_prewar_est": st.column_config.NumberColumn("People (pre-war est.)", format="localized"),
        "facilities_total": st.column_config.NumberColumn("Facilities"),
        **{f"facilities_{k}": st.column_config.NumberColumn(KIND_EN[k]) for k in FACILITY_KINDS},
        "new_area_km2": st.column_config.NumberColumn("New km²", format="%.2f"),
        "new_population_prewar_est": st.column_config.NumberColumn("New people", format="localized"),
        "link": st.column_config.LinkColumn("Link"),
    })
d1, d2, _ = st.columns([1, 1, 3])
d1.download_button("Download CSV", shown.to_csv(index=False).encode("utf-8"), "orders-impact.csv", "text/csv",
                   key="orders_csv")
d2.download_button("Download GeoJSON", _geojson(tuple(shown["order_id"])),
                   "orders-impact.geojson", "application/geo+json", key="orders_geojson")

ids = shown["order_id"].tolist()
options = ([WHOLE] if ids else []) + ids
# One day: all its orders by default; all dates: the latest order (the whole war is one click away).
pick = st.selectbox(
    "Draw on the map", options, key=PICK, index=0 if day != ALL_DATES or len(ids) < 2 else len(options) - 1,
    format_func=lambda o: ("All orders of these dates, each block counted once" if o == WHOLE
                           else f"{_d(rows[o]['issued_on'])} · {o} · {rows[o]['status']}"))

if pick is None:
    st.info("No order matches these filters.")
    st.stop()
if pick == WHOLE:
    res = order_impact.impact(data["ix"], fac, data["blocks"], start=d_from, end=d_to)
    if govs:
        st.caption("The map and card cover every order issued in these dates; the governorate filter narrows the "
                   "table only.")
    head = f"All orders issued {_d(d_from)} – {_d(d_to)}"
else:
    res = rows[pick]
    head = f"Order {pick}, issued {_d(res['issued_on'])}"

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
        links = [u for u in (safe_url(res.get("link")), safe_url(res.get("source_url"))) if u]
        st.markdown(f"**Source:** {md(src)}" + "".join(f" · [link]({u})" for u in dict.fromkeys(links)))
        if not res["mapped"]:
            st.warning("Reported, not mapped: no source gives this order's blocks or area, so no figure is "
                       "computed (no data is not zero).")
    else:
        st.markdown(f"**Sources:** {md('; '.join(res['sources']))}")
        if res["not_mapped_order_ids"]:
            st.caption("Reported but not mapped (listed, not counted): " + ", ".join(res["not_mapped_order_ids"]))
    m1, m2, m3 = st.columns(3)
    m1.metric("Area", _num(res["area_km2"], "{:,.2f} km²"), help=md(defs["area_km2"]))
    m2.metric("Share of the Strip", _num(res["share_of_strip"], "{:.1%}"), help=md(defs["area_km2"]))
    m3.metric("People (pre-war est.)", _num(res["population_prewar_est"]), help=md(defs["population_prewar_est"]))
    m4, m5, m6 = st.columns(3)
    m4.metric("Blocks", _num(res["blocks"]["count"]), help=md(defs["blocks"]))
    m5.metric("Facilities inside", _num(res["facilities"]["total"]), help=md(defs["facilities"]))
    zt = res["zone"]
    m6.metric("Zone taken", "no zone" if zt["zone_id"] is None else f"{zt['taken_km2']:,.2f} km²",
              help=md(defs["zone"] + (f" Zone: {zt['name']} ({zt['zone_km2']:,.1f} km²; {zt['source']})."
                                      if zt["zone_id"] else "")))
    by = res["facilities"]["by_kind"]
    if res["facilities"]["total"] is not None:
        st.markdown("**Facilities by kind:** " + " · ".join(f"{KIND_EN[k]} {by[k]:,}" for k in FACILITY_KINDS))
    new = res["new"]
    if new["label"] is not None:
        st.markdown(f"**New vs earlier orders:** {new['label']} — {new['area_km2']:,.2f} km² and "
                    f"~{new['population_prewar_est']:,} people not covered by orders issued "
                    f"{_d(new['earlier_from'])} – {_d(new['earlier_to'])}; {new['facilities']:,} facilities.",
                    help=md(defs["new"]))
    dest = res["destination"]
    st.markdown("**Destination:** " + (md("; ".join(dest["text"])) if dest["stated"] else "not stated by the source"),
                help=md(defs["destination"]))
    if res["blocks"].get("named_not_on_grid"):
        st.caption("Named but not on the grid: " + ", ".join(md(b) for b in res["blocks"]["named_not_on_grid"]))
    with st.expander("Definitions and sources of every figure"):
        for k, v in defs.items():
            st.markdown(f"- **{k}**: {md(v)}")

show_all = st.toggle("Show all facilities as a map layer (off by default; switch it on in the map's layer control)",
                     key=SHOW_ALL)
q = st.text_input("Search facilities (Arabic name or kind: school, hospital, مدرسة …)", key=FAC_Q)
found = fac.iloc[:0]
if q.strip():
    qn = normalize(q)
    kinds = [k for k, lab in KIND_EN.items() if q.strip().lower() in (k, lab.lower())]
    hit = data["search"].str.contains(qn, regex=False) if qn else pd.Series(False, index=fac.index)
    found = fac[hit.to_numpy() | fac["kind"].isin(kinds).to_numpy()]

with map_col:
    extra = found if len(found) else (fac if show_all else None)
    fmap = build_orders_map(strip=data["strip"], blocks=data["blocks"], block_ids=res["blocks"]["block_ids"],
                            facilities=fac, facility_ids=res["facilities"]["facility_ids"], zone=zone_row,
                            all_facilities=extra, title=f"Facilities inside: {res['facilities']['total'] or 0:,}")
    st_folium(fmap, key="orders_map", height=560, use_container_width=True, returned_objects=[])

if q.strip():
    st.markdown(f"**{len(found):,} facilities match** (drawn as the map's extra layer; switch it on in the layer control)")
    show = found[["facility_id", "name_ar", "kind_en", "pcode", "block_id", "neighbourhood_ar"]].copy()
    show["pcode"] = show["pcode"].map(PCODES)
    st.dataframe(show.rename(columns={"pcode": "governorate"}), hide_index=True, width="stretch",
                 height=240, key="orders_fac_table")
