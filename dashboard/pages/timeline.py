"""Timeline page: area under orders, population by governorate, casualties and aid trucks over time.

In Arabic the captions and charts are the catalogue's; source names, file names and OCHA's quoted text are shown
as written, isolated (``iso``) inside the right-to-left lines.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, state
from dashboard.html import esc, is_missing, md
from dashboard.i18n import _, date_words, dir_attr, framing_words, iso, lang
from dashboard.kpis import claims_list, sources_text
from pipeline.core.i18n import N_, number_text
from pipeline.core.layers import PCODES_AR

view = state.view()
lo, hi = data.span()
LANG = lang()
AR = LANG == "ar"


def quoted(value: object) -> str:
    """Text from data (a file, a source, a unit) for markdown: as written, isolated in a right-to-left line."""
    return "" if is_missing(value) else md(iso(value))


def source_line(frame: pd.DataFrame) -> str:
    return quoted(sources_text(sorted(frame["source"].dropna().unique())))


st.title(_("Timeline"))
st.caption(_("The dashed rule marks the selected date ({date}). Hover a chart for values and sources.")
           .format(date=date_words(view.on)))

series = data.layer("series")


def metric_rows(name: str) -> pd.DataFrame:
    if series is None:
        return pd.DataFrame(columns=["date", "value", "source", "unit", "pcode"])
    return series[series["metric"] == name].copy()


st.subheader(_("Share of the Strip under evacuation orders"))
with st.spinner(_("Computing the area under orders for every day…")):
    share = data.share_series(view.since, hi, view.since)
if share is None or share.empty:
    st.info(_("The area-under-orders series (pipeline.metrics.share_series) is not available yet."))
else:
    m = data.metrics(view.on, view.since, view.window) or {}
    src = sources_text((m.get("orders") or {}).get("sources")) if m else _("evacuation orders layer")
    points = charts.statement_points(data.layer("statements"), share, view.since)
    st.altair_chart(charts.share_chart(share, data.layer("orders"), on=view.on, source=src, statements=points,
                                       lang=LANG), width="stretch")
    words = framing_words(view.framing) if AR else view.framing_words()
    st.caption(_("Cumulative: blocks named by any order issued {framing} up to each day; each block counted once. "
                 "Ticks: the dates orders were issued. A block that was ordered stays counted: orders are rarely "
                 "lifted explicitly. Blue points: OCHA's published figures, attributed (filled: the same definition "
                 "as the curve; hollow: another definition, not compared); hover for theirs and ours.")
               .format(framing=md(words)))

st.subheader(_("Population by governorate"))
pop = metric_rows("population_adults_est")
if pop.empty:
    st.info(_("No population series in the bundle."))
else:
    gov = data.layer("governorates")
    names = dict(zip(gov["pcode"], gov["name_en"], strict=True)) if gov is not None else {}
    st.altair_chart(charts.population_chart(pop, PCODES_AR if AR else names, on=view.on, lang=LANG),
                    width="stretch")
    method = pop["method"].dropna().iloc[0] if "method" in pop and pop["method"].notna().any() else ""
    caveat = _("**Caveat**: an advertising-audience estimate of adults (18+), not a census; where the audience "
               "is the platform's floor the figure is an upper bound ('at most'). It disagrees with other "
               "sources (e.g. the reported 'about 80% in the south'); see the Map page and the Method page. ")
    if AR:  # the source's method as written, in its own left-to-right block marked English
        st.caption(caveat)
        if method:
            label = esc(_("Method:"))
            st.html(f'<div {dir_attr()} style="font-size:0.875rem;opacity:0.7">{label} '
                    f'<div lang="en" dir="ltr" style="text-align:left">{esc(method)}</div></div>')
    else:
        st.caption(caveat + (f"Method: {md(method)}" if method else ""))

st.subheader(_("Casualties (reported)"))
daily, cum = metric_rows("killed"), metric_rows("killed_cum")
if daily.empty or cum.empty:
    st.info(_("No casualty series in the bundle."))
else:
    for chart in charts.casualties_charts(daily, cum, on=view.on, lang=LANG):
        st.altair_chart(chart, width="stretch")
    n_filled = int(cum["filled"].sum()) if "filled" in cum else 0
    st.caption(_("Source: {sources}. Figures as reported; contested and revised over time.")
               .format(sources=source_line(cum))
               + (_(" Orange dots: {n} day(s) with no report, interpolated between two reports.").format(n=n_filled)
                  if n_filled else ""))

st.subheader(_("Aid trucks"))
trucks = metric_rows("aid_trucks_daily")
monthly = metric_rows("aid_trucks_monthly")
c1, c2 = st.columns(2)
with c1:
    if trucks.empty:
        st.info(_("No daily aid-truck series."))
    else:
        st.altair_chart(charts.trucks_chart(trucks, on=view.on, lang=LANG), width="stretch")
        st.caption(_("Source: {sources}").format(sources=source_line(trucks)))
with c2:
    if not monthly.empty:
        st.altair_chart(charts.trucks_chart(monthly, on=view.on, title=N_("Aid trucks per month"), lang=LANG),
                        width="stretch")
        st.caption(_("Source: {sources}").format(sources=source_line(monthly)))

imported = data.workspace_series()
if imported:
    st.subheader(_("Your imported series"))
    for entry, days in imported:
        if days.empty:
            continue
        when = str(entry.get("imported_at", ""))[:10]
        label = _("{origin}, imported {date}").format(origin=entry.get("origin"), date=when)
        s = entry.get("series") or {}
        st.altair_chart(charts.imported_series_chart(days, on=view.on, label=label, lang=LANG,
                                                     period=s.get("period")), width="stretch",
                        key=f"gdm_series_{entry['name']}")
        unit = ", ".join(sorted(days["unit"].dropna().astype(str).unique()))
        fields = {"name": quoted(entry["name"]), "origin": quoted(entry.get("origin")), "date": md(when),
                  "unit": quoted(unit), "unit_from": quoted(s.get("unit_from", "")),
                  "metric": quoted(s.get("metric", "")), "rows": number_text(len(days), LANG)}
        st.caption((_("**{name}**: from your file {origin}, imported {date}; unit {unit} ({unit_from}), {metric} "
                      "summed per year (the file gives years, not days)") if s.get("period") == "year" else
                    _("**{name}**: from your file {origin}, imported {date}; unit {unit} ({unit_from}), {metric} "
                      "summed per day")).format(**fields)
                   + (_(" and {kind}").format(kind=quoted(s.get("place_kind"))) if s.get("place_column") else "")
                   + _(", {rows} day row(s). Your own data, shown beside the shipped series, never merged into "
                       "them.").format(rows=fields["rows"]))

claims = data.layer("claims")
if claims is not None and len(claims):
    st.subheader(_("Reported events (attributed claims)"))
    st.html(claims_list(claims, LANG))
