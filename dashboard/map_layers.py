"""Layer preparation for the Map page: frames filtered to the view, with escaped tooltip HTML.

Each ``prepare_*`` turns a bundle (or imported) layer into the frame ``map_draw.build_map`` draws:
display geometry (``map_geometry``), an escaped ``tip`` (hover) and, for blocks, an ``orders`` popup.
Which rows count on a date is ``pipeline.runtime.on_date``'s rule (events in the window, zones valid
on the date, the latest figure on or before it). The blocks' simplified outlines are prepared once
(``display_blocks``); per date only their status and texts change (``prepare_blocks``). Every text
from data is escaped (``dashboard.html``). No streamlit import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.html import esc, fmt_date, fmt_int, is_missing, link, rtl
from dashboard.map_areas import area_points
from dashboard.map_geometry import round_coords, simplify_for_display
from pipeline.core import settings
from pipeline.core.i18n import DEFAULT, N_, isolate, translator
from pipeline.core.layers import AREA_CRS, PCODES, PCODES_AR, STORAGE_CRS
from pipeline.core.palette import MAJOR_PLACES
from pipeline.runtime.acled_views import PLACED_COARSE, precision_note
from pipeline.runtime.event_counts import CountTable, by_area, count_table, totals
from pipeline.runtime.on_date import days, latest_on_or_before, rows_in_window, valid_on
from pipeline.runtime.readers.acled import acled_attribution, attribution_in

LAYERS = {  # key -> label (the sidebar's layer toggles and the URL use the keys)
    "boundaries": N_("Strip and governorates"),
    "blocks": N_("Evacuation blocks by status"),
    "zone": N_("Humanitarian zone"),
    "incidents": N_("Strikes and incidents"),
    "places": N_("Places (English / Arabic)"),
    "claims": N_("Reported events (attributed)"),
}
DEFAULT_LAYERS = list(LAYERS)


def status_labels(on: date, since: date, window: int, lang: str = DEFAULT) -> dict[str, str]:
    _ = translator(lang)
    return {
        "recent": _("Ordered in the last {window} days").format(window=window),
        "earlier": _("Ordered earlier, since {date}").format(date=fmt_date(since, lang)),
        "none": _("Not ordered in this period"),
    }


# Categorical words of the shipped layers, shown in the page's language (the rest of a tooltip's data as written).
EVENT_KINDS = (N_("attack on health care"), N_("protection incident"), N_("attack on education"), N_("IDF attack"),
               N_("attack on aid workers"), N_("incident affecting food security"), N_("incident"), N_("event"))
ZONE_KINDS = (N_("humanitarian zone"), N_("proposed safe area"))
QUALIFIERS = (N_("more than"), N_("at least"), N_("approximately"), N_("about"), N_("up to"), N_("fewer than"))


def _words(lang: str) -> tuple[Callable[[str], str], Callable[[Any], str]]:
    """(``_`` for ``lang``, ``data``): ``data(value)`` is a value from data as written (``""`` when missing), a
    left-to-right isolate inside a right-to-left tooltip; ``_(value)`` translates the project's own words."""
    _ = translator(lang)

    def data(value: Any) -> str:
        if is_missing(value):
            return ""
        return isolate(str(value)) if lang != DEFAULT else str(value)
    return _, data


def _category(value: Any, lang: str) -> str:
    """A categorical value (a kind, a qualifier) in ``lang`` when the catalogue has it, else as written."""
    _, data = _words(lang)
    if is_missing(value):
        return ""
    word = _(str(value))
    return word if word != str(value) or lang == DEFAULT else data(value)


def display_blocks(blocks: gpd.GeoDataFrame, governorates: pd.DataFrame | None, *,
                   tolerance_m: float = 15.0, lang: str = DEFAULT) -> gpd.GeoDataFrame:
    """The blocks as drawn, prepared once per bundle: simplified outlines and the date-free part of the tip.

    Columns: ``block_id``, ``tip_head`` (escaped HTML: block, neighbourhood, locality, governorate,
    pre-war population) and the display geometry. :func:`prepare_blocks` adds a date's status to it.
    """
    gdf = simplify_for_display(blocks, tolerance_m)
    gov = {}
    if governorates is not None and len(governorates):
        gov = {r.pcode: (r.name_en, r.name_ar) for r in governorates.itertuples()}
    heads = []
    _ = translator(lang)
    block, people = esc(_("Block {id}")), esc(_("~{n} people pre-war (est.)"))
    for r in gdf.itertuples():
        g_en, g_ar = gov.get(getattr(r, "pcode", None), ("", ""))
        loc = getattr(r, "locality", "")
        loc = esc(isolate(str(loc)) if lang != DEFAULT and not is_missing(loc) else loc)  # English from data
        names = rtl(g_ar) if lang != DEFAULT and g_ar else f"{esc(g_en)} {rtl(g_ar)}"
        heads.append(f"<b>{block.format(id=esc(r.block_id))}</b> {rtl(getattr(r, 'neighbourhood', ''), 'he')}<br>"
                     f"{loc}{' · ' if loc else ''}{names}<br>"
                     f"{people.format(n=fmt_int(getattr(r, 'pop_prewar_est', None)))}<br>")
    out = gdf[["block_id", "geometry"]].copy()
    out["tip_head"] = heads
    return out


def prepare_blocks(display: gpd.GeoDataFrame, status: pd.DataFrame | None, history: pd.DataFrame | None, *,
                   on: date, since: date, window: int) -> gpd.GeoDataFrame:
    """The display blocks (:func:`display_blocks`) on a date: ``status``, an escaped ``tip`` (hover) and
    ``orders`` (popup: the orders that named the block by ``on``, with links). The geometry is not touched.

    ``status``: block_id, status (recent|earlier|none). ``history``: order_blocks joined to orders
    (block_id, order_id, issued_on, source_name, source_url), all dates.
    """
    gdf = display[["block_id", "geometry"]].copy()
    if status is not None and len(status):
        by_block = status.drop_duplicates("block_id").set_index("block_id")["status"]
        gdf["status"] = gdf["block_id"].map(by_block).fillna("none")
    else:
        gdf["status"] = "none"
    orders_by_block: dict[int, list[str]] = {}
    if history is not None and len(history):
        h = history.copy()
        h["issued_on"] = pd.to_datetime(h["issued_on"])
        h = h[h["issued_on"] <= pd.Timestamp(on)].sort_values(["issued_on", "order_id"])
        rows: Iterable[Any] = h.itertuples()  # one named tuple per (order, block)
        for r in rows:
            src = link(r.source_url, r.source_name if not is_missing(r.source_name) else "source")
            orders_by_block.setdefault(int(r.block_id), []).append(
                f"<li>{esc(fmt_date(r.issued_on))}: order {esc(r.order_id)} ({src})</li>")
    short = {"recent": f"ordered in the last {window} days", "earlier": "ordered earlier", "none": "not ordered"}
    pops = []
    for bid in gdf["block_id"]:
        items = orders_by_block.get(int(bid))
        pops.append(f"<b>Orders that named it</b><ul>{''.join(items)}</ul>" if items else "No order named it.")
    gdf["tip"] = [f"{head}<i>{esc(short.get(s, s))}</i>" for head, s in zip(display["tip_head"], gdf["status"], strict=True)]
    gdf["orders"] = pops
    return gdf


def prepare_governorates(governorates: gpd.GeoDataFrame | None, tolerance_m: float = 15.0, lang: str = DEFAULT
                         ) -> gpd.GeoDataFrame | None:
    """Governorate outlines for display, with an escaped English + Arabic ``tip``."""
    if governorates is None or governorates.empty:
        return governorates
    gdf = simplify_for_display(governorates, tolerance_m)
    said = esc(translator(lang)("{n} people before the war (PCBS-based estimate)"))
    gdf["tip"] = [(f"<b>{rtl(getattr(r, 'name_ar', ''))}</b><br>" if lang != DEFAULT else
                   f"<b>{esc(r.name_en)}</b> {rtl(getattr(r, 'name_ar', ''))}<br>")
                  + said.format(n=fmt_int(getattr(r, "pop_prewar", None)))
                  for r in gdf.itertuples()]
    return gdf


def prepare_events(events: gpd.GeoDataFrame, lang: str = DEFAULT) -> gpd.GeoDataFrame:
    """Incident points with a ``radius`` (by reported fatalities) and an escaped ``tip`` in ``lang`` (the kind
    translated; place, dataset, source and notes as written)."""
    if events is None or events.empty:
        return events
    gdf = events[events.geometry.notna() & ~events.geometry.is_empty].copy()
    # No fatalities column: every figure "not reported" (pd.to_numeric(None) would give one NaN, not a column).
    reported = gdf["fatalities"] if "fatalities" in gdf else pd.Series(np.nan, index=gdf.index, dtype=float)
    fat = pd.to_numeric(reported, errors="coerce")
    gdf["radius"] = np.where(fat.notna(), 4 + 2.2 * np.sqrt(fat.fillna(0).clip(lower=0)), 4).round(1)
    gdf["radius"] = gdf["radius"].clip(upper=22)
    tips = []
    _, data = _words(lang)
    comma, fatalities = esc(_(", ")), esc(_("Reported fatalities: {n}"))
    origin = esc(_("Dataset: {dataset}; source: {source}"))
    for r, f in zip(gdf.itertuples(), fat, strict=True):
        tips.append(
            f"<b>{esc(_category(getattr(r, 'kind', 'incident'), lang))}</b>{comma}"
            f"{esc(fmt_date(getattr(r, 'date', None), lang))}<br>"
            f"{esc(data(getattr(r, 'location', '')))}<br>"
            + fatalities.format(n=_qualified(f, getattr(r, 'fatalities_qualifier', None), lang)) + "<br>"
            + (f"{esc(data(r.figure_tag))}: {_qualified(r.figure, getattr(r, 'figure_qualifier', None), lang)}<br>"
               if not is_missing(getattr(r, 'figure_tag', None)) else "")
            + origin.format(dataset=esc(data(getattr(r, 'dataset', ''))), source=esc(data(getattr(r, 'source', ''))))
            + (f"<br>{esc(data(str(getattr(r, 'notes', ''))[:240]))}" if not is_missing(getattr(r, 'notes', None))
               else ""))
    gdf["tip"] = tips
    gdf["geometry"] = round_coords(gdf.geometry.values)
    return gdf


def _declared(start: Any, end: Any, lang: str, *, word: str = N_("Declared {start} to {end}"),
              open_word: str = N_("Declared {start} (still declared)")) -> str:
    """ "Declared 1 Dec 2023 to 3 Dec 2023" / "Declared 1 Dec 2023 (still declared)" (plain text, in ``lang``)."""
    _ = translator(lang)
    if is_missing(end):
        return _(open_word).format(start=fmt_date(start, lang))
    return _(word).format(start=fmt_date(start, lang), end=fmt_date(end, lang))


def prepare_zone(zones: gpd.GeoDataFrame, lang: str = DEFAULT) -> gpd.GeoDataFrame:
    """Zone outlines for display with an escaped ``tip`` in ``lang`` (the name and source as written)."""
    if zones is None or zones.empty:
        return zones
    gdf = simplify_for_display(zones, 10.0, coverage=False)
    _, data = _words(lang)
    zone, area, source = _("Humanitarian zone"), _("Area {value}"), _("Source: {sources}")
    gdf["tip"] = [
        f"<b>{esc(data(getattr(r, 'name', None)) or zone)}</b><br>"
        f"{esc(_category(getattr(r, 'kind', ''), lang))}<br>"
        f"{esc(_declared(getattr(r, 'valid_from', None), getattr(r, 'valid_to', None), lang))}"
        f"<br>{esc(area.format(value=_km2(getattr(r, 'area_km2', None), lang)))}"
        f"<br>{esc(source.format(sources=data(getattr(r, 'source', ''))))}"
        for r in gdf.itertuples()]
    return gdf


def _km2(v: Any, lang: str = DEFAULT) -> str:
    _ = translator(lang)
    return _("n/a") if is_missing(v) else _("{value} km²").format(value=f"{float(v):,.1f}")


# Labelled permanently: ``MAJOR_PLACES`` (the main towns and the places the scenario names, shared with the
# report through ``pipeline.core.palette``); every other place on hover.


PLACE_KINDS = (N_("city"), N_("area"), N_("landmark"), N_("camp"), N_("crossing"))  # the places' kinds, shown


def prepare_places(places: gpd.GeoDataFrame, lang: str = DEFAULT) -> gpd.GeoDataFrame:
    """Place points at their label position with an escaped English + Arabic (RTL) ``label`` (in Arabic: the Arabic
    name alone where there is one)."""
    if places is None or places.empty:
        return places
    gdf = places.copy()
    if "inside_gaza" in gdf.columns:
        gdf = gdf[gdf["inside_gaza"].fillna(True).astype(bool)]
    if "kind" in gdf.columns:  # regions (governorates, "northern Gaza" ...) are areas, not dots
        gdf = gdf[gdf["kind"] != "region"]
    if {"label_lon", "label_lat"} <= set(gdf.columns):
        pts = gpd.points_from_xy(gdf["label_lon"], gdf["label_lat"], crs=STORAGE_CRS)
        fallback = gdf.geometry.representative_point()
        gdf["geometry"] = gpd.GeoSeries([p if (p is not None and not p.is_empty and np.isfinite(p.x)) else f
                                         for p, f in zip(pts, fallback, strict=True)], index=gdf.index, crs=gdf.crs)
    else:
        gdf["geometry"] = gdf.geometry.representative_point()
    gdf = gdf.set_geometry("geometry")
    gdf["geometry"] = round_coords(gdf.geometry.values)
    if lang != DEFAULT:
        _ = translator(lang)
        gdf["label"] = [rtl(r.name_ar) if not is_missing(getattr(r, "name_ar", None)) and r.name_ar else esc(r.name_en)
                        for r in gdf.itertuples()]
        gdf["tip"] = [f"<b>{label}</b><br>{esc(_(str(getattr(r, 'kind', '') or '')))}"
                      for label, r in zip(gdf["label"], gdf.itertuples(), strict=True)]
    else:
        gdf["label"] = [f"{esc(r.name_en)} {rtl(getattr(r, 'name_ar', ''))}" for r in gdf.itertuples()]
        gdf["tip"] = [f"<b>{esc(r.name_en)}</b> {rtl(getattr(r, 'name_ar', ''))}<br>{esc(getattr(r, 'kind', ''))}"
                      + (f"<br>also: {esc(str(r.aliases).replace('|', ', '))}"
                         if not is_missing(getattr(r, 'aliases', None)) and str(r.aliases) else "")
                      for r in gdf.itertuples()]
    gdf["prominent"] = gdf["place_id"].isin(MAJOR_PLACES) if "place_id" in gdf else False
    return gdf


def prepare_claims(claims: pd.DataFrame, places: gpd.GeoDataFrame | None, *, buffer_m: float = 1500.0,
                   lang: str = DEFAULT) -> gpd.GeoDataFrame | None:
    """Scenario claims drawn on their place's area (a point place gets a ``buffer_m`` circle); the ``tip`` in
    ``lang``: the place by its Arabic name in Arabic, the claim and the party as written."""
    if claims is None or claims.empty or places is None or places.empty or "place_id" not in claims:
        return None
    names = [c for c in ("place_id", "name_en", "name_ar", "geometry") if c in places.columns]
    c = claims[claims["place_id"].notna()].merge(places[names], on="place_id", how="inner")
    if c.empty:
        return None
    gdf = gpd.GeoDataFrame(c, geometry="geometry", crs=places.crs)
    metric = gdf.geometry.to_crs(AREA_CRS)
    pts = metric.geom_type.isin(["Point", "MultiPoint"])
    points: gpd.GeoSeries = cast(gpd.GeoSeries, metric[pts])  # a GeoSeries subset (stubs: a plain Series)
    metric[pts] = points.buffer(buffer_m)
    gdf["geometry"] = metric.to_crs(STORAGE_CRS)
    gdf = simplify_for_display(gdf, 20.0, coverage=False)
    _, data = _words(lang)
    said, comma = esc(_("Reported")), esc(_(", "))

    def place(r: Any) -> str:
        ar = getattr(r, "name_ar", None)
        return str(ar) if lang != DEFAULT and not is_missing(ar) and ar else str(r.name_en)

    gdf["tip"] = [
        f"<b>{said}</b> ({esc(fmt_date(r.date, lang))}){comma}{esc(place(r))}: {esc(data(r.claim))}"
        + (f" [{esc(r.figure)}]" if not is_missing(getattr(r, 'figure', None)) else "")
        + "<br><i>" + esc(_("according to {party}").format(party=data(getattr(r, 'attributed_to', 'unknown'))))
        + "</i>"
        for r in gdf.itertuples()]
    return gdf


@dataclass
class MapInput:
    """Everything the map draws, prepared (``prepare_*``) and already filtered to the date."""

    on: date
    since: date
    window: int
    strip: gpd.GeoDataFrame | None = None
    governorates: gpd.GeoDataFrame | None = None
    blocks: gpd.GeoDataFrame | None = None
    zone: gpd.GeoDataFrame | None = None
    incidents: gpd.GeoDataFrame | None = None
    places: gpd.GeoDataFrame | None = None
    claims: gpd.GeoDataFrame | None = None
    layers: list[str] = field(default_factory=lambda: list(DEFAULT_LAYERS))
    basemap: str = "none"
    workspace: list[WorkspaceLayer] = field(default_factory=list)  # imported layers (prepare_workspace_layer)




@dataclass
class WorkspaceLayer:
    """One imported layer prepared for the map: display features (escaped ``tip``) and its legend facts."""

    name: str
    kind: str  # "events" | "zones" | "figures"
    frame: gpd.GeoDataFrame | None
    slot: int = 0  # its place in the imported layers' palette (``map_draw.WORKSPACE_COLOURS``)
    acled: bool = False
    aggregated: bool = False
    count: int = 0  # events in the window (events) or features drawn (zones, figures)
    total: int = 0  # rows of the stored layer
    unplaced: int = 0  # aggregated events with neither a block nor a governorate
    detail: str = ""  # plain text for the legend (escaped when drawn)
    attribution: str | None = None


def _qualified(value: Any, qualifier: Any, lang: str = DEFAULT) -> str:
    """ "more than 20", "approximately 15", "not reported" (never 0 for a figure nobody gave); escaped."""
    _ = translator(lang)
    if is_missing(value) or (isinstance(value, float) and np.isnan(value)):
        return esc(_("not reported"))
    text = fmt_int(value)
    return (f"{esc(_category(qualifier, lang))} {text}" if not is_missing(qualifier)
            and str(qualifier) != "not reported" else text)


def aggregate_points(events: gpd.GeoDataFrame | CountTable, *, label: str, blocks: gpd.GeoDataFrame | None,
                     governorates: gpd.GeoDataFrame | None, acled: bool = False,
                     on: date | None = None, window: int | None = None, lang: str = DEFAULT,
                     note: str | None = None) -> tuple[gpd.GeoDataFrame, int]:
    """Events counted per block (else per governorate), one point per area sized by count; (frame, unplaced).

    ``events``: the rows to count, or a layer's count table (``pipeline.runtime.event_counts``) with the
    window (``on``, ``window``) to count in. The tip shows counts and dates only, never a row's text; ``note``
    (the project's own words, plain text) ends every tip, in italics. ``tip_lines`` holds each tip's text lines
    (``map_payload.lines`` of the tip), made with it: a date change does not parse them back out of the HTML.
    The frame is built once from plain columns (this runs on every date change of a large imported layer).
    """
    if isinstance(events, CountTable):
        if on is None or window is None:
            raise ValueError("a count table needs the window (on, window)")
        table, on_, win = events, on, window
    else:
        table = count_table(events)
        span = table.frame["day"]
        on_, win = (span.max().date(), (span.max() - span.min()).days + 1) if len(span) else (date.today(), 1)
    by_block, by_gov, unplaced = by_area(table, on_, win)
    _, data = _words(lang)
    names = PCODES_AR if lang != DEFAULT else PCODES
    parts = []
    if len(by_block) and blocks is not None:
        word = _("Block {id}")
        keys = by_block["block_id"].to_numpy(dtype="int64")
        parts.append(_placed(by_block, area_points(blocks, "block_id"), keys, [word.format(id=int(b)) for b in keys]))
    if len(by_gov) and governorates is not None:
        word = _("{area} (no block)")
        keys = by_gov["pcode"].astype(str).to_numpy()
        parts.append(_placed(by_gov, area_points(governorates, "pcode"), keys,
                             [word.format(area=names.get(p, data(p))) for p in keys]))
    n_blocks = len(parts[0]["where"]) if len(by_block) and blocks is not None else 0
    col = {c: np.concatenate([p[c] for p in parts]) if parts else np.array([])
           for c in ("key", "events", "fatalities", "fatalities_reported", "first_date", "last_date", "x", "y")}
    where = [w for p in parts for w in p["where"]]
    if not where:
        return gpd.GeoDataFrame({"tip": [], "radius": []}, geometry=[], crs=STORAGE_CRS), unplaced
    src = _("ACLED, shown aggregated") if acled else _("imported, shown aggregated")
    events_n, with_figure = esc(_("{where}: {n} event(s)")), esc(_("Reported fatalities: {n} (in {k} event(s) with a "
                                                                   "figure)"))
    none = esc(_("Reported fatalities: {n}").format(n=_("not reported")))
    source = esc(_("Imported: {name}")).format(name=esc(data(label))) + f" ({esc(src)})"  # the same on every row
    plain = (_("{where}: {n} event(s)"), _("Reported fatalities: {n} (in {k} event(s) with a figure)"),
             _("Reported fatalities: {n}").format(n=_("not reported")),
             " ".join((_("Imported: {name}").format(name=data(label)) + f" ({src})").split()))
    tail_html, tail = (f"<br><i>{esc(note)}</i>", [" ".join(note.split())]) if note else ("", [])
    days: dict[int, tuple[str, str]] = {}  # a window holds a few distinct days (as ns): each written once

    def day(d: int) -> tuple[str, str]:
        if d not in days:
            text = fmt_date(pd.Timestamp(d), lang)
            days[d] = (esc(text), " ".join(text.split()))
        return days[d]

    tips, tip_lines = [], []
    for w, n, fat, rep, first, last in zip(where, col["events"].tolist(), col["fatalities"].tolist(),
                                           col["fatalities_reported"].tolist(), col["first_date"].tolist(),
                                           col["last_date"].tolist(), strict=True):
        (f_html, f_text), (l_html, l_text) = day(first), day(last)
        n_text, fat_text, rep_text = f"{n:,}", f"{fat:,}", f"{rep:,}"
        tips.append(events_n.format(where=f"<b>{esc(w)}</b>", n=n_text) + "<br>"
                    + (with_figure.format(n=fat_text, k=rep_text) if rep else none) + "<br>"
                    + f"{f_html} – {l_html}<br>" + source + tail_html)
        tip_lines.append([" ".join(plain[0].format(where=w, n=n_text).split()),
                          plain[1].format(n=fat_text, k=rep_text) if rep else plain[2],
                          f"{f_text} – {l_text}", plain[3], *tail])
    n_all = len(where)
    block_id = pd.array(np.full(n_all, None, dtype=object), dtype="Int64")
    block_id[:n_blocks] = col["key"][:n_blocks].astype("int64")
    pcode = pd.array(np.full(n_all, None, dtype=object), dtype="string")
    pcode[n_blocks:] = col["key"][n_blocks:].astype(str)
    agg = gpd.GeoDataFrame(
        {"block_id": block_id, "pcode": pcode, "events": col["events"], "fatalities": col["fatalities"],
         "fatalities_reported": col["fatalities_reported"], "first_date": col["first_date"].astype("datetime64[ns]"),
         "last_date": col["last_date"].astype("datetime64[ns]"), "where": where,
         "radius": np.minimum(5 + 3 * np.sqrt(col["events"].astype(float)), 24).round(1),
         "tip": tips, "tip_lines": tip_lines},
        geometry=shapely.points(col["x"], col["y"]), crs=STORAGE_CRS)
    return agg, unplaced


def _placed(counts: pd.DataFrame, points: pd.DataFrame, keys: np.ndarray, where: list[str]) -> dict[str, Any]:
    """The columns of ``counts`` (one row per area, ``keys``) as arrays, with each area's point (``x``, ``y``) and
    name (``where``); areas with no point (not in the layer, or no geometry) are left out. Days as integers (ns):
    quick to hash, unlike numpy's datetime64 scalars."""
    at = points.index.get_indexer(pd.Index(keys))
    ok = at >= 0
    out: dict[str, Any] = {c: counts[c].to_numpy()[ok] for c in ("events", "fatalities", "fatalities_reported")}
    for c in ("first_date", "last_date"):
        out[c] = counts[c].to_numpy(dtype="datetime64[ns]").astype("int64")[ok]
    out["key"], out["where"] = keys[ok], [w for w, keep in zip(where, ok.tolist(), strict=True) if keep]
    out["x"], out["y"] = points["x"].to_numpy()[at[ok]], points["y"].to_numpy()[at[ok]]
    return out


def _none_for_na(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Nullable (string/Int64) columns as plain objects with None for missing (shown as blank, not "<NA>")."""
    out = frame.copy()
    for c in out.columns:
        if c != out.geometry.name and isinstance(out[c].dtype, pd.api.extensions.ExtensionDtype) \
                and not isinstance(out[c].dtype, gpd.array.GeometryDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _aggregated(out: WorkspaceLayer, counts: CountTable, *, on: date, window: int,
                blocks: gpd.GeoDataFrame | None, governorates: gpd.GeoDataFrame | None, limit: int,
                coarse: dict[str, Any] | None = None, lang: str = DEFAULT) -> WorkspaceLayer:
    """``out`` drawn as counts per block (per governorate for events in no block), the legend saying why;
    ``coarse`` (``acled_views.precision_note``) adds that most events are placed at the town or district level."""
    _ = translator(lang)
    if out.count == 0:
        out.detail = _("no event in the {window} days to the date").format(window=window)
        return out
    coarse_note = (_("Most events {placed}: not block precision").format(placed=_(PLACED_COARSE))
                   if coarse and coarse["sentence"] else None)  # ACLED geo_precision 2/3: the town's or district's point
    out.frame, out.unplaced = aggregate_points(counts, label=out.name, blocks=blocks, governorates=governorates,
                                               acled=out.acled, on=on, window=window, lang=lang, note=coarse_note)
    out.aggregated = True
    why = (_("ACLED, aggregated by block") if out.acled and out.count <= limit else
           _("aggregated by block (over {limit} events: counts, not points)").format(limit=f"{limit:,}"))
    out.detail = _("{why}: {n} events, last {window} days (size: count)").format(why=why, n=f"{out.count:,}",
                                                                                 window=window)
    if coarse and coarse["sentence"]:  # ACLED geo_precision 2/3: the block is the town's or district's point
        out.detail += _("; {coarse} of {known} {placed}, not at block precision").format(
            coarse=f"{coarse['coarse']:,}", known=f"{coarse['known']:,}", placed=_(PLACED_COARSE))
    return out


def _figure_points(latest: pd.DataFrame, crs: Any, imported: str, lang: str) -> gpd.GeoDataFrame:
    """An imported figures layer's latest values (``day`` added) as one labelled point per governorate."""
    _, data = _words(lang)
    rows = []
    names = PCODES_AR if lang != DEFAULT else PCODES
    source_word = esc(_("Source: {sources}"))
    for pcode, grp in latest.groupby("pcode", dropna=False, sort=True):
        first = grp.iloc[0]
        if lang != DEFAULT and not is_missing(first.get("name_ar")) and first.get("name_ar"):
            place = str(first.get("name_ar"))
        else:
            named = first.get("name") if not is_missing(first.get("name")) else first.get("name_ar")
            place = data(named) if not is_missing(named) else names.get(str(pcode), data(pcode))
        lines = [f"{fmt_int(g.value)} {esc(data(g.metric))}" for g in grp.itertuples()]
        dates = [esc(fmt_date(g.day, lang)) or esc(_("undated")) for g in grp.itertuples()]
        src = first.get("dataset") if is_missing(first.get("source")) else first.get("source")
        head = (f"<b>{rtl(place)}</b>" if lang != DEFAULT and place == first.get("name_ar")
                else f"<b>{esc(place)}</b> {rtl(first.get('name_ar'))}")
        rows.append({"label": f"{esc(place)}: " + esc(_("; ")).join(lines),
                     "tip": head + "<br>"
                            + "<br>".join(f"{ln} ({dt})" for ln, dt in zip(lines, dates, strict=True))
                            + "<br>" + source_word.format(sources=esc(data(src)))
                            + f"<br>{imported}",
                     "geometry": grp.geometry.iloc[0]})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    gdf["geometry"] = round_coords(gdf.geometry.representative_point().values)
    return gdf


def prepare_workspace_layer(entry: dict[str, Any], frame: pd.DataFrame | None, *, on: date, window: int,
                            blocks: gpd.GeoDataFrame | None, governorates: gpd.GeoDataFrame | None,
                            slot: int = 0, acled_detail: bool = False, max_points: int | None = None,
                            counts: CountTable | None = None,
                            window_rows: Callable[[], pd.DataFrame] | None = None,
                            precision: dict[str, Any] | None = None, lang: str = DEFAULT) -> WorkspaceLayer:
    """An imported layer (workspace manifest ``entry`` + stored ``frame``) filtered to the view and prepared.

    Event layers may come as their count table (``counts``, ``pipeline.runtime.event_counts``) instead of
    their rows (``frame`` None): the window's count and the aggregates come from the table, and
    ``window_rows()``
    (the window's stored rows) is asked only when the layer is drawn as points; ``precision`` is the layer's
    ``acled_views.precision_note`` (geocoding precision), said beside its aggregates. ``max_points`` defaults to
    the ``map_point_limit`` setting.

    ``blocks`` and ``governorates`` (the bundle's layers) place aggregated events; ``slot`` picks the
    layer's colour. The rows that count are ``pipeline.runtime.on_date``'s:

    events: the ``window`` days ending on ``on``; ACLED layers (``entry["acled"]``) aggregated by block unless
    ``acled_detail`` (a person's own choice), any layer with more than ``max_points`` events aggregated.
    zones: the ones valid on ``on`` (``valid_from <= on < valid_to``, a missing bound open). figures: the
    latest value per governorate and metric on or before ``on``, as a labelled point. The texts (tips and the
    legend's ``detail``) are in ``lang``; the layer's own values as written.
    """
    _, data = _words(lang)
    name = str(entry.get("name", "imported"))
    kind = str(entry.get("kind") or "events")
    acled = bool(entry.get("acled", False))
    limit = settings.get(settings.MAP_POINT_LIMIT) if max_points is None else max_points
    total = int(entry.get("rows", 0)) if frame is None else int(len(frame))
    out = WorkspaceLayer(name=name, kind=kind, frame=None, slot=slot, acled=acled, total=total)
    imported = esc(_("Imported: {name}").format(name=data(name)))
    if acled:
        out.attribution = attribution_in(str(entry.get("attribution") or acled_attribution), lang)
    if kind == "events" and counts is not None:
        out.count = totals(counts, on, window)["count"]
        if out.count == 0 or (acled and not acled_detail) or out.count > limit:
            return _aggregated(out, counts, on=on, window=window, blocks=blocks, governorates=governorates,
                               limit=limit, coarse=precision, lang=lang)
        frame = window_rows() if window_rows is not None else frame
    if not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
        out.detail = _("nothing to draw")
        return out
    frame = _none_for_na(frame[frame.geometry.notna() & ~frame.geometry.is_empty])

    if kind == "events":
        sel = rows_in_window(frame, on, window)
        out.count = int(len(sel))
        if sel.empty:
            out.detail = _("no event in the {window} days to the date").format(window=window)
            return out
        if (acled and not acled_detail) or len(sel) > limit:
            return _aggregated(out, count_table(sel), on=on, window=window, blocks=blocks,
                               governorates=governorates, limit=limit, coarse=precision_note(sel), lang=lang)
        else:
            pts = sel.copy()
            if "kind" not in pts:
                pts["kind"] = "event"
            prepared = prepare_events(pts, lang)
            prepared["tip"] = (prepared["tip"] + "<br>" + imported
                               + (esc(_(" (ACLED, your own view)")) if acled else ""))
            out.frame = prepared
            out.detail = _("{what}: {n} in the last {window} days").format(
                what=_("ACLED event detail (your own view)") if acled else _("points"), n=f"{out.count:,}",
                window=window)
    elif kind == "zones":
        sel = valid_on(frame, on)
        out.count = int(len(sel))
        if sel.empty:
            out.detail = _("outline: none of {n} zone(s) valid on the date").format(n=f"{len(frame):,}")
            return out
        gdf = simplify_for_display(gpd.GeoDataFrame(sel, geometry=sel.geometry.name, crs=frame.crs or STORAGE_CRS),
                                   10.0, coverage=False)
        area, source = _("Area {value}"), _("Source: {sources}")
        gdf["tip"] = [
            f"<b>{esc(data(getattr(r, 'name', None) or getattr(r, 'zone_id', '')))}</b><br>"
            f"{esc(_category(getattr(r, 'kind', ''), lang))}<br>"
            + esc(_("Valid {start}").format(start=fmt_date(getattr(r, 'valid_from', None), lang) or _("from ?"))
                  if is_missing(getattr(r, 'valid_to', None)) else
                  _("Valid {start} to {end}").format(start=fmt_date(getattr(r, 'valid_from', None), lang)
                                                     or _("from ?"), end=fmt_date(r.valid_to, lang)))
            + f"<br>{esc(area.format(value=_km2(getattr(r, 'area_km2', None), lang)))}"
            f"<br>{esc(source.format(sources=data(getattr(r, 'source', ''))))}"
            f"<br>{imported}"
            for r in gdf.itertuples()]
        out.frame = gdf
        out.detail = _("outline: {n} of {total} zone(s) valid on the date").format(n=f"{out.count:,}",
                                                                                    total=f"{len(frame):,}")
    elif kind == "figures":
        latest = latest_on_or_before(frame, on, ["pcode", "metric"])
        if latest.empty:
            out.detail = _("no figure on or before the date")
            return out
        gdf = _figure_points(latest.assign(day=days(latest, "date")), frame.crs or STORAGE_CRS, imported, lang)
        out.frame, out.count = gdf, len(gdf)
        out.detail = _("governorate figures on or before the date ({n} place(s))").format(n=out.count)
    else:
        out.detail = _("layer kind {kind} is not drawn").format(kind=repr(kind))
    return out
