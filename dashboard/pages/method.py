"""Method page: the definition of every metric, the block population method, caveats.

The definitions are the texts of ``pipeline.runtime.metrics`` (marked there for the catalogues), shown in the
page's language; texts from the data (a source's method, the build's notes) are shown as written, marked as
English on the Arabic page.
"""

from __future__ import annotations

import streamlit as st

from dashboard import data, state
from dashboard.html import esc, fmt_date, md
from dashboard.i18n import _, framing_label, framing_words, iso, lang, tr
from dashboard.kpis import definition_text, sources_text
from pipeline.core.i18n import N_
from pipeline.runtime import metrics as pm

AR = lang() == "ar"
SERIES_TITLES = {"killed_cumulative": N_("Killed (cumulative)"), "injured_cumulative": N_("Injured (cumulative)"),
                 "aid_trucks": N_("Aid trucks on the day"), "aid_trucks_month": N_("Aid trucks in the month"),
                 "aid_trucks_cumulative": N_("Aid trucks since 7 Oct 2023")}
LAYER_TITLES = {"governorates": N_("Governorates"), "blocks": N_("Blocks")}


def definition(text: str | None) -> str:
    """A definition from ``pipeline.runtime.metrics`` in the page's language (composed ones from their parts)."""
    return definition_text(text, lang()) if text else _("n/a")


def paragraph(text: str) -> None:
    """A text block: as plain text in English (unchanged); in Arabic as a paragraph (a monospaced face has no
    good Arabic), or, where the text has no translation (data, the build's notes), shown as written, marked English."""
    if not AR:
        st.text(text)
    elif _(text) != text or not any("a" <= c.lower() <= "z" for c in text):
        st.markdown(md(_(text)))
    else:
        st.html(f'<div lang="en" dir="ltr" style="text-align:left">{esc(text)}</div>')


view = state.view()
st.title(_("Method and caveats"))

m = data.metrics(view.on, view.since, view.window)
man = data.manifest(data.bundle_key())
layers = man.get("layers", {})

st.subheader(_("Definitions"))
st.caption(_("The texts below come from the code that computes each figure (pipeline.runtime.metrics), so they "
             "cannot drift from it."))
st.markdown(_("**Framings: what 'since' means, and the default**"))
paragraph(pm.DEF_FRAMING)
if AR:
    st.table([{_("framing"): framing_label(f),
               _("counts orders issued from"): fmt_date(f["since"], lang()) if f["since"] else _("the date you pick"),
               _("what it is"): tr(f["description"])} for f in pm.framings()])
    st.caption(_("This view: orders {framing}.").format(framing=framing_words(view.framing)))
else:
    st.table([{"framing": f["label"], "counts orders issued from": f["since"] or "the date you pick",
               "what it is": f["description"]} for f in pm.framings()])
    st.caption(f"This view: orders {view.framing_words()}.")
if m:
    orders, zone, strikes = m.get("orders") or {}, m.get("zone") or {}, m.get("strikes") or {}
    shares, series = m.get("population_shares") or {}, m.get("series") or {}
    defs = [
        (_("Area under evacuation orders; share of the Strip; blocks; pre-war population in ordered blocks"),
         orders.get("definition"), orders.get("sources")),
        (_("Ordered in the last {days} days").format(days=view.window), (orders.get("recent") or {}).get("definition"),
         (orders.get("recent") or {}).get("sources")),
        (_("Block status on the map"), N_("Recent: named by an order issued in the last N days (N = the window) and "
         "not before 'since'. Earlier: named by an order issued between 'since' and the date, but not recently. "
         "Not ordered: neither."), orders.get("sources")),
        (_("Humanitarian zone"), zone.get("definition"), zone.get("sources")),
        (_("Strikes and incidents; reported deaths"), strikes.get("definition"), strikes.get("sources")),
        (_("Population shares by governorate"), shares.get("definition"), shares.get("sources")),
    ]
    for key, s in series.items():
        if isinstance(s, dict):
            title = _(SERIES_TITLES[key]) if AR and key in SERIES_TITLES else key.replace("_", " ").capitalize()
            defs.append((title, s.get("definition"), s.get("source")))
    for title, text, src in defs:
        st.markdown(f"**{title}**")
        if AR:
            st.markdown(md(definition(text)) + "  \n" + md(_("Source: {sources}").format(sources=iso(sources_text(src)))))
        else:
            st.text(f"{text or 'n/a'}\nSource: {sources_text(src)}")
    if shares.get("method"):
        st.markdown(_("**Population shares: method of the estimate**"))
        paragraph(shares["method"])

st.subheader(_("Pre-war population of blocks"))
st.markdown(_("**Where our estimate and OCHA's differ**"))
paragraph(pm.DEF_POP_GAP)
for name in ("governorates", "blocks"):
    method = (layers.get(name) or {}).get("pop_method")
    if method:
        st.markdown(f"**{tr(LAYER_TITLES[name]) if AR else name.capitalize()}**")
        paragraph(method)

st.subheader(_("Caveats"))
st.markdown(_("""
- **Contested figures.** Casualty counts, population shares and truck counts come from parties to the
  conflict, UN agencies, and independent estimates; they disagree and are revised. The dashboard shows each
  figure with its source and date and never merges two sources into one number.
- **Attribution.** Reported events (the scenario's claims) are shown as *according to* the party the report
  attributes them to; they are drawn on their areas and never counted with the geolocated incidents.
- **Pre-war baseline.** Block and governorate populations are estimates of who lived there *before* the war
  (PCBS mid-2023 spread by the 2017 census). After mass displacement they say how many people's homes an order
  touched, not how many people were there on the date.
- **Orders.** An order counts from its issue date; the sources rarely say when an order was lifted, so the
  cumulative area only grows for a fixed 'since'. A sub-block (e.g. 642.1) covers its own outline where
  GazaMaps' period layers draw one, else its whole parent block. Orders that OCHA or UNRWA reported but no
  source maps are listed beside the figure, never added into it.
- **Incidents are samples.** The incident datasets cover specific categories (health care, education, aid
  workers, protection ...) and are not a count of all strikes.
- **Display only.** Map polygons are simplified (about 15 m) and rounded to 5 decimals for drawing; every
  area is computed on the full geometry in EPSG:32636.
"""))
if AR:
    st.subheader(_("How dates, numbers and names are written"))
    st.markdown(_("Dates: Gregorian, day month year, with the month names used in Palestine (كانون الأول for "
                  "December). Numbers: Western digits (0-9), thousands grouped with a comma and a decimal point "
                  "(1,234.5); percentages as 26%; the unit follows the number (84.3 km²). Place names: Arabic; "
                  "the Latin transliterations remain searchable on the Places page. Source names, licences, "
                  "codes and quoted source text are shown as written."))
