"""folium map for the Places page (no streamlit import: tested as HTML in tests/test_gazetteer.py).

``build_places_map`` draws the Strip outline, then either the places a report names (regions as
areas, other places as dots) or all places with one of them in focus (the map zooms to it). Every
name from data is escaped before it reaches a tooltip; Arabic names are right-to-left spans.
Places outside Gaza are never drawn here: the page lists them.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from dashboard.html import bidi, esc, rtl
from dashboard.map_assets import figure, localize_assets
from dashboard.map_scale import add_scale
from pipeline.core.i18n import DEFAULT, N_, is_rtl, translator
from pipeline.core.layers import AREA_CRS
from pipeline.core.palette import BACKGROUND, STRIP_COLOUR

REGION_COLOUR = "#6a51a3"  # purple: a region named in the text, drawn as an area
AREA_COLOUR = "#1b7837"  # green: areas and camps (polygons)
POINT_COLOUR = "#08306b"  # dark blue dots: cities, landmarks, crossings
FOCUS_COLOUR = "#b30000"
GAZA_BOUNDS = [[31.215, 34.215], [31.60, 34.575]]
KINDS = {"city": N_("city"), "camp": N_("camp"), "area": N_("area"), "crossing": N_("crossing"),
         "landmark": N_("landmark"), "region": N_("region")}  # the places layer's kinds, as words


def tooltip_html(row: Any, extra: str = "", lang: str = DEFAULT) -> str:
    """Escaped tooltip: English name, Arabic name right-to-left, kind (and an optional note).

    In Arabic (``lang="ar"``) the Arabic name leads, the Latin name follows isolated, the kind is in Arabic.
    """
    name_ar = row.get("name_ar") if hasattr(row, "get") else None
    if is_rtl(lang):
        _ = translator(lang)
        has_ar = isinstance(name_ar, str) and bool(name_ar)
        parts = [f"<b>{rtl(name_ar, lang)}</b>" if has_ar else f"<b>{bidi(row['name_en'])}</b>"]
        if has_ar:
            parts.append(f'<bdi dir="ltr" lang="en">{esc(row["name_en"])}</bdi>')
        parts.append(f"<br><small>{esc(_(KINDS.get(str(row['kind']), str(row['kind']))))}</small>")
        if extra:
            parts.append(f"<br>{esc(extra)}")
        return f'<div dir="rtl" lang="{esc(lang)}">{" ".join(parts)}</div>'
    parts = [f"<b>{esc(row['name_en'])}</b>"]
    if isinstance(name_ar, str) and name_ar:
        parts.append(rtl(name_ar))
    parts.append(f"<br><small>{esc(row['kind'])}</small>")
    if extra:
        parts.append(f"<br>{esc(extra)}")
    return " ".join(parts)


def _display(gdf: gpd.GeoDataFrame, tolerance_m: float = 20.0) -> gpd.GeoDataFrame:
    """Polygons simplified for display only (metres), coordinates kept in EPSG:4326."""
    out = gdf.copy()
    poly = out.geom_type.isin(["Polygon", "MultiPolygon", "LineString", "MultiLineString"])
    if poly.any():
        simp = out.loc[poly].to_crs(AREA_CRS).simplify(tolerance_m, preserve_topology=True).to_crs(4326)
        out.loc[poly, "geometry"] = simp.values
    return out


def build_places_map(
    places: gpd.GeoDataFrame,
    *,
    named: list[dict[str, Any]] | None = None,
    focus: str | None = None,
    height: int = 520,
    localize: bool = True,
    lang: str = DEFAULT,
) -> folium.Map:
    """A map of the Strip with places drawn.

    ``named``: the page's per-place summary of a report (``find_mentions(...)["places"]``), each with
    ``place_id`` and ``count``: only those places are drawn (regions as areas). Without it every
    place inside Gaza is a small dot. ``focus``: a place id the map zooms to (highlighted). ``lang``: the
    language of tooltips, layer names and attribution (right to left in Arabic).
    """
    _ = translator(lang)
    m = folium.Map(location=[31.41, 34.38], zoom_start=11, tiles=None, prefer_canvas=False, height=height)
    add_scale(m, lang)
    figure(m).header.add_child(folium.Element(
        f"<style>.leaflet-container{{background:{BACKGROUND}}}</style>"))
    inside = places[places["inside_gaza"].astype(bool)]
    strip = inside[inside["place_id"] == "gaza-strip"]
    if len(strip):
        folium.GeoJson(_display(strip[["place_id", "geometry"]]).__geo_interface__, name=_("Gaza Strip"),
                       style_function=lambda f: {"color": STRIP_COLOUR, "weight": 1.5, "fill": False},
                       interactive=False).add_to(m)
    counts: dict[str, int] = {}
    if named is not None:
        counts = {p["place_id"]: int(p.get("count", 1)) for p in named if p.get("inside_gaza", True)}
        show = inside[inside["place_id"].isin(counts)]
    else:
        show = inside[(inside["place_id"] != "gaza-strip")
                      & ((inside.geom_type == "Point") | (inside["place_id"] == focus))]
    show = _display(show)
    group_regions = folium.FeatureGroup(name=_("Regions and areas named") if named is not None else _("Areas"))
    group_points = folium.FeatureGroup(name=_("Places"))
    for _i, row in show.iterrows():
        pid = row["place_id"]
        note = _("named {n}×").format(n=counts[pid]) if pid in counts else ""
        tip = folium.Tooltip(tooltip_html(row, note, lang), sticky=True)
        colour = FOCUS_COLOUR if pid == focus else None
        geom = row.geometry
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            c = colour or (REGION_COLOUR if row["kind"] == "region" else AREA_COLOUR)
            folium.GeoJson(geom.__geo_interface__,
                           style_function=lambda f, c=c: {"color": c, "weight": 2, "fillColor": c,
                                                          "fillOpacity": 0.18, "dashArray": "6 4"},
                           tooltip=tip).add_to(group_regions)
        elif "Line" in geom.geom_type:
            folium.GeoJson(geom.__geo_interface__,
                           style_function=lambda f, c=colour or "#2171b5": {"color": c, "weight": 3},
                           tooltip=tip).add_to(group_regions)
        else:
            folium.CircleMarker([geom.y, geom.x], radius=7 if (pid in counts or pid == focus) else 4,
                                color="#ffffff", weight=1.5, fill=True, fill_opacity=0.95,
                                fill_color=colour or POINT_COLOUR, tooltip=tip).add_to(group_points)
    group_regions.add_to(m)
    group_points.add_to(m)
    if focus is not None and focus in set(places["place_id"]):
        row = places[places["place_id"] == focus].iloc[0]
        g = row.geometry
        if not bool(row["inside_gaza"]):
            m.fit_bounds(GAZA_BOUNDS)
        elif g.geom_type == "Point":
            m.location = [g.y, g.x]
            m.options["zoom"] = 14
            m.fit_bounds([[g.y - 0.006, g.x - 0.006], [g.y + 0.006, g.x + 0.006]])
        else:
            x0, y0, x1, y1 = g.bounds
            m.fit_bounds([[y0, x0], [y1, x1]])
    elif named:
        sel = places[places["place_id"].isin(counts)]
        if len(sel):
            x0, y0, x1, y1 = sel.total_bounds
            pad = 0.01
            m.fit_bounds([[y0 - pad, x0 - pad], [y1 + pad, x1 + pad]])
    else:
        m.fit_bounds(GAZA_BOUNDS)
    folium.LayerControl(collapsed=True).add_to(m)
    attribution = ('<div style="position:absolute;bottom:4px;left:60px;z-index:999;font:11px sans-serif;'
                   'background:rgba(255,255,255,.8);padding:1px 4px">Names: © OpenStreetMap contributors (ODbL), '
                   'PCBS; see Data page</div>')
    if is_rtl(lang):  # the licence names stay as their holders write them, isolated inside the Arabic line
        attribution = ('<div dir="rtl" lang="{lang}" style="position:absolute;bottom:4px;left:60px;z-index:999;'
                       'font:11px sans-serif;background:rgba(255,255,255,.8);padding:1px 4px">{text}</div>').format(
            lang=esc(lang), text=esc(_("Names: {osm}, {pcbs}; see the Data page")).format(
                osm='<bdi dir="ltr" lang="en">© OpenStreetMap contributors (ODbL)</bdi>',
                pcbs='<bdi dir="ltr" lang="en">PCBS</bdi>'))
    figure(m).html.add_child(folium.Element(attribution))
    if localize:
        localize_assets(m)
    return m
