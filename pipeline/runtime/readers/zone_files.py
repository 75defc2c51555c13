"""Zone files: GeoJSON, GeoPackage (every layer) and zipped Shapefiles, reprojected to EPSG:4326.

A file without a CRS is refused (a Shapefile without its ``.prj``, a
GeoPackage layer with an undefined SRS, a GeoJSON whose coordinates are not
degrees). Invalid polygons are repaired with ``make_valid`` and each repair is
reported. A layer of points (for example a workspace GeoPackage exported by
this app) is read as events; polygons as zones, except order layers: a layer this app exported as orders
(``gdm_kind=orders`` in its GeoPackage metadata) or any polygon layer with the orders' own columns
(``order_id`` and ``issued_on``) is read back as the user's orders, not as zones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from pipeline.core import settings
from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.runtime.detect import Detected, Parsed, Problem, check_count, extract_zip
from pipeline.runtime.readers.csv_points import (
    DATE_NAMES,
    OTHER_NAMES,
    add_event_fields,
    claim_column,
    find_column,
    parse_block_ids,
    parse_dates,
    parse_numbers,
    pcode_for_names,
    text_column,
)

ZONE_COLUMNS = ("zone_id", "kind", "name", "valid_from", "valid_to", "area_km2", "source")
_ZONE_NAMES = {
    "zone_id": ("zone_id", "id", "fid", "zone", "code"),
    "kind": ("kind", "type", "category", "zone_type"),
    "name": ("name", "title", "label", "zone_name", "description"),
    "valid_from": ("valid_from", "start", "start_date", "startdate", "from", "safe_date", "declared_on", "date"),
    "valid_to": ("valid_to", "end", "end_date", "enddate", "to", "until", "lifted_on"),
    "source": ("source", "sources", "source_name"),
}


def data_files(path: Path, det: Detected, display: str, tmpdir: Path) -> list[Path]:
    """The readable geodata files behind an upload (zip members are extracted into ``tmpdir``)."""
    if det.container != "zip":
        return [path]
    members = extract_zip(path, tmpdir, display)
    shps = [m for m in members if m.suffix.lower() == ".shp"]
    for shp in shps:
        present = {m.suffix.lower() for m in members if m.with_suffix("") == shp.with_suffix("")}
        lacking = [s for s in (".shx", ".dbf") if s not in present]
        if lacking:
            raise InputError(msg(N_("the Shapefile {name} comes without its {items}"), name=shp.name, items=', '.join(lacking)), file=display,
                             fix=msg(N_("zip every part of the Shapefile (.shp, .shx, .dbf, .prj)")))
        if ".prj" not in present:
            raise InputError(msg(N_("the Shapefile {name} has no .prj: its coordinate reference system is unknown"), name=shp.name),
                             file=display, field="crs", fix=msg(N_("add the .prj file QGIS wrote beside the .shp")))
    others = [m for m in members if m.suffix.lower() in (".geojson", ".json", ".gpkg")]
    files = shps + others
    if not files:
        raise InputError(msg(N_("no Shapefile, GeoJSON or GeoPackage in the archive")), file=display)
    return files


def truncation_message(n: int) -> str:
    """The report's sentence for an ArcGIS export cut off by the server's transfer limit."""
    return msg(N_("this export is truncated at {n:,} features; export again with paging"), n=n)


def arcgis_truncated(f: Path) -> bool:
    """True when a GeoJSON is an ArcGIS FeatureServer result the server cut (``exceededTransferLimit``).

    ArcGIS writes the flag at the top level of the FeatureCollection, or (``f=geojson``) in its
    top-level ``properties``; GDAL drops it, so the JSON is read for it (only when the name occurs).
    """
    with open(f, "rb") as fh:
        if not fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return False
        fh.seek(0)
        data = fh.read()
    if b"exceededTransferLimit" not in data:
        return False
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False
    if not isinstance(obj, dict):
        return False
    props = obj.get("properties")
    return obj.get("exceededTransferLimit") is True or (isinstance(props, dict)
                                                        and props.get("exceededTransferLimit") is True)


def read_zone_files(path: Path, det: Detected, display: str, tmpdir: Path) -> list[Parsed]:
    """Read every layer of the upload; each becomes one :class:`Parsed` (zones or events)."""
    out: list[Parsed] = []
    files = data_files(path, det, display, tmpdir)
    for f in files:
        try:
            layers = [str(row[0]) for row in pyogrio.list_layers(f)]
        except Exception as exc:
            raise InputError(msg(N_("not a readable geodata file ({kind}: {exc})"), kind=type(exc).__name__, exc=exc), file=display) from exc
        truncated = arcgis_truncated(f)
        for layer in layers:
            parsed = _read_layer(f, layer, display, multi=len(files) > 1 or len(layers) > 1)
            if truncated:
                n = len(parsed.frame)
                parsed.meta["truncated_at"] = n
                parsed.warnings.append(truncation_message(n))
            out.append(parsed)
    return out


def _read_layer(f: Path, layer: str, display: str, *, multi: bool) -> Parsed:
    label = layer if multi else None
    name_hint = layer if multi else Path(display).stem
    if _layer_meta(f, layer, "").get("kind") == "series":  # a series this app exported: a table, no geometry
        return _as_series(f, layer, display, name_hint, label)
    gdf, crs = _open_layer(f, layer, display, multi=multi)
    src_crs = crs.to_string()
    rows = pd.Series(np.arange(1, len(gdf) + 1), index=gdf.index)
    geoms, too_big, capped = _vertex_cap(np.asarray(gdf.geometry.values), rows, label)
    geoms, missing, problems, repaired = _repair(geoms, rows, label, skip=too_big)
    problems = capped + problems
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=crs))
    if crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    types = gdf.geometry.geom_type.fillna("")
    pointish = types.isin(["Point", "MultiPoint"])
    polyish = types.isin(["Polygon", "MultiPolygon", "GeometryCollection"])
    meta = _layer_meta(f, layer, src_crs)
    if meta.get("kind") == "figures" and {"pcode", "metric", "value"} <= set(gdf.columns):
        return _as_figures(gdf, rows, problems, meta, name_hint, label)
    if pointish.sum() > polyish.sum():
        problems += [Problem(int(r), "geometry", (msg(N_("{kind} geometry in a layer of points"), kind=t) if t else
                                                 msg(N_("missing geometry in a layer of points"))), layer=label)
                     for r, t in zip(rows[~pointish & ~missing], types[~pointish & ~missing], strict=True)]
        return _as_events(gdf, rows, problems, repaired, display, meta, name_hint, label)
    problems += [Problem(int(r), "geometry", msg(N_("{t} geometry: zones must be polygons"), t=t), layer=label)
                 for r, t in zip(rows[~polyish & ~missing], types[~polyish & ~missing], strict=True)]
    if is_orders_layer(meta, list(gdf.columns)):
        return _as_orders(gdf, rows, problems, repaired, meta, name_hint)
    return _as_zones(gdf, rows, types, problems, repaired, display, meta, name_hint)


ORDER_COLUMNS = frozenset({"order_id", "issued_on"})


def is_orders_layer(meta: dict[str, Any], columns: list[str]) -> bool:
    """An order layer: exported as orders by this app (``gdm_kind``), or holding the orders' own columns."""
    return meta.get("kind") == "orders" or ORDER_COLUMNS <= {str(c).strip().lower() for c in columns}


def _as_orders(gdf: gpd.GeoDataFrame, rows: pd.Series, problems: list[Problem], repaired: list[Problem],
               meta: dict[str, Any], name_hint: str) -> Parsed:
    """An order layer read back: one order polygon (or named block) per feature, as ``readers/orders.py``
    makes them; a block named by id keeps its id and how it was matched (``matched_as``)."""
    cols = {str(c).strip().lower(): c for c in gdf.columns if c != gdf.geometry.name}
    date_c = cols.get("issued_on") or find_column(list(cols.values()), DATE_NAMES) or "issued_on"
    if date_c in gdf.columns:
        dates, p, _ = parse_dates(gdf[date_c].astype("string"), rows, date_c)
        problems += p
    else:
        dates = pd.Series(pd.NaT, index=gdf.index, dtype="datetime64[ns]")
        problems += [Problem(int(r), "issued_on", msg(N_("no order date (an order counts from its date)")),
                             fix=msg(N_("add a 'date' attribute (YYYY-MM-DD) to every polygon"))) for r in rows]

    def text(name: str) -> pd.Series:
        return text_column(gdf, cols.get(name))

    ids = text("order_id")
    out = gpd.GeoDataFrame({
        "_row": rows, "order_id": ids.fillna(pd.Series([f"{name_hint}-{r}" for r in rows], index=gdf.index)),
        "issued_on": dates, "title": text("title"), "source_url": text("source_url"),
        "block_id": pd.to_numeric(gdf[cols["block_id"]], errors="coerce").astype("Int64") if "block_id" in cols
        else pd.Series(pd.NA, index=gdf.index, dtype="Int64"),
        "sub_block_id": text("sub_block_id")}, geometry=gdf.geometry.values, crs=4326, index=gdf.index)
    if "matched_as" in cols:
        out["matched_as"] = text("matched_as")
    return Parsed("orders", out, "orders", problems=problems, repaired=repaired,
                  meta={**meta, "columns": {"date": date_c}}, name_hint=name_hint)


def _open_layer(f: Path, layer: str, display: str, *, multi: bool) -> tuple[gpd.GeoDataFrame, CRS]:
    """The layer's features and CRS, or InputError (unreadable, too many features, no geometry, CRS or features)."""
    try:
        info = pyogrio.read_info(f, layer=layer)
    except Exception as exc:
        raise InputError(msg(N_("cannot read layer {layer!r} ({exc})"), layer=layer, exc=exc), file=display) from exc
    check_count(int(info.get("features") or 0), display)
    try:
        gdf = pyogrio.read_dataframe(f, layer=layer)
    except Exception as exc:
        raise InputError(msg(N_("cannot read layer {layer!r} ({kind}: {exc})"), layer=layer, kind=type(exc).__name__, exc=exc), file=display) from exc
    where = msg(N_("layer {layer!r}"), layer=layer) if multi else None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError((msg(N_("{where} has no geometry"), where=where) if where else msg(N_("the file has no geometry"))), file=display)
    if gdf.empty:
        raise InputError((msg(N_("{where} has no features"), where=where) if where else msg(N_("the file has no features"))), file=display)
    crs = gdf.crs
    if crs is None:
        raise InputError((msg(N_("{where} has no coordinate reference system"), where=where) if where
                         else msg(N_("the layer has no coordinate reference system"))), file=display, field="crs",
                         fix=msg(N_("set the layer's CRS in QGIS (Layer > Set CRS) and export again")))
    raw_bounds = gdf.total_bounds
    if crs.is_geographic and (np.abs(raw_bounds[[0, 2]]) > 180).any() | (np.abs(raw_bounds[[1, 3]]) > 90).any():
        raise InputError(msg(N_("coordinates up to {max:,.0f} are not degrees, but the file declares no projected CRS (GeoJSON without a 'crs' member must be EPSG:4326)"), max=np.abs(raw_bounds).max()), file=display,
                         field="crs", fix=msg(N_("export as GeoJSON in EPSG:4326 (RFC 7946)")))
    return gdf, crs


def _vertex_cap(geoms: npt.NDArray[np.object_], rows: pd.Series, label: str | None
                ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_], list[Problem]]:
    """Features over ``max_vertices`` refused (their geometry dropped before any costly step): (geoms, mask, problems).

    A browser cannot draw such a feature (the map stops with "Maximum call stack size exceeded" for every
    visitor), and repairing or reprojecting it can take minutes.
    """
    cap = settings.get(settings.MAX_VERTICES)
    counts = shapely.get_num_coordinates(geoms)
    over = counts > cap
    if not over.any():
        return geoms, over, []
    problems = [Problem(int(r), "geometry", msg(N_("{n:,} vertices, over the limit of {cap:,} for one feature ({name}, {env}): the map could not draw it"), n=int(n), cap=cap, name=settings.MAX_VERTICES.name, env=settings.MAX_VERTICES.env), fix=msg(N_("simplify it (QGIS: Vector > Geometry > Simplify, tolerance 1-5 m) or split it")),
                        layer=label)
                for r, n in zip(rows[over], counts[over], strict=True)]
    geoms = geoms.copy()
    geoms[over] = None
    return geoms, over, problems


def _repair(geoms: npt.NDArray[np.object_], rows: pd.Series, label: str | None,
            skip: npt.NDArray[np.bool_] | None = None
            ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_], list[Problem], list[Problem]]:
    """(geometries with invalid ones made valid, missing-or-empty mask, problems, repairs); ``skip``: already refused."""
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    told = missing if skip is None else missing & ~skip
    problems = [Problem(int(r), "geometry", msg(N_("empty or missing geometry")), layer=label) for r in rows[told]]
    repaired: list[Problem] = []
    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        geoms = geoms.copy()
        geoms[invalid] = fixed
        repaired += [Problem(int(r), "geometry", msg(N_("invalid geometry ({why}) repaired with make_valid"), why=why), layer=label)
                     for r, why in zip(rows[invalid], reasons, strict=True)]
    return geoms, missing, problems, repaired


def _layer_meta(f: Path, layer: str, src_crs: str) -> dict[str, Any]:
    """What the reader knows of the layer, plus the ``gdm_*`` metadata this app writes into its exports."""
    meta: dict[str, Any] = {"acled": False, "source_crs": src_crs, "source_layer": layer}
    try:
        lm = pyogrio.read_info(f, layer=layer).get("layer_metadata") or {}
        meta.update({k[4:]: v for k, v in lm.items() if k.startswith("gdm_")})
    except Exception:  # metadata is optional
        pass
    meta["acled"] = str(meta.get("acled", "")).lower() == "true"
    return meta


def _as_zones(gdf: gpd.GeoDataFrame, rows: pd.Series, types: pd.Series, problems: list[Problem],
              repaired: list[Problem], display: str, meta: dict[str, Any], name_hint: str) -> Parsed:
    # keep only the polygonal parts of repaired geometry collections
    gc = types == "GeometryCollection"
    if gc.any():
        gdf.loc[gc, gdf.geometry.name] = [
            shapely.multipolygons(shapely.get_parts(g)[shapely.get_type_id(shapely.get_parts(g)) == 3])
            for g in gdf.geometry[gc]]
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    out = gpd.GeoDataFrame({"_row": rows}, geometry=gdf.geometry.values, crs=4326, index=gdf.index)
    used: set[str] = set()
    for target, names in _ZONE_NAMES.items():
        c = claim_column(cols, names, used)
        if target in ("valid_from", "valid_to"):
            if c is None:
                out[target] = pd.Series(pd.NaT, index=gdf.index, dtype="datetime64[ns]")
            else:
                vals = gdf[c].astype("string")
                out[target], p, _ = parse_dates(vals, rows, c)
                problems += [q for q in p if q.reason != "empty date"]
        else:
            out[target] = text_column(gdf, c)
    out["zone_id"] = out["zone_id"].fillna(pd.Series([f"{name_hint}-{r}" for r in rows], index=gdf.index))
    out["kind"] = out["kind"].fillna("zone")
    out["source"] = out["source"].fillna(Path(display).name)
    block_c = find_column(cols, OTHER_NAMES["block_id"])
    if block_c:
        out["block_id"], out["sub_block_id"], p = parse_block_ids(gdf[block_c], rows, block_c)
        problems += p
        out.attrs["block_field"] = block_c
        used.add(block_c)
    for c in cols:  # the file's own attributes, kept as text data
        if c not in used and c not in out.columns and not c.startswith("_"):
            out[c] = gdf[c].astype("string") if gdf[c].dtype == object else gdf[c]
    return Parsed("zones", out, "zones", problems=problems, repaired=repaired, meta=meta, name_hint=name_hint)


def _as_events(gdf: gpd.GeoDataFrame, rows: pd.Series, problems: list[Problem], repaired: list[Problem],
               display: str, meta: dict[str, Any], name_hint: str, label: str | None) -> Parsed:
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    pts = gdf.geometry.representative_point()
    out = pd.DataFrame({"_row": rows, "lat": pts.y, "lon": pts.x}, index=gdf.index)
    out.loc[gdf.geometry.isna() | gdf.geometry.is_empty, ["lat", "lon"]] = np.nan
    date_c = find_column(cols, DATE_NAMES)
    if date_c is None:
        raise InputError(msg(N_("a layer of points without a date column")), file=display,
                         fix=msg(N_("add a 'date' attribute (YYYY-MM-DD)")))
    out["date"], p, _ = parse_dates(gdf[date_c].astype("string"), rows, date_c)
    problems += [Problem(q.row, q.field, q.reason, q.fix, label) for q in p]
    problems += add_event_fields(out, gdf, cols, rows, {date_c})
    out["kind"] = out["kind"].fillna("point")
    out["dataset"] = out["dataset"] if "dataset" in out else text_column(gdf, find_column(cols, ("dataset",)))
    out["dataset"] = out["dataset"].fillna(meta.get("dataset") or "geodata upload")
    for extra in ("figure", "figure_tag", "location_ar"):
        if extra in cols:
            out[extra] = gdf[extra]
    out.attrs["lat_field"] = out.attrs["lon_field"] = "geometry"
    return Parsed("events", out, "zones", problems=problems, repaired=repaired, meta=meta, name_hint=name_hint)


def _as_series(f: Path, layer: str, display: str, name_hint: str, label: str | None) -> Parsed:
    """A series exported by this app (an attribute-only GeoPackage table, ``gdm_kind=series``): its days read
    back as series rows (one a day and place), with the series' facts (metric, unit ...) from ``gdm_series``."""
    meta = _layer_meta(f, layer, "")
    meta.pop("source_crs", None)
    try:
        info = pyogrio.read_info(f, layer=layer)
        check_count(int(info.get("features") or 0), display)
        table = pyogrio.read_dataframe(f, layer=layer, read_geometry=False)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(msg(N_("cannot read layer {layer!r} ({kind}: {exc})"), layer=layer, kind=type(exc).__name__, exc=exc), file=display) from exc
    try:
        meta["series"] = json.loads(str(meta.get("series") or "{}"))
    except json.JSONDecodeError:
        meta["series"] = {}
    rows = pd.Series(np.arange(1, len(table) + 1), index=table.index)
    out = pd.DataFrame({"_row": rows}, index=table.index)
    out["date"], problems, _ = parse_dates(table["date"].astype("string"), rows, "date") if "date" in table else \
        (pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]"), [], None)
    problems = [Problem(q.row, q.field, q.reason, q.fix, label) for q in problems]
    out["value"], p = parse_numbers(table["value"].astype("string"), rows, "value", required=True) \
        if "value" in table else (pd.Series(np.nan, index=table.index), [])
    problems += [Problem(q.row, q.field, q.reason, q.fix, label) for q in p]
    out["value"] = out["value"].astype(float)
    for c in ("metric", "unit", "place", "pcode", "category", "source", "qualifier", "dataset"):
        out[c] = text_column(table, c if c in table else None)
    out["dataset"] = out["dataset"].fillna(f"series: {name_hint}")
    meta["columns"] = {"date": "date", "value": "value"}
    return Parsed("series", out, "series", problems=problems, meta=meta, name_hint=name_hint)


def _as_figures(gdf: gpd.GeoDataFrame, rows: pd.Series, problems: list[Problem], meta: dict[str, Any], name_hint: str,
                label: str | None) -> Parsed:
    """A figures layer exported by this app (GeoPackage metadata ``gdm_kind=figures``) read back as figures."""
    out = pd.DataFrame({"_row": rows}, index=gdf.index)
    out["date"], p, _ = parse_dates(gdf["date"].astype("string"), rows, "date") if "date" in gdf else \
        (pd.Series(pd.NaT, index=gdf.index, dtype="datetime64[ns]"), [], None)
    problems += [q for q in p if q.reason != "empty date"]
    out["pcode"] = pcode_for_names(text_column(gdf, "pcode"))
    problems += [Problem(int(r), "pcode", msg(N_("not a Gaza governorate pcode")), layer=label) for r in rows[out["pcode"].isna()]]
    out["metric"] = text_column(gdf, "metric")
    out["value"], p = parse_numbers(gdf["value"].astype("string"), rows, "value", required=False)
    problems += p
    for c in ("name", "name_ar", "source", "dataset"):
        out[c] = text_column(gdf, c if c in gdf else None)
    return Parsed("figures", out, "zones", problems=problems, meta=meta, name_hint=name_hint)
