"""Map page: KPIs for the date, the map (blocks by status, zone, incidents, places, claims), block history.

Everything that depends on the date is drawn by one fragment (``dated``), the date control with it (above
the map; the other pages keep it in the sidebar): a date change, a block click or a paused playback reruns
that fragment only, so the sidebar, the navigation and the title are neither redrawn nor sent again.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, map_component, state
from dashboard.html import bidi, esc, fmt_date, fmt_int, is_missing, link, md, rtl
from dashboard.i18n import _, dir_attr, is_rtl, lang
from dashboard.kpis import (
    claims_list,
    disagreements_list,
    kpis,
    population_comparison,
    reference_line,
    reported_unmapped_list,
    with_your_orders_line,
)
from dashboard.map_draw import build_map
from dashboard.map_layers import status_labels
from dashboard.order_cards import order_cards
from pipeline.core import settings
from pipeline.core.i18n import N_
from pipeline.runtime import sitrep
from pipeline.runtime.readers.acled import acled_attribution
from pipeline.runtime.sitrep_map import MAP_LAYERS

# On a narrow screen (a phone) the map comes first, under the title, and the KPIs follow it: the page's blocks
# are a flex column, so CSS reorders them without changing the desktop layout.
NARROW_CSS = """<style>
@media (max-width: 640px) {
  .st-key-gdm_head, [data-testid="stLayoutWrapper"]:has(> .st-key-gdm_head) { order: -2; }
  .st-key-gdm_head h1 { font-size: 1.5rem; padding-top: 0; }
  .st-key-gdm_date, [data-testid="stLayoutWrapper"]:has(> .st-key-gdm_date) { order: -2; }
  .st-key-gdm_map_block, [data-testid="stLayoutWrapper"]:has(> .st-key-gdm_map_block) { order: -1; }
}
</style>"""
st.html(NARROW_CSS)
with st.container(key="gdm_head"):
    st.title(_("Evacuation orders, zones and strikes"))


def _report_base_url() -> str | None:
    """The address this dashboard is served at (for the report's "same view" link), else the setting."""
    url = str(getattr(st.context, "url", "") or "")
    return url.split("?")[0].rsplit("/", 1)[0] + "/" if url.startswith(("http://", "https://")) else None


# The report's languages by their names: each in its own script on the English page (as the sidebar's switch),
# both in Arabic on the Arabic page.
REPORT_LANGUAGES = {"en": N_("English"), "ar": "العربية"}


def report_language(code: str) -> str:
    return _(REPORT_LANGUAGES[code]) if is_rtl() else REPORT_LANGUAGES[code]


@st.fragment
def report_download(view: state.View) -> None:
    """The current view as a one-page PDF (``pipeline.runtime.sitrep``), drawn only when asked for."""
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    chosen = c1.segmented_control(_("Report language"), list(REPORT_LANGUAGES), default=lang(),
                                  format_func=report_language, key="gdm_report_lang")
    code = "ar" if chosen == "ar" else "en"
    layers = [x for x in view.layers if x in MAP_LAYERS]
    c2.download_button(
        _("Situation report (PDF)"), icon=":material/picture_as_pdf:", on_click="ignore", mime="application/pdf",
        file_name=f"gaza-sitrep-{view.on.isoformat()}-{code}.pdf", key="gdm_report",
        data=lambda: sitrep.sitrep_pdf(data.index(), view.on, since=view.since, window=view.window, lang=code,
                                       layers=layers, base_url=_report_base_url()),
        help=_("One A4 page of this view (date, framing, window, layers) with its map, figures, definitions and "
               "sources, drawn on the server with no internet; in English or Arabic (right to left)."))


if not data.has("blocks"):
    st.error(_("The bundle has no blocks layer: run `python -m pipeline build`."))
    st.stop()


def _ruled(colour: str, inner: str) -> str:
    """A line of text (escaped HTML) with a coloured rule on the side it starts from."""
    if is_rtl():
        return (f'<div {dir_attr()} style="font-size:0.9rem;border-right:4px solid {colour};padding:2px 10px 2px 0">'
                f"{inner}</div>")
    return f'<div style="font-size:0.9rem;border-left:4px solid {colour};padding:2px 0 2px 10px">{inner}</div>'


def _attrs() -> str:
    """`` dir="rtl" lang="ar"`` on the page's own HTML in a right-to-left language; nothing in English."""
    return f" {dir_attr()}" if is_rtl() else ""


def _english(value: object) -> str:
    """Words from data in English (a match method, a transliterated locality), marked as such in an Arabic page."""
    return f'<bdi lang="en">{esc(value)}</bdi>' if is_rtl() and not is_missing(value) else esc(value)


def _ids(value: object) -> str:
    """An id or a name from data, escaped; isolated inside a right-to-left line."""
    return bidi(value) if is_rtl() else esc(value)


def kpi_section(view: state.View) -> dict[str, Any]:
    """The figures for the date (cards with their definitions), the 'last N days' line, OCHA's and the user's."""
    with st.spinner(_("Computing the figures for this date…")):
        m = data.metrics(view.on, view.since, view.window)
    if not m:
        return m
    cards = kpis(m, lang())
    for row in (cards[:4], cards[4:]):
        cols = st.columns(len(row))
        for col, card in zip(cols, row, strict=True):
            col.metric(card["label"], card["value"], help=card["help"], border=True)
    recent = (m.get("orders") or {}).get("recent") or {}
    if recent:
        st.caption(md(_(
            "Under orders = named by an order issued {framing} up to {date}. Of which ordered in the last {window} "
            "days: {km2} km² in {blocks} blocks, ~{people} people (pre-war estimate). Hover the (?) by a figure for "
            "its definition and source.").format(
                framing=view.framing_words(), date=fmt_date(view.on, lang()), window=view.window,
                km2=f"{recent.get('area_km2') or 0:,.1f}", blocks=fmt_int(recent.get("blocks"), "0"),
                people=fmt_int(recent.get("population_prewar_est"), "0"))))
    ref = reference_line(m, lang())
    if ref:
        st.html(_ruled("#2171b5", ref))
    yours = with_your_orders_line(m, lang())  # the user's imported orders: beside the shipped figure, never in it
    if yours:
        st.html(_ruled("#cb181d", yours))
    return m


def imported_section(view: state.View) -> tuple[list[str], bool]:
    """Imported (workspace) layers: their own toggles and count line, never merged into the figures above.
    Returns the layers shown and whether ACLED's event detail is asked for."""
    imported = [e for e in data.workspace_entries() if e.get("kind") != "series"]  # series: on the Timeline
    shown_imported: list[str] = []
    acled_detail = False
    if imported:
        cols = st.columns(min(len(imported), 3) + 1)
        for i, e in enumerate(imported):
            if cols[i % (len(cols) - 1)].toggle(md(_("Imported: {name}").format(name=e["name"])), value=True,
                                                key=f"gdm_ws_{e['name']}",
                                                help=md(_("Your imported layer ({kind}, from {origin}).").format(
                                                    kind=e.get("kind"), origin=e.get("origin")))):
                shown_imported.append(e["name"])
        if any(e.get("acled") for e in imported):
            acled_detail = cols[-1].toggle(_("show ACLED event detail (for my own use)"), key="gdm_acled_detail",
                                           help=_("ACLED layers are shown aggregated by block; this shows their events "
                                                  "to you only (nothing is shared or offered for download)."))
        counts = data.workspace_counts(view.on, view.window)
        limit = settings.get(settings.MAP_POINT_LIMIT)
        aggregated = md(_(" (ACLED, aggregated on the map)"))
        over = md(_(" (over {limit}: counts per block on the map)").format(limit=f"{limit:,}"))
        parts = [f"{md(n)}: {c['count']:,}" + (aggregated if c.get("acled") and not acled_detail
                                                else over if c["count"] > limit else "")
                 for n, c in counts.items() if n in shown_imported]
        sep = md(_("; "))
        total = sum(c["count"] for n, c in counts.items() if n in shown_imported)
        st.caption(md(_("Imported layers: {n} events in window ({window} days to the date)").format(
                       n=f"{total:,}", window=view.window))
                   + (f" · {sep.join(parts)}" if parts else "")
                   + md(_(". Your own data, not part of the figures above.")))
        left_out = data.map_layers_left_out(shown_imported)
        if left_out:
            st.caption(md(_("The map draws the newest {n} of the {total} imported layers switched on: switch some off "
                            "to see the others (setting max_map_layers).").format(
                               n=len(shown_imported) - left_out, total=len(shown_imported))))
        if any(e.get("acled") and e["name"] in shown_imported for e in imported):
            st.caption(md(acled_attribution))
    return shown_imported, acled_detail


def _panel(block_id: int | None, view: state.View) -> None:
    st.subheader(_("Block history"))
    if block_id is None:
        st.caption(_("Click a block on the map to see every order that named it."))
        return
    blocks = data.layer("blocks")
    row = blocks[blocks["block_id"] == block_id] if blocks is not None else pd.DataFrame()
    if row.empty:
        st.caption(_("No block here."))
        return
    r = row.iloc[0]
    gov = data.layer("governorates")
    g = gov[gov["pcode"] == r.get("pcode")] if gov is not None else pd.DataFrame()
    g_en = g.iloc[0]["name_en"] if len(g) else r.get("pcode")
    g_ar = g.iloc[0]["name_ar"] if len(g) and "name_ar" in g else ""
    status = data.block_status(view.on, view.since, view.window)
    s = status.loc[status["block_id"] == block_id, "status"]
    s_label = status_labels(view.on, view.since, view.window, lang()).get(s.iloc[0] if len(s) else "none", "")
    head = esc(_("Block {id}")).format(id=_ids(block_id))
    people = esc(_("~{n} people before the war (estimate)")).format(n=fmt_int(r.get("pop_prewar_est")))
    locality = _english(r.get("locality"))
    gov_words = rtl(g_ar) if is_rtl() and g_ar else f"{esc(g_en)} {rtl(g_ar)}"
    st.html(
        f'<div class="gdm-block-panel" data-block="{esc(block_id)}"{_attrs()}>'
        f"<h4 style='margin:0'>{head} "
        f"{rtl(r.get('neighbourhood'), 'he')}</h4>"
        f"<div>{locality}</div><div>{gov_words}</div>"
        f"<div>{people}</div>"
        f"<div><i>{esc(s_label)}</i></div></div>")
    hist = data.block_history(block_id)
    if hist is None or hist.empty:
        st.caption(_("No order named this block."))
        return
    hist = hist.copy()
    hist["issued_on"] = pd.to_datetime(hist["issued_on"]).dt.date
    before: list[str] = []
    later: list[str] = []
    for h in hist.to_dict("records"):
        issued: date = h["issued_on"]
        matched = h.get("matched_as")
        note = (" " + esc(_("(matched as {how})")).format(how=_english(matched))
                if not is_missing(matched) and matched != "exact" else "")
        src = link(h.get("source_url"), h.get("source_name") or _("source"))
        src = f'<bdi dir="auto" lang="en">{src}</bdi>' if is_rtl() else src  # a source's own (English) name
        item = esc(_("{date}: order {id}, {source}")).format(date=esc(fmt_date(issued, lang())),
                                                              id=_ids(h["order_id"]), source=src)
        (later if issued > view.on else before).append(f"<li>{item}{note}</li>")
    pad = "padding-right" if is_rtl() else "padding-left"
    named = esc(_("{n} order(s) named this block")).format(n=len(hist))
    until = esc(_("On or before {date}: {n}")).format(date=esc(fmt_date(view.on, lang())), n=len(before))
    html = (f'<div class="gdm-history"{_attrs()}><b>{named}</b>'
            f"<div>{until}</div>"
            f"<ul style='{pad}:18px;margin:2px 0'>{''.join(before)}</ul>")
    if later:
        after = esc(_("Later: {n}")).format(n=len(later))
        html += (f"<details><summary>{after}</summary>"
                 f"<ul style='{pad}:18px;color:#555'>{''.join(later)}</ul></details>")
    st.html(html + "</div>")


def _on_paused() -> None:
    """Playback paused in the browser: the page's date (and so the KPIs) follows it."""
    paused = getattr(st.session_state.get(state.MAP_KEY), "paused", None)
    if paused:
        lo, hi = data.span()
        st.session_state[state.DATE] = min(max(date.fromisoformat(str(paused)), lo), hi)


# GDM_MAP=folium draws the previous folium + st_folium map (kept for the benchmark's comparison).
FOLIUM = os.environ.get("GDM_MAP", "").lower() == "folium"


def what_changed_section(view: state.View) -> None:
    """Under the KPIs: impact cards of the orders issued in the window (open when one was issued on the date)."""
    changed = data.what_changed(view.on, view.window)
    changes_html = order_cards(changed, lang())
    if changes_html:
        n_day = sum(1 for r in changed if r.get("scope") == "order" and str(r.get("issued_on")) == view.on.isoformat())
        n = len([r for r in changed if r.get("scope") == "order"])
        with st.expander(_("What changed: {n} order(s) issued in the {window} days to the date ({n_day} on the date "
                           "itself)").format(n=n, window=view.window, n_day=n_day), expanded=n_day > 0):
            st.html(changes_html)
            st.caption(_("Each order's area, people, facilities and zone share: the same figures as the Orders page "
                         "and `python -m pipeline orders`. 'Adds' counts what orders issued earlier had not covered."))


def context_sections(m: dict[str, Any], view: state.View) -> None:
    """Below the map: reported-but-unmapped orders, disagreements, where people are."""
    unmapped = reported_unmapped_list(m, lang())
    if unmapped:
        n = ((m.get("orders") or {}).get("reported_unmapped") or {}).get("count", 0)
        with st.expander(_("{n} order(s) in the period reported but mapped by no source (listed, not counted)").format(
                n=n)):
            st.html(unmapped)
    disagree = disagreements_list(data.order_block_disagreements(view.since, view.on), data.zone_disagreements(m),
                                  data.population_statements(view.on), lang())
    if disagree:
        with st.expander(_("Where sources disagree (each shown, never merged)")):
            st.html(disagree)
    comparison = population_comparison(m, lang())
    if comparison:
        title, said = esc(_("Where are people now?")), esc(_("Sources disagree; each figure is shown with its source."))
        st.html(_ruled("#6a51a3", f"<b>{title}</b> {said}{comparison}"))


def map_and_panel(view: state.View, shown_imported: list[str], acled_detail: bool) -> None:
    col_map, col_panel = st.columns([3, 1], gap="small")
    bid = None
    if FOLIUM:
        from streamlit_folium import st_folium  # only on the comparison path (third-party, not a project module)

        with col_map:
            with st.spinner(_("Drawing the map…")):
                inp = data.map_input(view.on, view.since, view.window, list(view.layers), view.basemap,
                                     imported=shown_imported, acled_detail=acled_detail)
                fmap = build_map(inp)
            out: dict[str, Any] = st_folium(fmap, key=state.MAP_KEY, height=660, use_container_width=True,
                                            returned_objects=["last_object_clicked"])
        clicked = (out or {}).get("last_object_clicked")
        if clicked and clicked.get("lat") is not None:
            bid = data.block_at(clicked["lat"], clicked["lng"])
    else:
        with col_map:
            payload = data.map_view(view.on, view.since, view.window, view.layers, view.basemap,
                                    imported=shown_imported, acled_detail=acled_detail, lang=lang())
            res = map_component.show(payload, key=state.MAP_KEY, height=660, on_paused=_on_paused)
        clicked = getattr(res, "clicked", None)
        if isinstance(clicked, dict) and clicked.get("block_id") is not None:
            bid = int(clicked["block_id"])
    if bid is not None:
        state.select_block(bid)
    with col_panel:
        _panel(state.selected_block(), view)


def claims_section(view: state.View) -> None:
    claims_html = claims_list(data.claims_in(view.on, view.window), lang())
    if claims_html:
        with st.expander(_("Reported events in the {window} days to the date (attributed claims, drawn on their "
                           "areas, not counted with incidents)").format(window=view.window)):
            st.html(claims_html)


@st.fragment
def dated() -> None:
    """The date control and all that follows the date: a change here reruns this fragment only."""
    box = st.container(key="gdm_date")
    state.date_control(box, row=True)
    view = state.view()
    if view.refused:
        box.warning(view.refused)
    box.caption(view.describe())
    # The map is sent first (its view is what a date change waits for); the figures and the order cards above
    # it follow into the places kept for them.
    figures = st.container()
    shown_imported, acled_detail = imported_section(view)
    changes = st.container()
    with st.container(key="gdm_map_block"):
        map_and_panel(view, shown_imported, acled_detail)
    with figures:
        m = kpi_section(view)
    with changes:
        what_changed_section(view)
    if m:
        context_sections(m, view)
    claims_section(view)
    report_download(view)
    lo_day, hi_day = data.span()
    data.compute_ahead([(d, state.view(d).since) for d in (view.on + timedelta(days=1), view.on - timedelta(days=1))
                        if lo_day <= d <= hi_day], view.window, view.layers, view.basemap, imported=shown_imported,
                       acled_detail=acled_detail, lang=lang())


dated()
st.caption(_("Blocks: the IDF evacuation-block grid of {date}. Polygons are simplified for display only; every "
             "figure is computed on the full geometry. Definitions and caveats: Method page; sources and downloads: "
             "Data page.").format(date=fmt_date("2023-12-01", lang())))
