"""What the map component (``map_component``) receives: plain JSON, the date-free part once, the rest per view.

- :func:`base` (once per process and bundle, served over HTTP by app.py and cached by the browser):
  the display geometry of the blocks, governorates, Strip, every zone, the places and the claims' areas, the blocks' date-free
  hover text and every order that named each block (date, id, source, a link only for http(s) URLs);
  :func:`facilities` (the named landmarks) comes apart, when the person switches that layer on.
- :func:`view` (per date, framing and window, a few KB over the websocket): one status code per block in
  the order of ``base``, the legend counts and labels, the zone id, the incidents and claims (their place and
  text: the outline is in ``base``) in the window
  and the imported layers; the points' tooltip lines once each in ``strings`` (points hold their indices).
- :func:`playback` (once per process and ``since``/``window``): every day's block status, run-length
  encoded per block, for playing the days back in the browser.

Every text is **plain text** (the component sets it with ``textContent``): the ``prepare_*`` functions of
``map_layers`` give escaped HTML, which :func:`lines` turns back into the text lines it shows, so nothing
from data is ever parsed as HTML in the browser. No streamlit import.
"""

from __future__ import annotations

import functools
import hashlib
import html as _html
import json
import re
import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.html import fmt_date, is_missing, safe_url
from dashboard.map_geometry import round_coords, simplify_for_display, to_geojson
from dashboard.map_layers import (
    MapInput,
    WorkspaceLayer,
    display_blocks,
    prepare_claims,
    prepare_governorates,
    prepare_places,
    prepare_zone,
    status_labels,
)
from pipeline.core import settings
from pipeline.core.errors import BundleError
from pipeline.core.facilities import FACILITY_KINDS, KIND_EN
from pipeline.core.i18n import DEFAULT, N_, is_rtl, month_names, normalise, translator
from pipeline.core.palette import FACILITY_COLOURS, MAJOR_PLACES, STATUS_COLOURS, WORKSPACE_COLOURS
from pipeline.runtime import bundle
from pipeline.runtime.metrics_index import index as metrics_index

CODES = {"recent": "r", "earlier": "e", "none": "n"}
ATTRIBUTION = N_("Blocks: IDF grid via GazaNowPop (GPL-3.0)")
BASE_ROUTE = "/gdm-api/base.json"
PLAYBACK_ROUTE = "/gdm-api/playback.json"
FACILITIES_ROUTE = "/gdm-api/facilities.json"
INCIDENTS_ROUTE = "/gdm-api/incidents.json"
# The component's code and style: fetched once by the browser, not sent with each rerun.
ASSET_ROUTE = "/gdm-api/asset/{name}"
ASSETS = {"map.js": "text/javascript; charset=utf-8", "map.css": "text/css; charset=utf-8"}
ASSET_DIR = Path(__file__).resolve().parent / "map_component"

_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]*>")
_INLINE = re.compile(r"</?(?:a|b|bdi|em|i|small|span|strong|sub|sup|u)\b[^>]*>", re.I)  # inside a word run
_lock = threading.Lock()


def lines(escaped_html: Any) -> list[str]:
    """The text lines of HTML built by ``dashboard.html`` (data escaped, our own tags only): inline tags dropped
    (``<b>Block 12</b>: 3`` reads "Block 12: 3"), other tags a space, entities decoded. The result is plain text,
    for ``textContent`` only."""
    if is_missing(escaped_html):
        return []
    out = []
    for part in _BR.split(str(escaped_html)):
        text = " ".join(_html.unescape(_TAG.sub(" ", _INLINE.sub("", part))).split())
        if text:
            out.append(text)
    return out


def bundle_key() -> str:
    """Identifies the bundle on disk (folder + build time), so caches follow a rebuild."""
    try:
        return f"{settings.get(settings.BUNDLE_DIR)}@{bundle.load_manifest().get('built_at')}"
    except BundleError:
        return str(settings.get(settings.BUNDLE_DIR))


FORMAT = "3"  # the shape of base/view (2: claim outlines in base; 3: incidents by index into their table); a change gives new URLs, never a stale copy


def version(key: str | None = None) -> str:
    """A short, URL-safe tag of the bundle and of :data:`FORMAT` (the browser caches ``base`` under it)."""
    return hashlib.sha1(f"{key or bundle_key()}|{FORMAT}".encode()).hexdigest()[:12]


@functools.cache
def asset(name: str) -> bytes:
    """One of the map component's files (``ASSETS``: ``map_component/map.js``, ``map.css``), read once per process."""
    if name not in ASSETS:
        raise KeyError(name)
    return (ASSET_DIR / name).read_bytes()


def asset_url(name: str) -> str:
    """Where the browser loads :func:`asset` from, versioned by its content (so a cached copy is never stale)."""
    return f"{ASSET_ROUTE.format(name=name)}?v={hashlib.sha1(asset(name)).hexdigest()[:12]}"


@functools.lru_cache(maxsize=32)
def _layer(name: str, key: str) -> pd.DataFrame | None:
    try:
        return bundle.load_layer(name) if name in bundle.layer_names() else None
    except BundleError:
        return None


def layer(name: str) -> pd.DataFrame | None:
    """A bundle layer, read once per process (shared: do not change it)."""
    return _layer(name, bundle_key())


def _geolayer(name: str, key: str) -> gpd.GeoDataFrame | None:
    """A spatial bundle layer as :func:`_layer` reads it; None also when it has no geometry (a damaged
    bundle: ``bundle.load_geolayer`` refuses such a layer the same way)."""
    frame = _layer(name, key)
    return frame if isinstance(frame, gpd.GeoDataFrame) else None


def _fc(gdf: Any, props: dict[str, Any]) -> dict[str, Any]:
    """FeatureCollection of ``gdf`` with the given per-row property lists (plain JSON)."""
    fc = to_geojson(gdf, [])
    for i, f in enumerate(fc["features"]):
        f["properties"] = {k: v[i] for k, v in props.items()}
    return fc


def _history(key: str) -> tuple[dict[str, list[Any]], dict[str, list[str]]]:
    """(orders: id -> [ISO date, date label, source, http(s) URL or None], history: block id -> order ids)."""
    ob, orders = _layer("order_blocks", key), _layer("orders", key)
    if ob is None or orders is None:
        return {}, {}
    o = pd.DataFrame(orders[[c for c in ("order_id", "issued_on", "source_name", "source_url")
                             if c in orders.columns]]).copy()
    o["issued_on"] = pd.to_datetime(o["issued_on"])
    table: dict[str, list[Any]] = {}
    rows: Iterable[Any] = o.itertuples()  # one named tuple per order (mixed column types)
    for r in rows:
        src = getattr(r, "source_name", None)
        table[str(r.order_id)] = [r.issued_on.strftime("%Y-%m-%d"), fmt_date(r.issued_on),
                                  "source" if is_missing(src) else str(src), safe_url(getattr(r, "source_url", None))]
    h = pd.DataFrame(ob[["order_id", "block_id"]]).dropna(subset=["block_id"]).merge(
        o[["order_id", "issued_on"]], on="order_id", how="left").sort_values(["issued_on", "order_id"])
    by_block: dict[str, list[str]] = {}
    pairs: Iterable[Any] = h.itertuples()  # one named tuple per (order, block)
    for r in pairs:
        by_block.setdefault(str(int(r.block_id)), []).append(str(r.order_id))
    return table, by_block


@functools.lru_cache(maxsize=4)
def _base(key: str, lang: str = DEFAULT) -> bytes:
    blocks, gov, strip = _geolayer("blocks", key), _geolayer("governorates", key), _geolayer("strip", key)
    zones, places = _geolayer("zones", key), _geolayer("places", key)
    out: dict[str, Any] = {"version": version(key), "colours": STATUS_COLOURS, "attribution": ATTRIBUTION}
    if blocks is not None:
        disp = display_blocks(blocks, gov, tolerance_m=15.0, lang=lang).reset_index(drop=True)
        out["blocks"] = _fc(disp, {"block_id": [int(b) for b in disp["block_id"]],
                                   "head": [lines(t) for t in disp["tip_head"]]})
    g = prepare_governorates(gov, 15.0, lang)
    if g is not None:
        out["governorates"] = _fc(g, {"pcode": [str(p) for p in g["pcode"]], "tip": [lines(t) for t in g["tip"]]})
    if strip is not None:
        out["strip"] = _fc(simplify_for_display(strip, 15.0), {})
    if zones is not None and len(zones):
        z = prepare_zone(zones, lang)
        out["zones"] = _fc(z, {"zone_id": [str(i) for i in z["zone_id"]], "tip": [lines(t) for t in z["tip"]]})
    if places is not None and len(places):
        prows: Iterable[Any] = prepare_places(places, lang).itertuples()  # one named tuple per place (a Point)
        out["places"] = [{"id": str(r.place_id), "lon": r.geometry.x, "lat": r.geometry.y,
                          "label": " ".join(lines(r.label)), "tip": lines(r.tip), "major": bool(r.prominent),
                          "rank": MAJOR_PLACES.index(r.place_id) if r.place_id in MAJOR_PLACES else None}
                         for r in prows]
    claims = _layer("claims", key)
    areas = prepare_claims(claims, places) if claims is not None and len(claims) else None
    if areas is not None and len(areas):  # a claim is drawn on its place's area: each outline once, by place
        areas = areas.drop_duplicates("place_id").reset_index(drop=True)
        out["claim_areas"] = _fc(areas, {"place_id": [str(i) for i in areas["place_id"]]})
    facilities = _geolayer("facilities", key)
    if facilities is not None and len(facilities):  # the points themselves come when the layer is switched on
        out["facility_kinds"] = _facilities(facilities, lang)[0]
        out["facilities_url"] = f"{FACILITIES_ROUTE}?v={version(key)}" + (f"&lang={lang}" if lang != DEFAULT else "")
    out["orders"], out["history"] = _history(key)
    return json.dumps(out, separators=(",", ":"), default=str).encode()


def _facilities(f: gpd.GeoDataFrame, lang: str = DEFAULT) -> tuple[list[dict[str, str]], list[list[Any]]]:
    """(kinds with their label and colour, one [lon, lat, kind index, tip lines] per facility): a layer the
    person switches on in the map's layers control (off by default). Kinds and tips in ``lang``."""
    _ = translator(lang)
    kinds = [{"key": k, "label": _(KIND_EN[k]), "colour": FACILITY_COLOURS[k]} for k in FACILITY_KINDS]
    pos = {k["key"]: i for i, k in enumerate(kinds)}
    xy = round_coords(f.geometry.values)
    rows: list[list[Any]] = []
    for g, name, kind, block in zip(xy, f["name_ar"], f["kind"], f["block_id"], strict=True):
        word = _(KIND_EN[str(kind)]) if str(kind) in KIND_EN else str(kind)
        tip = [str(name), word + ("" if pd.isna(block) else _(" · block {id}").format(id=int(block)))]
        rows.append([g.x, g.y, pos.get(str(kind), pos["other"]), tip])
    return kinds, rows


@functools.lru_cache(maxsize=4)
def _facilities_json(key: str, lang: str = DEFAULT) -> bytes:
    f = _geolayer("facilities", key)
    rows = _facilities(f, lang)[1] if f is not None and len(f) else []
    return json.dumps({"version": version(key), "facilities": rows}, separators=(",", ":")).encode()


def facilities(key: str | None = None, lang: str = DEFAULT) -> bytes:
    """The named landmarks as [lon, lat, kind index, tip lines] (JSON bytes), fetched when the layer is
    switched on in the map's layers control (off by default: two thirds of the date-free data)."""
    with _lock:
        return _facilities_json(key or bundle_key(), normalise(lang))


def base(key: str | None = None, lang: str = DEFAULT) -> bytes:
    """The date-free part of the map as JSON bytes, built once per process, bundle and language (its hover texts)."""
    with _lock:
        return _base(key or bundle_key(), normalise(lang))


def block_order(key: str | None = None) -> list[int]:
    """The blocks' ids in the order of ``base`` (the order of the per-view status codes)."""
    return _block_order(key or bundle_key())


@functools.lru_cache(maxsize=4)
def _block_order(key: str) -> list[int]:
    data = json.loads(base(key))
    return [f["properties"]["block_id"] for f in data.get("blocks", {}).get("features", [])]


def status_codes(status: pd.DataFrame | None, order: list[int]) -> str:
    """One letter per block (r recent, e earlier, n none) in ``order``."""
    by = {} if status is None or status.empty else dict(zip(status["block_id"].astype(int), status["status"], strict=True))
    return "".join(CODES.get(by.get(b, "none"), "n") for b in order)


TIP_CHARS = 160  # a tooltip line longer than this (an incident's notes) is cut: the map shows a glance, not the record


class Strings:
    """One view's table of tooltip lines: a point sends the indices of its lines, so a line many points share
    (the dataset and source, "Reported fatalities: 0") travels once per date change."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._pos: dict[str, int] = {}

    def ids(self, texts: list[str]) -> list[int]:
        out = []
        for t in texts:
            t = t if len(t) <= TIP_CHARS else t[:TIP_CHARS - 1].rstrip() + "…"
            if t not in self._pos:
                self._pos[t] = len(self.items)
                self.items.append(t)
            out.append(self._pos[t])
        return out


def _points(gdf: Any, strings: Strings, *, label: bool = False) -> list[list[Any]]:
    """One [lon, lat, radius, tip line ids(, label)] per point; the lines are in ``strings``. A frame with a
    ``tip_lines`` column (the lines of each ``tip``, made with it) is not parsed again."""
    if gdf is None or gdf.empty:
        return []
    geoms = np.asarray(gdf.geometry.values)
    xs = [round(x, 5) for x in shapely.get_x(geoms).tolist()]
    ys = [round(y, 5) for y in shapely.get_y(geoms).tolist()]
    radii = [float(r or 5) for r in gdf["radius"]] if "radius" in gdf else [5.0] * len(gdf)
    tips = gdf["tip_lines"] if "tip_lines" in gdf else (lines(t) for t in gdf["tip"])
    out = [[x, y, r, strings.ids(t)] for x, y, r, t in zip(xs, ys, radii, tips, strict=False)]
    if label:
        for row, text in zip(out, gdf["label"] if "label" in gdf else [""] * len(gdf), strict=True):
            row.append(" ".join(lines(text)))
    return out


class Incidents:
    """Every shipped incident prepared for the map (``prepare_events``: position, size, tooltip lines), as the
    JSON the map fetches once (``INCIDENTS_ROUTE``, cached by the browser), and each one's index in it: a view
    then names the incidents of its window by index instead of sending their points and texts again."""

    def __init__(self, prepared: Any, key: str, lang: str = "en") -> None:
        strings = Strings()
        points = _points(prepared, strings)
        ids = [] if prepared is None or prepared.empty else [str(e) for e in prepared["event_id"]]
        self.index = {e: i for i, e in enumerate(ids)}
        self.body = json.dumps({"version": version(key), "points": points, "strings": strings.items},
                               separators=(",", ":")).encode()
        self.url = f"{INCIDENTS_ROUTE}?v={version(key)}" + ("" if lang == "en" else f"&lang={lang}")

    def positions(self, frame: Any) -> list[int]:
        """The indices of ``frame``'s incidents (its ``event_id``) in the table."""
        if frame is None or frame.empty or "event_id" not in frame:
            return []
        return [self.index[e] for e in (str(x) for x in frame["event_id"]) if e in self.index]


def _workspace(layers: list[WorkspaceLayer], strings: Strings) -> list[dict[str, Any]]:
    out = []
    for ly in sorted(layers, key=lambda x: {"zones": 0, "figures": 1, "events": 2}.get(x.kind, 9)):
        item: dict[str, Any] = {"name": ly.name, "kind": ly.kind, "aggregated": ly.aggregated, "count": ly.count,
                                "detail": ly.detail, "attribution": ly.attribution if ly.count else None,
                                "colour": WORKSPACE_COLOURS[ly.slot % len(WORKSPACE_COLOURS)]}
        frame = ly.frame
        if frame is not None and not frame.empty:
            if ly.kind == "zones":
                item["zones"] = _fc(frame, {"tip": [lines(t) for t in frame["tip"]]})
            else:
                item["points"] = _points(frame, strings, label=ly.kind == "figures")
        out.append(item)
    return out


# The map's own words (legend, layers control, attribution, popups, playback), sent with each view in its
# language; map.js falls back to these English words.
MAP_TEXT = {
    "legend": N_("Legend"), "sources": N_("sources"), "attribution": ATTRIBUTION,
    "blocks": N_("Evacuation blocks"), "governorates": N_("Governorates"), "strip": N_("Gaza Strip"),
    "zone": N_("Humanitarian zone"), "claims": N_("Reported events (attributed)"),
    "incidents": N_("Strikes and incidents"), "places": N_("Places"), "facilities": N_("Facilities (named landmarks)"),
    "zone_row": N_("Humanitarian zone declared on the date"),
    "incidents_row": N_("Strikes/incidents, last {window} days (size: deaths)"),
    "claims_row": N_("Reported events (attributed claims)"), "boundary_row": N_("Governorate boundary"),
    "facilities_row": N_("Facilities (named landmarks, Arabic names; classified by this project's rules):"),
    "imported": N_("Imported: {name}"), "no_order": N_("No order named it."),
    "orders_head": N_("Orders that named it"), "order_line": N_("{date}: order {id} ("),
    "play": N_("▶ Play"), "pause": N_("⏸ Pause"), "play_title": N_("Play the days (in the browser)"),
    "speed": N_("Days per second"), "loop": N_("loop"), "start": N_("Start date"), "end": N_("End date"),
    "playing": N_("{date} (playing)"), "loading": N_("loading…"), "osm": N_("© OpenStreetMap contributors"),
    "per_second": N_("{n} d/s"),
}


def map_text(lang: str, window: int) -> dict[str, str]:
    """:data:`MAP_TEXT` in ``lang`` (the window filled in)."""
    _ = translator(lang)
    out = {k: _(v) for k, v in MAP_TEXT.items()}
    out["incidents_row"] = out["incidents_row"].format(window=int(window))
    return out


def view(inp: MapInput, status: pd.DataFrame | None, zone_id: str | None, *, span: tuple[date, date],
         acled_attribution: str | None = None, lang: str = DEFAULT, incidents: Incidents | None = None
         ) -> dict[str, Any]:
    """The per-view message (a few KB): status codes, zone id, incidents, claims, imported layers, legend, and the
    map's words in ``lang`` (``text``; ``dir`` for the legend and popups: the map itself stays left to right).
    With ``incidents`` (the table of every shipped incident) the window's incidents are their indices in it
    (``incidents_at``, the table at ``incidents_url``); without, their points and texts (``incidents``)."""
    _ = translator(lang)
    counts = {} if status is None or status.empty else status["status"].value_counts().to_dict()
    labels = status_labels(inp.on, inp.since, inp.window, lang)
    strings = Strings()
    out = {
        "version": version(),
        "base_url": f"{BASE_ROUTE}?v={version()}" + (f"&lang={lang}" if lang != DEFAULT else ""),
        "playback_url": f"{PLAYBACK_ROUTE}?v={version()}&since={inp.since:%Y-%m-%d}&window={int(inp.window)}",
        "on": f"{inp.on:%Y-%m-%d}", "on_label": fmt_date(inp.on, lang), "window": int(inp.window),
        "since": f"{inp.since:%Y-%m-%d}", "span": [f"{span[0]:%Y-%m-%d}", f"{span[1]:%Y-%m-%d}"],
        "layers": list(inp.layers), "basemap": inp.basemap,
        "status": status_codes(status, block_order()),
        "counts": {k: int(counts.get(k, 0)) for k in CODES},
        "labels": labels,
        "short": {"recent": _("ordered in the last {window} days").format(window=inp.window),
                  "earlier": _("ordered earlier"), "none": _("not ordered")},
        "lang": lang, "dir": "rtl" if is_rtl(lang) else "ltr", "text": map_text(lang, inp.window),
        "months": month_names(lang),
        "zone_id": zone_id,
        "incidents": [] if incidents is not None else _points(inp.incidents, strings),
        "incidents_at": incidents.positions(inp.incidents) if incidents is not None else None,
        "incidents_url": incidents.url if incidents is not None else None,
        "claims": [{"place": str(pid), "tip": lines(t)} for pid, t in zip(inp.claims["place_id"], inp.claims["tip"],
                                                                             strict=True)]
        if inp.claims is not None and not inp.claims.empty else None,
        "workspace": _workspace(inp.workspace, strings),
        "attributions": [acled_attribution] if acled_attribution else [],
    }
    out["strings"] = strings.items
    out["rev"] = hashlib.sha1(json.dumps(out, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return out


def day_codes(since: date, window: int, d0: date, d1: date, order: list[int]) -> Any:
    """Every day's status code per block, days ``d0``..``d1`` x blocks in ``order`` (numpy array of "r", "e",
    "n"): the same statuses as ``pipeline.runtime.metrics.block_status`` day by day, from one pass over the
    orders. An order named a block on its date; "earlier" from then on, "recent" in the ``window`` days from its
    date (a window never reaches back before ``since``)."""
    ix = metrics_index()
    d = ix.order_dates.astype("datetime64[D]")
    t0, t1 = np.datetime64(since, "D"), np.datetime64(d1, "D")
    keep = (d >= t0) & (d <= t1)  # NaT (an undated order) compares False: never counted, as block_status does
    n_days = int((t1 - t0).astype(int)) + 1
    named = np.zeros((n_days + 1, len(ix.block_ids)), dtype=np.int32)  # row 0: before ``since``
    rows, cols = np.nonzero(ix.member[keep])
    np.add.at(named, (((d[keep] - t0).astype(int) + 1)[rows], cols), 1)
    upto = named.cumsum(axis=0)  # upto[k + 1]: orders naming the block from ``since`` to day k
    k = np.arange(n_days)
    recent = (upto[k + 1] - upto[np.maximum(k + 1 - int(window), 0)]) > 0
    codes = np.where(recent, "r", np.where(upto[k + 1] > 0, "e", "n"))
    pos = {int(b): i for i, b in enumerate(ix.block_ids)}
    at = np.array([pos.get(int(b), -1) for b in order], dtype=int)
    first = int((np.datetime64(d0, "D") - t0).astype(int))
    out = np.full((n_days - first, len(order)), "n")
    found = at >= 0
    out[:, found] = codes[first:, at[found]]
    return out


@functools.lru_cache(maxsize=16)
def _playback(key: str, since: str, window: int, start: str, end: str) -> bytes:
    order = block_order(key)
    codes = day_codes(date.fromisoformat(since), window, date.fromisoformat(start), date.fromisoformat(end), order)
    runs: list[list[Any]] = []  # per block: [day index, code, day index, code, ...] where the code changes
    for i in range(len(order)):
        col = codes[:, i]
        at = [0, *(np.flatnonzero(col[1:] != col[:-1]) + 1).tolist()] if len(col) else []
        runs.append([x for j in at for x in (j, str(col[j]))])
    counts = np.stack([(codes == c).sum(axis=1) for c in ("r", "e", "n")], axis=1).tolist()
    out = {"version": version(key), "since": since, "window": window, "start": start, "days": len(codes),
           "runs": runs, "counts": counts}
    return json.dumps(out, separators=(",", ":")).encode()


@functools.lru_cache(maxsize=4)
def _span(key: str) -> tuple[date, date] | None:
    lo, hi = [], []
    # Orders and series (Oct 2023 onwards); events reach back to 2017 and would stretch the control.
    for name, col in (("orders", "issued_on"), ("series", "date")):
        frame = _layer(name, key)
        if frame is not None and col in frame and len(frame):
            d = pd.to_datetime(frame[col], errors="coerce").dropna()
            if len(d):
                lo.append(d.min().date())
                hi.append(d.max().date())
    return (min(lo), max(hi)) if lo else None


def time_span(key: str | None = None) -> tuple[date, date]:
    """First and last date of the time layers (the date control's range), with the default date and framing."""
    found = _span(key or bundle_key()) or (date(2023, 10, 7), date(2025, 12, 31))
    defaults = (settings.get(settings.GRID_PUBLISHED_ON), settings.get(settings.DEFAULT_DATE))
    return min(found[0], *defaults), max(found[1], defaults[1])


def playback(since: date | str, window: int, span: tuple[date, date] | None = None, key: str | None = None
             ) -> bytes:
    """Every day's block status from ``max(since, span start)`` to the span's end, RLE per block (JSON bytes)."""
    span = span or time_span(key)
    s = since if isinstance(since, str) else since.isoformat()
    start = max(date.fromisoformat(s), span[0]).isoformat()
    return _playback(key or bundle_key(), s, int(window), start, span[1].isoformat())
