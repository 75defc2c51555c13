"""The report's static map of the Strip, drawn with geopandas + matplotlib (no tiles, no network).

Drawn in EPSG:32636 (metres, so the scale bar is exact; grid north is within 0.7° of true north here).
Blocks by status in the web map's colours (:mod:`pipeline.core.palette`), the humanitarian zone declared
on the date, governorate and Strip outlines, incidents in the window sized by reported deaths, the major
places labelled, a legend, a scale bar and a north arrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from pipeline.core import palette
from pipeline.core.layers import AREA_CRS
from pipeline.runtime.bundle import bundle_dir, load_geolayer, load_manifest
from pipeline.runtime.sitrep_text import Words

# Which side of its dot each label sits on: the sea (west) for coastal places, the east for inland ones,
# so no label covers another place or the densest blocks.
LABEL_SIDE = {"gaza-city": "w", "jabalia": "w", "beit-lahia": "w", "beit-hanoun": "e", "nuseirat": "w",
              "deir-al-balah": "w", "khan-younis": "e", "rafah": "e", "al-mawasi": "w", "khuzaa": "e"}
MAP_LAYERS = ("boundaries", "blocks", "zone", "incidents", "places")
WEST_MARGIN_M = 2500.0  # extra sea to the west, for the coastal places' labels
# A light box behind each label (a stroked halo would turn the label into paths: no longer text in the PDF).
LABEL_BOX = {"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}


@dataclass(frozen=True)
class BaseLayers:
    """The bundle's layers the map draws, in EPSG:32636, blocks simplified for display only."""

    blocks: gpd.GeoDataFrame
    governorates: gpd.GeoDataFrame
    strip: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    events: gpd.GeoDataFrame
    places: gpd.GeoDataFrame


def _simplified(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    g = gdf.to_crs(AREA_CRS)
    try:
        geoms = shapely.coverage_simplify(np.asarray(g.geometry.values), tolerance_m)
    except Exception:  # not a valid coverage: simplify each polygon on its own
        geoms = shapely.simplify(np.asarray(g.geometry.values), tolerance_m, preserve_topology=True)
    return g.set_geometry(gpd.GeoSeries(geoms, index=g.index, crs=AREA_CRS))


@lru_cache(maxsize=2)
def _base(path: str, built_at: str) -> BaseLayers:
    places = load_geolayer("places", path)
    places = places[places["place_id"].isin(palette.MAJOR_PLACES)].copy()
    places["geometry"] = gpd.points_from_xy(places["label_lon"], places["label_lat"], crs=places.crs)
    events = load_geolayer("events", path)
    events["date"] = pd.to_datetime(events["date"]).dt.date
    return BaseLayers(
        blocks=_simplified(load_geolayer("blocks", path)[["block_id", "geometry"]], 15.0),
        governorates=_simplified(load_geolayer("governorates", path), 20.0),
        strip=load_geolayer("strip", path).to_crs(AREA_CRS),
        zones=load_geolayer("zones", path).to_crs(AREA_CRS),
        events=events.to_crs(AREA_CRS),
        places=places.set_geometry("geometry").to_crs(AREA_CRS),
    )


def base_layers(path: str | Path | None = None) -> BaseLayers:
    """The map's layers for the bundle (cached; read afresh when the bundle is rebuilt)."""
    p = str(bundle_dir(path))
    return _base(p, str(load_manifest(p).get("built_at")))


@dataclass(frozen=True)
class MapView:
    """What the map shows: the date, the framing start, the incident window and the layers."""

    on: date
    since: date
    start: date
    window: int
    zone_id: str | None
    layers: tuple[str, ...] = MAP_LAYERS


def fit_limits(bounds: np.ndarray, box_w: float, box_h: float, pad: float = 0.04
               ) -> tuple[tuple[float, float], tuple[float, float]]:
    """x and y limits around ``bounds`` (minx, miny, maxx, maxy) with the box's aspect ratio, equal scale."""
    minx, miny, maxx, maxy = bounds
    w, h = (maxx - minx) * (1 + 2 * pad), (maxy - miny) * (1 + 2 * pad)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if w / h > box_w / box_h:
        h = w * box_h / box_w
    else:
        w = h * box_w / box_h
    return (cx - w / 2, cx + w / 2), (cy - h / 2, cy + h / 2)


def incident_sizes(fatalities: pd.Series) -> np.ndarray:
    """Marker areas (pt²) growing with the square root of reported deaths (as the web map's radius)."""
    f = pd.to_numeric(fatalities, errors="coerce")
    radius = np.where(f.notna(), 1.6 + 0.9 * np.sqrt(f.fillna(0).clip(lower=0)), 1.6).clip(max=9)
    return (radius ** 2) * np.pi / 2


def _draw_blocks(ax: Axes, base: BaseLayers, status: pd.DataFrame) -> None:
    b = base.blocks.merge(status[["block_id", "status"]], on="block_id", how="left")
    b["status"] = b["status"].fillna("none")
    for s in reversed(palette.STATUS_ORDER):
        part = b[b["status"] == s]
        if len(part):
            part.plot(ax=ax, facecolor=palette.STATUS_COLOURS[s], edgecolor=palette.BLOCK_EDGE, linewidth=0.15)


# Label positions tried in turn: (offset x, offset y) in points, horizontal and vertical alignment.
_HAlign = Literal["left", "center", "right"]
_VAlign = Literal["bottom", "center", "top"]
_SIDES: dict[str, tuple[tuple[float, float], _HAlign, _VAlign]] = {
    "e": ((3.5, 0), "left", "center"), "w": ((-3.5, 0), "right", "center"),
    "n": ((0, 3.5), "center", "bottom"), "s": ((0, -3.5), "center", "top")}
_ORDER = {"e": "ewns", "w": "wens"}


def _agg_renderer(ax: Axes) -> RendererAgg:
    """Attach an Agg canvas to the axes' figure and return its renderer (it measures the labels)."""
    fig = ax.figure
    if not isinstance(fig, Figure):
        raise TypeError("the map's axes must sit on a Figure, not a SubFigure")
    # matplotlib's backend_agg module carries no annotations (no stub either), so its calls are untyped.
    renderer: RendererAgg = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
    return renderer


def _draw_places(ax: Axes, base: BaseLayers, w: Words, obstacles: list[Bbox], renderer: RendererAgg
                 ) -> list[Bbox]:
    """Dots and labels of the major places; each label on the first side where it stays inside the map and
    clear of the other labels and of ``obstacles`` (display-space boxes: legend, scale bar), as measured by
    ``renderer`` (the figure's Agg renderer)."""
    p = base.places
    ax.scatter(p.geometry.x, p.geometry.y, s=9, c=palette.PLACE_COLOUR, edgecolors="white", linewidths=0.6,
               zorder=6)
    frame = ax.get_window_extent(renderer).padded(-2)
    placed: list[Bbox] = []
    rows = zip(p["name_en"], p["name_ar"], p["place_id"], p.geometry.x.tolist(), p.geometry.y.tolist(), strict=True)
    for name_en, name_ar, place_id, x, y in rows:
        label = ax.annotate(w.place(name_en, name_ar), (x, y), textcoords="offset points",
                            xytext=(0, 0), fontsize=6.8, fontweight="bold", color="#111111", bbox=LABEL_BOX,
                            zorder=7, gid="place-label")
        for side in _ORDER[LABEL_SIDE.get(place_id, "e")]:
            offset, ha, va = _SIDES[side]
            label.set_position(offset)
            label.set_horizontalalignment(ha)
            label.set_verticalalignment(va)
            bb = label.get_window_extent(renderer)
            inside = frame.x0 <= bb.x0 and bb.x1 <= frame.x1 and frame.y0 <= bb.y0 and bb.y1 <= frame.y1
            if inside and not any(bb.overlaps(o) for o in placed + obstacles):
                break
        placed.append(label.get_window_extent(renderer))
    return placed


def _legend(ax: Axes, view: MapView, w: Words, status_counts: dict[str, int]) -> Legend:
    labels = {"recent": w.t("legend_recent", days=w.days(view.window)),
              "earlier": w.t("legend_earlier", since=w.short_date(view.since)),
              "none": w.t("legend_none")}
    handles: list[Artist] = []
    if "blocks" in view.layers:
        for s in palette.STATUS_ORDER:
            handles.append(Patch(facecolor=palette.STATUS_COLOURS[s], edgecolor=palette.BLOCK_EDGE, linewidth=0.4,
                                 label=f"{labels[s]} ({w.num(status_counts.get(s, 0))})"))
    if "zone" in view.layers and view.zone_id is not None:
        handles.append(Patch(facecolor=palette.ZONE_COLOUR + "33", edgecolor=palette.ZONE_COLOUR, linestyle="--",
                             linewidth=1.2, label=w.t("legend_zone")))
    if "incidents" in view.layers:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=4.5,
                              markerfacecolor=palette.INCIDENT_COLOUR, markeredgecolor="white",
                              label=w.t("legend_incidents", start=w.short_date(view.start), on=w.short_date(view.on))))
    if "places" in view.layers:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=3.5,
                              markerfacecolor=palette.PLACE_COLOUR, markeredgecolor="white",
                              label=w.t("legend_places")))
    if "boundaries" in view.layers:
        handles.append(Line2D([], [], color=palette.GOV_COLOUR, linewidth=1.0, label=w.t("legend_gov")))
    leg = ax.legend(handles=handles, loc="lower right", fontsize=6.3, frameon=True, framealpha=0.95,
                    edgecolor="#999999", markerfirst=not w.rtl, title=w.date(view.on), title_fontsize=7,
                    borderpad=0.6, labelspacing=0.5, handlelength=1.6)
    leg.set_zorder(10)
    if w.rtl:
        for t in leg.get_texts():
            t.set_horizontalalignment("right")
            t.set_multialignment("right")
        leg.set_alignment("right")
    return leg


def _scale_and_north(ax: Axes, w: Words) -> list[Text]:
    """Scale bar and north arrow in the map's top-left corner (the sea); returns their text artists."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    km = 5
    bx, by = x0 + 0.06 * (x1 - x0), y1 - 0.10 * (y1 - y0)
    for i in range(km):  # alternating 1 km segments
        ax.add_patch(Rectangle((bx + i * 1000, by), 1000, 0.006 * (y1 - y0), facecolor="#222222" if i % 2 == 0
                               else "white", edgecolor="#222222", linewidth=0.5, zorder=9))
    t0 = ax.text(bx, by + 0.012 * (y1 - y0), "0", fontsize=6, ha="center", va="bottom", zorder=9)
    t1 = ax.text(bx + km * 1000, by + 0.012 * (y1 - y0), w.t("km", n=km), fontsize=6, ha="center", va="bottom",
            zorder=9)
    nx, ny = bx + 0.5 * km * 1000, y1 - 0.035 * (y1 - y0)
    ax.annotate("", xy=(nx, ny), xytext=(nx, ny - 0.045 * (y1 - y0)),
                arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.2}, zorder=9)
    t2 = ax.text(nx + 0.02 * (x1 - x0), ny - 0.022 * (y1 - y0), w.t("north"), fontsize=8, fontweight="bold",
                 ha="left", va="center", zorder=9)
    return [t0, t1, t2]


def draw_map(ax: Axes, base: BaseLayers, status: pd.DataFrame, view: MapView, w: Words, box: tuple[float, float]
             ) -> None:
    """Draw the map into ``ax`` whose box is ``box`` (width, height) inches."""
    minx, miny, maxx, maxy = base.strip.total_bounds
    xlim, ylim = fit_limits(np.array([minx - WEST_MARGIN_M, miny, maxx, maxy]), *box)
    ax.set_facecolor(palette.BACKGROUND)
    if "blocks" in view.layers:
        _draw_blocks(ax, base, status)
    if "zone" in view.layers and view.zone_id is not None:
        z = base.zones[base.zones["zone_id"] == view.zone_id]
        z.plot(ax=ax, facecolor=palette.ZONE_COLOUR + "33", edgecolor=palette.ZONE_COLOUR, linewidth=1.3,
               linestyle="--", zorder=3)
    if "boundaries" in view.layers:
        base.governorates.boundary.plot(ax=ax, color=palette.GOV_COLOUR, linewidth=0.9, zorder=4)
    base.strip.boundary.plot(ax=ax, color=palette.STRIP_COLOUR, linewidth=1.2, zorder=4)
    if "incidents" in view.layers:
        e = base.events[(base.events["date"] >= view.start) & (base.events["date"] <= view.on)]
        e = e[e.geometry.notna() & ~e.geometry.is_empty]
        if len(e):
            ax.scatter(e.geometry.x, e.geometry.y, s=incident_sizes(e["fatalities"]), c=palette.INCIDENT_COLOUR,
                       alpha=0.8, edgecolors="white", linewidths=0.5, zorder=5)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor("#777777")
        spine.set_linewidth(0.6)
    counts = {str(k): int(v) for k, v in status["status"].value_counts().items()}
    leg = _legend(ax, view, w, counts)
    marks = _scale_and_north(ax, w)
    if "places" in view.layers:
        # The Agg canvas measures the labels; attached only now, because geopandas' plot asks the canvas to
        # redraw after each layer and Agg would render the whole page each time.
        renderer = _agg_renderer(ax)
        obstacles = [a.get_window_extent(renderer) for a in [leg, *marks]]
        _draw_places(ax, base, w, obstacles, renderer)
