"""altair chart builders for the Timeline page (no streamlit import).

Every chart's tooltip shows the value, its date and its source; the selected date is a rule.

Each builder takes ``lang``: titles, axes, legends and tooltips are the catalogue's text for it (English is the
source, unchanged). In a right-to-left language the value axis stands on the right, time still runs left to
right (as in Arabic statistical charts), month names on the date axis and dates in tooltips are written as
:func:`pipeline.core.i18n.date_text` writes them, and Vega draws the Arabic text shaped by the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from pipeline.core import i18n
from pipeline.core.i18n import N_
from pipeline.core.palette import STATUS_COLOURS

# Okabe-Ito (colour-blind safe) for the five governorates, north to south.
GOV_ORDER = ["PS0255", "PS0260", "PS0265", "PS0270", "PS0275"]
GOV_COLOURS = ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00"]

# Month and year on every date axis: the series span 2023-2026, so "December" alone is ambiguous.
DATE_AXIS = alt.Axis(format="%b %Y", labelOverlap=True)

SELECTED = N_("Selected date")
RLM = "\u200f"  # right-to-left mark
FLAGS = (N_("at most (audience floor)"),)  # the population series' flags, translated in the tooltip


def chart_words(lang: str = i18n.DEFAULT) -> Callable[[str], str]:
    """``_`` for chart text: the catalogue's text; in a right-to-left language ending with a right-to-left mark, so
    that a closing "(%)" or "(18+)" stays at the end of the Arabic title in Vega's left-to-right SVG text."""
    tr = i18n.translator(lang)
    return (lambda text: tr(text) + RLM) if i18n.is_rtl(lang) else tr


def _legend_extra(lang: str) -> dict[str, Any]:
    """A longer legend title in a right-to-left language (the Arabic title is wider than Vega's default limit)."""
    return {"titleLimit": 400} if i18n.is_rtl(lang) else {}


def date_axis(lang: str = i18n.DEFAULT) -> alt.Axis:
    """:data:`DATE_AXIS`; in another language its month names from the catalogue's locale (a Vega expression)."""
    if lang == i18n.DEFAULT:
        return DATE_AXIS
    months = "[" + ",".join(f"'{m}'" for m in i18n.month_names(lang)) + "]"
    return alt.Axis(format="%b %Y", labelOverlap=True,
                    labelExpr=f"{months}[month(datum.value)] + ' ' + year(datum.value)")


def value_axis(lang: str = i18n.DEFAULT) -> dict[str, Any]:
    """``axis=`` for a value (y) axis: on the right in a right-to-left language; nothing to add in English."""
    return {"axis": alt.Axis(orient="right")} if i18n.is_rtl(lang) else {}


def date_tip(frame: pd.DataFrame, field: str, title: str, lang: str = i18n.DEFAULT) -> alt.Tooltip:
    """A tooltip for the date column ``field``; in another language a text column of dates written its way
    (added to ``frame``), so the hover reads "5 كانون الأول 2023"."""
    if lang == i18n.DEFAULT:
        return alt.Tooltip(f"{field}:T", title=title)
    frame[f"{field}_text"] = [i18n.date_text(pd.Timestamp(v).date(), lang) if pd.notna(v) else ""
                              for v in frame[field]]
    return alt.Tooltip(f"{field}_text:N", title=i18n.translate(title, lang))


# What ``alt.layer`` returns: a LayerChart, or a FacetChart when every layer has the same facet encoding.
Layered = alt.LayerChart | alt.FacetChart


def _rule(on: date, lang: str = i18n.DEFAULT) -> alt.Chart:
    d = pd.DataFrame({"date": [pd.Timestamp(on)], "label": ["selected date"]})
    tip = date_tip(d, "date", SELECTED, lang)
    rule: alt.Chart = alt.Chart(d).mark_rule(color="#444", strokeDash=[4, 3]).encode(x="date:T", tooltip=[tip])
    return rule


def statement_points(statements: pd.DataFrame | None, share: pd.DataFrame, since: date) -> pd.DataFrame:
    """OCHA's statements of the share under orders, with ours on the same day: the ones counted from ``since``
    (comparable: drawn filled) and those with another definition (drawn hollow, "not compared")."""
    cols = ["date", "share_pct", "ours_pct", "said", "definition", "compared", "attributed_to", "source"]
    if statements is None or statements.empty:
        return pd.DataFrame(columns=cols)
    s: pd.DataFrame = statements[statements["measure"].astype(str).str.startswith("share of the Strip")
                   & statements["region"].isna()].copy()
    s["date"] = pd.to_datetime(s["stated_on"])
    s = s[pd.to_datetime(s["since"]).dt.date.eq(since) | ~s["comparable"].astype(bool)]
    ours = share.assign(date=pd.to_datetime(share["date"])).set_index("date")["share_of_strip"] * 100
    s = s[(s["date"] >= ours.index.min()) & (s["date"] <= ours.index.max())]
    if s.empty:
        return pd.DataFrame(columns=cols)
    s["share_pct"] = s["figure"].astype(float)
    s["ours_pct"] = ours.reindex(s["date"]).round(1).to_numpy()
    s["said"] = [f"{float(f):g}% ({d})" for f, d in zip(s["figure"], s["definition"], strict=True)]
    s["compared"] = ["yes" if c else f"no: {r}" for c, r in zip(s["comparable"], s["comparable_reason"], strict=True)]
    return s[cols].reset_index(drop=True)


def share_chart(share: pd.DataFrame, orders: pd.DataFrame | None, *, on: date, source: str,
                statements: pd.DataFrame | None = None, lang: str = i18n.DEFAULT) -> Layered:
    """Share of the Strip under orders over time (cumulative since the chosen start), order dates marked, and
    ``statements`` (:func:`statement_points`) drawn as points on the curve, attributed."""
    _ = chart_words(lang)
    d = share.copy()
    d["date"] = pd.to_datetime(d["date"])
    d["share_pct"] = d["share_of_strip"] * 100
    d["source"] = source
    line = alt.Chart(d).mark_area(line={"color": STATUS_COLOURS["recent"]}, color=STATUS_COLOURS["earlier"],
                                  opacity=0.5, interpolate="step-after").encode(
        x=alt.X("date:T", title=None, axis=date_axis(lang)),
        y=alt.Y("share_pct:Q", title=_("% of the Strip under orders"), scale=alt.Scale(domain=[0, 100]),
                **value_axis(lang)),
        tooltip=[date_tip(d, "date", N_("Date"), lang),
                 alt.Tooltip("share_pct:Q", title=_("% of Strip"), format=".1f"),
                 alt.Tooltip("area_km2:Q", title=_("km²"), format=",.1f"), alt.Tooltip("blocks:Q", title=_("Blocks")),
                 alt.Tooltip("source:N", title=_("Source"))])
    layers = [line]
    if orders is not None and len(orders):
        o = orders.copy()
        o["issued_on"] = pd.to_datetime(o["issued_on"])
        lo, hi = d["date"].min(), d["date"].max()
        o = o[(o["issued_on"] >= lo) & (o["issued_on"] <= hi)]
        if len(o):
            cols = [c for c in ("order_id", "issued_on", "source_name", "block_count", "area_km2") if c in o]
            o = o[cols].copy()
            ticks = alt.Chart(o).mark_tick(color="#1a1a1a", thickness=1.5, size=14).encode(
                x="issued_on:T", y=alt.value(8),
                tooltip=[date_tip(o, "issued_on", N_("Order issued"), lang), alt.Tooltip("order_id:N", title=_("Order"))]
                + ([alt.Tooltip("block_count:Q", title=_("Blocks named"))] if "block_count" in cols else [])
                + [alt.Tooltip("source_name:N", title=_("Source"))])
            layers.append(ticks)
    if statements is not None and len(statements):
        pts = statements.copy()
        same = "compared"
        if lang != i18n.DEFAULT:  # OCHA's reason stays as written; the yes/no in the page's language
            pts["compared_text"] = [_("yes") if c == "yes" else _("no: {reason}").format(reason=str(c)[4:])
                                    for c in pts["compared"]]
            same = "compared_text"
        tips = [date_tip(pts, "date", N_("Stated on"), lang), alt.Tooltip("attributed_to:N", title=_("According to")),
                alt.Tooltip("said:N", title=_("Their figure")), alt.Tooltip("ours_pct:Q", title=_("Ours that day, %")),
                alt.Tooltip(f"{same}:N", title=_("Same definition")), alt.Tooltip("source:N", title=_("Source"))]
        layers.append(alt.Chart(pts).mark_point(size=90, strokeWidth=2, color="#2171b5").encode(
            x="date:T", y="share_pct:Q", tooltip=tips,
            fill=alt.condition(alt.datum.compared == "yes", alt.value("#2171b5"), alt.value("white"))))
    layers.append(_rule(on, lang))
    return alt.layer(*layers).properties(height=260)


def population_chart(pop: pd.DataFrame, names: dict[str, str], *, on: date, lang: str = i18n.DEFAULT) -> Layered:
    """Population by governorate over time, stacked (series ``population_adults_est``); ``names`` by pcode in the
    page's language."""
    _ = chart_words(lang)
    d = pop.copy()
    d["date"] = pd.to_datetime(d["date"])
    d["governorate"] = d["pcode"].map(names).fillna(d["pcode"])
    d["order"] = d["pcode"].map({p: i for i, p in enumerate(GOV_ORDER)})
    d["flag"] = d.get("flag", pd.Series(index=d.index, dtype=object)).fillna("")
    if lang != i18n.DEFAULT:
        d["flag"] = d["flag"].map(lambda f: _(f) if f else f)
    dom = [names.get(p, p) for p in GOV_ORDER]
    area = alt.Chart(d).mark_area(opacity=0.85).encode(
        x=alt.X("date:T", title=None, axis=date_axis(lang)),
        y=alt.Y("value:Q", stack="zero", title=_("Adults (18+), estimate"), **value_axis(lang)),
        color=alt.Color("governorate:N", scale=alt.Scale(domain=dom, range=GOV_COLOURS),
                        sort=dom, legend=alt.Legend(title=_("Governorate (north to south)"), orient="bottom",
                                          **_legend_extra(lang))),
        order=alt.Order("order:Q"),
        tooltip=[date_tip(d, "date", N_("Date"), lang), alt.Tooltip("governorate:N", title=_("Governorate")),
                 alt.Tooltip("value:Q", title=_("Adults (est.)"), format=","), alt.Tooltip("flag:N", title=_("Note")),
                 alt.Tooltip("source:N", title=_("Source"))])
    return alt.layer(area, _rule(on, lang)).properties(height=280)


def casualties_charts(daily: pd.DataFrame, cumulative: pd.DataFrame, *, on: date, lang: str = i18n.DEFAULT
                      ) -> tuple[Layered, Layered]:
    """Daily killed (bars) and cumulative killed (line), drawn one above the other."""
    _ = chart_words(lang)
    a = daily.copy()
    a["date"] = pd.to_datetime(a["date"])
    b = cumulative.copy()
    b["date"] = pd.to_datetime(b["date"])
    bars = alt.Chart(a).mark_bar(color="#525252", width=1.5).encode(
        x=alt.X("date:T", title=None, axis=date_axis(lang)),
        y=alt.Y("value:Q", title=_("Killed per day (reported)"), **value_axis(lang)),
        tooltip=[date_tip(a, "date", N_("Date"), lang),
                 alt.Tooltip("value:Q", title=_("Killed that day"), format=","),
                 alt.Tooltip("source:N", title=_("Source"))])
    reported = _("reported")
    b["reported"] = b["filled"].map({True: _("interpolated between two reports"), False: reported}) \
        if "filled" in b else reported
    filled = (b[b["reported"] != reported] if "filled" in b else b.iloc[0:0]).copy()
    line = alt.Chart(b).mark_line(color="#000000").encode(
        x=alt.X("date:T", title=None, axis=date_axis(lang)),
        y=alt.Y("value:Q", title=_("Killed, cumulative (reported)"), **value_axis(lang)),
        tooltip=[date_tip(b, "date", N_("Date"), lang), alt.Tooltip("value:Q", title=_("Cumulative"), format=","),
                 alt.Tooltip("reported:N", title=_("Value")), alt.Tooltip("source:N", title=_("Source"))])
    marks = alt.Chart(filled).mark_point(shape="circle", size=18, color="#d95f0e", filled=True).encode(
        x="date:T", y="value:Q", tooltip=[date_tip(filled, "date", N_("Date"), lang),
                                          alt.Tooltip("value:Q", title=_("Cumulative (interpolated)"), format=",")])
    return (alt.layer(bars, _rule(on, lang)).properties(height=170),
            alt.layer(line, marks, _rule(on, lang)).properties(height=170))


def imported_series_chart(days: pd.DataFrame, *, on: date, label: str, lang: str = i18n.DEFAULT,
                          period: str | None = None) -> Layered:
    """An imported series (``pipeline.runtime.imports.series_days``): bars per day, stacked by place
    (crossing or governorate; "no place" where the file names none), attributed to the user's file.
    A yearly series (``period`` "year": dates written as a year only) draws each year as one bar spanning it."""
    _ = chart_words(lang)
    d = days.copy()
    d["date"] = pd.to_datetime(d["date"])
    d["place"] = d["place"].astype("string").fillna(_("no place"))
    d["category"] = d["category"].astype("string").fillna("") if "category" in d else ""
    d["qualifier"] = d["qualifier"].astype("string").fillna("") if "qualifier" in d else ""
    d["label"] = label
    unit = ", ".join(sorted(d["unit"].dropna().astype(str).unique())) or _("value")
    yearly = period == "year"
    when = (alt.Tooltip("year(date):O", title=_("Year")) if yearly else date_tip(d, "date", N_("Date"), lang))
    if yearly:
        d["end"] = d["date"] + pd.offsets.YearBegin(1)
    bars = alt.Chart(d).mark_bar().encode(
        x=alt.X("date:T", title=None, axis=date_axis(lang)),
        **({"x2": alt.X2("end:T")} if yearly else {}),
        y=alt.Y("sum(value):Q", title=(_("{unit} per year") if yearly else _("{unit} per day")).format(unit=unit),
                **value_axis(lang)),
        color=alt.Color("place:N", legend=alt.Legend(title=_("Place"), orient="bottom")),
        tooltip=[when, alt.Tooltip("place:N", title=_("Place")),
                 alt.Tooltip("category:N", title=_("Category")), alt.Tooltip("value:Q", title=_("Value"), format=","),
                 alt.Tooltip("qualifier:N", title=_("Qualifier")), alt.Tooltip("unit:N", title=_("Unit")),
                 alt.Tooltip("rows:Q", title=_("Rows in the file")),
                 alt.Tooltip("label:N", title=_("Imported from"))])
    return alt.layer(bars, _rule(on, lang)).properties(height=200)


def trucks_chart(trucks: pd.DataFrame, *, on: date, title: str = N_("Aid trucks per day"),
                 lang: str = i18n.DEFAULT) -> Layered:
    """Aid trucks per day (or month: ``title``, an English message translated here)."""
    _ = chart_words(lang)
    title = _(title)
    d = trucks.copy()
    d["date"] = pd.to_datetime(d["date"])
    bars = alt.Chart(d).mark_bar(color="#2166ac").encode(
        x=alt.X("date:T", title=None, axis=date_axis(lang)), y=alt.Y("value:Q", title=title, **value_axis(lang)),
        tooltip=[date_tip(d, "date", N_("Date"), lang), alt.Tooltip("value:Q", title=title, format=","),
                 alt.Tooltip("unit:N", title=_("Unit")), alt.Tooltip("source:N", title=_("Source"))])
    return alt.layer(bars, _rule(on, lang)).properties(height=200)
