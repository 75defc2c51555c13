"""The view's state: one place for widget keys, defaults, and the URL (query parameters).

The shared sidebar widgets are bound to the URL (``bind="query-params"``, Streamlit >= 1.52), so
``?date=2023-12-05&framing=war&window=7&layers=Blocks&layers=Zone`` (or ``framing=date&since=2023-11-15``)
opens the same view; a value equal to its default is left out of the URL.  Pages read the view through
``view()``.  "Orders since" is a named framing (default: the one OCHA used at the date) or any date; a
date after the view's date is refused at the control with a sentence and the default framing is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any

import streamlit as st

from dashboard import data, map_layers
from dashboard.i18n import _, date_words, framing_label, lang, tr
from pipeline.core.i18n import N_, translator
from pipeline.runtime import metrics

# Widget keys (also the query-parameter names).  Tests find widgets by these keys.
DATE, FRAMING, SINCE, WINDOW, LAYERS, BASEMAP = "date", "framing", "since", "window", "layers", "basemap"
BLOCK = "block"  # the clicked block (session only)
MAP_KEY = "gdm_map"  # st_folium's fixed key
DEFAULT_WINDOW = 7
# The URL carries the option labels (bound widgets write what they show), so they are short words.
LAYER_OPTIONS = {"Boundaries": "boundaries", "Blocks": "blocks", "Zone": "zone", "Incidents": "incidents",
                 "Places": "places", "Claims": "claims"}
BASEMAPS = {"None": "none", "OpenStreetMap": "osm"}
# What the sidebar shows for those URL words (translated where shown; the URL keeps the English words).
LAYER_WORDS = {"Boundaries": N_("Boundaries"), "Blocks": N_("Blocks"), "Zone": N_("Zone"), "Incidents": N_("Incidents"),
               "Places": N_("Places"), "Claims": N_("Claims")}
BASEMAP_WORDS = {"None": N_("None"), "OpenStreetMap": "OpenStreetMap"}  # a name: not translated
# "Orders since": the default (OCHA's framing for the date), each named framing, or any date.
DEFAULT_FRAMING, ANY_DATE = "ocha", "date"
FRAMING_OPTIONS = [DEFAULT_FRAMING] + [f["key"] for f in metrics.framings() if f["key"] != "custom"] + [ANY_DATE]


@dataclass(frozen=True)
class View:
    on: date
    since: date
    window: int
    layers: tuple[str, ...]
    basemap: str
    framing: dict[str, Any] = field(default_factory=dict)
    refused: str = ""  # why a chosen 'since' was not used (a sentence), else ""

    def framing_words(self) -> str:
        """The framing in words: "since the block grid (1 Dec 2023), OCHA's framing for this date"."""
        f = self.framing or {"key": "custom", "since": self.since.isoformat()}
        label = framing_label(f) if f.get("label") or f.get("since") else _("since {date}").format(
            date=date_words(self.since))
        return label + (_(", OCHA's framing for this date") if self.framing.get("default") else "")

    def describe(self) -> str:
        return _("{date} · orders {framing} · incidents in the {days} days to the date").format(
            date=date_words(self.on), framing=self.framing_words(), days=self.window)


def _framing_label(key: str, code: str | None = None) -> str:
    """The option's words in the session's language or ``code`` (format_func runs outside the session in AppTest)."""
    t = translator(code or lang())
    if key == DEFAULT_FRAMING:
        return t(N_("OCHA's framing for the date (default)"))
    if key == ANY_DATE:
        return t(N_("any date…"))
    return next((framing_label(f, code) for f in metrics.framings() if f["key"] == key), key)


def _framing_help() -> str:
    lines = [f"{framing_label(f)}: {tr(f['description'])}" for f in metrics.framings() if f["key"] != "custom"]
    return (_("Start of the cumulative definition: orders issued on or after it and on or before the date count "
              "as 'under orders'. The default is the framing OCHA used at the date ({grid} for December 2023 "
              "and January 2024, {war} before and after).").format(grid=date_words("2023-12-01"),
                                                                   war=date_words("2023-10-07"))
            + " " + " ".join(lines))


def _shift(days: int) -> None:
    lo, hi = data.span()
    cur = st.session_state.get(DATE) or data.default_date()
    st.session_state[DATE] = min(max(cur + timedelta(days=days), lo), hi)


def date_control(where: Any = None, *, row: bool = False) -> None:
    """The date and its ◀ day / day ▶ buttons (key ``date``, in the URL), drawn in ``where`` (the sidebar by
    default; the Map page draws it in its fragment, ``row=True``: one line above the map). The widget's
    identity is its key and format, not its place, so its value carries over between the two places."""
    lo, hi = data.span()
    where = where or st.sidebar
    if row:
        c0, c1, c2, _rest = where.columns([2, 1, 1, 5], vertical_alignment="bottom")
    else:
        c0 = where
        c1, c2 = where.columns(2)
    c0.date_input(_("Date"), value=data.default_date(), min_value=lo, max_value=hi, key=DATE,
                  bind="query-params", format="YYYY-MM-DD",
                  help=_("The map, KPIs and legend show the situation on this date."))
    # Right to left the earlier day's button is on the right: its Arabic label points right ("▶ ...").
    c1.button(_("◀ day"), key="date_prev", on_click=_shift, args=(-1,), width="stretch", help=_("One day earlier"))
    c2.button(_("day ▶"), key="date_next", on_click=_shift, args=(1,), width="stretch", help=_("One day later"))



def _worded(translate: Callable[[str], str], words: Mapping[str, str], key: str) -> str:
    """An option's word in the language the control was drawn in (its URL value stays ``key``)."""
    return translate(words[key])


def sidebar(*, with_date: bool = True) -> View:
    """Draw the shared filters (in app.py, so they persist across pages) and return the view. Without
    ``with_date`` the page draws :func:`date_control` itself (and the refusal of a 'since' after the date)."""
    lo, hi = data.span()
    sb = st.sidebar
    if with_date:
        date_control(sb)
    if FRAMING not in st.session_state and "since" in st.query_params and "framing" not in st.query_params:
        st.session_state[FRAMING] = ANY_DATE  # an older link: ?since=YYYY-MM-DD
    choice = sb.selectbox(_("Orders since"), FRAMING_OPTIONS, key=FRAMING, bind="query-params",
                          format_func=partial(_framing_label, code=lang()), help=_framing_help())
    if choice == ANY_DATE:
        sb.date_input(_("Orders issued on or after"), value=data.default_since(data.default_date()), min_value=lo,
                      max_value=hi, key=SINCE, bind="query-params", format="YYYY-MM-DD",
                      help=_("Any start date for the cumulative definition (not after the date above)."))
    refused = view().refused if with_date else ""
    if refused:
        sb.warning(refused)
    sb.number_input(_("Window (days)"), min_value=1, max_value=60, value=DEFAULT_WINDOW, step=1, key=WINDOW,
                    bind="query-params",
                    help=_("'Ordered in the last N days' and strikes/incidents: the N days ending on the date."))
    sb.multiselect(_("Layers"), options=list(LAYER_OPTIONS), default=list(LAYER_OPTIONS), key=LAYERS,
                   bind="query-params", format_func=partial(_worded, translator(lang()), LAYER_WORDS),
                   help=_("Each layer has a legend entry on the map.") + " "
                        + _("; ").join(f"{tr(LAYER_WORDS[k])}: {tr(map_layers.LAYERS[v])}"
                                       for k, v in LAYER_OPTIONS.items()) + ".")
    sb.radio(_("Basemap"), options=list(BASEMAPS), key=BASEMAP, index=0, bind="query-params", horizontal=True,
             format_func=partial(_worded, translator(lang()), BASEMAP_WORDS),
             help=_("Tiles are optional decoration (OpenStreetMap needs internet); the layers read on a plain "
                    "background without them."))
    return view()


def _since(on: date) -> tuple[date | str | None, str]:
    """(what to ask the metrics for: None for the default framing, a framing key or a date; refusal sentence)."""
    ss = st.session_state
    choice = ss.get(FRAMING) or DEFAULT_FRAMING
    if choice == DEFAULT_FRAMING:
        return None, ""
    if choice != ANY_DATE:
        start = next((date.fromisoformat(str(f["since"])) for f in metrics.framings() if f["key"] == choice), None)
        if start is not None and start > on:
            return None, _("'{framing}' starts after {date}: showing OCHA's framing for the date instead. Pick a "
                           "later date or another start.").format(framing=_framing_label(choice), date=date_words(on))
        return choice, ""
    picked = ss.get(SINCE) or data.default_since(on)
    if picked > on:
        return None, _("'Orders issued on or after {since}' is after the date ({date}): showing OCHA's framing for "
                       "the date instead. Pick a start on or before the date.").format(since=date_words(picked),
                                                                                      date=date_words(on))
    return picked, ""


def view(on: date | None = None) -> View:
    """The view the sidebar holds; with ``on``, the same choices on another date (framing resolved for it)."""
    ss = st.session_state
    on = on or ss.get(DATE) or data.default_date()
    asked, refused = _since(on)
    framing = metrics.resolve_framing(on, asked)
    since = date.fromisoformat(str(framing["since"]))
    window = int(ss.get(WINDOW) or DEFAULT_WINDOW)
    chosen = ss.get(LAYERS)
    layers = tuple(map_layers.DEFAULT_LAYERS) if chosen is None else tuple(LAYER_OPTIONS[c] for c in chosen
                                                                       if c in LAYER_OPTIONS)
    return View(on=on, since=since, window=window, layers=layers,
                basemap=BASEMAPS.get(ss.get(BASEMAP) or "None", "none"), framing=framing, refused=refused)


def selected_block() -> int | None:
    return st.session_state.get(BLOCK)


def select_block(block_id: int | None) -> None:
    st.session_state[BLOCK] = block_id
