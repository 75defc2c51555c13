"""folium map builders for the Map page (no streamlit import: tested as HTML in tests/test_maps.py).

The page prepares frames (``prepare_*``), then ``build_map`` draws them:

- one ``folium.GeoJson`` layer per theme; polygons simplified for display only (metres, shared
  edges kept by ``shapely.coverage_simplify``) and coordinates rounded to 5 decimals;
- incidents as one GeoJson layer of ``CircleMarker``s on a ``prefer_canvas`` map (never one
  ``Marker`` per event); every vector layer shares that one canvas, so hit-testing follows the
  drawing order (a canvas above an SVG layer would swallow the clicks meant for the blocks);
- reported-event (claim) areas are outlines only, so they never catch clicks meant for blocks;
- every text from data escaped (``dashboard.html``) before it reaches a tooltip, popup or legend;
- imported (workspace) layers drawn apart by ``add_workspace_layers`` (own colours, legend entries and
  toggles; ACLED aggregated by block unless a person asks for detail, with ACLED's attribution);
- Leaflet served by the app (``/app/static/vendor``) when ``scripts/fetch_leaflet.sh`` has run,
  else folium's CDN links with a warning in the log (``localize_assets``).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from pipeline.core.layers import AREA_CRS, PCODES, STORAGE_CRS
from pipeline.runtime.readers.acled import acled_attribution
from pipeline.runtime.workspace import aggregate_events

from .html import esc, fmt_int, is_missing, link, rtl

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "static" / "vendor"
VENDOR_URL = "/app/static/vendor"

# CDN URL pattern -> file under static/vendor (None: not used by our maps, dropped when serving locally).
VENDOR_MAP: list[tuple[str, str | None]] = [
    (r"/leaflet@[\d.]+/dist/leaflet\.js$", "leaflet/dist/leaflet.js"),
    (r"/leaflet@[\d.]+/dist/leaflet\.css$", "leaflet/dist/leaflet.css"),
    (r"code\.jquery\.com/jquery-[\d.]+(\.min)?\.js$", "jquery/dist/jquery.min.js"),
    (r"bootstrap", None),
    (r"awesome-markers", None),
    (r"fontawesome", None),
    (r"leaflet\.awesome\.rotate", None),
]

# Block status: ColorBrewer OrRd (colour-blind safe, photocopy safe); dark / mid / light in greyscale.
STATUS_COLOURS = {"recent": "#b30000", "earlier": "#fc8d59", "none": "#fef0d9"}
STATUS_ORDER = ["recent", "earlier", "none"]
STRIP_COLOUR = "#1a1a1a"
GOV_COLOUR = "#525252"
ZONE_COLOUR = "#1b7837"  # green outline, light fill: apart from the OrRd blocks in hue and pattern
INCIDENT_COLOUR = "#08306b"  # dark blue dots with a white rim read on all three block fills
CLAIM_COLOUR = "#6a51a3"  # purple dashed outline: reported (attributed) events, not incident points
PLACE_COLOUR = "#252525"
BACKGROUND = "#eef1f4"

LAYERS = {  # key -> label (the sidebar's layer toggles and the URL use the keys)
    "boundaries": "Strip and governorates",
    "blocks": "Evacuation blocks by status",
    "zone": "Humanitarian zone",
    "incidents": "Strikes and incidents",
    "places": "Places (English / Arabic)",
    "claims": "Reported events (attributed)",
}
DEFAULT_LAYERS = list(LAYERS)


# ---------------------------------------------------------------- assets (offline Leaflet)

def vendor_available(vendor_dir: Path = VENDOR_DIR) -> bool:
    return all((vendor_dir / rel).is_file() for _, rel in VENDOR_MAP if rel)


def _walk(element: Any):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localize_assets(m: folium.Map, *, vendor_dir: Path = VENDOR_DIR, base_url: str = VENDOR_URL) -> bool:
    """Point the map's JS/CSS links at the app's own copies (True), or keep the CDN and warn (False).

    Works for both ``st_folium`` (which reads each element's ``default_js``/``default_css``) and a
    full HTML render.  A link with no local copy and no use in our maps is dropped.
    """
    if not vendor_available(vendor_dir):
        log.warning("Leaflet is not in %s (run scripts/fetch_leaflet.sh): the map loads it from the CDN",
                    vendor_dir)
        return False

    def rewrite(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out = []
        for name, url in links:
            for pattern, rel in VENDOR_MAP:
                if re.search(pattern, url):
                    if rel:
                        out.append((name, f"{base_url}/{rel}"))
                    break
            else:
                log.warning("no local copy of %s: loaded from the CDN", url)
                out.append((name, url))
        return out

    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if links:
                setattr(el, attr, rewrite(list(links)))
    return True


# ---------------------------------------------------------------- geometry for display

def round_coords(geoms: Any, decimals: int = 5) -> np.ndarray:
    return shapely.transform(np.asarray(geoms), lambda c: np.round(c, decimals))


def simplify_for_display(gdf: gpd.GeoDataFrame, tolerance_m: float = 15.0, *, coverage: bool = True,
                         decimals: int = 5) -> gpd.GeoDataFrame:
    """Display copy: simplified in metres (shared edges kept for a coverage), rounded to ``decimals``.

    Never use the result for areas: the bundle's geometry is the one measured.
    """
    if gdf is None or gdf.empty:
        return gdf
    out = gdf.copy()
    polys = out.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if polys.any() and tolerance_m > 0:
        metric = out.loc[polys].geometry.to_crs(AREA_CRS)
        values = metric.values
        simplified = None
        if coverage and hasattr(shapely, "coverage_simplify"):
            try:
                simplified = shapely.coverage_simplify(np.asarray(values), tolerance_m)
            except Exception:  # not a valid coverage (overlaps): fall back to per-polygon
                simplified = None
        if simplified is None:
            simplified = shapely.simplify(np.asarray(values), tolerance_m, preserve_topology=True)
        back = gpd.GeoSeries(simplified, index=metric.index, crs=AREA_CRS).to_crs(STORAGE_CRS)
        out.loc[polys, "geometry"] = back
    out["geometry"] = round_coords(out.geometry.values, decimals)
    out = out[~out.geometry.is_empty & out.geometry.notna()]
    return out.set_crs(STORAGE_CRS, allow_override=True)


def to_geojson(gdf: gpd.GeoDataFrame | None, columns: list[str]) -> dict[str, Any]:
    """FeatureCollection with only ``columns`` as properties (JSON-safe values)."""
    if gdf is None or gdf.empty:
        return {"type": "FeatureCollection", "features": []}
    cols = [c for c in columns if c in gdf.columns]
    frame = gdf[cols + ["geometry"]].copy()
    for c in cols:
        if pd.api.types.is_datetime64_any_dtype(frame[c]):
            frame[c] = frame[c].dt.strftime("%Y-%m-%d")
    return json.loads(frame.to_json(drop_id=True, na="null"))


# ---------------------------------------------------------------- preparing each theme

def _d(value: Any) -> str:
    if is_missing(value):
        return ""
    try:
        return pd.Timestamp(value).strftime("%-d %b %Y")
    except (ValueError, TypeError):
        return str(value)


def status_labels(on: date, since: date, window: int) -> dict[str, str]:
    return {
        "recent": f"Ordered in the last {window} days",
        "earlier": f"Ordered earlier, since {_d(since)}",
        "none": "Not ordered in this period",
    }


def prepare_blocks(blocks: gpd.GeoDataFrame, status: pd.DataFrame, history: pd.DataFrame | None,
                   governorates: pd.DataFrame | None, *, on: date, since: date, window: int,
                   tolerance_m: float = 15.0) -> gpd.GeoDataFrame:
    """Blocks for display with ``status``, an escaped ``tip`` (hover) and ``orders`` (popup: orders with links).

    ``status``: block_id, status (recent|earlier|none). ``history``: order_blocks joined to orders
    (block_id, order_id, issued_on, source_name, source_url), all dates.
    """
    gdf = simplify_for_display(blocks, tolerance_m)
    st_ = status[["block_id", "status"]] if status is not None and len(status) else None
    if st_ is not None:
        gdf = gdf.merge(st_, on="block_id", how="left")
    else:
        gdf["status"] = "none"
    gdf["status"] = gdf["status"].fillna("none")
    gov = {}
    if governorates is not None and len(governorates):
        gov = {r.pcode: (r.name_en, r.name_ar) for r in governorates.itertuples()}
    orders_by_block: dict[int, list[str]] = {}
    if history is not None and len(history):
        h = history.copy()
        h["issued_on"] = pd.to_datetime(h["issued_on"])
        h = h[h["issued_on"] <= pd.Timestamp(on)].sort_values(["issued_on", "order_id"])
        for r in h.itertuples():
            src = link(r.source_url, r.source_name if not is_missing(r.source_name) else "source")
            orders_by_block.setdefault(int(r.block_id), []).append(
                f"<li>{esc(_d(r.issued_on))}: order {esc(r.order_id)} ({src})</li>")
    short = {"recent": f"ordered in the last {window} days", "earlier": "ordered earlier", "none": "not ordered"}
    tips, pops = [], []
    for r in gdf.itertuples():
        g_en, g_ar = gov.get(getattr(r, "pcode", None), ("", ""))
        loc = esc(getattr(r, "locality", ""))
        tips.append(f"<b>Block {esc(r.block_id)}</b> {rtl(getattr(r, 'neighbourhood', ''), 'he')}<br>"
                    f"{loc}{' · ' if loc else ''}{esc(g_en)} {rtl(g_ar)}<br>"
                    f"~{fmt_int(getattr(r, 'pop_prewar_est', None))} people pre-war (est.)<br>"
                    f"<i>{esc(short.get(r.status, r.status))}</i>")
        items = orders_by_block.get(int(r.block_id))
        pops.append(f"<b>Orders that named it</b><ul>{''.join(items)}</ul>" if items else "No order named it.")
    gdf["tip"], gdf["orders"] = tips, pops
    return gdf


def prepare_events(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Incident points with a ``radius`` (by reported fatalities) and an escaped ``tip``."""
    if events is None or events.empty:
        return events
    gdf = events[events.geometry.notna() & ~events.geometry.is_empty].copy()
    fat = pd.to_numeric(gdf.get("fatalities"), errors="coerce")
    gdf["radius"] = np.where(fat.notna(), 4 + 2.2 * np.sqrt(fat.fillna(0).clip(lower=0)), 4).round(1)
    gdf["radius"] = gdf["radius"].clip(upper=22)
    tips = []
    for r, f in zip(gdf.itertuples(), fat):
        tips.append(
            f"<b>{esc(getattr(r, 'kind', 'incident'))}</b>, {esc(_d(getattr(r, 'date', None)))}<br>"
            f"{esc(getattr(r, 'location', ''))}<br>"
            f"Reported fatalities: {fmt_int(f, 'not reported')}<br>"
            f"Dataset: {esc(getattr(r, 'dataset', ''))}; source: {esc(getattr(r, 'source', ''))}"
            + (f"<br>{esc(str(getattr(r, 'notes', ''))[:240])}" if not is_missing(getattr(r, 'notes', None)) else ""))
    gdf["tip"] = tips
    gdf["geometry"] = round_coords(gdf.geometry.values)
    return gdf


def prepare_zone(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if zones is None or zones.empty:
        return zones
    gdf = simplify_for_display(zones, 10.0, coverage=False)
    gdf["tip"] = [
        f"<b>{esc(getattr(r, 'name', 'Humanitarian zone'))}</b><br>{esc(getattr(r, 'kind', ''))}<br>"
        f"Declared {esc(_d(getattr(r, 'valid_from', None)))}"
        f"{' to ' + esc(_d(r.valid_to)) if not is_missing(getattr(r, 'valid_to', None)) else ' (still declared)'}"
        f"<br>Area {esc(_km2(getattr(r, 'area_km2', None)))}<br>Source: {esc(getattr(r, 'source', ''))}"
        for r in gdf.itertuples()]
    return gdf


def _km2(v: Any) -> str:
    return "n/a" if is_missing(v) else f"{float(v):,.1f} km²"


# Labelled permanently (the main towns and the places the scenario names); every other place on hover.
MAJOR_PLACES = {"gaza-city", "jabalia", "beit-lahia", "beit-hanoun", "nuseirat", "deir-al-balah", "khan-younis",
                "rafah", "al-mawasi", "khuzaa"}


def prepare_places(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Place points at their label position with an escaped English + Arabic (RTL) ``label``."""
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
        gdf["geometry"] = [p if (p is not None and not p.is_empty and np.isfinite(p.x)) else f
                           for p, f in zip(pts, fallback)]
    else:
        gdf["geometry"] = gdf.geometry.representative_point()
    gdf = gdf.set_geometry("geometry")
    gdf["geometry"] = round_coords(gdf.geometry.values)
    gdf["label"] = [f"{esc(r.name_en)} {rtl(getattr(r, 'name_ar', ''))}" for r in gdf.itertuples()]
    gdf["tip"] = [f"<b>{esc(r.name_en)}</b> {rtl(getattr(r, 'name_ar', ''))}<br>{esc(getattr(r, 'kind', ''))}"
                  + (f"<br>also: {esc(str(r.aliases).replace('|', ', '))}"
                     if not is_missing(getattr(r, 'aliases', None)) and str(r.aliases) else "")
                  for r in gdf.itertuples()]
    gdf["prominent"] = gdf["place_id"].isin(MAJOR_PLACES) if "place_id" in gdf else False
    return gdf


def prepare_claims(claims: pd.DataFrame, places: gpd.GeoDataFrame | None, *, buffer_m: float = 1500.0
                   ) -> gpd.GeoDataFrame | None:
    """Scenario claims drawn on their place's area (a point place gets a ``buffer_m`` circle)."""
    if claims is None or claims.empty or places is None or places.empty or "place_id" not in claims:
        return None
    c = claims[claims["place_id"].notna()].merge(places[["place_id", "name_en", "geometry"]], on="place_id",
                                                  how="inner")
    if c.empty:
        return None
    gdf = gpd.GeoDataFrame(c, geometry="geometry", crs=places.crs)
    metric = gdf.geometry.to_crs(AREA_CRS)
    pts = metric.geom_type.isin(["Point", "MultiPoint"])
    metric[pts] = metric[pts].buffer(buffer_m)
    gdf["geometry"] = metric.to_crs(STORAGE_CRS)
    gdf = simplify_for_display(gdf, 20.0, coverage=False)
    gdf["tip"] = [
        f"<b>Reported</b> ({esc(_d(r.date))}), {esc(r.name_en)}: {esc(r.claim)}"
        + (f" [{esc(r.figure)}]" if not is_missing(getattr(r, 'figure', None)) else "")
        + f"<br><i>according to {esc(getattr(r, 'attributed_to', 'unknown'))}</i>"
        for r in gdf.itertuples()]
    return gdf


# ---------------------------------------------------------------- map elements

class Legend(MacroElement):
    """A Leaflet control holding the legend HTML (already escaped by the caller)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "gdm-legend");
            div.innerHTML = {{ this.body|tojson }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, body: str):
        super().__init__()
        self._name = "Legend"
        self.body = body


class Attribution(MacroElement):
    """Adds a data attribution to the map's attribution control."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str):
        super().__init__()
        self._name = "Attribution"
        self.text = text


CSS = f"""<style>
.leaflet-container {{ background: {BACKGROUND}; font-family: system-ui, -apple-system, "Segoe UI", Roboto,
  "Noto Sans", "Noto Sans Arabic", "Noto Sans Hebrew", Arial, sans-serif; }}
.gdm-legend {{ background: rgba(255,255,255,.92); padding: 5px 8px; border-radius: 4px; font-size: 11px;
  line-height: 16px; color: #1a1a1a; box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 260px; }}
.gdm-legend .sw {{ display:inline-block; width:16px; height:12px; margin-right:6px; vertical-align:-2px;
  border:1px solid #555; }}
.gdm-legend .dot {{ display:inline-block; border-radius:50%; background:{INCIDENT_COLOUR}; border:1px solid #fff;
  vertical-align:middle; margin-right:6px; }}
.gdm-legend b {{ font-weight: 600; }}
.gdm-place-label {{ background: rgba(255,255,255,.8); border: none; box-shadow: none; padding: 0 3px;
  font-size: 11px; font-weight: 600; color: #111; }}
.gdm-place-label:before {{ display: none; }}
.gdm-ws-label {{ background: rgba(255,255,255,.9); border: 1px solid #888; padding: 0 3px; font-size: 11px; }}
.leaflet-tooltip:not(.gdm-place-label):not(.gdm-ws-label) {{ white-space: normal; width: max-content;
  min-width: 160px; max-width: 300px; }}
</style>"""


def legend_html(enabled: set[str], *, on: date, since: date, window: int, counts: dict[str, int] | None = None
                ) -> str:
    labels = status_labels(on, since, window)
    counts = counts or {}
    rows = [f"<b>{esc(_d(on))}</b>"]
    if "blocks" in enabled:
        for s in STATUS_ORDER:
            n = counts.get(s)
            rows.append(f'<span class="sw" style="background:{STATUS_COLOURS[s]}"></span>{esc(labels[s])}'
                        + (f" ({n})" if n is not None else ""))
    if "zone" in enabled:
        rows.append(f'<span class="sw" style="background:{ZONE_COLOUR}33;border:2px dashed {ZONE_COLOUR}"></span>'
                    "Humanitarian zone declared on the date")
    if "incidents" in enabled:
        rows.append(f'<span class="dot" style="width:8px;height:8px"></span>'
                    f'<span class="dot" style="width:14px;height:14px"></span>'
                    f"Strikes/incidents, last {window} days (size: deaths)")
    if "claims" in enabled:
        rows.append(f'<span class="sw" style="background:none;border:2px dotted {CLAIM_COLOUR}"></span>'
                    "Reported events (attributed claims)")
    if "places" in enabled:
        rows.append(f'<span class="dot" style="width:8px;height:8px;background:{PLACE_COLOUR}"></span>Places')
    if "boundaries" in enabled:
        rows.append(f'<span class="sw" style="background:none;border:2px solid {GOV_COLOUR}"></span>'
                    "Governorate boundary")
    return "<br>".join(rows)


# One permanent label per place (a tooltip bound to the whole layer would show only one); the label
# HTML was escaped in prepare_places.
PLACE_LABEL = JsCode("""function (feature, layer) {
    layer.bindTooltip(feature.properties.label, {permanent: true, direction: "right", offset: [5, 0],
                                                className: "gdm-place-label"});
}""")


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


def _tooltip(field_: str = "tip", **kw: Any) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(fields=[field_], labels=False, sticky=kw.pop("sticky", True),
                                 style="font-size:12px;max-width:340px;white-space:normal", **kw)


def build_map(inp: MapInput, *, localize: bool = True, height: int | None = None) -> folium.Map:
    """The Map page's folium map for one view (date, since, window, layers, basemap)."""
    enabled = set(inp.layers)
    bounds = None
    if inp.strip is not None and not inp.strip.empty:
        x0, y0, x1, y1 = inp.strip.total_bounds
        bounds = [[float(y0), float(x0)], [float(y1), float(x1)]]
    m = folium.Map(location=[31.42, 34.38], zoom_start=11, tiles=None, prefer_canvas=True,
                   control_scale=True, zoom_snap=0.25, zoom_delta=0.5, min_zoom=9, max_zoom=17,
                   height=height or "100%")
    m.get_root().header.add_child(Element(CSS))
    if inp.basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True,
                         attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                              "contributors").add_to(m)

    if "blocks" in enabled and inp.blocks is not None and not inp.blocks.empty:
        colours = STATUS_COLOURS

        def style(f: dict) -> dict:
            s = f["properties"].get("status", "none")
            return {"fillColor": colours.get(s, colours["none"]), "color": "#7a7a7a", "weight": 0.4,
                    "fillOpacity": 0.85 if s != "none" else 0.55, "className": f"gdm-block gdm-{s}"}

        folium.GeoJson(
            to_geojson(inp.blocks, ["block_id", "status", "tip", "orders"]), name="Evacuation blocks",
            style_function=style,
            highlight_function=lambda f: {"weight": 2.2, "color": "#000000"},
            tooltip=_tooltip(), popup=folium.GeoJsonPopup(fields=["tip", "orders"], labels=False, max_width=340),
        ).add_to(m)

    if "boundaries" in enabled and inp.governorates is not None and not inp.governorates.empty:
        g = inp.governorates.copy()
        g["tip"] = [f"<b>{esc(r.name_en)}</b> {rtl(getattr(r, 'name_ar', ''))}<br>"
                    f"{fmt_int(getattr(r, 'pop_prewar', None))} people before the war (PCBS-based estimate)"
                    for r in g.itertuples()]
        folium.GeoJson(to_geojson(g, ["pcode", "tip"]), name="Governorates",
                       style_function=lambda f: {"color": GOV_COLOUR, "weight": 1.6, "fill": False,
                                                 "className": "gdm-governorate"},
                       tooltip=None, interactive=False).add_to(m)

    if "boundaries" in enabled and inp.strip is not None and not inp.strip.empty:
        folium.GeoJson(to_geojson(inp.strip, ["name"]), name="Gaza Strip",
                       style_function=lambda f: {"color": STRIP_COLOUR, "weight": 2, "fill": False,
                                                 "className": "gdm-strip"},
                       interactive=False).add_to(m)

    if "zone" in enabled and inp.zone is not None and not inp.zone.empty:
        folium.GeoJson(to_geojson(inp.zone, ["zone_id", "tip"]), name="Humanitarian zone",
                       style_function=lambda f: {"color": ZONE_COLOUR, "weight": 2.5, "dashArray": "6 4",
                                                 "fillColor": ZONE_COLOUR, "fillOpacity": 0.2,
                                                 "className": "gdm-zone"},
                       tooltip=_tooltip()).add_to(m)

    if "claims" in enabled and inp.claims is not None and not inp.claims.empty:
        folium.GeoJson(to_geojson(inp.claims, ["tip"]), name="Reported events (attributed)",
                       style_function=lambda f: {"color": CLAIM_COLOUR, "weight": 2.5, "dashArray": "2 5",
                                                 "fill": False, "className": "gdm-claim"},
                       tooltip=_tooltip()).add_to(m)

    if "incidents" in enabled and inp.incidents is not None and not inp.incidents.empty:
        folium.GeoJson(
            to_geojson(inp.incidents, ["tip", "radius"]), name="Strikes and incidents",
            marker=folium.CircleMarker(radius=5, color="#ffffff", weight=1, fill=True,
                                       fill_color=INCIDENT_COLOUR, fill_opacity=0.8),
            style_function=lambda f: {"radius": f["properties"].get("radius", 4)},
            tooltip=_tooltip(),
        ).add_to(m)

    if "places" in enabled and inp.places is not None and not inp.places.empty:
        fg = folium.FeatureGroup(name="Places")
        prominent = inp.places[inp.places["prominent"]]
        others = inp.places[~inp.places["prominent"]]
        dot = folium.CircleMarker(radius=3, color="#ffffff", weight=1, fill=True, fill_color=PLACE_COLOUR,
                                  fill_opacity=1)
        if not others.empty:
            folium.GeoJson(to_geojson(others, ["place_id", "tip"]), marker=dot, tooltip=_tooltip()).add_to(fg)
        if not prominent.empty:
            dot2 = folium.CircleMarker(radius=4, color="#ffffff", weight=1, fill=True, fill_color=PLACE_COLOUR,
                                       fill_opacity=1)
            folium.GeoJson(to_geojson(prominent, ["place_id", "label", "tip"]), marker=dot2, tooltip=None,
                           on_each_feature=PLACE_LABEL).add_to(fg)
        fg.add_to(m)

    ws_rows = add_workspace_layers(m, inp.workspace) if inp.workspace else []

    counts = None
    if inp.blocks is not None and not inp.blocks.empty:
        counts = inp.blocks["status"].value_counts().to_dict()
    Legend("<br>".join([legend_html(enabled, on=inp.on, since=inp.since, window=inp.window, counts=counts)]
                       + ws_rows)).add_to(m)
    Attribution("Blocks: IDF grid via GazaNowPop (GPL-3.0); other layers: see the Data page").add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if bounds:
        m.fit_bounds(bounds, padding=(8, 8))
    if localize:
        localize_assets(m)
    return m


# ---------------------------------------------------------------- imported (workspace) layers

# Apart from the OrRd blocks, the blue incidents, the green zone and the purple claims; imported points
# get a black rim (shipped incidents have a white one).
WORKSPACE_COLOURS = ["#c51b7d", "#e6ab02", "#01665e", "#8c510a", "#4d4d4d"]
WORKSPACE_RIM = "#000000"
MAX_WORKSPACE_POINTS = 5000  # more events than this in the window: drawn aggregated by block, like ACLED
_KIND_ORDER = {"zones": 0, "figures": 1, "events": 2}


@dataclass
class WorkspaceLayer:
    """One imported layer prepared for the map: display features (escaped ``tip``) and its legend facts."""

    name: str
    kind: str  # "events" | "zones" | "figures"
    frame: gpd.GeoDataFrame | None
    colour: str = WORKSPACE_COLOURS[0]
    acled: bool = False
    aggregated: bool = False
    count: int = 0  # events in the window (events) or features drawn (zones, figures)
    total: int = 0  # rows of the stored layer
    unplaced: int = 0  # aggregated events with neither a block nor a governorate
    detail: str = ""  # plain text for the legend (escaped when drawn)
    attribution: str | None = None


def _window(on: date, window: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    hi = pd.Timestamp(on).normalize()
    return hi - pd.Timedelta(days=max(int(window), 1) - 1), hi


def _dates(frame: pd.DataFrame, col: str) -> pd.Series:
    """Dates as day-precision timestamps: imported layers store datetime64, the bundle python dates."""
    if col not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[col], errors="coerce").dt.normalize()


def aggregate_points(events: gpd.GeoDataFrame, *, label: str, blocks: gpd.GeoDataFrame,
                     governorates: gpd.GeoDataFrame, acled: bool = False) -> tuple[gpd.GeoDataFrame, int]:
    """Events counted per block (else per governorate), one point per area sized by count; (frame, unplaced).

    Uses ``pipeline.runtime.workspace.aggregate_events``; the tip shows counts and dates only, never a row's text.
    """
    ev = events.copy()
    for col in ("block_id", "pcode"):
        if col not in ev:
            ev[col] = pd.NA
    if "fatalities" not in ev:
        ev["fatalities"] = pd.NA
    in_block = ev["block_id"].notna()
    in_gov = ~in_block & ev["pcode"].notna()
    parts = []
    if in_block.any():
        a = aggregate_events(ev[in_block], by="block", period=None, shapes=blocks)
        a["where"] = [f"Block {int(b)}" for b in a["block_id"]]
        parts.append(a)
    if in_gov.any():
        a = aggregate_events(ev[in_gov], by="pcode", period=None, shapes=governorates)
        a["where"] = [f"{PCODES.get(str(p), str(p))} (no block)" for p in a["pcode"]]
        parts.append(a)
    unplaced = int((~in_block & ~in_gov).sum())
    if not parts:
        return gpd.GeoDataFrame({"tip": [], "radius": []}, geometry=[], crs=STORAGE_CRS), unplaced
    agg = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=parts[0].crs)
    agg = agg[agg.geometry.notna() & ~agg.geometry.is_empty].copy()
    agg["geometry"] = round_coords(agg.geometry.representative_point().values)
    agg["radius"] = (5 + 3 * np.sqrt(agg["events"].astype(float))).clip(upper=24).round(1)
    src = "ACLED, shown aggregated" if acled else "imported, shown aggregated"
    agg["tip"] = [
        f"<b>{esc(r.where)}</b>: {fmt_int(r.events)} event(s)<br>"
        f"Reported fatalities: {fmt_int(r.fatalities, '0')} (in {fmt_int(r.fatalities_reported, '0')} event(s) "
        f"with a figure)<br>{esc(_d(r.first_date))} – {esc(_d(r.last_date))}<br>"
        f"Imported: {esc(label)} ({esc(src)})"
        for r in agg.itertuples()]
    return agg, unplaced


def _none_for_na(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Nullable (string/Int64) columns as plain objects with None for missing (shown as blank, not "<NA>")."""
    out = frame.copy()
    for c in out.columns:
        if c != out.geometry.name and isinstance(out[c].dtype, pd.api.extensions.ExtensionDtype) \
                and not isinstance(out[c].dtype, gpd.array.GeometryDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def prepare_workspace_layer(entry: dict[str, Any], frame: pd.DataFrame, *, on: date, window: int,
                            blocks: gpd.GeoDataFrame, governorates: gpd.GeoDataFrame,
                            colour: str = WORKSPACE_COLOURS[0], acled_detail: bool = False,
                            max_points: int = MAX_WORKSPACE_POINTS) -> WorkspaceLayer:
    """An imported layer (workspace manifest ``entry`` + stored ``frame``) filtered to the view and prepared.

    ``blocks`` and ``governorates`` (the bundle's layers) place aggregated events.

    events: the ``window`` days to ``on``; ACLED layers (``entry["acled"]``) aggregated by block unless
    ``acled_detail`` (a person's own choice), any layer with more than ``max_points`` events aggregated.
    zones: the ones valid on ``on`` (no dates: always). figures: the latest value per governorate and metric
    on or before ``on``, as a labelled point.
    """
    name = str(entry.get("name", "imported"))
    kind = str(entry.get("kind") or "events")
    acled = bool(entry.get("acled", False))
    out = WorkspaceLayer(name=name, kind=kind, frame=None, colour=colour, acled=acled, total=int(len(frame)))
    if acled:
        out.attribution = str(entry.get("attribution") or acled_attribution)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
        out.detail = "nothing to draw"
        return out
    frame = _none_for_na(frame[frame.geometry.notna() & ~frame.geometry.is_empty])
    on_ts = pd.Timestamp(on).normalize()

    if kind == "events":
        lo, hi = _window(on, window)
        d = _dates(frame, "date")
        sel = frame[(d >= lo) & (d <= hi)]
        out.count = int(len(sel))
        if sel.empty:
            out.detail = f"no event in the {window} days to the date"
            return out
        if (acled and not acled_detail) or len(sel) > max_points:
            out.frame, out.unplaced = aggregate_points(sel, label=name, blocks=blocks, governorates=governorates,
                                                      acled=acled)
            out.aggregated = True
            why = "ACLED, aggregated by block" if acled else "aggregated by block (many events)"
            out.detail = f"{why}: {out.count:,} events, last {window} days (size: count)"
        else:
            pts = sel.copy()
            if "kind" not in pts:
                pts["kind"] = "event"
            prepared = prepare_events(pts)
            prepared["tip"] = prepared["tip"] + f"<br>Imported: {esc(name)}" + (" (ACLED, your own view)" if acled else "")
            out.frame = prepared
            out.detail = (f"{'ACLED event detail (your own view)' if acled else 'points'}: "
                          f"{out.count:,} in the last {window} days")
    elif kind == "zones":
        vf, vt = _dates(frame, "valid_from"), _dates(frame, "valid_to")
        sel = frame[(vf.isna() | (vf <= on_ts)) & (vt.isna() | (vt >= on_ts))]
        out.count = int(len(sel))
        if sel.empty:
            out.detail = f"outline: none of {len(frame):,} zone(s) valid on the date"
            return out
        gdf = simplify_for_display(gpd.GeoDataFrame(sel, geometry=sel.geometry.name, crs=frame.crs or STORAGE_CRS),
                                   10.0, coverage=False)
        gdf["tip"] = [
            f"<b>{esc(getattr(r, 'name', None) or getattr(r, 'zone_id', ''))}</b><br>{esc(getattr(r, 'kind', ''))}<br>"
            f"Valid {esc(_d(getattr(r, 'valid_from', None)) or 'from ?')}"
            f"{' to ' + esc(_d(r.valid_to)) if not is_missing(getattr(r, 'valid_to', None)) else ''}"
            f"<br>Area {esc(_km2(getattr(r, 'area_km2', None)))}<br>Source: {esc(getattr(r, 'source', ''))}"
            f"<br>Imported: {esc(name)}"
            for r in gdf.itertuples()]
        out.frame = gdf
        out.detail = f"outline: {out.count:,} of {len(frame):,} zone(s) valid on the date"
    elif kind == "figures":
        d = _dates(frame, "date")
        sel = frame[d.isna() | (d <= on_ts)].assign(day=d).sort_values("day", na_position="first")
        if sel.empty:
            out.detail = "no figure on or before the date"
            return out
        latest = sel.groupby(["pcode", "metric"], dropna=False, sort=True).tail(1)
        rows = []
        for pcode, grp in latest.groupby("pcode", dropna=False, sort=True):
            first = grp.iloc[0]
            place = first.get("name") if not is_missing(first.get("name")) else first.get("name_ar")
            place = place if not is_missing(place) else PCODES.get(str(pcode), pcode)
            lines = [f"{fmt_int(g.value)} {esc(g.metric)}" for g in grp.itertuples()]
            dates = [esc(_d(g.day)) or "undated" for g in grp.itertuples()]
            rows.append({"label": f"{esc(place)}: " + "; ".join(lines),
                         "tip": f"<b>{esc(place)}</b> {rtl(first.get('name_ar'))}<br>"
                                + "<br>".join(f"{ln} ({dt})" for ln, dt in zip(lines, dates))
                                + f"<br>Source: {esc(first.get('dataset') if is_missing(first.get('source')) else first.get('source'))}"
                                + f"<br>Imported: {esc(name)}",
                         "geometry": grp.geometry.iloc[0]})
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=frame.crs or STORAGE_CRS)
        gdf["geometry"] = round_coords(gdf.geometry.representative_point().values)
        out.frame, out.count = gdf, len(gdf)
        out.detail = f"governorate figures on or before the date ({out.count} place(s))"
    else:
        out.detail = f"layer kind {kind!r} is not drawn"
    return out


WS_LABEL = JsCode("""function (feature, layer) {
    layer.bindTooltip(feature.properties.label, {permanent: true, direction: "top", offset: [0, -6],
                                                className: "gdm-ws-label"});
}""")


def _ws_swatch(layer: WorkspaceLayer) -> str:
    c = layer.colour
    if layer.kind == "zones":
        return f'<span class="sw" style="background:none;border:2px dashed {c}"></span>'
    if layer.aggregated:
        return (f'<span class="dot" style="width:8px;height:8px;background:{c}88;border:1.5px solid {c}"></span>'
                f'<span class="dot" style="width:15px;height:15px;background:{c}88;border:1.5px solid {c}"></span>')
    return f'<span class="dot" style="width:10px;height:10px;background:{c};border:1.5px solid {WORKSPACE_RIM}"></span>'


def add_workspace_layers(m: folium.Map, layers: list[WorkspaceLayer]) -> list[str]:
    """Draw imported layers on ``m`` (one toggleable ``FeatureGroup`` each); return their legend rows (HTML).

    Never merged with the shipped layers: each has its own "Imported: <name>" legend entry, and every
    feature carries ``ws`` (the layer name, escaped) so a test can ask Leaflet for it. ACLED layers add ACLED's
    attribution to the map.
    """
    rows: list[str] = []
    attributions: list[str] = []
    for layer in sorted(layers, key=lambda x: _KIND_ORDER.get(x.kind, 9)):
        label = f"Imported: {layer.name}"
        rows.append(f'{_ws_swatch(layer)}<span class="gdm-ws-entry">{esc(label)}</span>'
                    + (f" <i>({esc(layer.detail)})</i>" if layer.detail else ""))
        if layer.attribution and layer.count:
            attributions.append(layer.attribution)
        if layer.frame is None or layer.frame.empty:
            continue
        gdf = layer.frame.assign(ws=esc(layer.name))  # the layer's name (escaped), for tests asking Leaflet
        fg = folium.FeatureGroup(name=esc(label))
        c = layer.colour
        if layer.kind == "zones":
            folium.GeoJson(to_geojson(gdf, ["ws", "tip"]),
                           style_function=lambda f, c=c: {"color": c, "weight": 2.5, "dashArray": "8 4",
                                                          "fill": False, "className": "gdm-ws-zone"},
                           tooltip=_tooltip()).add_to(fg)
        elif layer.kind == "figures":
            folium.GeoJson(to_geojson(gdf, ["ws", "label", "tip"]),
                           marker=folium.CircleMarker(radius=5, color=WORKSPACE_RIM, weight=1.5, fill=True,
                                                      fill_color=c, fill_opacity=1),
                           tooltip=None, on_each_feature=WS_LABEL).add_to(fg)
        else:
            folium.GeoJson(
                to_geojson(gdf, ["ws", "tip", "radius"]),
                marker=folium.CircleMarker(radius=5, color=c if layer.aggregated else WORKSPACE_RIM,
                                           weight=2 if layer.aggregated else 1.5, fill=True, fill_color=c,
                                           fill_opacity=0.45 if layer.aggregated else 0.9),
                style_function=lambda f: {"radius": f["properties"].get("radius", 5)},
                tooltip=_tooltip(),
            ).add_to(fg)
        fg.add_to(m)
    for text in dict.fromkeys(attributions):  # ACLED's required attribution, in the map's attribution control
        Attribution(esc(text)).add_to(m)
    return rows


def render_html(m: folium.Map) -> str:
    """The complete standalone HTML of a map."""
    return m.get_root().render()


def naive_map(blocks: gpd.GeoDataFrame, events: gpd.GeoDataFrame, *, localize: bool = True) -> folium.Map:
    """The naive build the bench compares against: full polygons, one ``folium.Marker`` per event."""
    m = folium.Map(location=[31.42, 34.38], zoom_start=11, tiles=None)
    b = blocks.copy()
    b["tip"] = b["block_id"].astype(str)
    folium.GeoJson(json.loads(b[["block_id", "tip", "geometry"]].to_json(drop_id=True)),
                   tooltip=folium.GeoJsonTooltip(fields=["tip"])).add_to(m)
    for r in events.itertuples():
        if r.geometry is None or r.geometry.is_empty:
            continue
        folium.Marker([r.geometry.y, r.geometry.x], tooltip=esc(getattr(r, "location", ""))).add_to(m)
    if localize:
        localize_assets(m)
    return m
