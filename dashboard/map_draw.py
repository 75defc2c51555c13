"""folium drawing for the Map page: the prepared layers (``map_layers``) as one map, its legend and colours.

- one ``folium.GeoJson`` layer per theme, from display geometry (``map_geometry``);
- incidents as one GeoJson layer of ``CircleMarker``s on a ``prefer_canvas`` map (never one
  ``Marker`` per event); every vector layer shares that one canvas, so hit-testing follows the
  drawing order (a canvas above an SVG layer would swallow the clicks meant for the blocks);
- reported-event (claim) areas are outlines only, so they never catch clicks meant for blocks;
- tooltips, popups and labels carry the HTML ``map_layers`` escaped; legend text is escaped here;
- imported (workspace) layers drawn apart by ``add_workspace_layers`` (own colours, legend entries and
  toggles, ACLED's attribution);
- Leaflet served by the app (``map_assets.localize_assets``).

No streamlit import: tested as HTML in tests/test_maps.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from dashboard.html import esc, fmt_date
from dashboard.map_assets import figure, localize_assets
from dashboard.map_geometry import to_geojson
from dashboard.map_layers import MapInput, WorkspaceLayer, status_labels

# The map colours are the report's (one palette): block status in ColorBrewer OrRd, the zone a green outline
# with a light fill, incidents dark blue dots with a white rim, claims a purple dashed outline (reported,
# attributed events, not incident points). The tests import them from here.
from pipeline.core.palette import (
    BACKGROUND,
    CLAIM_COLOUR,
    GOV_COLOUR,
    INCIDENT_COLOUR,
    PLACE_COLOUR,
    STATUS_COLOURS,
    STATUS_ORDER,
    STRIP_COLOUR,
    WORKSPACE_COLOURS,
    WORKSPACE_RIM,
    ZONE_COLOUR,
)

# Imported layers, apart from the OrRd blocks, the blue incidents, the green zone and the purple claims
# (``WorkspaceLayer.slot`` picks one); imported points get a black rim (shipped incidents have a white one).
_KIND_ORDER = {"zones": 0, "figures": 1, "events": 2}


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

    def __init__(self, body: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement.__init__ is unannotated
        self._name = "Legend"
        self.body = body


class Attribution(MacroElement):
    """Adds a data attribution to the map's attribution control."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement.__init__ is unannotated
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
    rows = [f"<b>{esc(fmt_date(on))}</b>"]
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



def _tooltip(field_: str = "tip", **kw: Any) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(fields=[field_], labels=False, sticky=kw.pop("sticky", True),
                                 style="font-size:12px;max-width:340px;white-space:normal", **kw)


def _add_blocks(m: folium.Map, blocks: gpd.GeoDataFrame) -> None:
    """The blocks, filled by status, with the hover tip and the orders popup."""
    colours = STATUS_COLOURS

    def style(f: dict[str, Any]) -> dict[str, Any]:
        s = f["properties"].get("status", "none")
        return {"fillColor": colours.get(s, colours["none"]), "color": "#7a7a7a", "weight": 0.4,
                "fillOpacity": 0.85 if s != "none" else 0.55, "className": f"gdm-block gdm-{s}"}

    folium.GeoJson(
        to_geojson(blocks, ["block_id", "status", "tip", "orders"]), name="Evacuation blocks",
        style_function=style,
        highlight_function=lambda f: {"weight": 2.2, "color": "#000000"},
        tooltip=_tooltip(), popup=folium.GeoJsonPopup(fields=["tip", "orders"], labels=False, max_width=340),
    ).add_to(m)


def _add_places(m: folium.Map, places: gpd.GeoDataFrame) -> None:
    """The places as one toggle: small dots with a tooltip, prominent ones larger with a permanent label."""
    fg = folium.FeatureGroup(name="Places")
    prominent = places[places["prominent"]]
    others = places[~places["prominent"]]
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
    figure(m).header.add_child(Element(CSS))
    if inp.basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True,
                         attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                              "contributors").add_to(m)

    if "blocks" in enabled and inp.blocks is not None and not inp.blocks.empty:
        _add_blocks(m, inp.blocks)

    if "boundaries" in enabled and inp.governorates is not None and not inp.governorates.empty:
        folium.GeoJson(to_geojson(inp.governorates, ["pcode", "tip"]), name="Governorates",
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
        _add_places(m, inp.places)

    ws_rows = add_workspace_layers(m, inp.workspace) if inp.workspace else []

    counts: dict[str, int] | None = None
    if inp.blocks is not None and not inp.blocks.empty:
        counts = {str(k): int(v) for k, v in inp.blocks["status"].value_counts().items()}
    Legend("<br>".join([legend_html(enabled, on=inp.on, since=inp.since, window=inp.window, counts=counts)]
                       + ws_rows)).add_to(m)
    Attribution("Blocks: IDF grid via GazaNowPop (GPL-3.0); other layers: see the Data page").add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    if bounds:
        m.fit_bounds(bounds, padding=(8, 8))
    if localize:
        localize_assets(m)
    return m



WS_LABEL = JsCode("""function (feature, layer) {
    layer.bindTooltip(feature.properties.label, {permanent: true, direction: "top", offset: [0, -6],
                                                className: "gdm-ws-label"});
}""")


def workspace_colour(layer: WorkspaceLayer) -> str:
    return WORKSPACE_COLOURS[layer.slot % len(WORKSPACE_COLOURS)]


def _ws_swatch(layer: WorkspaceLayer) -> str:
    c = workspace_colour(layer)
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
        c = workspace_colour(layer)
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
    rows: Iterable[Any] = events.itertuples()  # one named tuple per event (geometry: a Point or None)
    for r in rows:
        if r.geometry is None or r.geometry.is_empty:
            continue
        folium.Marker([r.geometry.y, r.geometry.x], tooltip=esc(getattr(r, "location", ""))).add_to(m)
    if localize:
        localize_assets(m)
    return m
