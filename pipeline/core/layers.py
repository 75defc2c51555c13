"""Canonical layer schemas and the one validation path every layer goes through.

Storage and display CRS is EPSG:4326; areas and distances are computed in
EPSG:32636 (UTM zone 36N), which covers the Gaza Strip.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import NoReturn

import geopandas as gpd
import pandas as pd
import shapely

from pipeline.core.errors import LayerValidationError

STORAGE_CRS = "EPSG:4326"
AREA_CRS = "EPSG:32636"

ZONE_KIND_DECLARED = "humanitarian zone"
ZONE_KIND_PROPOSED = "proposed safe area"

EVENT_COLUMNS: tuple[str, ...] = ("event_id", "date", "kind", "fatalities", "location", "pcode", "block_id",
                                  "dataset", "source", "source_url", "geo_precision", "notes")

PCODES: dict[str, str] = {
    "PS0255": "North Gaza",
    "PS0260": "Gaza",
    "PS0265": "Deir al-Balah",
    "PS0270": "Khan Younis",
    "PS0275": "Rafah",
}
PCODES_AR: dict[str, str] = {"PS0255": "شمال غزة", "PS0260": "غزة", "PS0265": "دير البلح", "PS0270": "خان يونس",
                             "PS0275": "رفح"}  # the governorates' Arabic names (OCHA's gazetteer)


@dataclass(frozen=True)
class LayerSchema:
    """What a canonical layer must hold."""

    name: str
    columns: tuple[str, ...]
    key: str | None = None
    geometry: bool = True
    geom_types: tuple[str, ...] = ()
    inside_strip: bool = True
    description: str = ""
    nullable: tuple[str, ...] = field(default_factory=tuple)
    geometry_nullable: bool = False  # rows may lack a geometry (e.g. orders no map places); the rest are checked


SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in [
        LayerSchema("strip", ("name", "area_km2"), key="name",
                    geom_types=("Polygon", "MultiPolygon"), inside_strip=False,
                    description="The Gaza Strip outline."),
        LayerSchema("governorates",
                    ("pcode", "name_en", "name_ar", "area_km2", "pop_prewar",
                     "pop_prewar_source", "pop_prewar_year"),
                    key="pcode", geom_types=("Polygon", "MultiPolygon"),
                    description="The five governorates (OCHA pcodes) with a pre-war population."),
        LayerSchema("blocks",
                    ("block_id", "neighbourhood", "pcode", "area_km2", "pop_prewar_est", "pop_method"),
                    key="block_id", geom_types=("Polygon", "MultiPolygon"),
                    nullable=("neighbourhood",),
                    description="The IDF evacuation-block grid of 1 Dec 2023 with a dasymetric pre-war population estimate."),
        LayerSchema("localities",
                    ("locality_id", "name_en", "name_ar", "pcode", "pop2017", "pop_prewar_est", "polygon_source"),
                    key="locality_id", geom_types=("Polygon", "MultiPolygon"),
                    nullable=("name_ar",),
                    description="Locality polygons carrying PCBS 2017 populations, scaled to the pre-war totals (input of the block estimate)."),
        LayerSchema("places",
                    ("place_id", "name_en", "name_ar", "aliases", "kind", "pcode", "inside_gaza", "source",
                     "label_lon", "label_lat"),
                    key="place_id", inside_strip=False, nullable=("pcode", "name_ar"),
                    description="Gazetteer: named places in English and Arabic with aliases."),
        LayerSchema(
            "orders",
            ("order_id", "issued_on", "source_name", "source_url", "stated_area_km2", "destination", "sources", "kind",
             "area_km2", "block_count", "listed_on", "posted_at_utc", "repeat_of", "placed_by", "safe_blocks",
             "safe_block_count", "reported_area", "reported_area_km2", "reported_people", "reported_wording",
             "attributed_to", "possible_duplicate_of"),
            key="order_id", geom_types=("Polygon", "MultiPolygon"),
            nullable=("source_url", "stated_area_km2", "destination", "listed_on", "posted_at_utc", "repeat_of",
                      "placed_by", "safe_blocks", "reported_area", "reported_area_km2", "reported_people",
                      "reported_wording", "attributed_to", "possible_duplicate_of"),
            geometry_nullable=True,
            description="Evacuation orders: date (the source post's UTC day; listed_on keeps a differing list date), "
                        "source(s), stated area, geometry = union of the blocks, sub-block outlines or area it names "
                        "(no geometry for kinds 'unplaced' and 'reported, not mapped'); repeat_of marks an order "
                        "whose block list equals an earlier one's; safe_blocks are the source's 'safe' labels (data, "
                        "never counted as ordered area); reported_* carry what a 'reported, not mapped' order is "
                        "reported to cover, attributed.",
        ),
        LayerSchema(
            "sub_blocks", ("sub_block_id", "block_id", "share_of_parent", "area_km2", "pop_prewar_est", "source"),
            key="sub_block_id", geom_types=("Polygon", "MultiPolygon"),
            description="Sub-block outlines (e.g. 42.1) drawn by GazaMaps' period layers, clipped to their parent "
                        "block; pop_prewar_est is the parent's estimate shared by area.",
        ),
        LayerSchema(
            "statements",
            ("statement_id", "stated_on", "refers_to", "measure", "region", "statement", "figure", "unit", "area_km2",
             "people_prewar", "definition", "framing", "since", "comparable", "comparable_reason", "order_ref",
             "attributed_to", "source", "url", "via", "derived_from"),
            key="statement_id", geometry=False,
            nullable=("region", "area_km2", "people_prewar", "framing", "since", "order_ref", "url", "via",
                      "derived_from"),
            description="Published OCHA statements on the area under orders (attributed reference figures, with "
                        "their framing and whether our figure is on the same definition); never merged into ours.",
        ),
        LayerSchema(
            "order_blocks", ("order_id", "block_id", "raw_id", "matched_as", "source_name"), geometry=False,
            nullable=("block_id", "raw_id"),
            description="The blocks each order names, matched to the grid (exact / sub-block-outline / "
                        "parent-of-sub-block / unknown; area-majority for area orders).",
        ),
        LayerSchema(
            "events", EVENT_COLUMNS, key="event_id", geom_types=("Point",),
            nullable=("fatalities", "location", "pcode", "block_id", "geo_precision", "notes"),
            description="Geolocated incidents (Insecurity Insight, Forensic Architecture Jabalia) joined to blocks and "
                        "governorates; text fields are data, never HTML.",
        ),
        LayerSchema(
            "zones", ("zone_id", "kind", "name", "valid_from", "valid_to", "area_km2", "source"), key="zone_id",
            geom_types=("Polygon", "MultiPolygon"), nullable=("valid_to",),
            description="Declared humanitarian zone (Al-Mawasi) versions over time, valid_from <= day < valid_to; "
                        "plus the Al-Mawasi area proposed in Dec 2023.",
        ),
        LayerSchema(
            "series", ("date", "metric", "value", "unit", "pcode", "source", "filled"), geometry=False,
            nullable=("pcode",),
            description="Dated series: casualties, aid trucks, population by governorate, IDPs (long format; each row with "
                        "unit and source).",
        ),
        LayerSchema(
            "claims", ("date", "claim", "figure", "unit", "attributed_to", "place_id", "source"), geometry=False,
            nullable=("figure", "unit", "place_id"),
            description="Attributed claims of the default scenario (press report of 2 Dec 2023, restated as data).",
        ),
        LayerSchema(
            "facilities",
            ("facility_id", "name_ar", "kind", "kind_en", "rule", "neighbourhood_ar", "municipality_ar", "block_id",
             "pcode", "source"),
            key="facility_id", geom_types=("Point",),
            nullable=("neighbourhood_ar", "municipality_ar", "block_id", "pcode"),
            description="Named landmarks (schools, hospitals, clinics, pharmacies, water points, bakeries, mosques, "
                        "shelters, other) with a kind from their Arabic name (rules: reference/facility-kinds.csv), "
                        "joined to block and governorate; text fields are data, never HTML.",
        ),
    ]
}


def area_km2(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each geometry in km², computed in EPSG:32636."""
    return gdf.to_crs(AREA_CRS).area / 1e6


def validate_layer(
    name: str,
    frame: pd.DataFrame,
    *,
    source: str,
    strip: gpd.GeoDataFrame | None = None,
    tolerance_m: float = 500.0,
) -> None:
    """Check a layer against its schema; raise :class:`LayerValidationError` on the first fault.

    Checks: required columns, non-null required values, unique key, CRS,
    geometry present / valid / of an allowed type, and (optionally) that each
    geometry lies inside the Strip outline buffered by ``tolerance_m``.
    ``source`` names the file the layer was read from, for the message.
    """
    schema = SCHEMAS[name]
    _check_columns(frame, schema, source)
    if not schema.geometry:
        return
    if not isinstance(frame, gpd.GeoDataFrame):
        _fail(schema, source, "has no geometry column")
    frame = _check_geometries(frame, schema, source)
    if strip is not None and schema.inside_strip:
        _check_inside_strip(frame, schema, source, strip, tolerance_m)


def _fail(schema: LayerSchema, source: str, reason: str, row: str | None = None, fieldname: str | None = None,
          fix: str | None = None) -> NoReturn:
    raise LayerValidationError(f"layer '{schema.name}': {reason}", file=source, row=row, field=fieldname, fix=fix)


def _check_columns(frame: pd.DataFrame, schema: LayerSchema, source: str) -> None:
    """Required columns present, required values non-null, the key unique."""
    missing = [c for c in schema.columns if c not in frame.columns]
    if missing:
        _fail(schema, source, f"missing required column(s) {missing}", fix="map the source's columns to the schema")
    for col in schema.columns:
        if col in schema.nullable:
            continue
        nulls = frame[col].isna()
        if nulls.any():
            idx = frame.index[nulls.to_numpy()][0]
            _fail(schema, source, "required value is empty", row=_label(frame, schema, idx), fieldname=col)
    if schema.key:
        dup = frame[schema.key].duplicated(keep=False)
        if dup.any():
            idx = frame.index[dup.to_numpy()][0]
            _fail(schema, source, f"duplicate key {_plain(frame.loc[idx, schema.key])!r}",
                  row=_label(frame, schema, idx), fieldname=schema.key)


def _check_geometries(frame: gpd.GeoDataFrame, schema: LayerSchema, source: str) -> gpd.GeoDataFrame:
    """CRS EPSG:4326; each geometry present (unless the schema allows none), valid, of an allowed type.

    Returns the rows that have a geometry (all of them unless the schema allows none), for the Strip check.
    """
    if frame.crs is None:
        _fail(schema, source, "has no CRS", fix="declare the CRS of the source (EPSG:4326 expected)")
    if frame.crs.to_epsg() != 4326:
        _fail(schema, source, f"CRS is {frame.crs.to_string()}, expected {STORAGE_CRS}",
              fix="reproject with to_crs(4326)")
    if schema.geometry_nullable:
        frame = frame[frame.geometry.notna().to_numpy()]
    geoms = frame.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        idx = frame.index[empty.to_numpy()][0]
        _fail(schema, source, "empty or missing geometry", row=_label(frame, schema, idx))
    invalid = ~geoms.is_valid
    if invalid.any():
        idx = frame.index[invalid.to_numpy()][0]
        _fail(schema, source, f"invalid geometry ({shapely.is_valid_reason(geoms.loc[idx])})",
              row=_label(frame, schema, idx), fix="repair with shapely.make_valid")
    if schema.geom_types:
        bad = ~geoms.geom_type.isin(schema.geom_types)
        if bad.any():
            idx = frame.index[bad.to_numpy()][0]
            _fail(schema, source,
                  f"geometry type {geoms.loc[idx].geom_type}, expected one of {list(schema.geom_types)}",
                  row=_label(frame, schema, idx))
    return frame


def _check_inside_strip(frame: gpd.GeoDataFrame, schema: LayerSchema, source: str, strip: gpd.GeoDataFrame,
                        tolerance_m: float) -> None:
    """Each geometry within the Strip outline buffered by ``tolerance_m``."""
    zone = strip.to_crs(AREA_CRS).buffer(tolerance_m).union_all()
    outside = ~frame.to_crs(AREA_CRS).within(zone)
    if outside.any():
        idx = frame.index[outside.to_numpy()][0]
        _fail(schema, source,
              f"geometry lies outside the Gaza Strip (more than {tolerance_m:.0f} m past the outline)", row=_label(frame, schema, idx), fix="check the CRS and coordinate order (lat/lon swapped?)")


def _label(frame: pd.DataFrame, schema: LayerSchema, idx: Hashable) -> str:
    if schema.key and schema.key in frame.columns:
        return f"{idx} ({schema.key}={_plain(frame.at[idx, schema.key])})"
    return str(idx)


def _plain(value: object) -> object:
    """A numpy scalar as its Python value, for readable messages."""
    return value.item() if hasattr(value, "item") else value
