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
from dashboard.html import esc, fmt_int, is_missing, link, md, rtl
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
    st.title("Evacuation orders, zones and strikes")


def _report_base_url() -> str | None:
    """The address this dashboard is served at (for the report's "same view" link), else the setting."""
    url = str(getattr(st.context, "url", "") or "")
    return url.split("?")[0].rsplit("/", 1)[0] + "/" if url.startswith(("http://", "https://")) else None


@st.fragment
def report_download(view: state.View) -> None:
    """The current view as a one-page PDF (``pipeline.runtime.sitrep``), drawn only when asked for."""
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    lang = c1.segmented_control("Report language", ["English", "العربية"], default="English", key="gdm_report_lang")
    code = "ar" if lang == "العربية" else "en"
    layers = [x for x in view.layers if x in MAP_LAYERS]
    c2.download_button(
        "Situation report (PDF)", icon=":material/picture_as_pdf:", on_click="ignore", mime="application/pdf",
        file_name=f"gaza-sitrep-{view.on.isoformat()}-{code}.pdf", key="gdm_report",
        data=lambda: sitrep.sitrep_pdf(data.index(), view.on, since=view.since, window=view.window, lang=code,
                                       layers=layers, base_url=_report_base_url()),
        help="One A4 page of this view (date, framing, window, layers) with its map, figures, definitions and "
             "sources, drawn on the server with no internet; in English or Arabic (right to left).")


if not data.has("blocks"):
    st.error("The bundle has no blocks layer: run `python -m pipeline build`.")
    st.stop()


def kpi_section(view: state.View) -> dict[str, Any]:
    """The figures for the date (cards with their definitions), the 'last N days' line, OCHA's and the user's."""
    with st.spinner("Computing the figures for this date…"):
        m = data.metrics(view.on, view.since, view.window)
    if not m:
        return m
    cards = kpis(m)
    for row in (cards[:4], cards[4:]):
        cols = st.columns(len(row))
        for col, card in zip(cols, row, strict=True):
            col.metric(card["label"], card["value"], help=card["help"], border=True)
    recent = (m.get("orders") or {}).get("recent") or {}
    if recent:
        st.caption(
            f"Under orders = named by an order issued {md(view.framing_words())} up to {view.on:%-d %b %Y}. "
            f"Of which ordered in the last {view.window} days: {recent.get('area_km2') or 0:,.1f} km² in "
            f"{fmt_int(recent.get('blocks'), '0')} blocks, ~{fmt_int(recent.get('population_prewar_est'), '0')} "
            "people (pre-war estimate). Hover the (?) by a figure for its definition and source.")
    ref = reference_line(m)
    if ref:
        st.html('<div style="font-size:0.9rem;border-left:4px solid #2171b5;padding:2px 0 2px 10px">' + ref + "</div>")
    yours = with_your_orders_line(m)  # the user's imported orders: beside the shipped figure, never in it
    if yours:
        st.html('<div style="font-size:0.9rem;border-left:4px solid #cb181d;padding:2px 0 2px 10px">' + yours + "</div>")
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
            if cols[i % (len(cols) - 1)].toggle(f"Imported: {md(e['name'])}", value=True, key=f"gdm_ws_{e['name']}",
                                                help=f"Your imported layer ({md(e.get('kind'))}, from {md(e.get('origin'))})."):
                shown_imported.append(e["name"])
        if any(e.get("acled") for e in imported):
            acled_detail = cols[-1].toggle("show ACLED event detail (for my own use)", key="gdm_acled_detail",
                                           help="ACLED layers are shown aggregated by block; this shows their events "
                                                "to you only (nothing is shared or offered for download).")
        counts = data.workspace_counts(view.on, view.window)
        limit = settings.get(settings.MAP_POINT_LIMIT)
        parts = [f"{md(n)}: {c['count']:,}" + (" (ACLED, aggregated on the map)" if c.get("acled") and not acled_detail
                                                else f" (over {limit:,}: counts per block on the map)"
                                                if c["count"] > limit else "")
                 for n, c in counts.items() if n in shown_imported]
        total = sum(c["count"] for n, c in counts.items() if n in shown_imported)
        st.caption(f"Imported layers: {total:,} events in window ({view.window} days to the date)"
                   + (f" · {'; '.join(parts)}" if parts else "")
                   + ". Your own data, not part of the figures above.")
        left_out = data.map_layers_left_out(shown_imported)
        if left_out:
            st.caption(f"The map draws the newest {len(shown_imported) - left_out} of the {len(shown_imported)} "
                       "imported layers switched on: switch some off to see the others (setting max_map_layers).")
        if any(e.get("acled") and e["name"] in shown_imported for e in imported):
            st.caption(md(acled_attribution))
    return shown_imported, acled_detail


def _panel(block_id: int | None, view: state.View) -> None:
    st.subheader("Block history")
    if block_id is None:
        st.caption("Click a block on the map to see every order that named it.")
        return
    blocks = data.layer("blocks")
    row = blocks[blocks["block_id"] == block_id] if blocks is not None else pd.DataFrame()
    if row.empty:
        st.caption("No block here.")
        return
    r = row.iloc[0]
    gov = data.layer("governorates")
    g = gov[gov["pcode"] == r.get("pcode")] if gov is not None else pd.DataFrame()
    g_en = g.iloc[0]["name_en"] if len(g) else r.get("pcode")
    g_ar = g.iloc[0]["name_ar"] if len(g) and "name_ar" in g else ""
    status = data.block_status(view.on, view.since, view.window)
    s = status.loc[status["block_id"] == block_id, "status"]
    s_label = status_labels(view.on, view.since, view.window).get(s.iloc[0] if len(s) else "none", "")
    st.html(
        f'<div class="gdm-block-panel" data-block="{esc(block_id)}">'
        f"<h4 style='margin:0'>Block {esc(block_id)} {rtl(r.get('neighbourhood'), 'he')}</h4>"
        f"<div>{esc(r.get('locality'))}</div><div>{esc(g_en)} {rtl(g_ar)}</div>"
        f"<div>~{fmt_int(r.get('pop_prewar_est'))} people before the war (estimate)</div>"
        f"<div><i>{esc(s_label)}</i></div></div>")
    hist = data.block_history(block_id)
    if hist is None or hist.empty:
        st.caption("No order named this block.")
        return
    hist = hist.copy()
    hist["issued_on"] = pd.to_datetime(hist["issued_on"]).dt.date
    before: list[str] = []
    later: list[str] = []
    for h in hist.to_dict("records"):
        issued: date = h["issued_on"]
        matched = h.get("matched_as")
        note = f" (matched as {esc(matched)})" if not is_missing(matched) and matched != "exact" else ""
        src = link(h.get("source_url"), h.get("source_name") or "source")
        item = f"<li>{esc(f'{issued:%-d %b %Y}')}: order {esc(h['order_id'])}, {src}{note}</li>"
        (later if issued > view.on else before).append(item)
    html = (f'<div class="gdm-history"><b>{len(hist)} order(s) named this block</b>'
            f"<div>On or before {esc(f'{view.on:%-d %b %Y}')}: {len(before)}</div>"
            f"<ul style='padding-left:18px;margin:2px 0'>{''.join(before)}</ul>")
    if later:
        html += (f"<details><summary>Later: {len(later)}</summary>"
                 f"<ul style='padding-left:18px;color:#555'>{''.join(later)}</ul></details>")
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
    changes_html = order_cards(changed)
    if changes_html:
        n_day = sum(1 for r in changed if r.get("scope") == "order" and str(r.get("issued_on")) == view.on.isoformat())
        with st.expander(f"What changed: {len([r for r in changed if r.get('scope') == 'order'])} order(s) issued in "
                         f"the {view.window} days to the date ({n_day} on the date itself)", expanded=n_day > 0):
            st.html(changes_html)
            st.caption("Each order's area, people, facilities and zone share: the same figures as the Orders page "
                       "and `python -m pipeline orders`. 'Adds' counts what orders issued earlier had not covered.")


def context_sections(m: dict[str, Any], view: state.View) -> None:
    """Below the map: reported-but-unmapped orders, disagreements, where people are."""
    unmapped = reported_unmapped_list(m)
    if unmapped:
        n = ((m.get("orders") or {}).get("reported_unmapped") or {}).get("count", 0)
        with st.expander(f"{n} order(s) in the period reported but mapped by no source (listed, not counted)"):
            st.html(unmapped)
    disagree = disagreements_list(data.order_block_disagreements(view.since, view.on), data.zone_disagreements(m),
                                  data.population_statements(view.on))
    if disagree:
        with st.expander("Where sources disagree (each shown, never merged)"):
            st.html(disagree)
    comparison = population_comparison(m)
    if comparison:
        st.html('<div style="font-size:0.9rem;border-left:4px solid #6a51a3;padding:2px 0 2px 10px">'
                "<b>Where are people now?</b> Sources disagree; each figure is shown with its source."
                f"{comparison}</div>")


def map_and_panel(view: state.View, shown_imported: list[str], acled_detail: bool) -> None:
    col_map, col_panel = st.columns([3, 1], gap="small")
    bid = None
    if FOLIUM:
        from streamlit_folium import st_folium  # only on the comparison path (third-party, not a project module)

        with col_map:
            with st.spinner("Drawing the map…"):
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
                                    imported=shown_imported, acled_detail=acled_detail)
            res = map_component.show(payload, key=state.MAP_KEY, height=660, on_paused=_on_paused)
        clicked = getattr(res, "clicked", None)
        if isinstance(clicked, dict) and clicked.get("block_id") is not None:
            bid = int(clicked["block_id"])
    if bid is not None:
        state.select_block(bid)
    with col_panel:
        _panel(state.selected_block(), view)


def claims_section(view: state.View) -> None:
    claims_html = claims_list(data.claims_in(view.on, view.window))
    if claims_html:
        with st.expander(f"Reported events in the {view.window} days to the date (attributed claims, "
                         "drawn on their areas, not counted with incidents)"):
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
    m = kpi_section(view)
    shown_imported, acled_detail = imported_section(view)
    what_changed_section(view)
    with st.container(key="gdm_map_block"):
        map_and_panel(view, shown_imported, acled_detail)
    if m:
        context_sections(m, view)
    claims_section(view)
    report_download(view)
    lo_day, hi_day = data.span()
    data.compute_ahead([(d, state.view(d).since) for d in (view.on + timedelta(days=1), view.on - timedelta(days=1))
                        if lo_day <= d <= hi_day], view.window, view.layers, view.basemap, imported=shown_imported,
                       acled_detail=acled_detail)


dated()
st.caption("Blocks: the IDF evacuation-block grid of 1 Dec 2023. Polygons are simplified for display only; "
           "every figure is computed on the full geometry. Definitions and caveats: Method page; "
           "sources and downloads: Data page.")
