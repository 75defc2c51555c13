"""altair chart builders for the Timeline page (no streamlit import).

Every chart's tooltip shows the value, its date and its source; the selected date is a rule.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from pipeline.core.palette import STATUS_COLOURS

# Okabe-Ito (colour-blind safe) for the five governorates, north to south.
GOV_ORDER = ["PS0255", "PS0260", "PS0265", "PS0270", "PS0275"]
GOV_COLOURS = ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00"]

# Month and year on every date axis: the series span 2023-2026, so "December" alone is ambiguous.
DATE_AXIS = alt.Axis(format="%b %Y", labelOverlap=True)

# What ``alt.layer`` returns: a LayerChart, or a FacetChart when every layer has the same facet encoding.
Layered = alt.LayerChart | alt.FacetChart


def _rule(on: date) -> alt.Chart:
    rule: alt.Chart = alt.Chart(pd.DataFrame({"date": [pd.Timestamp(on)], "label": ["selected date"]})).mark_rule(
        color="#444", strokeDash=[4, 3]).encode(x="date:T", tooltip=[alt.Tooltip("date:T", title="Selected date")])
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
                statements: pd.DataFrame | None = None) -> Layered:
    """Share of the Strip under orders over time (cumulative since the chosen start), order dates marked, and
    ``statements`` (:func:`statement_points`) drawn as points on the curve, attributed."""
    d = share.copy()
    d["date"] = pd.to_datetime(d["date"])
    d["share_pct"] = d["share_of_strip"] * 100
    d["source"] = source
    line = alt.Chart(d).mark_area(line={"color": STATUS_COLOURS["recent"]}, color=STATUS_COLOURS["earlier"],
                                  opacity=0.5, interpolate="step-after").encode(
        x=alt.X("date:T", title=None, axis=DATE_AXIS),
        y=alt.Y("share_pct:Q", title="% of the Strip under orders", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("share_pct:Q", title="% of Strip", format=".1f"),
                 alt.Tooltip("area_km2:Q", title="km²", format=",.1f"), alt.Tooltip("blocks:Q", title="Blocks"),
                 alt.Tooltip("source:N", title="Source")])
    layers = [line]
    if orders is not None and len(orders):
        o = orders.copy()
        o["issued_on"] = pd.to_datetime(o["issued_on"])
        lo, hi = d["date"].min(), d["date"].max()
        o = o[(o["issued_on"] >= lo) & (o["issued_on"] <= hi)]
        if len(o):
            cols = [c for c in ("order_id", "issued_on", "source_name", "block_count", "area_km2") if c in o]
            ticks = alt.Chart(o[cols]).mark_tick(color="#1a1a1a", thickness=1.5, size=14).encode(
                x="issued_on:T", y=alt.value(8),
                tooltip=[alt.Tooltip("issued_on:T", title="Order issued"), alt.Tooltip("order_id:N", title="Order")]
                + ([alt.Tooltip("block_count:Q", title="Blocks named")] if "block_count" in cols else [])
                + [alt.Tooltip("source_name:N", title="Source")])
            layers.append(ticks)
    if statements is not None and len(statements):
        tips = [alt.Tooltip("date:T", title="Stated on"), alt.Tooltip("attributed_to:N", title="According to"),
                alt.Tooltip("said:N", title="Their figure"), alt.Tooltip("ours_pct:Q", title="Ours that day, %"),
                alt.Tooltip("compared:N", title="Same definition"), alt.Tooltip("source:N", title="Source")]
        layers.append(alt.Chart(statements).mark_point(size=90, strokeWidth=2, color="#2171b5").encode(
            x="date:T", y="share_pct:Q", tooltip=tips,
            fill=alt.condition(alt.datum.compared == "yes", alt.value("#2171b5"), alt.value("white"))))
    layers.append(_rule(on))
    return alt.layer(*layers).properties(height=260)


def population_chart(pop: pd.DataFrame, names: dict[str, str], *, on: date) -> Layered:
    """Population by governorate over time, stacked (series ``population_adults_est``)."""
    d = pop.copy()
    d["date"] = pd.to_datetime(d["date"])
    d["governorate"] = d["pcode"].map(names).fillna(d["pcode"])
    d["order"] = d["pcode"].map({p: i for i, p in enumerate(GOV_ORDER)})
    d["flag"] = d.get("flag", pd.Series(index=d.index, dtype=object)).fillna("")
    dom = [names.get(p, p) for p in GOV_ORDER]
    area = alt.Chart(d).mark_area(opacity=0.85).encode(
        x=alt.X("date:T", title=None, axis=DATE_AXIS),
        y=alt.Y("value:Q", stack="zero", title="Adults (18+), estimate"),
        color=alt.Color("governorate:N", scale=alt.Scale(domain=dom, range=GOV_COLOURS),
                        sort=dom, legend=alt.Legend(title="Governorate (north to south)", orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("governorate:N", title="Governorate"),
                 alt.Tooltip("value:Q", title="Adults (est.)", format=","), alt.Tooltip("flag:N", title="Note"),
                 alt.Tooltip("source:N", title="Source")])
    return alt.layer(area, _rule(on)).properties(height=280)


def casualties_charts(daily: pd.DataFrame, cumulative: pd.DataFrame, *, on: date
                      ) -> tuple[Layered, Layered]:
    """Daily killed (bars) and cumulative killed (line), drawn one above the other."""
    a = daily.copy()
    a["date"] = pd.to_datetime(a["date"])
    b = cumulative.copy()
    b["date"] = pd.to_datetime(b["date"])
    bars = alt.Chart(a).mark_bar(color="#525252", width=1.5).encode(
        x=alt.X("date:T", title=None, axis=DATE_AXIS), y=alt.Y("value:Q", title="Killed per day (reported)"),
        tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("value:Q", title="Killed that day", format=","),
                 alt.Tooltip("source:N", title="Source")])
    b["reported"] = b["filled"].map({True: "interpolated between two reports", False: "reported"}) \
        if "filled" in b else "reported"
    line = alt.Chart(b).mark_line(color="#000000").encode(
        x=alt.X("date:T", title=None, axis=DATE_AXIS), y=alt.Y("value:Q", title="Killed, cumulative (reported)"),
        tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("value:Q", title="Cumulative", format=","),
                 alt.Tooltip("reported:N", title="Value"), alt.Tooltip("source:N", title="Source")])
    filled = b[b["reported"] != "reported"] if "filled" in b else b.iloc[0:0]
    marks = alt.Chart(filled).mark_point(shape="circle", size=18, color="#d95f0e", filled=True).encode(
        x="date:T", y="value:Q", tooltip=[alt.Tooltip("date:T", title="Date"),
                                          alt.Tooltip("value:Q", title="Cumulative (interpolated)", format=",")])
    return (alt.layer(bars, _rule(on)).properties(height=170),
            alt.layer(line, marks, _rule(on)).properties(height=170))


def imported_series_chart(days: pd.DataFrame, *, on: date, label: str) -> Layered:
    """An imported series (``pipeline.runtime.imports.series_days``): bars per day, stacked by place
    (crossing or governorate; "no place" where the file names none), attributed to the user's file."""
    d = days.copy()
    d["date"] = pd.to_datetime(d["date"])
    d["place"] = d["place"].astype("string").fillna("no place")
    d["category"] = d["category"].astype("string").fillna("") if "category" in d else ""
    d["qualifier"] = d["qualifier"].astype("string").fillna("") if "qualifier" in d else ""
    d["label"] = label
    unit = ", ".join(sorted(d["unit"].dropna().astype(str).unique())) or "value"
    bars = alt.Chart(d).mark_bar().encode(
        x=alt.X("date:T", title=None, axis=DATE_AXIS), y=alt.Y("sum(value):Q", title=f"{unit} per day"),
        color=alt.Color("place:N", legend=alt.Legend(title="Place", orient="bottom")),
        tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("place:N", title="Place"),
                 alt.Tooltip("category:N", title="Category"), alt.Tooltip("value:Q", title="Value", format=","),
                 alt.Tooltip("qualifier:N", title="Qualifier"), alt.Tooltip("unit:N", title="Unit"),
                 alt.Tooltip("rows:Q", title="Rows in the file"), alt.Tooltip("label:N", title="Imported from")])
    return alt.layer(bars, _rule(on)).properties(height=200)


def trucks_chart(trucks: pd.DataFrame, *, on: date, title: str = "Aid trucks per day") -> Layered:
    d = trucks.copy()
    d["date"] = pd.to_datetime(d["date"])
    bars = alt.Chart(d).mark_bar(color="#2166ac").encode(
        x=alt.X("date:T", title=None, axis=DATE_AXIS), y=alt.Y("value:Q", title=title),
        tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("value:Q", title=title, format=","),
                 alt.Tooltip("unit:N", title="Unit"), alt.Tooltip("source:N", title="Source")])
    return alt.layer(bars, _rule(on)).properties(height=200)
