"""(Geo)DataFrames in and out of PostgreSQL tables, with their pandas types kept.

A layer table has ``_gdm_row`` (the frame's row order), one column per frame column (boolean,
bigint, double precision, timestamp[tz] or text) and ``geometry geometry(Geometry, 4326)`` with a
GiST index. Rows go in with ``COPY ... FROM STDIN`` and come out with ``COPY ... TO STDOUT`` (CSV);
the pandas dtype of every column is kept in the manifest entry (``dtypes``) and restored on reading,
so a layer reads back as it was saved.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from psycopg import sql

from pipeline.runtime.point_rows import PointRows, StagedRows

GEOMETRY = "geometry"
ROW = "_gdm_row"
_NULL = "\\N"


def sql_type(dtype: Any) -> str:
    """The column type a pandas dtype is stored as."""
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamptz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp"
    return "text"


def dtypes_of(frame: pd.DataFrame | PointRows) -> dict[str, str]:
    """Column -> dtype name, in column order (``geometry`` for the geometry column)."""
    if isinstance(frame, PointRows):
        return {**{str(c): str(frame.frame[c].dtype) for c in frame.frame.columns}, "geometry": GEOMETRY}
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return {str(c): (GEOMETRY if c == geom else str(frame[c].dtype)) for c in frame.columns}


def _column_values(s: pd.Series) -> np.ndarray:
    """An object array with None for missing values (what COPY writes as NULL)."""
    kind = sql_type(s.dtype)
    if kind in ("bigint", "double precision", "boolean", "timestamp", "timestamptz"):
        vals = s.astype(object).to_numpy(copy=True)
    else:
        vals = np.array([v if isinstance(v, str) else str(v) for v in s.astype(object)], dtype=object)
    vals[pd.isna(s).to_numpy()] = None
    return vals


def _hex_ewkb(geoms: Any) -> np.ndarray:
    values = shapely.set_srid(np.asarray(geoms.values if hasattr(geoms, "values") else geoms, dtype=object), 4326)
    return np.asarray(shapely.to_wkb(values, hex=True, include_srid=True), dtype=object)


def _typed_columns(frame: pd.DataFrame, types: dict[str, str]) -> bool:
    """True when no column holds Python objects (text columns are pandas strings): CSV from pyarrow then says
    exactly what a row-by-row COPY would."""
    return all(t == GEOMETRY or (t != "object" and not pd.api.types.is_object_dtype(frame[c].dtype))
               for c, t in types.items())


def _csv_block(part: pd.DataFrame, types: dict[str, str], start: int) -> bytes:
    """Rows of ``part`` as COPY's CSV: missing values unquoted and empty (NULL), text always quoted."""
    arrays: dict[str, Any] = {ROW: pa.array(np.arange(start, start + len(part), dtype=np.int64))}
    for c, t in types.items():
        arrays[c] = pa.array(_hex_ewkb(part[c]), type=pa.string()) if t == GEOMETRY else \
            pa.array(part[c], from_pandas=True)
    sink = io.BytesIO()
    pacsv.write_csv(pa.table(arrays), sink, write_options=pacsv.WriteOptions(include_header=False,
                                                                             quoting_style="needed"))
    return sink.getvalue()


def create_table(conn: psycopg.Connection[Any], table: str, frame: pd.DataFrame | PointRows) -> None:
    """Create ``table`` with ``_gdm_row`` and a column per column of ``frame`` (its types)."""
    types = dtypes_of(frame)
    first = frame.frame if isinstance(frame, PointRows) else frame
    cols = [sql.SQL("{} bigint NOT NULL").format(sql.Identifier(ROW))]
    for c, t in types.items():
        kind = "geometry(Geometry, 4326)" if t == GEOMETRY else sql_type(first[c].dtype)
        cols.append(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(kind)))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(", ").join(cols)))


def copy_rows(conn: psycopg.Connection[Any], table: str, frame: pd.DataFrame | PointRows, start: int = 0) -> int:
    """COPY ``frame``'s rows into ``table`` (made by :func:`create_table`), ``_gdm_row`` counted from ``start``
    (points made a slice at a time); return the number of rows written."""
    types = dtypes_of(frame)
    first = frame.frame if isinstance(frame, PointRows) else frame
    names = sql.SQL(", ").join(sql.Identifier(x) for x in [ROW, *types])
    parts = frame.chunks() if isinstance(frame, PointRows) else [frame]
    as_csv = _typed_columns(first, types)
    copy = sql.SQL("COPY {} ({}) FROM STDIN" + (" WITH (FORMAT csv)" if as_csv else "")).format(
        sql.Identifier(table), names)
    at = start
    with conn.cursor() as cur, cur.copy(copy) as cp:
        for part in parts:
            if as_csv:  # typed columns: pyarrow writes the CSV of a whole slice at once
                cp.write(_csv_block(part, types, at))
                at += len(part)
                continue
            columns = [np.arange(at, at + len(part), dtype=object)]
            at += len(part)
            for c, t in types.items():
                columns.append(_hex_ewkb(part[c]) if t == GEOMETRY else _column_values(part[c]))
            for row in zip(*columns, strict=True):
                cp.write_row(row)
            del columns
    return at - start


def create_and_copy(conn: psycopg.Connection[Any], table: str, frame: pd.DataFrame | PointRows,
                    fill: Callable[[psycopg.Connection[Any], str, str], None] | None = None) -> None:
    """Create ``table`` for ``frame``, COPY its rows in (points made a slice at a time) and index its geometry.

    With ``fill``, the rows go to a staging table first (``<table>_in``) and
    ``fill(conn, staging, table)`` writes ``table`` from it (the import's join, one INSERT ... SELECT
    instead of an UPDATE of every row); the staging table is dropped after, the indexes made last.
    A :class:`StagedRows` frame is already in its staging table (an import read a chunk at a time): only
    ``fill`` runs.
    """
    types = dtypes_of(frame)
    first = frame.frame if isinstance(frame, PointRows) else frame
    staged = isinstance(frame, StagedRows)
    if staged and fill is None:
        raise TypeError("rows already staged need fill to be written to their table")
    target = frame.staging if isinstance(frame, StagedRows) else f"{table}_in" if fill is not None else table
    create_table(conn, table, frame)
    if not staged:
        if target != table:
            create_table(conn, target, frame)
        copy_rows(conn, target, frame)
    geom = next((c for c, t in types.items() if t == GEOMETRY), None)
    if fill is not None:
        fill(conn, target, table)
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(target)))
    if geom is not None:
        conn.execute(sql.SQL("CREATE INDEX {} ON {} USING gist ({})").format(
            sql.Identifier(f"{table}_geom"), sql.Identifier(table), sql.Identifier(geom)))
    for col in [ROW] + (["date"] if sql_type(first.get("date", pd.Series(dtype=object)).dtype) == "timestamp" else []):
        conn.execute(sql.SQL("CREATE INDEX {} ON {} ({})").format(  # row order; the map's query by date
            sql.Identifier(f"{table}_{col.strip('_')}"), sql.Identifier(table), sql.Identifier(col)))


def read_table(conn: psycopg.Connection[Any], table: str, entry: dict[str, Any],
               where: sql.Composable | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of ``table`` (optionally ``WHERE where``, values as ``sql.Literal``) as the frame that was saved;
    with ``columns``, only those (in that order; KeyError naming any the layer lacks)."""
    types: dict[str, str] = dict(entry["dtypes"])  # pairs: jsonb keeps no key order
    if columns is not None:
        missing = [c for c in columns if c not in types]
        if missing:
            raise KeyError(f"layer table {table} has no column(s) {missing}")
        types = {c: types[c] for c in columns}
    select = [sql.SQL("encode(ST_AsEWKB({}), 'hex') AS {}").format(sql.Identifier(c), sql.Identifier(c))
              if t == GEOMETRY else sql.Identifier(c) for c, t in types.items()]
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(select), sql.Identifier(table))
    if where is not None:
        query = query + sql.SQL(" WHERE ") + where
    query = query + sql.SQL(" ORDER BY {}").format(sql.Identifier(ROW))
    buf = io.BytesIO()
    with conn.cursor() as cur:
        with cur.copy(sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true, NULL {})").format(
                query, sql.Literal(_NULL))) as cp:
            for chunk in cp:
                buf.write(chunk)
    buf.seek(0)
    raw = pd.read_csv(buf, dtype=object, keep_default_na=False, na_values=[_NULL], encoding="utf-8")
    out = {c: _restore(raw[c], t) for c, t in types.items()}
    geom = next((c for c, t in types.items() if t == GEOMETRY), None)
    frame = pd.DataFrame(out, columns=list(types))
    if geom is None:
        return frame
    return gpd.GeoDataFrame(frame, geometry=geom, crs=entry.get("crs"))


def _restore(s: pd.Series, dtype: str) -> Any:
    """A column read back as text, cast to the dtype it was saved with."""
    missing = s.isna()
    if dtype == GEOMETRY:
        return gpd.GeoSeries(shapely.from_wkb(s.where(~missing, None).to_numpy()), index=s.index)
    if dtype == "object":
        return s.astype(object).where(~missing, None)
    target = pd.api.types.pandas_dtype(dtype)
    if pd.api.types.is_bool_dtype(target):
        return s.map({"t": True, "f": False}).astype(target)
    if pd.api.types.is_integer_dtype(target) or pd.api.types.is_float_dtype(target):
        return pd.to_numeric(s).astype(target)
    if isinstance(target, pd.DatetimeTZDtype):
        return pd.to_datetime(s, utc=True).dt.tz_convert(target.tz).astype(target)
    if pd.api.types.is_datetime64_dtype(target):
        return pd.to_datetime(s).astype(target)
    return s.astype(target)
