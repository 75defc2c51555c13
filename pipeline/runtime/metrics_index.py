"""The metrics index: the bundle's layers prepared once for fast date queries.

The blocks are clipped to the Strip outline and made disjoint, so the area of any set of blocks is a
sum; a block with sub-block outlines (layer ``sub_blocks``) is split into those outlines plus what they leave
of it ("units"; a block without outlines is one unit). An order x block matrix answers "which blocks were
named in [since, on]" and an order x unit matrix "which area": a sub-block with an outline covers its unit,
every other id its whole block. Orders marked ``repeat_of`` are not counted again; area orders (the 13 Oct
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
import numpy.typing as npt
import pandas as pd
import shapely

from pipeline.core.dates import optional_date
from pipeline.core.layers import AREA_CRS
from pipeline.runtime.bundle import bundle_dir, load_layer, load_manifest
from pipeline.runtime.zones import zone_on

INDEX_LAYERS = ("blocks", "strip", "orders", "order_blocks", "zones", "events", "series", "claims", "governorates")
OPTIONAL_LAYERS = ("sub_blocks", "statements")  # read when the bundle has them


@dataclass
class Index:
    """Everything ``compute`` needs, prepared once per bundle."""

    block_ids: npt.NDArray[np.int64]
    block_pop: npt.NDArray[np.int64]
    block_area: npt.NDArray[np.float64]  # km², clipped to the Strip, disjoint pieces
    block_geom: npt.NDArray[np.object_]  # the disjoint pieces (EPSG:32636)
    strip_area: float
    order_ids: npt.NDArray[np.object_]  # placed orders (kind blocks/area)
    order_dates: npt.NDArray[np.datetime64]  # datetime64[D]
    member: npt.NDArray[np.bool_]       # (orders x blocks): blocks counted (incl. area-majority blocks)
    member_geom: npt.NDArray[np.bool_]  # (orders x blocks): blocks whose geometry counts (area orders: none)
    area_of: dict[int, shapely.Geometry]  # order position -> clipped area geometry (EPSG:32636)
    orders: pd.DataFrame            # all orders (incl. unplaced), no geometry
    order_blocks: pd.DataFrame
    zones: pd.DataFrame
    zone_geom: dict[str, shapely.Geometry]
    events: pd.DataFrame            # with _zone and _inside
    series: pd.DataFrame
    governorates: pd.DataFrame
    claims: pd.DataFrame
    unit_block: npt.NDArray[np.int64]    # block position of each unit
    unit_area: npt.NDArray[np.float64]   # km² of each unit (disjoint, within the Strip)
    unit_geom: npt.NDArray[np.object_]   # EPSG:32636
    unit_pop: npt.NDArray[np.float64]    # pre-war population estimate of each unit (block's, shared by area)
    umember: npt.NDArray[np.bool_]       # (orders x units): units counted
    umember_geom: npt.NDArray[np.bool_]  # (orders x units): units whose geometry counts (area orders: none)
    statements: pd.DataFrame | None      # None when the bundle has no statements layer
    block_pcode: npt.NDArray[np.object_]  # governorate pcode of each block
    unit_label: list[str | None] = field(default_factory=list)  # sub-block id of each unit drawn by an outline
    outline: shapely.Geometry | None = None  # the Strip outline (EPSG:32636)
    _area_cache: dict[frozenset[int], tuple[float, npt.NDArray[np.float64]]] = field(default_factory=dict)
    _metric_cache: dict[str, pd.DataFrame] = field(default_factory=dict)

    def metric_rows(self, metric: str) -> pd.DataFrame:
        """The rows of ``series`` for ``metric`` (original order and index; cached, read-only)."""
        if metric not in self._metric_cache:
            self._metric_cache[metric] = self.series[(self.series["metric"] == metric).to_numpy()]
        return self._metric_cache[metric]

    def area_terms(self, active: frozenset[int]) -> tuple[float, npt.NDArray[np.float64]]:
        """(km² of the union of the active area orders, per-unit km² outside that union)."""
        if active not in self._area_cache:
            if not active:
                self._area_cache[active] = (0.0, self.unit_area)
            else:
                u = shapely.union_all([self.area_of[i] for i in sorted(active)])
                outside = shapely.area(shapely.difference(self.unit_geom, u)) / 1e6
                self._area_cache[active] = (u.area / 1e6, outside)
        return self._area_cache[active]

    def covered(self, sel: npt.NDArray[np.bool_]) -> tuple[float, npt.NDArray[np.bool_]]:
        """(km², block mask) for the placed orders selected by the boolean ``sel``.

        The area is the union of the selected orders' geometry (blocks named, plus areas);
        the mask is the blocks counted (blocks named, plus the majority blocks of areas).
        """
        if not sel.any():
            return 0.0, np.zeros(len(self.block_ids), bool)
        mask: npt.NDArray[np.bool_] = np.any(self.member[sel], axis=0)
        gmask = self.umember_geom[sel].any(axis=0)
        active = frozenset(int(i) for i in np.flatnonzero(sel) if int(i) in self.area_of)
        a_area, outside = self.area_terms(active)
        return a_area + float(outside[gmask].sum()), mask

    def population(self, sel: npt.NDArray[np.bool_]) -> int:
        """Pre-war population estimate of the units the selected placed orders cover."""
        if not sel.any():
            return 0
        return int(round(float(self.unit_pop[self.umember[sel].any(axis=0)].sum())))

    def unit_mask(self, sel: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Units covered by the selected placed orders (counted, incl. the majority blocks of areas)."""
        if not sel.any():
            return np.zeros(len(self.unit_block), bool)
        mask: npt.NDArray[np.bool_] = np.any(self.umember[sel], axis=0)
        return mask


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
            seg[k] = None if z is None else str(z["zone_id"])
        zid.append(seg[k])
    zarr = np.array(zid, dtype=object)
    inside = np.zeros(len(zid), dtype=bool)
    for zone_id in {z for z in zid if z is not None}:
        m = zarr == zone_id
        inside[m] = shapely.covers(zone_geom[zone_id], points[m])
    return zid, inside


def _units(pieces: npt.NDArray[np.object_], block_ids: npt.NDArray[np.int64], sub_blocks: gpd.GeoDataFrame | None
           ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], list[str | None]]:
    """(block position per unit, unit geometry, sub-block label or None): each block's disjoint piece split by its
    sub-block outlines (each minus the earlier siblings) and what they leave (kept when larger than 1 m²)."""
    by_block: dict[int, list[tuple[str, shapely.Geometry]]] = {}
    if sub_blocks is not None and len(sub_blocks):
        sg = sub_blocks.to_crs(AREA_CRS)
        for lab, bid, g in zip(sg["sub_block_id"], sg["block_id"], sg.geometry, strict=True):
            by_block.setdefault(int(bid), []).append((str(lab), g))
    ub: list[int] = []
    ug: list[shapely.Geometry] = []
    ul: list[str | None] = []

    def unit(block_pos: int, geom: shapely.Geometry, label: str | None) -> None:
        ub.append(block_pos)
        ug.append(geom)
        ul.append(label)

    for i, bid in enumerate(block_ids):
        subs = by_block.get(int(bid))
        if not subs:
            unit(i, pieces[i], None)
            continue
        done: shapely.Geometry | None = None
        for lab, outline in sorted(subs):
            part: shapely.Geometry = shapely.intersection(pieces[i], outline)
            if done is not None:
                part = shapely.difference(part, done)
            done = outline if done is None else shapely.union(done, outline)
            unit(i, shapely.make_valid(part), lab)
        rest = shapely.make_valid(shapely.difference(pieces[i], done))
        if rest.area > 1.0:
            unit(i, rest, None)
    geom = np.empty(len(ug), dtype=object)
    geom[:] = ug
    return np.asarray(ub, dtype=np.int64), geom, ul


def build_index(layers: Mapping[str, pd.DataFrame]) -> Index:
    """Prepare the layers named in ``INDEX_LAYERS`` for fast queries (the frames are not changed)."""
    blocks = _geo(layers, "blocks").sort_values("block_id").reset_index(drop=True)
    strip = _geo(layers, "strip")
    outline = strip.to_crs(AREA_CRS).union_all()
    bg = np.asarray(blocks.to_crs(AREA_CRS).geometry.values)
    bg = shapely.make_valid(shapely.intersection(bg, outline))
    pieces = _disjoint_pieces(bg)
    block_ids = blocks["block_id"].to_numpy(dtype=np.int64)
    pos = {int(b): i for i, b in enumerate(block_ids)}

    unit_block, unit_geom, unit_label = _units(pieces, block_ids, _geo(layers, "sub_blocks") if "sub_blocks" in layers else None)
    unit_area = shapely.area(unit_geom) / 1e6
    block_area = shapely.area(pieces) / 1e6
    block_pop = blocks["pop_prewar_est"].to_numpy(dtype=np.int64)
    share = np.divide(unit_area, block_area[unit_block], out=np.zeros(len(unit_area)), where=block_area[unit_block] > 0)
    unit_pop = block_pop[unit_block] * share
    units_of: dict[int, list[int]] = {}
    for u, b in enumerate(unit_block):
        units_of.setdefault(int(b), []).append(u)
    unit_pos = {lab: u for u, lab in enumerate(unit_label) if lab is not None}

    orders = _geo(layers, "orders")
    counted = orders["kind"].isin(["blocks", "area"])
    if "repeat_of" in orders.columns:
        counted &= orders["repeat_of"].isna()
    placed = orders[counted].sort_values(["issued_on", "order_id"]).reset_index(drop=True)
    ob = layers["order_blocks"].copy()
    member = np.zeros((len(placed), len(block_ids)), dtype=bool)
    opos = {o: i for i, o in enumerate(placed["order_id"])}
    m = ob.dropna(subset=["block_id"])
    m = m[m["order_id"].isin(opos)]
    member[m["order_id"].map(opos).to_numpy(), m["block_id"].astype(int).map(pos).to_numpy()] = True
    member_geom = np.zeros_like(member)
    g = m[m["matched_as"] != "area-majority"]
    member_geom[g["order_id"].map(opos).to_numpy(), g["block_id"].astype(int).map(pos).to_numpy()] = True
    umember = np.zeros((len(placed), len(unit_block)), dtype=bool)
    umember_geom = np.zeros_like(umember)
    for o, b, how, raw in zip(m["order_id"].map(opos), m["block_id"].astype(int).map(pos), m["matched_as"],
                              m["raw_id"], strict=True):
        lab = _label(raw) if how == "sub-block-outline" else None
        us = [unit_pos[lab]] if lab in unit_pos else units_of[int(b)]
        umember[o, us] = True
        if how != "area-majority":
            umember_geom[o, us] = True
    area_rows = placed.index[(placed["kind"] == "area").to_numpy()]
    area_of: dict[int, shapely.Geometry] = {}
    if len(area_rows):
        ag = gpd.GeoSeries(np.asarray(placed.geometry.loc[area_rows]), crs=orders.crs).to_crs(AREA_CRS)
        area_of = dict(zip((int(i) for i in area_rows),
                           shapely.make_valid(shapely.intersection(np.asarray(ag.values), outline)), strict=True))

    zone_layer = _geo(layers, "zones")
    zone_geom = dict(zip(zone_layer["zone_id"], zone_layer.to_crs(AREA_CRS).geometry, strict=True))
    zones = pd.DataFrame(zone_layer.drop(columns="geometry"))
    event_layer = _geo(layers, "events")
    ev_dates = pd.to_datetime(event_layer["date"]).dt.date
    zid, inside = _zone_per_event(zones, zone_geom, ev_dates,
                                  np.asarray(event_layer.to_crs(AREA_CRS).geometry.values))
    events = pd.DataFrame(event_layer.drop(columns="geometry"))
    events["date"] = ev_dates
    events["_zone"] = zid
    events["_inside"] = inside
    series = layers["series"].copy()
    series["date"] = pd.to_datetime(series["date"]).dt.date
    claims = layers["claims"].copy()
    claims["date"] = pd.to_datetime(claims["date"]).dt.date
    statements = layers.get("statements")
    if statements is not None:
        statements = pd.DataFrame(statements).copy()
        for col in ("stated_on", "since"):
            statements[col] = [optional_date(v) for v in statements[col]]
    return Index(
        block_ids=block_ids, block_pop=block_pop,
        block_area=block_area, block_geom=pieces, strip_area=float(outline.area / 1e6),
        order_ids=placed["order_id"].to_numpy(),
        order_dates=pd.to_datetime(placed["issued_on"]).to_numpy().astype("datetime64[D]"),
        member=member, member_geom=member_geom, area_of=area_of, orders=pd.DataFrame(orders.drop(columns="geometry")), order_blocks=ob,
        zones=zones, zone_geom=zone_geom, events=events, series=series,
        governorates=pd.DataFrame(layers["governorates"].drop(columns="geometry")), claims=claims,
        unit_block=unit_block, unit_area=unit_area, unit_geom=unit_geom, unit_pop=unit_pop, umember=umember,
        umember_geom=umember_geom, statements=statements, block_pcode=blocks["pcode"].to_numpy(dtype=object),
        unit_label=unit_label, outline=outline,
    )


def _geo(layers: Mapping[str, pd.DataFrame], name: str) -> gpd.GeoDataFrame:
    """Layer ``name`` of ``layers``, which has geometry."""
    frame = layers[name]
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"layer '{name}' has no geometry")
    return frame


def _label(raw: object) -> str:
    """``"42.10"`` -> ``"42.1"`` (as the sub_blocks layer writes its ids)."""
    s = f"{float(str(raw).strip()):.3f}".rstrip("0").rstrip(".")
    return s


@lru_cache(maxsize=4)
def _index(path: str, built_at: str) -> Index:
    have = load_manifest(path)["layers"]
    names = INDEX_LAYERS + tuple(n for n in OPTIONAL_LAYERS if n in have)
    return build_index({name: load_layer(name, path) for name in names})


_INDEX_LOCK = threading.Lock()


def index(path: str | None = None) -> Index:
    """The prepared index for the bundle (cached; rebuilt when the bundle is rebuilt).

    Thread-safe: a caller arriving while another thread builds the index waits for it instead of
    building it a second time (the dashboard warms it in the background).
    """
    p = str(bundle_dir(path))
    with _INDEX_LOCK:
        return _index(p, str(load_manifest(p).get("built_at")))
