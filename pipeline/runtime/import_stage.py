"""An events file read a chunk at a time, staged in the PostGIS database, and the checks that need the whole file.

On the PostGIS workspace an events CSV is read a chunk at a time (``import_stream``); each chunk is checked
(``imports.finish_events`` with a :class:`FileFacts`: the checks one row answers alone) and COPYed straight away
into a staging table of the import's transaction (:class:`Stager`), then dropped from memory. What the checks that
need the whole file take from a chunk is kept, small: counts (dates inside the war, markup), the few rows kept
offshore or at the border, the rows dated before the war, the first cut texts; the rows' own ids and content
hashes go to a temporary table (``gdm_keys``), where SQL finds duplicates (GROUP BY) and the events
other layers already hold (a join). Rows a whole-file check rejects are deleted from the staging table before
it is joined to blocks and written as the layer (``import_join``); a refused import rolls the transaction back.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from pipeline.runtime.detect import Parsed, Problem, release_pool
from pipeline.runtime.import_stream import Unstreamable
from pipeline.runtime.point_rows import PointRows, StagedRows
from pipeline.runtime.workspace_pgframes import copy_rows, create_table

KEYS = "gdm_keys"  # temporary: each row's source_row, own event id (or NULL) and content hash (rows without one)
BAD = "gdm_bad"  # temporary: the rows a check rejected (a row may be named more than once)


@dataclass
class FileFacts:
    """What the checks needing the whole file take from each chunk (filled by ``imports.finish_events``)."""

    claims_war: bool | None = None  # the reader's word on it (None: the share of dates decides)
    date_field: str = "date"
    valid: int = 0  # rows with a date
    after: int = 0  # of those, on or after the war's first day
    before_rows: list[np.ndarray] = field(default_factory=list)  # rows dated before the war, and their dates
    before_dates: list[np.ndarray] = field(default_factory=list)
    near_place: list[np.ndarray] = field(default_factory=list)  # rows kept offshore / at the border
    near_rows: list[np.ndarray] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)  # the first texts cut (a warning lists 20)
    cut_n: int = 0
    markup: int = 0
    keys: pd.DataFrame | None = None  # this chunk's source_row, event_id (own ids), content (the others)
    ranks: tuple[int, int] = (0, 0)  # this chunk's problems: where the date checks' and the domain's begin


@dataclass
class Staged:
    """A file's chunks staged: the first chunk's Parsed (its frame emptied), the chunks' problems (the first
    ``most`` in report order, as (row, rank, seq, problem)), their count, the readers' warnings (each once)."""

    stager: Stager
    facts: FileFacts
    head: Parsed
    listed: list[tuple[int, int, int, Problem]]
    problems: int
    warnings: list[str]
    repaired: list[Problem]


def _copy_frame(conn: psycopg.Connection[Any], table: str, frame: pd.DataFrame) -> None:
    """COPY ``frame``'s columns (named as the table's) into ``table`` (CSV from pyarrow: NULL unquoted and empty)."""
    if not len(frame):
        return
    sink = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), sink,
                    write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    names = sql.SQL(", ").join(sql.Identifier(str(c)) for c in frame.columns)
    with conn.cursor() as cur, cur.copy(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            sql.Identifier(table), names)) as cp:
        cp.write(sink.getvalue())


class Stager:
    """The staging table of one import and its keys, in the caller's transaction (dropped or rolled back with it)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.table = f"gdm_stage_{uuid.uuid4().hex[:16]}"  # a plain table: the join reads its columns' names
        self.rows = 0
        self.template: PointRows | None = None
        self.box: list[float] | None = None  # the staged points' bounds (made again in SQL once rows are deleted)
        self.deleted = False
        conn.execute(sql.SQL("CREATE TEMP TABLE {} (source_row bigint NOT NULL, event_id text, content bigint) "
                             "ON COMMIT DROP").format(sql.Identifier(KEYS)))
        conn.execute(sql.SQL("CREATE TEMP TABLE {} (source_row bigint NOT NULL) ON COMMIT DROP").format(
            sql.Identifier(BAD)))

    def add(self, rows: PointRows, keys: pd.DataFrame | None, bad: np.ndarray) -> None:
        """COPY one checked chunk (its columns typed as the first chunk's), its keys and its rejected rows.

        A column that cannot take the first chunk's type raises :class:`Unstreamable` (the file is read whole)."""
        if self.template is None:
            create_table(self.conn, self.table, rows)
            self.template = PointRows(rows.frame.iloc[:1].copy(), rows.lon[:1], rows.lat[:1], rows.crs)
        else:
            for c, dtype in self.template.frame.dtypes.items():
                if rows.frame[c].dtype != dtype:
                    try:
                        rows.frame[c] = rows.frame[c].astype(dtype)
                    except (TypeError, ValueError) as exc:  # a column typed otherwise than in the first chunk
                        raise Unstreamable(f"column {c}: {exc}") from exc
        self.rows += copy_rows(self.conn, self.table, rows, start=self.rows)
        box = rows.bbox(digits=None)
        if box is not None:
            self.box = box if self.box is None else [min(self.box[0], box[0]), min(self.box[1], box[1]),
                                                     max(self.box[2], box[2]), max(self.box[3], box[3])]
        if keys is not None:
            _copy_frame(self.conn, KEYS, keys)
        self.mark_bad(bad)

    def mark_bad(self, rows: np.ndarray) -> None:
        _copy_frame(self.conn, BAD, pd.DataFrame({"source_row": np.asarray(rows, dtype=np.int64)}))

    def duplicate_ids(self, most: int) -> tuple[int, list[tuple[int, str, int]]]:
        """Rows whose own id an earlier row has: (how many, the first ``most`` as (row, id, earlier row));
        all of them are marked rejected."""
        self.conn.execute(sql.SQL(  # the ids held twice or more (hashed), then their rows after the first
            "CREATE TEMP TABLE gdm_dup_ids ON COMMIT DROP AS SELECT k.source_row, k.event_id, f.first_row FROM {k} k "
            "JOIN (SELECT event_id, min(source_row) AS first_row FROM {k} WHERE event_id IS NOT NULL GROUP BY event_id "
            "HAVING count(*) > 1) f ON f.event_id = k.event_id WHERE k.source_row <> f.first_row").format(
            k=sql.Identifier(KEYS)))
        self.conn.execute(sql.SQL("INSERT INTO {} SELECT source_row FROM gdm_dup_ids").format(sql.Identifier(BAD)))
        (n,) = self.conn.execute("SELECT count(*) FROM gdm_dup_ids").fetchone() or (0,)
        listed = self.conn.execute("SELECT source_row, event_id, first_row FROM gdm_dup_ids ORDER BY source_row "
                                   "LIMIT %s", (most,)).fetchall()
        self.conn.execute("DROP TABLE gdm_dup_ids")
        return int(n), [(int(r), str(i), int(f)) for r, i, f in listed]

    def identical_rows(self, most: int) -> tuple[int, list[tuple[int, int]]]:
        """Rows without an own id identical to an earlier one: (how many, the first ``most`` as (row, earlier))."""
        q = sql.SQL("SELECT k.source_row, f.first_row FROM {k} k JOIN (SELECT content, min(source_row) AS first_row "
                    "FROM {k} WHERE content IS NOT NULL GROUP BY content HAVING count(*) > 1) f "
                    "ON f.content = k.content WHERE k.source_row <> f.first_row").format(k=sql.Identifier(KEYS))
        (n,) = self.conn.execute(sql.SQL("SELECT count(*) FROM ({}) x").format(q)).fetchone() or (0,)
        listed = self.conn.execute(q + sql.SQL(" ORDER BY k.source_row LIMIT {}").format(sql.Literal(most))).fetchall()
        return int(n), [(int(r), int(f)) for r, f in listed]

    def settle(self) -> tuple[int, int]:
        """Delete the rejected rows from the staging table and the keys: (rows rejected, rows accepted)."""
        t, k, b = sql.Identifier(self.table), sql.Identifier(KEYS), sql.Identifier(BAD)
        (n_bad,) = self.conn.execute(sql.SQL("SELECT count(DISTINCT source_row) FROM {}").format(b)).fetchone() or (0,)
        self.conn.execute(sql.SQL("ANALYZE {}").format(k))  # a temporary table has no statistics of its own
        if self.template is None or not n_bad:
            return int(n_bad), self.rows
        self.deleted = True
        gone = self.conn.execute(sql.SQL("DELETE FROM {t} s USING (SELECT DISTINCT source_row FROM {b}) x "
                                         "WHERE s.source_row = x.source_row").format(t=t, b=b)).rowcount
        self.conn.execute(sql.SQL("DELETE FROM {k} s USING (SELECT DISTINCT source_row FROM {b}) x "
                                  "WHERE s.source_row = x.source_row").format(k=k, b=b))
        return int(n_bad), self.rows - int(gone)

    def has_own_ids(self) -> bool:
        row = self.conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE event_id IS NOT NULL)").format(
            sql.Identifier(KEYS))).fetchone()
        return bool(row and row[0])

    def shared_ids(self, table: str | None) -> set[str]:
        """The accepted rows' own ids that layer table ``table`` holds too (KeyError when it is gone)."""
        have = self.conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() if table else None
        if table is None or not have or have[0] is None:  # removed since it was listed
            raise KeyError(table)
        rows = self.conn.execute(sql.SQL("SELECT DISTINCT k.event_id FROM {k} k JOIN {t} t ON t.event_id = k.event_id "
                                         "WHERE k.event_id IS NOT NULL").format(
            k=sql.Identifier(KEYS), t=sql.Identifier(table))).fetchall()
        return {str(r[0]) for r in rows}

    def staged(self, accepted: int) -> StagedRows:
        """The accepted rows as the layer to save (bounded as the chunks were staged, or in the database once rows
        were deleted)."""
        assert self.template is not None  # a chunk was staged
        t = self.template
        if not self.deleted:
            return StagedRows(t.frame, t.lon, t.lat, t.crs, staging=self.table, rows=accepted, box=self.box)
        n, *box = self.conn.execute(sql.SQL(
            "SELECT count(*), min(ST_XMin(geometry)), min(ST_YMin(geometry)), max(ST_XMax(geometry)), "
            "max(ST_YMax(geometry)) FROM {} WHERE NOT ST_IsEmpty(geometry)").format(sql.Identifier(self.table))
        ).fetchone() or (0,)
        return StagedRows(t.frame, t.lon, t.lat, t.crs, staging=self.table, rows=accepted,
                          box=[float(v) for v in box] if n and box[0] is not None else None)


def stage(conn: psycopg.Connection[Any], parts: Iterator[Parsed], *,
          finish: Callable[[Parsed, FileFacts], tuple[pd.DataFrame, list[Problem], list[str]]],
          to_rows: Callable[[Parsed, pd.DataFrame], Any], check_time: Callable[[], None], most: int) -> Staged:
    """Check each chunk of ``parts`` (``finish``), COPY its rows (``to_rows``) to a new staging table, drop it."""
    stager = Stager(conn)
    facts = FileFacts()
    head: Parsed | None = None
    listed: list[tuple[int, int, int, Problem]] = []
    count = 0
    warnings: dict[str, None] = {}
    repaired: list[Problem] = []
    for part in parts:
        gdf, problems, said = finish(part, facts)
        at_dates, at_domain = facts.ranks
        listed += [(q.row if q.row is not None else -1, 0 if i < at_dates else 1 if i < at_domain else 2, count + i, q)
                   for i, q in enumerate(problems)]
        count += len(problems)
        listed = sorted(listed, key=lambda x: x[:3])[:most]  # a problem past the first ``most`` never comes back
        warnings.update(dict.fromkeys(said))
        repaired += part.repaired
        bad = np.unique(np.array([q.row for q in problems if q.row is not None], dtype=np.int64))
        part.frame = part.frame.iloc[:0]  # what the save needs is in gdf: the reader's frame goes first
        head = head or part
        rows = to_rows(part, gdf)
        del gdf, problems
        stager.add(rows, facts.keys, bad)
        facts.keys = None
        del rows
        release_pool()
        check_time()
    assert head is not None  # the reader yields at least one chunk (or raises)
    return Staged(stager, facts, head, listed, count, list(warnings), repaired)
