"""Data page section: imported ACLED layers by governorate and month (table, chart, CSV of the aggregates).

The counts come from ``pipeline.runtime.acled_views`` (aggregates only: ACLED's terms forbid passing its rows
on, so no event-level field reaches the table or the download). :func:`monthly_chart` has no streamlit call.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.charts import GOV_COLOURS, GOV_ORDER
from dashboard.html import md
from pipeline.core.layers import PCODES
from pipeline.runtime import acled_views, workspace
from pipeline.runtime.readers.acled import acled_attribution


def monthly_chart(table: pd.DataFrame, *, title: str, caption: str) -> alt.Chart:
    """Events per calendar month, one coloured line per governorate; the source as the chart's subtitle."""
    frame = table.assign(month_start=pd.to_datetime(table["month"] + "-01"))
    names = [PCODES[p] for p in GOV_ORDER] + ["no governorate"]
    chart: alt.Chart = alt.Chart(frame, title=alt.TitleParams(title, subtitle=[caption], anchor="start")).mark_line(
        point=True).encode(
        x=alt.X("month_start:T", title="Month (event_date)", axis=alt.Axis(format="%b %Y", tickCount="month")),
        y=alt.Y("events:Q", title="Events (count)"),
        color=alt.Color("governorate:N", title="Governorate",
                        scale=alt.Scale(domain=names, range=[*GOV_COLOURS, "#999999"])),
        tooltip=[alt.Tooltip("month:N", title="Month"), alt.Tooltip("governorate:N", title="Governorate"),
                 alt.Tooltip("events:Q", title="Events"), alt.Tooltip("fatalities:Q", title="Reported fatalities")])
    return chart


def render_acled_monthly() -> None:
    """Pick an imported ACLED layer and its event types; show the monthly aggregates by governorate."""
    layers = [e for e in data.workspace_entries() if e.get("acled")]
    st.subheader("ACLED by governorate and month")
    if not layers:
        st.caption("Import your own ACLED export above to see its events by governorate and month, to compare with "
                   "ACLED's published monthly aggregates (political violence by governorate and month, on HDX).")
        return
    names = [e["name"] for e in layers]
    name = st.selectbox("ACLED layer", names, key="gdm_acled_layer")
    entry: dict[str, Any] = next(e for e in layers if e["name"] == name)
    frame = workspace.load(name)
    types = acled_views.types_of(frame)
    if not types:
        st.warning("This layer was imported without ACLED's event types: import the export again to filter by them.")
        chosen_types = chosen_subs = None
    else:
        default = [t for t in acled_views.POLITICAL_VIOLENCE if t in types] or list(types)
        chosen_types = st.multiselect("Event type", list(types), default=default, key="gdm_acled_types",
                                      help="The default is political violence as ACLED defines it.")
        subs = sorted({s for t in chosen_types for s in types[t]})
        chosen_subs = st.multiselect("Sub-event type", subs, default=subs,  # all of the chosen types' by default
                                     key="gdm_acled_subs:" + "|".join(sorted(chosen_types)))
    table = acled_views.monthly(frame, chosen_types, chosen_subs)
    caption = acled_views.source_caption(entry)
    note = acled_views.precision_note(acled_views.select(frame, chosen_types, chosen_subs))
    if table.empty:
        st.info("No event of the chosen types in this layer.")
        return
    what = ", ".join(chosen_types) if chosen_types else "all event types"
    st.altair_chart(monthly_chart(table, title=f"ACLED events per month by governorate: {what}", caption=caption),
                    width="stretch")
    st.dataframe(table.rename(columns={"fatalities_reported": "events with a fatality figure"}), hide_index=True,
                 width="stretch")
    st.download_button("Download these monthly aggregates (CSV)", data=acled_views.monthly_csv(table),
                       file_name=f"{name}-monthly-by-governorate.csv", mime="text/csv", key="gdm_acled_monthly_csv")
    st.caption(md(f"{caption} {acled_views.DEF_MONTHLY}"))
    if note and note["sentence"]:
        st.warning(md(note["sentence"]))
    st.caption(md(acled_attribution) + " Only these aggregates are offered for download, never ACLED's rows.")
