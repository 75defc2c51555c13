"""The view's state: one place for widget keys, defaults, and the URL (query parameters).

The shared sidebar widgets are bound to the URL (``bind="query-params"``, Streamlit >= 1.52), so
``?date=2023-12-05&since=2023-12-01&window=7&layers=Blocks&layers=Zone`` opens the same view; a
value equal to its default is left out of the URL.  Pages read the view through ``view()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from dashboard import data
from dashboard import map_layers

# Widget keys (also the query-parameter names).  Tests find widgets by these keys.
DATE, SINCE, WINDOW, LAYERS, BASEMAP = "date", "since", "window", "layers", "basemap"
BLOCK = "block"  # the clicked block (session only)
MAP_KEY = "gdm_map"  # st_folium's fixed key
DEFAULT_WINDOW = 7
# The URL carries the option labels (bound widgets write what they show), so they are short words.
LAYER_OPTIONS = {"Boundaries": "boundaries", "Blocks": "blocks", "Zone": "zone", "Incidents": "incidents",
                 "Places": "places", "Claims": "claims"}
BASEMAPS = {"None": "none", "OpenStreetMap": "osm"}


@dataclass(frozen=True)
class View:
    on: date
    since: date
    window: int
    layers: tuple[str, ...]
    basemap: str

    def describe(self) -> str:
        return (f"{self.on:%-d %b %Y} · orders since {self.since:%-d %b %Y} · "
                f"incidents in the {self.window} days to the date")


def _shift(days: int) -> None:
    lo, hi = data.span()
    cur = st.session_state.get(DATE) or data.default_date()
    st.session_state[DATE] = min(max(cur + timedelta(days=days), lo), hi)


def sidebar() -> View:
    """Draw the shared filters (in app.py, so they persist across pages) and return the view."""
    lo, hi = data.span()
    sb = st.sidebar
    sb.date_input("Date", value=data.default_date(), min_value=lo, max_value=hi, key=DATE,
                  bind="query-params", format="YYYY-MM-DD",
                  help="The map, KPIs and legend show the situation on this date.")
    c1, c2 = sb.columns(2)
    c1.button("◀ day", key="date_prev", on_click=_shift, args=(-1,), width="stretch",
              help="One day earlier")
    c2.button("day ▶", key="date_next", on_click=_shift, args=(1,), width="stretch", help="One day later")
    sb.date_input("Orders since", value=data.default_since(), min_value=lo, max_value=hi, key=SINCE,
                  bind="query-params", format="YYYY-MM-DD",
                  help="Start of the cumulative definition: orders issued on or after this date and on or "
                       "before the date count as 'under orders'. Default: the block grid's publication.")
    sb.number_input("Window (days)", min_value=1, max_value=60, value=DEFAULT_WINDOW, step=1, key=WINDOW,
                    bind="query-params",
                    help="'Ordered in the last N days' and strikes/incidents: the N days ending on the date.")
    sb.multiselect("Layers", options=list(LAYER_OPTIONS), default=list(LAYER_OPTIONS), key=LAYERS,
                   bind="query-params",
                   help="Each layer has a legend entry on the map. "
                        + "; ".join(f"{k}: {map_layers.LAYERS[v]}" for k, v in LAYER_OPTIONS.items()) + ".")
    sb.radio("Basemap", options=list(BASEMAPS), key=BASEMAP, index=0, bind="query-params", horizontal=True,
             help="Tiles are optional decoration (OpenStreetMap needs internet); the layers read on a plain "
                  "background without them.")
    return view()


def view() -> View:
    ss = st.session_state
    on = ss.get(DATE) or data.default_date()
    since = ss.get(SINCE) or data.default_since()
    window = int(ss.get(WINDOW) or DEFAULT_WINDOW)
    chosen = ss.get(LAYERS)
    layers = tuple(map_layers.DEFAULT_LAYERS) if chosen is None else tuple(LAYER_OPTIONS[c] for c in chosen
                                                                       if c in LAYER_OPTIONS)
    return View(on=on, since=since, window=window, layers=layers,
                basemap=BASEMAPS.get(ss.get(BASEMAP) or "None", "none"))


def selected_block() -> int | None:
    return st.session_state.get(BLOCK)


def select_block(block_id: int | None) -> None:
    st.session_state[BLOCK] = block_id
