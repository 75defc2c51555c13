"""Joining imported events to blocks and governorates in the database (the PostGIS workspace).

On the files backend an import joins its points in the app (``imports._first_hit``). On PostGIS the
rows are COPYed into their layer table first and joined there, inside the import's transaction:

- the bundle's blocks and governorates are loaded once into reference tables named for their sha256
  in the bundle's manifest (``gdm_ref_<key>_blocks``, ``gdm_ref_<key>_govs``, GiST-indexed) and reused by
  every later import until the bundle changes;
- each stored point inside the Strip (``location_type`` ``strip``) takes the first block and the first
  governorate it intersects in the bundle's layer order (``ord``), the same rule and order as the app's
  join, so a point on an edge shared by two blocks gets the same block on both backends; a point in the
  tolerance band past the outline that meets no governorate takes the nearest one (in metres,
  ``AREA_CRS``), ties to the first;
- the warnings (rows naming another governorate than their point's, block ids other than the point's,
  points in no block) are counted by SQL and worded as the app's join words them.

Only the rows stored are joined: rows the import rejected are not in the table, so with
``accept_partial`` the warnings count the stored rows (the app counts every row it read).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from pipeline.core.i18n import N_, msg
from pipeline.core.layers import AREA_CRS
from pipeline.runtime.bundle import load_geolayer, load_manifest

AREA_SRID = int(AREA_CRS.split(":")[1])


def _row_list(rows: pd.Series | np.ndarray | list[int], most: int = 20, total: int | None = None) -> str:
    """``row 4`` / ``rows 4, 7, 9 ...`` for a warning (the first ``most``; ``total`` when only those are given)."""
    r = np.asarray(rows)
    n = len(r) if total is None else total
    head = ", ".join(str(int(x)) for x in r[:most])
    listed = msg(N_("{rows} ... ({n:,} in all)"), rows=head, n=n) if n > most else head
    return msg(N_("rows {rows}"), rows=listed) if n > 1 else msg(N_("row {rows}"), rows=listed)


def differs_warning(n: int, rows: pd.Series | np.ndarray | list[int]) -> str:
    return msg(N_("{n} row(s) name a governorate other than the one their point lies in; "
                  "the point's governorate is used: {rows}"), n=n, rows=_row_list(rows, total=n))


def block_mismatch_warning(n: int) -> str:
    return msg(N_("{n} row(s) carry a block id other than the block their point lies in; the point's block is used"),
               n=n)


def no_block_warning(n: int) -> str:
    return msg(N_("{n} point(s) inside the Strip fall in no evacuation block (block_id left empty)"), n=n)


# ---------------------------------------------------------------- reference tables


REFERENCE_FORMAT = 2  # part of the reference tables' names: a new layout never reuses tables of an older one
PIECE_VERTICES = 64  # polygons are cut into pieces of at most this many vertices (ST_Subdivide)


def reference_key() -> str:
    """16 hex digits naming the bundle's blocks and governorates (from their sha256 in its manifest)."""
    layers = load_manifest().get("layers", {})
    text = "|".join([str(REFERENCE_FORMAT)] + [str(layers.get(name, {}).get("sha256") or name)
                                               for name in ("blocks", "governorates")])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reference_tables(conn: psycopg.Connection[Any]) -> tuple[str, str]:
    """(blocks table, governorates table) for the bundle in use, made once (in the caller's transaction).

    Each polygon is kept as pieces of at most :data:`PIECE_VERTICES` vertices (``ST_Subdivide``) with its
    position in the bundle's layer (``ord``), GiST-indexed: a point's test then meets a few small pieces,
    and the first polygon in layer order is the least ``ord`` among the pieces it intersects.
    """
    key = reference_key()
    blocks, govs = f"gdm_ref_{key}_blocks", f"gdm_ref_{key}_govs"
    have = conn.execute("SELECT to_regclass(%s), to_regclass(%s)", (blocks, govs)).fetchone()
    if have is not None and None not in have:
        return blocks, govs
    for table, layer, col, kind in ((blocks, "blocks", "block_id", "bigint"), (govs, "governorates", "pcode", "text")):
        frame = load_geolayer(layer)
        t, c = sql.Identifier(table), sql.Identifier(col)
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(t))
        conn.execute(sql.SQL("CREATE TEMP TABLE gdm_ref_whole (ord integer, {} {}, geom geometry(Geometry, 4326)) "
                             "ON COMMIT DROP").format(c, sql.SQL(kind)))
        geoms = shapely.set_srid(np.asarray(frame.geometry.values, dtype=object), 4326)
        wkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
        values = frame[col].astype(int if kind == "bigint" else str).tolist()
        with conn.cursor() as cur, cur.copy(sql.SQL("COPY gdm_ref_whole (ord, {}, geom) FROM STDIN").format(c)) as cp:
            for i, (v, g) in enumerate(zip(values, wkb, strict=True)):
                cp.write_row((i, v, g))
        conn.execute(sql.SQL("CREATE TABLE {t} AS SELECT ord, {c}, ST_Subdivide(geom, {n}) AS geom FROM gdm_ref_whole"
                             ).format(t=t, c=c, n=sql.Literal(PIECE_VERTICES)))
        conn.execute(sql.SQL("ALTER TABLE {t} ADD COLUMN geom_utm geometry").format(t=t))
        conn.execute(sql.SQL("UPDATE {t} SET geom_utm = ST_Transform(geom, {srid})").format(
            t=t, srid=sql.Literal(AREA_SRID)))
        conn.execute(sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(sql.Identifier(f"{table}_geom"), t))
        conn.execute(sql.SQL("ANALYZE {}").format(t))
        conn.execute("DROP TABLE gdm_ref_whole")
    return blocks, govs


# ---------------------------------------------------------------- the join


def join_layer(conn: psycopg.Connection[Any], source: str, target: str) -> list[str]:
    """Write layer table ``target`` from ``source`` (its rows as COPYed) with ``block_id``/``pcode`` of the points
    inside the Strip set from the reference tables; return the join's warnings. Runs in the caller's
    transaction (the import's)."""
    blocks, govs = reference_tables(conn)
    cols = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                                       "AND table_schema = current_schema() ORDER BY ordinal_position", (source,))]
    s, g = sql.Identifier(source), sql.Identifier(govs)
    # The polygons drive the join: each piece, prepared once, tests the points the layer's index finds in its
    # bounding box (one point at a time against the pieces would re-read a piece per point: ten times slower).
    conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geometry)").format(s))
    conn.execute("SET LOCAL default_statistics_target = 10")  # enough for the planner to choose that order
    conn.execute(sql.SQL("ANALYZE {}").format(s))
    conn.execute("RESET default_statistics_target")
    for hits, ref, key in (("gdm_hit_blocks", blocks, "block_id"), ("gdm_hit_govs", govs, "pcode")):
        conn.execute(sql.SQL(
            "CREATE TEMP TABLE {h} ON COMMIT DROP AS SELECT DISTINCT ON (l._gdm_row) l._gdm_row, r.{k} "
            "FROM {r} r JOIN {s} l ON ST_Intersects(r.geom, l.geometry) WHERE l.location_type = 'strip' "
            "ORDER BY l._gdm_row, r.ord").format(h=sql.Identifier(hits), k=sql.Identifier(key),
                                                r=sql.Identifier(ref), s=s))
    conn.execute(sql.SQL(
        "CREATE TEMP TABLE gdm_hits ON COMMIT DROP AS SELECT l._gdm_row, b.block_id, g.pcode FROM {s} l "
        "LEFT JOIN gdm_hit_blocks b USING (_gdm_row) LEFT JOIN gdm_hit_govs g USING (_gdm_row) "
        "WHERE l.location_type = 'strip'").format(s=s))
    conn.execute("DROP TABLE gdm_hit_blocks, gdm_hit_govs")
    conn.execute(sql.SQL(  # in the tolerance band past the outline: the nearest governorate
        "UPDATE gdm_hits h SET pcode = (SELECT r.pcode FROM {g} r ORDER BY ST_Distance(r.geom_utm, "
        "ST_Transform(l.geometry, {srid})), r.ord LIMIT 1) FROM {s} l WHERE h.pcode IS NULL AND l._gdm_row = h._gdm_row"
    ).format(s=s, g=g, srid=sql.Literal(AREA_SRID)))
    conn.execute("CREATE INDEX ON gdm_hits (_gdm_row)")
    conn.execute("ANALYZE gdm_hits")
    warnings: list[str] = []
    n, rows = conn.execute(sql.SQL(
        "SELECT count(*), (array_agg(l.source_row ORDER BY l.source_row))[1:20] FROM {s} l JOIN gdm_hits h "
        "USING (_gdm_row) WHERE l.pcode IS NOT NULL AND h.pcode IS NOT NULL AND l.pcode <> h.pcode").format(s=s)
    ).fetchone() or (0, [])
    if n:
        warnings.append(differs_warning(int(n), rows or []))
    (mism,) = conn.execute(sql.SQL(
        "SELECT count(*) FROM {s} l JOIN gdm_hits h USING (_gdm_row) WHERE l.block_id IS NOT NULL "
        "AND h.block_id IS NOT NULL AND l.block_id <> h.block_id").format(s=s)).fetchone() or (0,)
    if mism:
        warnings.append(block_mismatch_warning(int(mism)))
    n_rows, top = conn.execute(sql.SQL("SELECT count(*), max(_gdm_row) FROM {}").format(s)).fetchone() or (0, None)
    chosen = {
        "pcode": sql.SQL("coalesce(h.pcode, l.pcode)"),
        "block_id": sql.SQL("coalesce(h.block_id, l.block_id)"),
        # a sub-block of another block than the point's is not kept
        "sub_block_id": sql.SQL("CASE WHEN l.block_id IS NOT NULL AND h.block_id IS NOT NULL AND l.block_id <> "
                                "h.block_id THEN NULL ELSE l.sub_block_id END"),
    }
    if top is not None and top != n_rows - 1:  # rows were deleted from the staging table: numbered 0..n-1 again
        chosen["_gdm_row"] = sql.SQL("row_number() OVER (ORDER BY l._gdm_row) - 1")
    select = [chosen.get(c, sql.SQL("l.{}").format(sql.Identifier(c))) for c in cols]
    conn.execute(sql.SQL(
        "INSERT INTO {t} ({cols}) SELECT {select} FROM {s} l LEFT JOIN gdm_hits h ON h._gdm_row = l._gdm_row "
        "ORDER BY l._gdm_row").format(t=sql.Identifier(target), cols=sql.SQL(", ").join(map(sql.Identifier, cols)),
                                     select=sql.SQL(", ").join(select), s=s))
    (none,) = conn.execute(sql.SQL("SELECT count(*) FROM {t} WHERE location_type = 'strip' AND block_id IS NULL"
                                   ).format(t=sql.Identifier(target))).fetchone() or (0,)
    if none:
        warnings.append(no_block_warning(int(none)))
    conn.execute("DROP TABLE gdm_hits")
    return warnings
