"""Derived layers: the evacuation blocks with their dasymetric pre-war population.

Method (stored with every block as ``pop_method``):

1. Each governorate's pre-war population (see ``sources.population``).
2. The PCBS 2017 locality points (43) are matched to the municipal polygons
   (TentNetFA municipal boundaries, cut along governorate lines) that contain
   them; each polygon takes the sum of its points' 2017 populations, scaled so
   every governorate sums to its pre-war total.
3. Land of a governorate in no locality polygon takes that governorate's
   remainder (points matched to no polygon), spread by area.
4. Each polygon's population is spread to the blocks that overlap it by
   overlapping area (areal interpolation, ``tobler.area_weighted.area_interpolate``,
   the whole polygon total allocated to the part the grid covers).
5. Blocks are grouped by governorate (largest overlap) and scaled so each
   governorate's blocks sum to its total (blocks straddling a boundary move
   population across it; the build reports the size of that correction).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from pipeline.core.errors import InputError
from pipeline.core.i18n import N_
from pipeline.core.layers import AREA_CRS

if TYPE_CHECKING:
    pass

BLOCKS_FILE = "blocks/evacuation-blocks.geojson"
MUNICIPAL_FILE = "boundaries/municipalities-tentnetfa/"
MUNICIPAL_SHP = "boundaries/municipalities-tentnetfa/GazaStrip_MunicipalBoundaries.shp"

POP_METHOD = N_(
    "Dasymetric estimate: PCBS mid-2023 Strip estimate apportioned to governorates by 2017 census shares; "
    "within each governorate, PCBS 2017 locality populations placed in the municipal polygons containing them "
    "(land in no polygon takes the remainder by area), spread to blocks by overlapping area "
    "(areal interpolation), then scaled so each governorate's blocks sum to its total. An estimate, not a count."
)


def blocks_from_grid(path: str | Path, *, label: str = BLOCKS_FILE) -> gpd.GeoDataFrame:
    """The block grid: ``block_id`` (int, the grid's number), ``neighbourhood`` (Hebrew label as published)."""
    raw = gpd.read_file(path)
    if raw.crs is None:
        raise InputError("has no CRS", file=label)
    if "Name" not in raw.columns:
        raise InputError("has no 'Name' column (the block number)", file=label)
    ids = pd.to_numeric(raw["Name"], errors="coerce")
    bad = ids.isna() | (ids != ids.round())
    if bad.any():
        idx = raw.index[bad.to_numpy()][0]
        raise InputError(f"block number {raw.loc[idx, 'Name']!r} is not a whole number", file=label,
                         row=idx, field="Name")
    label_col = raw["description"] if "description" in raw.columns else pd.Series(None, index=raw.index)
    neighbourhood = label_col.where(~label_col.isin(["<Null>", ""]), None)
    out = gpd.GeoDataFrame({"block_id": ids.astype(int).to_numpy(), "neighbourhood": neighbourhood.to_numpy()},
                           geometry=raw.geometry.to_numpy(), crs=raw.crs).to_crs(4326)
    invalid = ~out.is_valid
    if invalid.any():
        idx = out.index[invalid.to_numpy()][0]
        raise InputError(f"invalid geometry ({shapely.is_valid_reason(out.geometry.loc[idx])})", file=label,
                         row=f"{idx} (block {out.loc[idx, 'block_id']})", fix="repair with make_valid")
    return out


def assign_largest_overlap(target: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, column: str) -> pd.Series:
    """For each target row, the ``column`` value of the zone it overlaps most (by area)."""
    t = target[["geometry"]].to_crs(AREA_CRS).reset_index(names="_t")
    z = zones[[column, "geometry"]].to_crs(AREA_CRS)
    pieces = gpd.overlay(t, z, how="intersection", keep_geom_type=True)
    pieces["_a"] = pieces.area
    best = pieces.sort_values("_a", ascending=False).drop_duplicates("_t").set_index("_t")[column]
    return best.reindex(range(len(target))).set_axis(target.index)


def locality_sources(
    polygons: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    governorates: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Source zones for the spread: locality polygons cut by governorate, plus each governorate's remainder.

    ``points`` carry ``pcode`` and ``pop_prewar_est`` (already scaled);
    returns zones with ``pcode``, ``pop`` (sum of the points inside; the
    remainder zone takes the points inside no polygon), ``name_en`` and
    ``pop2017``.
    """
    gov = governorates[["pcode", "geometry"]].to_crs(AREA_CRS)
    polys = polygons.to_crs(AREA_CRS)[["poly_name", "geometry"]].copy()
    polys["geometry"] = shapely.make_valid(polys.geometry.values)
    pieces = gpd.overlay(polys, gov, how="intersection", keep_geom_type=True)
    pieces = pieces[pieces.area > 1.0].reset_index(drop=True)
    pts = points.to_crs(AREA_CRS)
    hit = gpd.sjoin(pts, pieces[["geometry"]], how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    pieces["pop"] = hit.groupby("index_right")["pop_prewar_est"].sum().reindex(pieces.index).fillna(0.0)
    pieces["pop2017"] = hit.groupby("index_right")["pop2017"].sum().reindex(pieces.index).fillna(0.0)
    names = hit.dropna(subset=["index_right"]).groupby("index_right")["name_en"].agg(lambda s: "; ".join(s))
    pieces["name_en"] = names.reindex(pieces.index)
    pieces["name_en"] = pieces["name_en"].fillna(pieces["poly_name"]).fillna("(no PCBS locality)")
    rows = []
    covered = pieces.union_all()
    unmatched = hit[hit["index_right"].isna()]
    for pcode, geom in zip(gov["pcode"], gov.geometry, strict=True):
        rest = shapely.make_valid(geom.difference(covered))
        pop = float(unmatched.loc[unmatched["pcode"] == pcode, "pop_prewar_est"].sum())
        p17 = float(unmatched.loc[unmatched["pcode"] == pcode, "pop2017"].sum())
        if not rest.is_empty and rest.area > 1.0:
            rows.append({"poly_name": None, "pcode": pcode, "pop": pop, "pop2017": p17,
                         "name_en": f"(land in no locality polygon, {pcode})", "geometry": rest})
        elif pop > 0:
            raise InputError(f"{pop:.0f} people of {pcode} fall in no locality polygon and the governorate "
                             "has no uncovered land to hold them", file=MUNICIPAL_FILE)
    if rows:
        pieces = pd.concat([pieces, gpd.GeoDataFrame(rows, crs=AREA_CRS)], ignore_index=True)
    return gpd.GeoDataFrame(pieces, geometry="geometry", crs=AREA_CRS)


def spread_to_blocks(sources: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    """Areal interpolation of ``sources.pop`` onto ``blocks`` (extensive; full totals allocated)."""
    from tobler.area_weighted import area_interpolate

    est = area_interpolate(
        source_df=sources[["pop", "geometry"]].to_crs(AREA_CRS),
        target_df=blocks[["geometry"]].to_crs(AREA_CRS),
        extensive_variables=["pop"],
        allocate_total=True,
    )
    pop: npt.NDArray[np.float64] = est["pop"].to_numpy(dtype=float)
    return pop


def rake_to_totals(values: npt.NDArray[np.float64], groups: pd.Series, totals: pd.Series) -> npt.NDArray[np.float64]:
    """Scale ``values`` within each group so they sum to ``totals[group]``; groups with zero sum spread evenly."""
    out = values.astype(float).copy()
    g = groups.to_numpy()
    for key, total in totals.items():
        m = g == key
        s = out[m].sum()
        if not m.any():
            continue
        # shares first: total / s overflows when s is tiny (subnormal)
        out[m] = out[m] / s * total if s > 0 else total / m.sum()
    return out


def round_preserving_total(values: npt.NDArray[np.float64], groups: pd.Series) -> npt.NDArray[np.int64]:
    """Round to whole people, keeping each group's total (largest-remainder rounding)."""
    out = np.floor(values).astype(np.int64)
    g = groups.to_numpy()
    for key in pd.unique(g):
        m = np.flatnonzero(g == key)
        short = int(round(values[m].sum())) - int(out[m].sum())
        if short > 0:
            order = m[np.argsort(-(values[m] - np.floor(values[m])), kind="stable")]
            out[order[:short]] += 1
    return out




def counts_to_blocks(cells: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame, value: str = "value",
                     key: str = "block_id") -> pd.Series:
    """Areal interpolation of a count layer (e.g. UNOSAT hexagons, ``value`` = structures per cell) onto blocks:
    each cell's count is split by the share of the cell's area inside each block. Indexed by ``key`` (0 where no
    cell overlaps)."""
    c = cells[[value, "geometry"]].to_crs(AREA_CRS).reset_index(drop=True)
    c["_cell_area"] = c.geometry.area
    b = blocks[[key, "geometry"]].to_crs(AREA_CRS)
    inter = gpd.overlay(c, b, how="intersection", keep_geom_type=True)
    inter["_w"] = inter.geometry.area / inter["_cell_area"] * inter[value]
    out = inter.groupby(key)["_w"].sum()
    return out.reindex(blocks[key].to_numpy(), fill_value=0.0).rename("structures")


def reweight_population(blocks: pd.DataFrame, weight: pd.Series, *, group: str = "pcode",
                        pop: str = "pop_prewar_est", key: str = "block_id", blend: float = 1.0) -> pd.Series:
    """Block population re-shared within each ``group`` in proportion to ``weight`` (``blend`` = 1) or a mix
    ``blend * weight share + (1 - blend) * current share``; group totals are kept exactly (before rounding).
    A group whose weights sum to 0 keeps its current split."""
    df = blocks[[key, group, pop]].copy()
    df["_w"] = weight.reindex(df[key].to_numpy()).fillna(0.0).to_numpy()
    tot = df.groupby(group)[pop].transform("sum")
    wsum = df.groupby(group)["_w"].transform("sum")
    cur = df[pop] / tot.where(tot > 0, 1)
    w_share = np.where(wsum > 0, df["_w"] / wsum.where(wsum > 0, 1), cur)
    share = blend * w_share + (1 - blend) * cur
    return pd.Series((share * tot).to_numpy(), index=df[key].to_numpy(), name=f"{pop}_structures")
