"""The ``places`` layer: a gazetteer of named places in English and Arabic with aliases.

Sources (each row says which in ``source``):

- ``places/communities-pcbs2017.bothness.geojson``: 43 PCBS 2017 locality points (geometry, PCBS
  English and Arabic names). Known faults fixed here (see ``PCBS_FIXES``).
- ``boundaries/osm-gaza-admin.geojson``: OpenStreetMap municipal names (ar/en/fr, alt and old names)
  added as aliases; two municipalities missing from PCBS come from OSM (© OpenStreetMap
  contributors, ODbL).
- ``places/camps.bothness.geojson``: 8 unnamed camp outlines, named by the PCBS camp point inside.
- ``places/landmarks-ar.geojson``: hospital and landmark points, and neighbourhood points (median of
  the landmarks of a neighbourhood).
- ``zones/al-mawasi-safe-area-2023-12.bothness.geojson``: the Al-Mawasi area polygon.
- ``places/wadi-gaza.bothness.geojson`` and ``boundaries/buffer-zone-1000m.bothness.geojson``:
  region polygons (north/south of Wadi Gaza, coastal strip, buffer zone).
- ``reference/gazetteer-places.csv`` (this project): the list of places, English names, aliases and
  transliteration variants, crossings and places outside Gaza from cited public coordinates.

Regions, as defined here:

- northern / southern Gaza: the Strip outline split by the Wadi Gaza line, whose two ends are
  extended straight (along their last segment) until they leave the Strip.
- east of Khan Younis: governorate PS0270 on the fence side of a line through the Khan Younis
  city point parallel to the Strip's long axis (close to the course of the Salah al-Din road).
- the coast: land within ``COAST_BAND_M`` of the sea coast; the sea coast is the Strip outline
  minus its land border (the part of the outline touching the 1 km perimeter band).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from pipeline.build.geometry import coastal_strip, east_of_khan_younis, split_by_wadi
from pipeline.core.errors import InputError
from pipeline.core.layers import AREA_CRS
from pipeline.core.names import normalize

REFERENCE_FILE = "reference/gazetteer-places.csv"
PCBS_FILE = "places/communities-pcbs2017.bothness.geojson"
OSM_FILE = "boundaries/osm-gaza-admin.geojson"
CAMPS_FILE = "places/camps.bothness.geojson"
LANDMARKS_FILE = "places/landmarks-ar.geojson"
MAWASI_FILE = "zones/al-mawasi-safe-area-2023-12.bothness.geojson"
WADI_FILE = "places/wadi-gaza.bothness.geojson"
BUFFER_FILE = "boundaries/buffer-zone-1000m.bothness.geojson"

KINDS = ("city", "camp", "area", "crossing", "landmark", "region")
COLUMNS = ["place_id", "name_en", "name_ar", "aliases", "kind", "pcode", "inside_gaza", "source",
           "label_lon", "label_lat", "geometry"]

# Known faults of the PCBS locality file (geodata/SOURCES.md), fixed by PCODE.
PCBS_FIXES: dict[str, dict[str, str]] = {
    "990020": {"name_ar": "السيفا",
               "why": "As Siafa: tagged District 'Rafah' but its point lies north of Beit Lahia; governorate "
                      "taken from its location (North Gaza); empty Arabic name filled from the landmarks "
                      "file's neighbourhood 'السيفا' (Beit Lahia)."},
    "753500": {"name_ar": "البيوك",
               "why": "Al Bayuk: carried 'النصر' (An Naser's Arabic name); set to 'البيوك' as the landmarks "
                      "file spells the Rafah neighbourhood. An-Naser is kept as its own place from OSM."},
    "552681": {"name_ar": "أم النصر (القرية البدوية)",
               "why": "Al Qaraya al Badawiya: Arabic name cut off in the source ('أم النصر (القَريَة البَدَوِ'); "
                      "completed from OSM (name 'أم النصر', old_name 'القريَة البَدوِية')."},
    "552760": {"name_ar": "عرب المسلخ بيت لاهيا",
               "why": "'Arab Maslakh Beit Lahya: Arabic name ends in 'بيت لاهي' (cut off); completed to 'بيت لاهيا'."},
}

_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")


def _strip_tashkeel(text: str) -> str:
    return _TASHKEEL.sub("", text).replace("\u200e", "").replace("\u200f", "").strip()


def read_vector(path: str | Path, label: str) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types
        raise InputError(f"cannot be read as a vector file ({exc})", file=label) from exc
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    return gdf.to_crs(4326)


def read_reference(path: str | Path, *, label: str = REFERENCE_FILE) -> pd.DataFrame:
    """The project's place list (one row a place) checked for the columns and values the build needs."""
    ref = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    need = ["place_id", "name_en", "name_ar", "aliases", "kind", "inside_gaza", "geometry_from", "lon", "lat",
            "citation", "citation_url", "note"]
    missing = [c for c in need if c not in ref.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=f"geodata/raw/{label}")
    for idx, (_, row) in enumerate(ref.iterrows()):  # read_csv gives a RangeIndex: position = label
        if row["kind"] not in KINDS:
            raise InputError(f"unknown kind {row['kind']!r}", file=f"geodata/raw/{label}", row=idx + 2,
                             field="kind", fix=f"use one of {list(KINDS)}")
        if row["inside_gaza"] not in ("true", "false"):
            raise InputError("inside_gaza must be true or false", file=f"geodata/raw/{label}", row=idx + 2,
                             field="inside_gaza")
    dup = ref["place_id"].duplicated()
    if dup.any():
        raise InputError(f"duplicate place_id {ref.loc[dup, 'place_id'].iloc[0]!r}", file=f"geodata/raw/{label}")
    return ref


def pcbs_localities(path: str | Path, *, label: str = PCBS_FILE) -> tuple[gpd.GeoDataFrame, list[str]]:
    """PCBS locality points keyed by PCODE (str), with the known faults fixed; returns (frame, notes)."""
    gdf = read_vector(path, label)
    gdf["PCODE"] = gdf["PCODE"].astype(str)
    gdf["name_ar"] = gdf["NAME_ARB"].fillna("").map(_strip_tashkeel)
    notes = []
    for pcode, fix in PCBS_FIXES.items():
        hit = gdf["PCODE"] == pcode
        if hit.any():
            gdf.loc[hit, "name_ar"] = fix["name_ar"]
            notes.append(fix["why"])
    return gdf.set_index("PCODE", drop=False), notes


def osm_names(path: str | Path, label: str = OSM_FILE) -> gpd.GeoDataFrame:
    osm = read_vector(path, label)
    return osm[osm["admin_level"].notna()].set_index("id", drop=False)


def _osm_aliases(row: pd.Series) -> list[str]:
    out = []
    for col in ("name:en", "name:fr", "name:de", "name:es", "alt_name", "alt_name:en", "alt_name:ar",
                "old_name", "old_name:en", "name", "name:ar", "long_name", "long_name:ar"):
        v = row.get(col)
        if isinstance(v, str) and v.strip():
            out.append(_strip_tashkeel(v) if re.search("[\u0600-\u06ff]", v) else v.strip())
    return out


def _median_point(points: gpd.GeoSeries) -> Point:
    xy = shapely.get_coordinates(points.values)
    return Point(float(np.median(xy[:, 0])), float(np.median(xy[:, 1])))


def _landmark_name(lm: gpd.GeoDataFrame) -> pd.Series:
    return lm["name"].fillna(lm["اسم_المعلم"]).astype(str).str.strip()


def _unique(seq: list[str], exclude: set[str]) -> list[str]:
    seen = {s.casefold() for s in exclude}
    out = []
    for s in seq:
        s = s.strip()
        if s and s.casefold() not in seen:
            seen.add(s.casefold())
            out.append(s)
    return out


@dataclass(frozen=True)
class _RefPlace:
    """One row of the project's place list (every field is text, as :func:`read_reference` reads it)."""

    place_id: str
    name_en: str
    name_ar: str
    aliases: str
    kind: str
    inside_gaza: str
    geometry_from: str
    lon: str
    lat: str
    citation: str
    citation_url: str
    note: str


def _ref_places(ref: pd.DataFrame) -> list[_RefPlace]:
    names = [f.name for f in fields(_RefPlace)]
    return [_RefPlace(*(cast(str, v) for v in values))
            for values in ref[names].itertuples(index=False, name=None)]


@dataclass(frozen=True)
class _Sources:
    """The parsed sources a place's geometry can come from (see ``geometry_from`` in the place list)."""

    pcbs: gpd.GeoDataFrame
    osm: gpd.GeoDataFrame
    camps: gpd.GeoDataFrame
    landmarks: gpd.GeoDataFrame
    landmark_names: pd.Series
    mawasi: gpd.GeoDataFrame
    wadi: gpd.GeoDataFrame
    governorates: gpd.GeoDataFrame
    regions_m: dict[str, BaseGeometry]


def _row(frame: gpd.GeoDataFrame, key: str) -> pd.Series:
    """The row of ``frame`` (indexed by id) whose id is ``key``."""
    row = frame.loc[key]
    if not isinstance(row, pd.Series):
        raise InputError(f"id {key!r} is not unique in a source of the places layer")
    return row


def _to_m(g: BaseGeometry) -> BaseGeometry:
    return gpd.GeoSeries([g], crs=4326).to_crs(AREA_CRS).iloc[0]


def _to_ll(g: BaseGeometry) -> BaseGeometry:
    return gpd.GeoSeries([g], crs=AREA_CRS).to_crs(4326).iloc[0]


def _regions(strip: gpd.GeoDataFrame, gov_m: gpd.GeoDataFrame, pcbs: gpd.GeoDataFrame, wadi: gpd.GeoDataFrame,
             perimeter: gpd.GeoDataFrame) -> dict[str, BaseGeometry]:
    """The computed regions (metric CRS): the Strip, north/south of Wadi Gaza, east of Khan Younis, coast, buffer."""
    strip_m = strip.to_crs(AREA_CRS).union_all()
    wadi_m = shapely.line_merge(wadi.to_crs(AREA_CRS).union_all())
    if wadi_m.geom_type != "LineString":
        wadi_m = max(shapely.get_parts(wadi_m), key=lambda g: g.length)
    north_m, south_m = split_by_wadi(strip_m, cast(LineString, wadi_m), cast(Point, _to_m(_row(pcbs, "602825").geometry)),
                                     label=f"geodata/raw/{WADI_FILE}")
    ky_city = cast(Point, _to_m(_row(pcbs, "703420").geometry))
    return {
        "strip": strip_m,
        "north-of-wadi-gaza": north_m,
        "south-of-wadi-gaza": south_m,
        "east-of-khan-younis": east_of_khan_younis(gov_m.loc["PS0270"].geometry, ky_city, strip_m),
        "coastal-strip": coastal_strip(strip_m, perimeter.to_crs(AREA_CRS).union_all()),
        "buffer-zone": perimeter.to_crs(AREA_CRS).union_all().intersection(strip_m),
    }


def _pcbs_point(s: _Sources, arg: str) -> tuple[BaseGeometry, str, list[str]]:
    if arg not in s.pcbs.index:
        raise InputError(f"PCBS PCODE {arg} not found", file=f"geodata/raw/{PCBS_FILE}")
    loc = _row(s.pcbs, arg)
    return (loc.geometry, "PCBS 2017 locality point (bothness/gaza-geojson)",
            [str(loc["PCBS_NAME"]), loc["name_ar"]])


def _camp_outline(s: _Sources, arg: str) -> tuple[BaseGeometry, str, list[str]]:
    point = _row(s.pcbs, arg)
    pt = point.geometry
    hit = s.camps[s.camps.contains(pt)]
    if len(hit) != 1:
        raise InputError(f"expected one camp outline containing PCBS point {arg}, found {len(hit)}",
                         file=f"geodata/raw/{CAMPS_FILE}")
    return (hit.geometry.iloc[0],
            "camp outline (bothness/gaza-geojson), named by the PCBS 2017 camp point it contains",
            [str(point["PCBS_NAME"]), point["name_ar"]])


def _landmark_point(s: _Sources, arg: str) -> tuple[BaseGeometry, str, list[str]]:
    lm = s.landmarks
    name, _, muni = arg.partition("@")
    sel = lm[(s.landmark_names == name) & ((lm["البلدية"] == muni) if muni else True)]
    if sel.empty:
        raise InputError(f"landmark {name!r} not found", file=f"geodata/raw/{LANDMARKS_FILE}")
    return sel.geometry.iloc[0], "landmark point (Gaza-Damage-Assessment-Frontend landmarks file)", []


def _neighbourhood_point(s: _Sources, arg: str) -> tuple[BaseGeometry, str, list[str]]:
    lm = s.landmarks
    muni, _, hays = arg.partition("/")
    sel = lm[(lm["البلدية"] == muni) & lm["الحي"].isin(hays.split("+"))]
    if sel.empty:
        raise InputError(f"neighbourhood {arg!r} not found", file=f"geodata/raw/{LANDMARKS_FILE}")
    return (_median_point(sel.geometry),
            f"median of {len(sel)} landmark points in the neighbourhood (landmarks file)", [])


def _place_geometry(s: _Sources, r: _RefPlace, how: str, arg: str) -> tuple[BaseGeometry, str, list[str]]:
    """(geometry, source text, names found in the source) for one place, by its ``geometry_from``."""
    if how == "pcbs":
        return _pcbs_point(s, arg)
    if how == "camp":
        return _camp_outline(s, arg)
    if how == "osm":
        return (_row(s.osm, arg).geometry.representative_point(),
                "OpenStreetMap municipality label point (© OpenStreetMap contributors, ODbL)", [])
    if how == "landmark":
        return _landmark_point(s, arg)
    if how == "neighbourhood":
        return _neighbourhood_point(s, arg)
    if how == "zone":
        return (shapely.make_valid(s.mawasi.union_all()),
                "declared Al-Mawasi area outline, December 2023 (bothness/gaza-geojson)", [])
    if how == "wadi":
        return s.wadi.union_all(), "Wadi Gaza watercourse (bothness/gaza-geojson)", []
    if how == "region":
        return (_to_ll(s.regions_m[arg]),
                f"region computed by the build ({arg}); see pipeline/sources/places.py", [])
    if how == "governorate":
        return (_row(s.governorates.set_index("pcode"), arg).geometry,
                "governorate polygon (governorates layer)", [])
    if how == "point":
        return Point(float(r.lon), float(r.lat)), f"{r.citation} {r.citation_url}".strip(), []
    raise InputError(f"unknown geometry_from {r.geometry_from!r}", file=f"geodata/raw/{REFERENCE_FILE}")


def _place_row(s: _Sources, r: _RefPlace, curated: dict[str, str]) -> dict[str, object]:
    how, _, arg = r.geometry_from.partition(":")
    name_ar = r.name_ar.strip() or None
    geom, src, extra = _place_geometry(s, r, how, arg)
    osm = s.osm
    osm_id = r.note.split("osm=", 1)[1].split()[0] if "osm=" in r.note else (arg if how == "osm" else "")
    if osm_id and osm_id in osm.index:
        extra += _osm_aliases(_row(osm, osm_id))
        if how != "osm":
            src += "; names also from OpenStreetMap (© OpenStreetMap contributors, ODbL)"
    if name_ar is None and how == "pcbs":
        name_ar = _row(s.pcbs, arg)["name_ar"] or None
    # Names from the sources that the reference list gives to another place are left out
    # (OSM calls Gaza City's municipality "Gaza", which the list keeps for the Strip).
    extra = [e for e in extra if curated.get(normalize(e), r.place_id) == r.place_id]
    aliases = _unique([*r.aliases.split("|"), *extra], {r.name_en, name_ar or ""})
    return {"place_id": r.place_id, "name_en": r.name_en, "name_ar": name_ar,
            "aliases": "|".join(aliases), "kind": r.kind, "inside_gaza": r.inside_gaza == "true",
            "source": src + "; list and aliases: project reference file", "geometry": geom}


def _governorate_pcodes(out: gpd.GeoDataFrame, gov_m: gpd.GeoDataFrame) -> list[str | None]:
    """Governorate pcode by location: points by the governorate holding them (nearest within 1 km
    for points on the edge, e.g. crossings); polygons by the governorate holding >= 80% of them."""
    geoms_m = out.to_crs(AREA_CRS).geometry
    pcodes: list[str | None] = []
    for inside, g in zip(out["inside_gaza"], geoms_m, strict=True):
        if not inside:
            pcodes.append(None)
            continue
        if g.geom_type == "Point":
            d = gov_m.distance(g)
            pcodes.append(str(d.idxmin()) if float(d.min()) <= 1000 else None)
        else:
            share = gov_m.intersection(g).area / max(g.area, 1.0) if g.area > 0 else \
                gov_m.intersection(g).length / max(g.length, 1.0)
            pcodes.append(str(share.idxmax()) if float(share.max()) >= 0.8 else None)
    return pcodes


def places_from_sources(
    ref: pd.DataFrame,
    *,
    pcbs: gpd.GeoDataFrame,
    osm: gpd.GeoDataFrame,
    camps: gpd.GeoDataFrame,
    landmarks: gpd.GeoDataFrame,
    mawasi: gpd.GeoDataFrame,
    wadi: gpd.GeoDataFrame,
    perimeter: gpd.GeoDataFrame,
    strip: gpd.GeoDataFrame,
    governorates: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Build the places layer (EPSG:4326) from the parsed sources; pure, no file access."""
    gov_m = governorates.to_crs(AREA_CRS).set_index("pcode")
    s = _Sources(pcbs=pcbs, osm=osm, camps=camps.reset_index(drop=True), landmarks=landmarks,
                 landmark_names=_landmark_name(landmarks), mawasi=mawasi, wadi=wadi, governorates=governorates,
                 regions_m=_regions(strip, gov_m, pcbs, wadi, perimeter))
    places = _ref_places(ref)

    curated: dict[str, str] = {}
    for r in places:
        for name in [r.name_en, r.name_ar, *r.aliases.split("|")]:
            if name.strip():
                curated.setdefault(normalize(name), r.place_id)

    rows = [_place_row(s, r, curated) for r in places]
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    out["geometry"] = shapely.make_valid(out.geometry.values)
    out["pcode"] = pd.array(_governorate_pcodes(out, gov_m), dtype="string")
    label = out.geometry.map(lambda g: g if g.geom_type == "Point" else
                             (g.interpolate(0.5, normalized=True) if "Line" in g.geom_type else g.representative_point()))
    out["label_lon"] = label.x.round(6)
    out["label_lat"] = label.y.round(6)
    out["name_ar"] = out["name_ar"].astype("string")
    return out[COLUMNS].sort_values("place_id").reset_index(drop=True)
