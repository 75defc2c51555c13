"""Cached access to the bundle and to ``pipeline.metrics`` for the pages.

Shared read-only layers are held once per server (``st.cache_resource``: never mutate them);
figures and per-view frames are ``st.cache_data`` (each caller gets a copy).  Everything here
asks ``pipeline.runtime``; nothing parses raw formats.  Layers missing from the bundle (an older or
partial build) come back as ``None`` so the pages can say so instead of failing.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from dashboard import map_payload
from dashboard.map_geometry import simplify_for_display
from dashboard.map_layers import (
    MapInput,
    WorkspaceLayer,
    display_blocks,
    prepare_blocks,
    prepare_claims,
    prepare_events,
    prepare_governorates,
    prepare_places,
    prepare_workspace_layer,
    prepare_zone,
)
from dashboard.visitor import configure_workspace, viewer
from pipeline.core import settings
from pipeline.core.dates import to_date
from pipeline.core.i18n import normalise
from pipeline.runtime import acled_views, bundle, disagreements, event_counts, order_impact, workspace
from pipeline.runtime import metrics as pm
from pipeline.runtime.metrics_index import Index
from pipeline.runtime.metrics_index import index as metrics_index
from pipeline.runtime.on_date import rows_in_window
from pipeline.runtime.workspace_access import may_see, sees_detail

log = logging.getLogger(__name__)

ISO = "%Y-%m-%d"


def _iso(d: date | str) -> str:
    return d if isinstance(d, str) else d.strftime(ISO)


def _date(d: date | str) -> date:
    return to_date(d)


def bundle_key() -> str:
    """Identifies the bundle on disk (folder + build time), so caches follow a rebuild."""
    return map_payload.bundle_key()


def _layer(name: str, key: str) -> pd.DataFrame | None:
    return map_payload._layer(name, key)  # once per process, shared with the warm-up and the map's HTTP route


def layer(name: str) -> pd.DataFrame | None:
    """Layer ``name`` from the bundle, shared read-only (copy before changing), or None if absent."""
    return _layer(name, bundle_key())


def geolayer(name: str) -> gpd.GeoDataFrame | None:
    """A spatial layer as :func:`layer` gives it (shared read-only), or None if absent or without geometry."""
    return map_payload._geolayer(name, bundle_key())


def has(name: str) -> bool:
    return layer(name) is not None


@st.cache_data(show_spinner=False)
def manifest(key: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(bundle.load_manifest(), default=str))
    return out


def index() -> Index:
    """The metrics index of the bundle, built once per process and shared by every session."""
    return metrics_index()


# ---------------------------------------------------------------- dates

def default_date() -> date:
    return settings.get(settings.DEFAULT_DATE)


def default_since(on: date | str) -> date:
    """The start of the framing OCHA used at ``on`` (``pipeline.runtime.metrics.default_framing``)."""
    return to_date(pm.resolve_framing(_date(on), None)["since"])


def span() -> tuple[date, date]:
    """First and last date of the time layers (the date control's range)."""
    return map_payload.time_span(bundle_key())


# ---------------------------------------------------------------- metrics

@st.cache_data(show_spinner=False)
def _metrics(on: str, since: str, window: int, key: str, wkey: str) -> dict[str, Any]:
    orders = [(e, f) for e, f in _workspace(wkey)  # for "with your orders" only
              if e.get("kind") == "orders" and f is not None]
    out: dict[str, Any] = json.loads(json.dumps(pm.compute(index(), on, since=since, window=window,
                                                           workspace_orders=orders), default=str))
    return out


def metrics(on: date | str, since: date | str, window: int) -> dict[str, Any]:
    """``pipeline.runtime.metrics.compute`` (JSON shape of the contract) for the shipped bundle; the user's
    imported order layers give its separate ``with_your_orders`` figure."""
    return _metrics(_iso(on), _iso(since), int(window), bundle_key(), workspace_key())


@st.cache_data(show_spinner=False)
def _order_block_disagreements(start: str, end: str, key: str) -> list[dict[str, Any]]:
    orders, ob = layer("orders"), layer("order_blocks")
    if orders is None or ob is None:
        return []
    return disagreements.order_block_counts(orders, ob, _date(start), _date(end))


def order_block_disagreements(start: date | str, end: date | str) -> list[dict[str, Any]]:
    """Orders issued in [start, end] whose sources name different block sets (``pipeline.runtime.disagreements``)."""
    return _order_block_disagreements(_iso(start), _iso(end), bundle_key())


@st.cache_data(show_spinner=False)
def _crosscheck(key: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(json.dumps(pm.crosscheck(index()), default=str))
    return rows


def population_statements(on: date | str) -> list[dict[str, Any]]:
    """Statements of the date that give the pre-war population of what they describe, with our estimate."""
    day = _iso(on)
    return [r for r in _crosscheck(bundle_key()) if r["stated_on"] == day and r.get("people_prewar") is not None]


@st.cache_data(show_spinner=False, max_entries=64)
def _zone_disagreements(zone: str, key: str) -> list[dict[str, Any]]:
    statements = layer("statements")
    return [] if statements is None else disagreements.zone_area_statements(json.loads(zone), statements)


def zone_disagreements(m: dict[str, Any]) -> list[dict[str, Any]]:
    """Attributed statements of the zone's area beside the outline shipped here (once per zone and process)."""
    return _zone_disagreements(json.dumps(m.get("zone") or {}, sort_keys=True, default=str), bundle_key())


@st.cache_data(show_spinner=False, max_entries=128)
def _what_changed(on: str, window: int, key: str) -> list[dict[str, Any]]:
    facilities, blocks = layer("facilities"), layer("blocks")
    if facilities is None or blocks is None:
        return []
    return order_impact.what_changed(index(), facilities, blocks, on, window)


def what_changed(on: date | str, window: int) -> list[dict[str, Any]]:
    """The impact of the orders issued in the ``window`` days to ``on`` (``pipeline.runtime.order_impact``),
    once per date and process."""
    return _what_changed(_iso(on), int(window), bundle_key())


@st.cache_data(show_spinner=False)
def _block_status(on: str, since: str, window: int, key: str) -> pd.DataFrame:
    return pm.block_status(index(), on, since=since, window=window)[["block_id", "status"]]


def block_status(on: date | str, since: date | str, window: int) -> pd.DataFrame:
    return _block_status(_iso(on), _iso(since), int(window), bundle_key())


@st.cache_data(show_spinner=False)
def _order_history(key: str) -> pd.DataFrame | None:
    ob, orders = layer("order_blocks"), layer("orders")
    if ob is None or orders is None:
        return None
    cols = [c for c in ("order_id", "issued_on", "source_name", "source_url", "sources", "destination",
                        "stated_area_km2") if c in orders.columns]
    o = pd.DataFrame(orders[cols])
    h = pd.DataFrame(ob[[c for c in ("order_id", "block_id", "matched_as") if c in ob.columns]])
    h = h[h["block_id"].notna()].merge(o, on="order_id", how="left")
    h["block_id"] = h["block_id"].astype(int)
    return h.sort_values(["issued_on", "order_id"]).reset_index(drop=True)


def order_history() -> pd.DataFrame | None:
    """order_blocks joined to orders: one row per (order, block) with the order's date and source."""
    return _order_history(bundle_key())


def block_history(block_id: int) -> pd.DataFrame:
    """Every order that named the block (``pipeline.runtime.metrics.block_history``)."""
    return _block_history(int(block_id), bundle_key())


@st.cache_data(show_spinner=False)
def _block_history(block_id: int, key: str) -> pd.DataFrame:
    return pm.block_history(index(), block_id)


@st.cache_data(show_spinner=False)
def _share_series(start: str, end: str, since: str, key: str) -> pd.DataFrame:
    return pd.DataFrame(pm.share_series(index(), start, end, since=since))


def share_series(start: date | str, end: date | str, since: date | str) -> pd.DataFrame:
    """Daily area and share of the Strip under orders issued in [since, day] (``pipeline.metrics``)."""
    return _share_series(_iso(start), _iso(end), _iso(since), bundle_key())


# ---------------------------------------------------------------- filtered layers (map and downloads)

def is_acled(frame: pd.DataFrame) -> pd.Series:
    """Rows that come from ACLED (never shown row by row nor offered for download)."""
    out = pd.Series(False, index=frame.index)
    for col in ("dataset", "source"):
        if col in frame:
            out |= frame[col].astype(str).str.contains("acled", case=False, na=False)
    if "acled" in frame:
        out |= frame["acled"].fillna(False).astype(bool)
    return out


def incidents(on: date | str, window: int) -> gpd.GeoDataFrame | None:
    """The shipped incidents in the ``window`` days ending on ``on`` (``pipeline.runtime.on_date``), no ACLED row."""
    ev = geolayer("events")
    if ev is None:
        return None
    sel = rows_in_window(ev, on, window)
    return sel[~is_acled(sel)].copy()


def zone_on(on: date | str) -> gpd.GeoDataFrame | None:
    """The humanitarian zone declared on the date: the one ``pipeline.metrics`` picks (same as the KPI)."""
    z = geolayer("zones")
    if z is None or z.empty:
        return None
    zid = (metrics(on, default_since(on), 7).get("zone") or {}).get("zone_id")
    return z[z["zone_id"] == zid].copy()


def claims_in(on: date | str, window: int) -> pd.DataFrame | None:
    """The attributed claims in the ``window`` days ending on ``on`` (``pipeline.runtime.on_date``)."""
    c = layer("claims")
    if c is None:
        return None
    return rows_in_window(c, on, window)


def blocks_with_status(on: date | str, since: date | str, window: int) -> gpd.GeoDataFrame | None:
    b = geolayer("blocks")
    if b is None:
        return None
    out = b.merge(block_status(on, since, window), on="block_id", how="left")
    out["status"] = out["status"].fillna("none")
    return out


# ---------------------------------------------------------------- the map's prepared input

@st.cache_resource(show_spinner=False)
def _display_base(key: str) -> dict[str, Any]:
    """What the map draws the same on every date, prepared once per process and bundle: the outlines
    simplified for display (blocks included: a date changes only their status and texts) and the places."""
    strip, gov, places, blocks = geolayer("strip"), geolayer("governorates"), geolayer("places"), geolayer("blocks")
    return {
        "strip": simplify_for_display(strip, 15.0) if strip is not None else None,
        "governorates": prepare_governorates(gov, 15.0) if gov is not None else None,
        "places": prepare_places(places) if places is not None else None,
        "blocks": display_blocks(blocks, gov, tolerance_m=15.0) if blocks is not None else None,
    }


@st.cache_data(show_spinner=False, max_entries=16)
def _map_frames(on: str, since: str, window: int, key: str, with_blocks: bool = True, lang: str = "en"
                ) -> dict[str, Any]:
    frames: dict[str, Any] = {}
    blocks = _display_base(key)["blocks"] if with_blocks else None
    if blocks is not None:
        frames["blocks"] = prepare_blocks(blocks, block_status(on, since, window), order_history(),
                                          on=_date(on), since=_date(since), window=window)
    z = zone_on(on) if with_blocks else None  # the component has every zone's outline (base): it needs the id only
    frames["zone"] = prepare_zone(z, lang) if z is not None and len(z) else None
    ev = incidents(on, window)  # the component has every incident's point and text (incident_table): ids only
    frames["incidents"] = (prepare_events(ev, lang) if with_blocks else ev) if ev is not None and len(ev) else None
    cl = claims_in(on, window)
    frames["claims"] = prepare_claims(cl, geolayer("places"), lang=lang) if cl is not None and len(cl) else None
    return frames


def map_input(on: date | str, since: date | str, window: int, layers: list[str], basemap: str, *,
              imported: list[str] | tuple[str, ...] | None = None, acled_detail: bool = False,
              with_blocks: bool = True, lang: str = "en") -> MapInput:
    """The prepared map input; ``imported``: the workspace layers to draw (None: all of them).
    ``with_blocks=False`` leaves out the blocks' per-date texts, the zone's outline and the incidents' texts (the map
    component has the outlines and incidents and builds the texts in the browser)."""
    key = bundle_key()
    base = _display_base(key)
    frames = _map_frames(_iso(on), _iso(since), int(window), key, with_blocks, lang)
    ws = workspace_layers(on, window, imported, acled_detail=acled_detail, lang=lang)
    return MapInput(on=_date(on), since=_date(since), window=int(window), layers=list(layers),
                         basemap=basemap, strip=base["strip"], governorates=base["governorates"],
                         places=base["places"], workspace=ws, **frames)


@st.cache_data(show_spinner=False, max_entries=64)
def _map_view(on: str, since: str, window: int, layers: tuple[str, ...], basemap: str,
              imported: tuple[str, ...] | None, acled_detail: bool, key: str, wkey: str, lang: str = "en"
              ) -> dict[str, Any]:
    inp = map_input(on, since, window, list(layers), basemap, imported=imported, acled_detail=acled_detail,
                    with_blocks=False, lang=lang)
    z = zone_on(on)
    zid = str(z["zone_id"].iloc[0]) if z is not None and len(z) else None
    return map_payload.view(inp, block_status(on, since, window), zid, span=span(), lang=lang,
                            incidents=incident_table(lang))


def incident_table(lang: str = "en") -> map_payload.Incidents:
    """Every shipped incident with a place (no ACLED row) prepared for the map in ``lang``, once per process, bundle
    and language: the table the map fetches once and each view's incidents point into."""
    return _incident_table(bundle_key(), normalise(lang))


@st.cache_resource(show_spinner=False, max_entries=4)
def _incident_table(key: str, lang: str) -> map_payload.Incidents:
    ev = geolayer("events")
    shipped = None if ev is None or ev.empty else prepare_events(ev[~is_acled(ev)], lang)
    return map_payload.Incidents(shipped, key, lang)


def map_view(on: date | str, since: date | str, window: int, layers: list[str] | tuple[str, ...], basemap: str, *,
             imported: list[str] | tuple[str, ...] | None = None, acled_detail: bool = False, lang: str = "en"
             ) -> dict[str, Any]:
    """The map component's per-view data (``map_payload.view``) in ``lang``: a few KB, cached per view."""
    chosen = None if imported is None else tuple(sorted(imported))
    return _map_view(_iso(on), _iso(since), int(window), tuple(layers), basemap, chosen, bool(acled_detail),
                     bundle_key(), f"{workspace_key()}|{audience()}", lang)


# ---------------------------------------------------------------- imported (workspace) layers

def workspace_key() -> str:
    """Changes with the workspace (files: the manifest's mtime and size; PostGIS: its change counter)."""
    configure_workspace()
    try:
        return workspace.state_key()
    except workspace.WorkspaceError as exc:  # the database cannot be reached: no imported layers, said on Data
        return f"unavailable:{exc.reason}"


def _large(entry: dict[str, Any]) -> bool:
    """An event layer past the map's point limit: the server keeps its count table, not its rows."""
    return entry.get("kind") == "events" and int(entry.get("rows", 0)) > settings.get(settings.MAP_POINT_LIMIT)


@st.cache_resource(show_spinner=False, max_entries=4)
def _workspace(key: str) -> list[tuple[dict[str, Any], pd.DataFrame | None]]:
    """(entry, rows) per imported layer that loads (all owners: filtered per viewer by the callers); rows None for
    a large event layer, whose figures and map come from its count table (``pipeline.runtime.event_counts``) and
    the window's rows read on demand. A damaged layer is skipped (the Data page names it)."""
    out: list[tuple[dict[str, Any], pd.DataFrame | None]] = []
    for entry in workspace.list_layers():
        try:
            out.append((entry, None if _large(entry) else workspace.load(entry["name"])))
        except Exception as exc:  # a damaged layer is isolated, never a traceback
            log.warning("workspace layer %s not loaded: %s", entry.get("name"), exc)
    return out


def audience() -> str:
    """What this visitor may see of the workspace (the layers, and whose event detail), as a cache key: visitors
    who see the same layers share one cached view instead of each computing their own."""
    v = viewer()
    return ";".join(f"{i}:{e['name']}{'+' if sees_detail(e, v) else ''}"
                    for i, (e, _f) in enumerate(_workspace(workspace_key())) if may_see(e, v))


def _visible(key: str) -> list[tuple[dict[str, Any], pd.DataFrame | None]]:
    v = viewer()
    return [(e, f) for e, f in _workspace(key) if may_see(e, v)]


def workspace_entries() -> list[dict[str, Any]]:
    """Manifest entries of the imported layers this visitor may see and that loaded (oldest first)."""
    return [dict(e) for e, _ in _visible(workspace_key())]


def workspace_series() -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """Imported series (manifest entry, a copy of its days), oldest first: what the Timeline draws beside the
    shipped series."""
    return [(dict(e), f.copy()) for e, f in _workspace(workspace_key())
            if e.get("kind") == "series" and f is not None]


def _precision(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The geocoding precision of a large event layer (from its ``geo_precision`` column only), once per layer."""
    return _precision_of(str(entry.get("sha256") or entry["name"]), entry)


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs={dict: lambda _: 0})
def _precision_of(key: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    try:
        column = event_counts.read_columns(entry, ["geo_precision"])
    except (OSError, ValueError, KeyError):  # no such column (not an ACLED-like layer) or the layer is gone
        return None
    return acled_views.precision_note(column)


@st.cache_data(show_spinner=False, max_entries=16)
def _workspace_layers(on: str, window: int, names: tuple[str, ...] | None, detail: bool, key: str,
                      bkey: str, who: str, lang: str = "en") -> list[WorkspaceLayer]:
    out = []
    v = viewer()
    chosen = [(i, e, f) for i, (e, f) in enumerate(_workspace(key))
              if may_see(e, v) and (names is None or e["name"] in names)]
    for i, entry, frame in chosen[-settings.get(settings.MAX_MAP_LAYERS):]:
        large = frame is None and entry.get("kind") == "events"
        out.append(prepare_workspace_layer(
            entry, frame, on=_date(on), window=window, slot=i, blocks=geolayer("blocks"),
            governorates=geolayer("governorates"), acled_detail=detail and sees_detail(entry, v),
            counts=event_counts.table_for(entry) if large else None,
            window_rows=partial(event_counts.rows_in_window, entry, on, window) if large else None,
            precision=_precision(entry) if large else None, lang=lang))
    return out


def workspace_layers(on: date | str, window: int, names: list[str] | tuple[str, ...] | None = None, *,
                     acled_detail: bool = False, lang: str = "en") -> list[WorkspaceLayer]:
    """Imported layers prepared for the map: those this visitor may see, at most ``max_map_layers`` (the newest),
    ACLED aggregated unless ``acled_detail`` and the visitor imported it."""
    chosen = None if names is None else tuple(sorted(names))
    return _workspace_layers(_iso(on), int(window), chosen, bool(acled_detail), workspace_key(), bundle_key(),
                             audience(), lang)


def map_layers_left_out(names: list[str] | tuple[str, ...]) -> int:
    """How many of ``names`` the map leaves out (``max_map_layers``): the page says so."""
    return max(0, len(names) - settings.get(settings.MAX_MAP_LAYERS))


@st.cache_data(show_spinner=False, max_entries=16)
def _workspace_counts(on: str, window: int, key: str, who: str) -> dict[str, Any]:
    layers = [(e, event_counts.table_for(e) if f is None else f) for e, f in _visible(key) if e.get("kind") == "events"]
    out: dict[str, Any] = json.loads(json.dumps(pm.workspace_strikes(layers, _date(on), int(window)), default=str))
    return out


def workspace_counts(on: date | str, window: int) -> dict[str, Any]:
    """``pipeline.metrics.workspace_strikes``: per imported event layer this visitor sees, events in the window
    (never merged with the shipped incidents)."""
    return _workspace_counts(_iso(on), int(window), workspace_key(), audience())


def block_at(lat: float, lon: float) -> int | None:
    """The block under a clicked point (the nearest within 100 m when the click fell in a gap)."""
    b = geolayer("blocks")
    if b is None or lat is None or lon is None:
        return None
    pt = shapely.Point(float(lon), float(lat))
    idx = b.sindex.query(pt, predicate="intersects")
    if len(idx):
        return int(b.iloc[int(idx[0])]["block_id"])
    near = b.sindex.nearest(pt, return_all=False, max_distance=0.001)
    if near.size:
        return int(b.iloc[int(near[1][0])]["block_id"])
    return None


# ---------------------------------------------------------------- downloads

def filtered_layers(on: date | str, since: date | str, window: int, layers: list[str]
                    ) -> dict[str, pd.DataFrame]:
    """The layers as filtered on the map (never ACLED rows); claims are a table (CSV only)."""
    out: dict[str, pd.DataFrame] = {}
    if "blocks" in layers:
        b = blocks_with_status(on, since, window)
        if b is not None:
            out["blocks"] = b
    if "zone" in layers:
        z = zone_on(on)
        if z is not None:
            out["zones"] = z
    if "incidents" in layers:
        ev = incidents(on, window)
        if ev is not None:
            out["events"] = ev.drop(columns=[c for c in ("acled",) if c in ev.columns])
    places = layer("places") if "places" in layers else None
    if places is not None:
        out["places"] = places.copy()
    if "claims" in layers:
        c = claims_in(on, window)
        if c is not None:
            out["claims"] = c
    if "boundaries" in layers:
        for name in ("strip", "governorates"):
            frame = layer(name)
            if frame is not None:
                out[name] = frame.copy()
    return out


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.copy()
    for c in f.columns:
        if c == "geometry":
            continue
        if pd.api.types.is_datetime64_any_dtype(f[c]):
            f[c] = f[c].dt.strftime(ISO)
        elif f[c].dtype == object:
            f[c] = f[c].map(lambda v: v if v is None or isinstance(v, (str, int, float, bool)) else str(v))
    return f


def to_bytes(frame: pd.DataFrame, name: str, fmt: str) -> bytes:
    """A layer as GeoJSON, CSV (geometry as WKT) or GeoPackage bytes."""
    f = _plain(frame)
    if fmt == "csv":
        if isinstance(f, gpd.GeoDataFrame):
            f = pd.DataFrame(f.drop(columns="geometry").assign(wkt=f.geometry.to_wkt()))
        return f.to_csv(index=False).encode("utf-8")
    if fmt not in ("geojson", "gpkg"):
        raise ValueError(f"unknown format {fmt!r}")
    if not isinstance(f, gpd.GeoDataFrame):
        raise ValueError(f"{name} has no geometry: {fmt} needs a spatial layer (CSV does not)")
    if fmt == "geojson":
        return f.to_json(drop_id=True, na="null").encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / f"{name}.gpkg"
        f.to_file(p, driver="GPKG", layer=name)
        return p.read_bytes()


# ---------------------------------------------------------------- the day before and after, ahead of time

def lists(on: date, since: date, window: int) -> dict[str, Any]:
    """The Map page's figures and lists for a date besides its map: the metrics, what changed, where sources
    disagree (each cached per process). Returns the metrics."""
    m = metrics(on, since, window)
    what_changed(on, window)
    order_block_disagreements(since, on)
    zone_disagreements(m)
    population_statements(on)
    return m


_ahead = threading.Lock()  # one background computation at a time per process (bounded: a busy server skips it)


def compute_ahead(days: list[tuple[date, date]], window: int, layers: tuple[str, ...], basemap: str, *,
                  imported: list[str] | tuple[str, ...] | None, acled_detail: bool, lang: str = "en") -> None:
    """Fill the process-wide caches for other dates of the same view, ``days`` as (date, since), in a
    background thread, so "day ▶" / "◀ day" is a lookup. Skipped while another one runs; errors are logged
    (the page computes and reports them itself when asked)."""
    if not _ahead.acquire(blocking=False):
        return

    def run() -> None:
        try:
            for on, since in days:
                lists(on, since, window)
                map_view(on, since, window, layers, basemap, imported=imported, acled_detail=acled_detail, lang=lang)
        except Exception:
            log.exception("computing the neighbouring days ahead failed")
        finally:
            _ahead.release()

    threading.Thread(target=run, name="gdm-ahead", daemon=True).start()
