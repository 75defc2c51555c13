"""Method page: the definition of every metric, the block population method, caveats."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state
from dashboard.kpis import sources_text
from pipeline.runtime import metrics as pm

view = state.view()
st.title("Method and caveats")

m = data.metrics(view.on, view.since, view.window)
man = data.manifest(data.bundle_key())
layers = man.get("layers", {})

st.subheader("Definitions")
st.caption("The texts below come from the code that computes each figure (pipeline.runtime.metrics), so they "
           "cannot drift from it.")
st.markdown("**Framings: what 'since' means, and the default**")
st.text(pm.DEF_FRAMING)
st.table([{"framing": f["label"], "counts orders issued from": f["since"] or "the date you pick",
           "what it is": f["description"]} for f in pm.framings()])
st.caption(f"This view: orders {view.framing_words()}.")
if m:
    orders, zone, strikes = m.get("orders") or {}, m.get("zone") or {}, m.get("strikes") or {}
    shares, series = m.get("population_shares") or {}, m.get("series") or {}
    defs = [
        ("Area under evacuation orders; share of the Strip; blocks; pre-war population in ordered blocks",
         orders.get("definition"), orders.get("sources")),
        (f"Ordered in the last {view.window} days", (orders.get("recent") or {}).get("definition"),
         (orders.get("recent") or {}).get("sources")),
        ("Block status on the map", "Recent: named by an order issued in the last N days (N = the window) and "
         "not before 'since'. Earlier: named by an order issued between 'since' and the date, but not recently. "
         "Not ordered: neither.", orders.get("sources")),
        ("Humanitarian zone", zone.get("definition"), zone.get("sources")),
        ("Strikes and incidents; reported deaths", strikes.get("definition"), strikes.get("sources")),
        ("Population shares by governorate", shares.get("definition"), shares.get("sources")),
    ]
    for key, s in series.items():
        if isinstance(s, dict):
            defs.append((key.replace("_", " ").capitalize(), s.get("definition"), s.get("source")))
    for title, definition, src in defs:
        st.markdown(f"**{title}**")
        st.text(f"{definition or 'n/a'}\nSource: {sources_text(src)}")
    if shares.get("method"):
        st.markdown("**Population shares: method of the estimate**")
        st.text(shares["method"])

st.subheader("Pre-war population of blocks")
st.markdown("**Where our estimate and OCHA's differ**")
st.text(pm.DEF_POP_GAP)
for name in ("governorates", "blocks"):
    method = (layers.get(name) or {}).get("pop_method")
    if method:
        st.markdown(f"**{name.capitalize()}**")
        st.text(method)

st.subheader("Caveats")
st.markdown("""
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
""")
