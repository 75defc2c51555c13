"""Data page section: imported ACLED layers by governorate and month (table, chart, CSV of the aggregates).

The counts come from ``pipeline.runtime.acled_views`` (aggregates only: ACLED's terms forbid passing its rows
on, so no event-level field reaches the table or the download). :func:`monthly_chart` has no streamlit call.

In Arabic, ACLED's event and sub-event types are ACLED's own terms: shown as written (isolated) with an Arabic
gloss beside them (:data:`ACLED_GLOSS`); ACLED's attribution stays as ACLED asks for it, marked English. The CSV
keeps the data's own (English) values.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.charts import GOV_COLOURS, GOV_ORDER, RLM, chart_words, value_axis
from dashboard.html import md
from dashboard.i18n import _, date_words, iso, lang, missing_mark, tr
from pipeline.core import i18n
from pipeline.core.i18n import N_
from pipeline.core.layers import PCODES, PCODES_AR
from pipeline.runtime import acled_views, workspace
from pipeline.runtime.readers.acled import acled_attribution, attribution_in

NO_GOV = N_("no governorate")
# ACLED's event types and sub-event types (its codebook), each with an Arabic gloss shown beside the term.
ACLED_GLOSS = {
    "Battles": N_("battles"), "Explosions/Remote violence": N_("explosions and remote violence"),
    "Violence against civilians": N_("violence against civilians"), "Protests": N_("protests"),
    "Riots": N_("riots"), "Strategic developments": N_("strategic developments"),
    "Armed clash": N_("armed clash"), "Government regains territory": N_("government regains territory"),
    "Non-state actor overtakes territory": N_("non-state actor overtakes territory"),
    "Air/drone strike": N_("air or drone strike"), "Shelling/artillery/missile attack": N_("shelling, artillery or "
                                                                                             "missile attack"),
    "Remote explosive/landmine/IED": N_("remote explosive, landmine or IED"), "Grenade": N_("grenade"),
    "Suicide bomb": N_("suicide bomb"), "Chemical weapon": N_("chemical weapon"), "Attack": N_("attack"),
    "Abduction/forced disappearance": N_("abduction or forced disappearance"), "Sexual violence": N_("sexual violence"),
    "Peaceful protest": N_("peaceful protest"), "Protest with intervention": N_("protest with intervention"),
    "Excessive force against protesters": N_("excessive force against protesters"),
    "Violent demonstration": N_("violent demonstration"), "Mob violence": N_("mob violence"),
    "Agreement": N_("agreement"), "Arrests": N_("arrests"), "Change to group/activity": N_("change to group or activity"),
    "Disrupted weapons use": N_("disrupted weapons use"),
    "Headquarters or base established": N_("headquarters or base established"),
    "Looting/property destruction": N_("looting or property destruction"),
    "Non-violent transfer of territory": N_("non-violent transfer of territory"), "Other": N_("other"),
}
# The aggregate table's columns as labels on the Arabic page.
COLUMN_LABELS = {"month": N_("Month"), "pcode": N_("pcode"), "governorate": N_("Governorate"),
                 "events": N_("Events"), "fatalities": N_("Reported fatalities"),
                 "events with a fatality figure": N_("events with a fatality figure")}


def term(name: str, code: str = i18n.DEFAULT) -> str:
    """An ACLED term as written; in another language isolated, with the gloss beside it ("Battles (معارك)")."""
    if code == i18n.DEFAULT:
        return name
    gloss = i18n.translate(ACLED_GLOSS[name], code) if name in ACLED_GLOSS else ""
    return f"{i18n.isolate(name)} ({gloss})" if gloss else i18n.isolate(name)


def _in_language(table: pd.DataFrame, code: str) -> pd.DataFrame:
    """The aggregates with governorates and months written in ``code`` (for the chart and the table on screen)."""
    months = i18n.month_names(code)
    return table.assign(
        governorate=table["pcode"].astype("object").map(PCODES_AR).fillna(i18n.translate(NO_GOV, code)),
        month=[f"{months[int(m[5:7]) - 1]} {m[:4]}" for m in table["month"]])


def monthly_chart(table: pd.DataFrame, *, title: str, caption: str, lang: str = i18n.DEFAULT) -> alt.Chart:
    """Events per calendar month, one coloured line per governorate; the source as the chart's subtitle. In
    another language ``table`` holds its governorate names (:func:`_in_language`) and the title is anchored right."""
    _ = chart_words(lang)
    frame = table.assign(month_start=pd.to_datetime(table["month"] + "-01") if lang == i18n.DEFAULT
                         else pd.to_datetime(table["month_iso"] + "-01"))
    names = ([PCODES[p] for p in GOV_ORDER] if lang == i18n.DEFAULT else [PCODES_AR[p] for p in GOV_ORDER]) \
        + [_(NO_GOV)]
    axis = alt.Axis(format="%b %Y", tickCount="month")
    if lang != i18n.DEFAULT:
        months = "[" + ",".join(f"'{m}'" for m in i18n.month_names(lang)) + "]"
        axis = alt.Axis(format="%b %Y", tickCount="month",
                        labelExpr=f"{months}[month(datum.value)] + ' ' + year(datum.value)")
    if lang != i18n.DEFAULT:  # isolates are for HTML; a right-to-left mark ends the line in Vega's SVG text
        title, caption = title + RLM, caption.replace(i18n.LRI, "").replace(i18n.PDI, "") + RLM
    chart: alt.Chart = alt.Chart(frame, title=alt.TitleParams(
        title, subtitle=[caption], anchor="start" if lang == i18n.DEFAULT else "end")).mark_line(point=True).encode(
        x=alt.X("month_start:T", title=_("Month (event_date)"), axis=axis),
        y=alt.Y("events:Q", title=_("Events (count)"), **value_axis(lang)),
        color=alt.Color("governorate:N", title=_("Governorate"),
                        scale=alt.Scale(domain=names, range=[*GOV_COLOURS, "#999999"])),
        tooltip=[alt.Tooltip("month:N", title=_("Month")), alt.Tooltip("governorate:N", title=_("Governorate")),
                 alt.Tooltip("events:Q", title=_("Events")),
                 alt.Tooltip("fatalities:Q", title=_("Reported fatalities"))])
    return chart


def _source_caption(entry: dict[str, Any]) -> str:
    """:func:`acled_views.source_caption` in the page's language (the file and ACLED's terms as written)."""
    if lang() == i18n.DEFAULT:
        return acled_views.source_caption(entry)
    when = str(entry.get("imported_at") or "")[:10]
    return _("ACLED, imported by you from {file} on {date}; political violence = {types}, as ACLED defines it.").format(
        file=iso(entry.get("origin") or entry.get("name")), date=date_words(when) if when else _("an unknown date"),
        types="، ".join(term(t, lang()) for t in acled_views.POLITICAL_VIOLENCE))


def _precision_sentence(note: dict[str, Any]) -> str:
    """The note of :func:`acled_views.precision_note` in the page's language."""
    if lang() == i18n.DEFAULT:
        return str(note["sentence"])
    n = lang()
    points = note.get("distinct_points")
    return _("{coarse} of {known} events ({pct}%) are placed at the town or district level (ACLED geo_precision 2 or "
             "3){points}: their block is where ACLED puts the town or district, not where the event happened. Read "
             "the counts by governorate, not by block.").format(
        coarse=i18n.number_text(note["coarse"], n), known=i18n.number_text(note["known"], n),
        pct=f"{100 * note['share']:.0f}",
        points=_(", at {n} distinct points").format(n=i18n.number_text(points, n)) if points else "")


def render_acled_monthly() -> None:
    """Pick an imported ACLED layer and its event types; show the monthly aggregates by governorate."""
    code = lang()
    ar = code != i18n.DEFAULT
    layers = [e for e in data.workspace_entries() if e.get("acled")]
    st.subheader(_("ACLED by governorate and month"))
    if not layers:
        st.caption(_("Import your own ACLED export above to see its events by governorate and month, to compare "
                     "with ACLED's published monthly aggregates (political violence by governorate and month, on "
                     "HDX)."))
        return
    names = [e["name"] for e in layers]
    name = st.selectbox(_("ACLED layer"), names, key="gdm_acled_layer", format_func=iso)
    entry: dict[str, Any] = next(e for e in layers if e["name"] == name)
    frame = workspace.load(name)
    types = acled_views.types_of(frame)
    shown = (lambda t: term(t, code)) if ar else str
    if not types:
        st.warning(_("This layer was imported without ACLED's event types: import the export again to filter by "
                     "them."))
        chosen_types = chosen_subs = None
    else:
        default = [t for t in acled_views.POLITICAL_VIOLENCE if t in types] or list(types)
        chosen_types = st.multiselect(_("Event type"), list(types), default=default, key="gdm_acled_types",
                                      help=_("The default is political violence as ACLED defines it."),
                                      format_func=shown)
        subs = sorted({s for t in chosen_types for s in types[t]})
        chosen_subs = st.multiselect(_("Sub-event type"), subs, default=subs,  # all of the chosen types' by default
                                     key="gdm_acled_subs:" + "|".join(sorted(chosen_types)), format_func=shown)
    table = acled_views.monthly(frame, chosen_types, chosen_subs)
    caption = _source_caption(entry)
    note = acled_views.precision_note(acled_views.select(frame, chosen_types, chosen_subs))
    if table.empty:
        st.info(_("No event of the chosen types in this layer."))
        return
    what = (", " if not ar else "، ").join(map(shown, chosen_types)) if chosen_types else _("all event types")
    title = _("ACLED events per month by governorate: {types}").format(types=what)
    on_screen = table.assign(month_iso=table["month"]).pipe(_in_language, code) if ar else table
    st.altair_chart(monthly_chart(on_screen, title=title, caption=caption, lang=code), width="stretch")
    shown_table = on_screen.drop(columns=["month_iso"], errors="ignore").rename(
        columns={"fatalities_reported": "events with a fatality figure"})
    st.dataframe(shown_table, hide_index=True, width="stretch", placeholder=missing_mark(),
                 column_config={k: tr(v) for k, v in COLUMN_LABELS.items()} if ar else None)
    st.download_button(_("Download these monthly aggregates (CSV)"), data=acled_views.monthly_csv(table),
                       file_name=f"{name}-monthly-by-governorate.csv", mime="text/csv", key="gdm_acled_monthly_csv")
    st.caption(md(f"{caption} {tr(acled_views.DEF_MONTHLY)}"))
    if note and note["sentence"]:
        st.warning(md(_precision_sentence(note)))
    st.caption(md(attribution_in(acled_attribution, lang())) + " "
               + _("Only these aggregates are offered for download, never ACLED's rows."))
