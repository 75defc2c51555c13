"""Timeline page: area under orders, population by governorate, casualties and aid trucks over time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, state
from dashboard.html import md
from dashboard.kpis import claims_list, sources_text

view = state.view()
lo, hi = data.span()

st.title("Timeline")
st.caption(f"The dashed rule marks the selected date ({view.on:%-d %b %Y}). Hover a chart for values and sources.")

series = data.layer("series")


def metric_rows(name: str) -> pd.DataFrame:
    if series is None:
        return pd.DataFrame(columns=["date", "value", "source", "unit", "pcode"])
    return series[series["metric"] == name].copy()


st.subheader("Share of the Strip under evacuation orders")
with st.spinner("Computing the area under orders for every day…"):
    share = data.share_series(view.since, hi, view.since)
if share is None or share.empty:
    st.info("The area-under-orders series (pipeline.metrics.share_series) is not available yet.")
else:
    m = data.metrics(view.on, view.since, view.window) or {}
    src = sources_text((m.get("orders") or {}).get("sources")) if m else "evacuation orders layer"
    points = charts.statement_points(data.layer("statements"), share, view.since)
    st.altair_chart(charts.share_chart(share, data.layer("orders"), on=view.on, source=src, statements=points),
                    width="stretch")
    st.caption(f"Cumulative: blocks named by any order issued {md(view.framing_words())} up to each day; each block "
               "counted once. Ticks: the dates orders were issued. A block that was ordered stays counted: orders "
               "are rarely lifted explicitly. Blue points: OCHA's published figures, attributed (filled: the same "
               "definition as the curve; hollow: another definition, not compared); hover for theirs and ours.")

st.subheader("Population by governorate")
pop = metric_rows("population_adults_est")
if pop.empty:
    st.info("No population series in the bundle.")
else:
    gov = data.layer("governorates")
    names = dict(zip(gov["pcode"], gov["name_en"], strict=True)) if gov is not None else {}
    st.altair_chart(charts.population_chart(pop, names, on=view.on), width="stretch")
    method = pop["method"].dropna().iloc[0] if "method" in pop and pop["method"].notna().any() else ""
    st.caption("**Caveat**: an advertising-audience estimate of adults (18+), not a census; where the audience "
               "is the platform's floor the figure is an upper bound ('at most'). It disagrees with other "
               "sources (e.g. the reported 'about 80% in the south'); see the Map page and the Method page. "
               + (f"Method: {md(method)}" if method else ""))

st.subheader("Casualties (reported)")
daily, cum = metric_rows("killed"), metric_rows("killed_cum")
if daily.empty or cum.empty:
    st.info("No casualty series in the bundle.")
else:
    for chart in charts.casualties_charts(daily, cum, on=view.on):
        st.altair_chart(chart, width="stretch")
    n_filled = int(cum["filled"].sum()) if "filled" in cum else 0
    st.caption(f"Source: {md(sources_text(sorted(cum['source'].dropna().unique())))}. Figures as reported; "
               "contested and revised over time."
               + (f" Orange dots: {n_filled} day(s) with no report, interpolated between two reports." if n_filled
                  else ""))

st.subheader("Aid trucks")
trucks = metric_rows("aid_trucks_daily")
monthly = metric_rows("aid_trucks_monthly")
c1, c2 = st.columns(2)
with c1:
    if trucks.empty:
        st.info("No daily aid-truck series.")
    else:
        st.altair_chart(charts.trucks_chart(trucks, on=view.on), width="stretch")
        st.caption(f"Source: {md(sources_text(sorted(trucks['source'].dropna().unique())))}")
with c2:
    if not monthly.empty:
        st.altair_chart(charts.trucks_chart(monthly, on=view.on, title="Aid trucks per month"), width="stretch")
        st.caption(f"Source: {md(sources_text(sorted(monthly['source'].dropna().unique())))}")

imported = data.workspace_series()
if imported:
    st.subheader("Your imported series")
    for entry, days in imported:
        if days.empty:
            continue
        label = f"{entry.get('origin')}, imported {str(entry.get('imported_at', ''))[:10]}"
        st.altair_chart(charts.imported_series_chart(days, on=view.on, label=label), width="stretch",
                        key=f"gdm_series_{entry['name']}")
        s = entry.get("series") or {}
        unit = ", ".join(sorted(days["unit"].dropna().astype(str).unique()))
        st.caption(f"**{md(entry['name'])}**: from your file {md(entry.get('origin'))}, imported "
                   f"{md(str(entry.get('imported_at', ''))[:10])}; unit {md(unit)} ({md(s.get('unit_from', ''))}), "
                   f"{md(s.get('metric', ''))} summed per day"
                   + (f" and {md(s.get('place_kind'))}" if s.get("place_column") else "")
                   + f", {len(days):,} day row(s). Your own data, shown beside the shipped series, never merged "
                     "into them.")

claims = data.layer("claims")
if claims is not None and len(claims):
    st.subheader("Reported events (attributed claims)")
    st.html(claims_list(claims))
