"""The Orders page's map: an order's (or a period's) blocks, the facilities inside by kind, the zone on its date.

No streamlit import: testable as HTML. Leaflet comes from the app's own static files
(``dashboard.map_assets.localize_assets``). Every text from data is escaped before it reaches a tooltip.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from dashboard.html import bidi, esc, rtl
from dashboard.map_assets import localize_assets
from dashboard.map_draw import Legend
from dashboard.map_geometry import round_coords
from dashboard.map_scale import add_scale
from pipeline.core.facilities import FACILITY_KINDS, KIND_EN
from pipeline.core.i18n import DEFAULT, is_rtl, translator
from pipeline.core.palette import FACILITY_COLOURS

KIND_COLOURS = FACILITY_COLOURS
BLOCK_COLOUR, ZONE_COLOUR = "#b2182b", "#1a9850"


def _dir(lang: str) -> str:
    """``dir``/``lang`` attributes for a right-to-left language; nothing in English (its HTML is unchanged)."""
    return f' dir="rtl" lang="{esc(lang)}"' if is_rtl(lang) else ""


def _facility_features(fac: gpd.GeoDataFrame, lang: str = DEFAULT) -> dict[str, Any]:
    _ = translator(lang)
    f = fac[["facility_id", "kind", "geometry"]].copy()
    tips = [f"{rtl(n)}<br>{esc(_(KIND_EN.get(k, k)))} · {esc(i)}"
            for n, k, i in zip(fac["name_ar"], fac["kind"], fac["facility_id"], strict=True)]
    f["tip"] = [f"<div{_dir(lang)}>{t}</div>" for t in tips] if is_rtl(lang) else tips
    f["colour"] = f["kind"].map(KIND_COLOURS).fillna(KIND_COLOURS["other"])
    f["geometry"] = round_coords(f.geometry.values)
    return f.to_geo_dict()


def _points_layer(fac: gpd.GeoDataFrame, name: str, *, show: bool, radius: float,
                  lang: str = DEFAULT) -> folium.GeoJson:
    return folium.GeoJson(
        _facility_features(fac, lang), name=name, show=show,
        marker=folium.CircleMarker(radius=radius, weight=1, fill=True, fill_opacity=0.9),
        style_function=lambda ft: {"color": "#222", "fillColor": ft["properties"]["colour"], "weight": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    )


def legend_html(counts: dict[str, int], title: str, lang: str = DEFAULT) -> str:
    _ = translator(lang)
    gap = "margin-left:4px" if is_rtl(lang) else "margin-right:4px"  # the swatch's gap is on the text's side
    ordered, zone = esc(_("blocks ordered")), esc(_("humanitarian zone on that date"))
    rows = "".join(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:5px;{gap};'
        f'background:{KIND_COLOURS[k]}"></span>{esc(_(KIND_EN[k]))}: {counts.get(k, 0):,}</div>'
        for k in FACILITY_KINDS)
    return (f'<div class="orders-legend"{_dir(lang)} style="background:white;padding:6px 8px;border:1px solid #999;'
            f'font:12px sans-serif;">'
            f'<b>{esc(title)}</b>'
            f'<div><span style="display:inline-block;width:12px;height:8px;background:{BLOCK_COLOUR};opacity:.5;'
            f'{gap}"></span>{ordered}</div>'
            f'<div><span style="display:inline-block;width:12px;height:8px;background:{ZONE_COLOUR};opacity:.5;'
            f'{gap}"></span>{zone}</div>{rows}</div>')


def build_orders_map(*, strip: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame, block_ids: list[int],
                     facilities: gpd.GeoDataFrame, facility_ids: list[str], zone: gpd.GeoDataFrame | None,
                     all_facilities: gpd.GeoDataFrame | None = None, title: str = "",
                     localize: bool = True, height: int = 560, lang: str = DEFAULT) -> folium.Map:
    """The map of one impact result: its blocks (red), the facilities inside (by kind), the zone (green).

    ``all_facilities``: when given, an extra layer of those facilities, off by default in the layer control.
    ``lang``: the language of the legend, tooltips and layer names (right to left in Arabic).
    """
    _ = translator(lang)
    m = folium.Map(location=[31.42, 34.38], zoom_start=11, tiles=None, prefer_canvas=True, height=height)
    add_scale(m, lang)
    folium.GeoJson(strip[["geometry"]].to_geo_dict(), name=_("Gaza Strip"), control=False,
                   style_function=lambda ft: {"color": "#555", "weight": 1, "fillColor": "#f5f5f5",
                                              "fillOpacity": 0.6}).add_to(m)
    sel = blocks[blocks["block_id"].isin(block_ids)]
    bounds = None
    if zone is not None and not zone.empty:
        z = zone[["zone_id", "geometry"]].copy()
        z["tip"] = [bidi(v) if is_rtl(lang) else esc(v) for v in zone["name"]]
        folium.GeoJson(z.to_geo_dict(), name=_("Humanitarian zone on that date"),
                       style_function=lambda ft: {"color": ZONE_COLOUR, "weight": 1.5, "fillColor": ZONE_COLOUR,
                                                  "fillOpacity": 0.3},
                       tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)
    if not sel.empty:
        b = sel[["block_id", "geometry"]].copy()
        tip = _("Block {id} · {name} · ~{people} people (pre-war est.)")
        b["tip"] = [tip.format(id=int(i), name=rtl(n, "he") if is_rtl(lang) else esc(n, ""), people=f"{int(p):,}")
                    for i, n, p in zip(sel["block_id"], sel["neighbourhood"], sel["pop_prewar_est"], strict=True)]
        if is_rtl(lang):
            b["tip"] = [f"<div{_dir(lang)}>{t}</div>" for t in b["tip"]]
        b["geometry"] = round_coords(b.geometry.values)
        folium.GeoJson(b.to_geo_dict(), name=_("Blocks ordered ({n})").format(n=len(sel)),
                       style_function=lambda ft: {"color": BLOCK_COLOUR, "weight": 0.8, "fillColor": BLOCK_COLOUR,
                                                  "fillOpacity": 0.35},
                       tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)
        x0, y0, x1, y1 = sel.total_bounds
        bounds = [[y0, x0], [y1, x1]]
    inside = facilities[facilities["facility_id"].isin(facility_ids)]
    if not inside.empty:
        _points_layer(inside, _("Facilities inside ({n})").format(n=f"{len(inside):,}"), show=True, radius=4,
                      lang=lang).add_to(m)
    if all_facilities is not None and not all_facilities.empty:
        _points_layer(all_facilities, _("All facilities ({n})").format(n=f"{len(all_facilities):,}"), show=False,
                      radius=3, lang=lang).add_to(m)
    counts = inside["kind"].value_counts().to_dict() if not inside.empty else {}
    Legend(legend_html({str(k): int(v) for k, v in counts.items()}, title or _("Facilities inside"),
                       lang)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if bounds:
        m.fit_bounds(bounds)
    if localize:
        localize_assets(m)
    return m


def orders_geojson(orders: gpd.GeoDataFrame, table: pd.DataFrame) -> str:
    """GeoJSON of the orders in ``table`` (its columns as properties; unmapped orders without geometry)."""
    g = orders[["order_id", "geometry"]].merge(table, on="order_id", how="inner")
    g = gpd.GeoDataFrame(g, geometry="geometry", crs=orders.crs)
    return g.to_json(na="null", drop_id=True, ensure_ascii=False)
