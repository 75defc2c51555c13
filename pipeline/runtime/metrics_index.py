"""The metrics index: the bundle's layers prepared once for fast date queries.

The blocks are clipped to the Strip outline and made disjoint, so the area of any set of blocks is a
sum; an order x block matrix answers "which blocks were named in [since, on]"; area orders (the 13 Oct
2023 north order) add their clipped area plus the area of selected blocks outside it (cached per set of
active areas). The result equals the area of the geometric union (a test and ``bench/bench_metrics.py``
check this).

:func:`build_index` is pure (it takes the layers); :func:`index` is the cached loader the edges use.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.dates import optional_date
from pipeline.core.layers import AREA_CRS
from pipeline.runtime.bundle import bundle_dir, load_layer, load_manifest
from pipeline.runtime.zones import zone_on

INDEX_LAYERS = ("blocks", "strip", "orders", "order_blocks", "zones", "events", "series", "claims", "governorates")


@dataclass
class Index:
    """Everything ``compute`` needs, prepared once per bundle."""

    block_ids: np.ndarray
    block_pop: np.ndarray
    block_area: np.ndarray          # km², clipped to the Strip, disjoint pieces
    block_geom: np.ndarray          # the disjoint pieces (EPSG:32636)
    strip_area: float
    order_ids: np.ndarray           # placed orders (kind blocks/area)
    order_dates: np.ndarray         # datetime64[D]
    member: np.ndarray              # bool (orders x blocks): blocks counted (incl. area-majority blocks)
    member_geom: np.ndarray         # bool (orders x blocks): blocks whose geometry counts (area orders: none)
    area_of: dict[int, shapely.Geometry]  # order position -> clipped area geometry (EPSG:32636)
    orders: pd.DataFrame            # all orders (incl. unplaced), no geometry
    order_blocks: pd.DataFrame
    zones: pd.DataFrame
    zone_geom: dict[str, shapely.Geometry]
    events: pd.DataFrame            # with _zone and _inside
    series: pd.DataFrame
    governorates: pd.DataFrame
    claims: pd.DataFrame
    _area_cache: dict[frozenset, tuple[float, np.ndarray]] = field(default_factory=dict)
    _metric_cache: dict[str, pd.DataFrame] = field(default_factory=dict)

    def metric_rows(self, metric: str) -> pd.DataFrame:
        """The rows of ``series`` for ``metric`` (original order and index; cached, read-only)."""
        if metric not in self._metric_cache:
            self._metric_cache[metric] = self.series[(self.series["metric"] == metric).to_numpy()]
        return self._metric_cache[metric]

    def area_terms(self, active: frozenset) -> tuple[float, np.ndarray]:
        """(km² of the union of the active area orders, per-block km² outside that union)."""
        if active not in self._area_cache:
            if not active:
                self._area_cache[active] = (0.0, self.block_area)
            else:
                u = shapely.union_all([self.area_of[i] for i in sorted(active)])
                outside = shapely.area(shapely.difference(self.block_geom, u)) / 1e6
                self._area_cache[active] = (u.area / 1e6, outside)
        return self._area_cache[active]

    def covered(self, sel: np.ndarray) -> tuple[float, np.ndarray]:
        """(km², block mask) for the placed orders selected by the boolean ``sel``.

        The area is the union of the selected orders' geometry (blocks named, plus areas);
        the mask is the blocks counted (blocks named, plus the majority blocks of areas).
        """
        if not sel.any():
            return 0.0, np.zeros(len(self.block_ids), bool)
        mask = self.member[sel].any(axis=0)
        gmask = self.member_geom[sel].any(axis=0)
        active = frozenset(int(i) for i in np.flatnonzero(sel) if int(i) in self.area_of)
        a_area, outside = self.area_terms(active)
        return a_area + float(outside[gmask].sum()), mask


def _disjoint_pieces(bg: np.ndarray) -> np.ndarray:
    """Each geometry minus the union of the earlier ones that overlap it (one bulk STRtree query)."""
    pieces = bg.copy()
    if len(bg) < 2:
        return pieces
    left, right = shapely.STRtree(bg).query(bg, predicate="intersects")
    keep = right < left                      # order within each input is the tree's, as a single query gives
    left, right = left[keep], right[keep]
    if not len(left):
        return pieces
    idx, starts = np.unique(left, return_index=True)
    unions = np.empty(len(idx), dtype=object)
    unions[:] = [shapely.union_all(bg[g]) for g in np.split(right, starts[1:])]
    changed = shapely.area(shapely.intersection(bg[idx], unions)) > 0
    if changed.any():
        i = idx[changed]
        pieces[i] = shapely.make_valid(shapely.difference(bg[i], unions[changed]))
    return pieces


def _zone_per_event(zones: pd.DataFrame, zone_geom: dict[str, shapely.Geometry], ev_dates: pd.Series,
                    points: np.ndarray) -> tuple[list[str | None], np.ndarray]:
    """(zone_id declared on each event's date or None, event point covered by that zone).

    The declared zone only changes on a ``valid_from``/``valid_to`` day, so :func:`zone_on` is asked once per
    run of event dates between two such days; the point-in-zone test runs once per zone on all its events.
    """
    bounds = sorted({b for col in ("valid_from", "valid_to") for b in map(optional_date, zones[col]) if b is not None})
    seg: dict[int, str | None] = {}
    zid: list[str | None] = []
    for d in ev_dates:
        k = bisect_right(bounds, d)
        if k not in seg:
            z = zone_on(zones, d)
            seg[k] = None if z is None else z["zone_id"]
        zid.append(seg[k])
    zarr = np.array(zid, dtype=object)
    inside = np.zeros(len(zid), dtype=bool)
    for z in {z for z in zid if z is not None}:
        m = zarr == z
        inside[m] = shapely.covers(zone_geom[z], points[m])
    return zid, inside


def build_index(layers: Mapping[str, pd.DataFrame]) -> Index:
    """Prepare the layers named in ``INDEX_LAYERS`` for fast queries (the frames are not changed)."""
    blocks = layers["blocks"].sort_values("block_id").reset_index(drop=True)
    strip = layers["strip"]
    outline = strip.to_crs(AREA_CRS).union_all()
    bg = np.asarray(blocks.to_crs(AREA_CRS).geometry.values)
    bg = shapely.make_valid(shapely.intersection(bg, outline))
    pieces = _disjoint_pieces(bg)
    block_ids = blocks["block_id"].to_numpy(dtype=np.int64)
    pos = {int(b): i for i, b in enumerate(block_ids)}

    orders = layers["orders"]
    placed = orders[orders["kind"].isin(["blocks", "area"])].sort_values(["issued_on", "order_id"]).reset_index(drop=True)
    ob = layers["order_blocks"].copy()
    member = np.zeros((len(placed), len(block_ids)), dtype=bool)
    opos = {o: i for i, o in enumerate(placed["order_id"])}
    m = ob.dropna(subset=["block_id"])
    m = m[m["order_id"].isin(opos)]
    member[m["order_id"].map(opos).to_numpy(), m["block_id"].astype(int).map(pos).to_numpy()] = True
    member_geom = np.zeros_like(member)
    g = m[m["matched_as"] != "area-majority"]
    member_geom[g["order_id"].map(opos).to_numpy(), g["block_id"].astype(int).map(pos).to_numpy()] = True
    area_rows = placed.index[(placed["kind"] == "area").to_numpy()]
    area_of = {}
    if len(area_rows):
        ag = gpd.GeoSeries(placed.geometry.loc[area_rows].to_numpy(), crs=orders.crs).to_crs(AREA_CRS)
        area_of = dict(zip((int(i) for i in area_rows),
                           shapely.make_valid(shapely.intersection(np.asarray(ag.values), outline))))

    zones = layers["zones"]
    zone_geom = dict(zip(zones["zone_id"], zones.to_crs(AREA_CRS).geometry))
    zones = pd.DataFrame(zones.drop(columns="geometry"))
    events = layers["events"]
    ev_dates = pd.to_datetime(events["date"]).dt.date
    zid, inside = _zone_per_event(zones, zone_geom, ev_dates, np.asarray(events.to_crs(AREA_CRS).geometry.values))
    events = pd.DataFrame(events.drop(columns="geometry"))
    events["date"] = ev_dates
    events["_zone"] = zid
    events["_inside"] = inside
    series = layers["series"].copy()
    series["date"] = pd.to_datetime(series["date"]).dt.date
    claims = layers["claims"].copy()
    claims["date"] = pd.to_datetime(claims["date"]).dt.date
    return Index(
        block_ids=block_ids, block_pop=blocks["pop_prewar_est"].to_numpy(dtype=np.int64),
        block_area=shapely.area(pieces) / 1e6, block_geom=pieces, strip_area=float(outline.area / 1e6),
        order_ids=placed["order_id"].to_numpy(),
        order_dates=pd.to_datetime(placed["issued_on"]).to_numpy().astype("datetime64[D]"),
        member=member, member_geom=member_geom, area_of=area_of, orders=pd.DataFrame(orders.drop(columns="geometry")), order_blocks=ob,
        zones=zones, zone_geom=zone_geom, events=events, series=series,
        governorates=pd.DataFrame(layers["governorates"].drop(columns="geometry")), claims=claims,
    )


@lru_cache(maxsize=4)
def _index(path: str, built_at: str) -> Index:
    return build_index({name: load_layer(name, path) for name in INDEX_LAYERS})


_INDEX_LOCK = threading.Lock()


def index(path: str | None = None) -> Index:
    """The prepared index for the bundle (cached; rebuilt when the bundle is rebuilt).

    Thread-safe: a caller arriving while another thread builds the index waits for it instead of
    building it a second time (the dashboard warms it in the background).
    """
    p = str(bundle_dir(path))
    with _INDEX_LOCK:
        return _index(p, str(load_manifest(p).get("built_at")))
