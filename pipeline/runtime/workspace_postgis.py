"""The PostgreSQL/PostGIS workspace backend (setting ``database_url``).

Each layer is a table ``gdm_layer_<n>`` (geometry indexed with GiST, see ``workspace_pgframes``);
``gdm_layers`` is the manifest: who imported what, when, from which file and sha256, with the import
report. The project creates and migrates its own schema (``gdm_schema``: one row, the version): an
older schema is upgraded in a transaction, a newer one is refused with a sentence. Every change runs
in one transaction holding an advisory lock (waited for at most ``import_time_limit_s``), so a failed or
interrupted import leaves nothing behind, and :meth:`PostgisBackend.session` keeps an import's checks and its
save in one transaction.
"""

from __future__ import annotations

import contextvars
import hashlib
import io
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from pipeline.core.i18n import N_, msg
from pipeline.runtime.point_rows import PointRows
from pipeline.runtime.workspace_entry import (
    WorkspaceError,
    check_rename,
    free_name,
    make_entry,
    slug,
    wait_for_lock,
)
from pipeline.runtime.workspace_pgframes import create_and_copy, dtypes_of, read_table

SCHEMA_VERSION = 2
_LOCK_KEY = 740_019_357  # pg_advisory_xact_lock key of the workspace's writers

# Migration n takes a schema at version n-1 to version n.
MIGRATIONS: dict[int, list[str]] = {
    1: ["CREATE EXTENSION IF NOT EXISTS postgis",
        "CREATE TABLE gdm_layers (name text PRIMARY KEY, table_name text NOT NULL UNIQUE, kind text, "
        "origin text NOT NULL, origin_sha256 text, imported_at timestamptz NOT NULL, owner text NOT NULL, "
        "shared boolean NOT NULL, acled boolean NOT NULL, rows bigint NOT NULL, entry jsonb NOT NULL)",
        "CREATE SEQUENCE gdm_layer_seq",
        "CREATE TABLE gdm_state (changes bigint NOT NULL)",
        "INSERT INTO gdm_state VALUES (0)"],
    2: ["ALTER TABLE gdm_layers ADD COLUMN report jsonb",
        "CREATE INDEX gdm_layers_owner ON gdm_layers (owner)"],
}

_current: contextvars.ContextVar[psycopg.Connection[Any] | None] = contextvars.ContextVar(
    "gdm_pg_session", default=None)


def _connect(url: str) -> psycopg.Connection[Any]:
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise WorkspaceError(msg(N_("the workspace database cannot be reached ({error})"),
                                 error=str(exc).strip().splitlines()[0]),
                             fix=msg(N_("check database_url (GDM_DATABASE_URL or [connections.workspace] in "
                                        ".streamlit/secrets.toml) and that the server is running"))) from None
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def migrate(conn: psycopg.Connection[Any], *, to: int = SCHEMA_VERSION) -> int:
    """Create or upgrade the schema to version ``to`` (inside the caller's transaction); return the version found."""
    if conn.execute("SELECT to_regclass('gdm_schema')").fetchone() != (None,):
        row = conn.execute("SELECT version FROM gdm_schema").fetchone()
        if row and int(row[0]) == to:  # nothing to do: no lock taken (a save in progress need not end first)
            return int(row[0])
    wait_for_lock(lambda: _try_lock(conn))
    conn.execute("CREATE TABLE IF NOT EXISTS gdm_schema (version integer NOT NULL)")
    row = conn.execute("SELECT version FROM gdm_schema").fetchone()
    found = int(row[0]) if row else 0
    if found > SCHEMA_VERSION:
        raise WorkspaceError(msg(N_("the workspace database's schema is version {found}, newer than this version of "
                                    "the app understands ({known}); nothing was changed"), found=found, known=SCHEMA_VERSION),
                             fix=msg(N_("update the app to the version that wrote it, or point database_url at another "
                                        "database")))
    for version in range(found + 1, to + 1):
        for statement in MIGRATIONS[version]:
            conn.execute(statement)  # our own constant SQL
    if not row:
        conn.execute("INSERT INTO gdm_schema VALUES (%s)", (max(found, to),))
    elif to > found:
        conn.execute("UPDATE gdm_schema SET version = %s", (to,))
    return found


class PostgisBackend:
    """Layers as PostGIS tables and a manifest table, in the database at ``url``."""

    kind = "postgis"

    def __init__(self, url: str) -> None:
        self.url = url
        with _connect(url) as conn, conn.transaction():
            migrate(conn)

    @contextmanager
    def session(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction holding the writers' lock for the calls inside (committed at the end, else rolled back)."""
        conn = _current.get()
        if conn is not None:
            yield conn
            return
        with _connect(self.url) as conn, conn.transaction():
            wait_for_lock(lambda: _try_lock(conn))  # at most import_time_limit_s, then a sentence
            token = _current.set(conn)
            try:
                yield conn
            finally:
                _current.reset(token)

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        """The import's transaction when inside one, else this thread's reading connection (kept open: a
        dashboard rerun reads several times, and connecting costs more than most of its queries)."""
        conn = _current.get()
        if conn is not None:
            yield conn
            return
        conn = _reader(self.url)
        try:
            yield conn
        except psycopg.OperationalError:  # a dropped connection is made again on the next read
            _forget_reader()
            raise

    @staticmethod
    def _changed(conn: psycopg.Connection[Any]) -> None:
        conn.execute("UPDATE gdm_state SET changes = changes + 1")

    def _names(self, conn: psycopg.Connection[Any]) -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM gdm_layers").fetchall()}

    def _row(self, conn: psycopg.Connection[Any], name: str) -> tuple[str, dict[str, Any]] | None:
        row = conn.execute("SELECT table_name, entry FROM gdm_layers WHERE name = %s", (name,)).fetchone()
        return (row[0], dict(row[1])) if row else None

    # ------------------------------------------------------------ the backend interface

    def save_layer(self, name: str, gdf: pd.DataFrame | PointRows, *, origin: str, meta: dict[str, Any],
                   overwrite: bool = False,
                   in_database: Callable[[psycopg.Connection[Any], str, str], None] | None = None) -> dict[str, Any]:
        with self.session() as conn:
            layer = free_name(slug(name), self._names(conn), overwrite=overwrite)
            old = self._row(conn, layer)
            if old is not None:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(old[0])))
                conn.execute("DELETE FROM gdm_layers WHERE name = %s", (layer,))
            (seq,) = conn.execute("SELECT nextval('gdm_layer_seq')").fetchone() or (0,)
            table = f"gdm_layer_{seq}"
            frame = gdf if isinstance(gdf, PointRows) else gdf.reset_index(drop=True)
            report = meta.get("report")
            create_and_copy(conn, table, frame, fill=in_database)  # the import's join, in this transaction
            entry = {"table": table, **make_entry(layer, frame, origin=origin, meta=meta),
                     "dtypes": [[c, t] for c, t in dtypes_of(frame).items()]}  # pairs: jsonb keeps no key order
            entry["sha256"] = _change_key(table)  # a new key at every change (hashing a 1M-row table took 7 s)
            conn.execute("INSERT INTO gdm_layers (name, table_name, kind, origin, origin_sha256, imported_at, owner, "
                         "shared, acled, rows, entry, report) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                         (layer, table, entry.get("kind"), origin, entry.get("origin_sha256"), entry["imported_at"],
                          entry["owner"], entry["shared"], entry["acled"], entry["rows"], Jsonb(_jsonable(entry)),
                          Jsonb(_jsonable(report)) if report is not None else None))
            self._changed(conn)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            return [dict(r[0]) for r in conn.execute("SELECT entry FROM gdm_layers").fetchall()]

    def entry(self, name: str) -> dict[str, Any]:
        with self._read() as conn:
            row = self._row(conn, name)
            if row is None:
                raise KeyError(f"no workspace layer {name!r} (layers: {sorted(self._names(conn))})")
            return row[1]

    def report(self, name: str) -> dict[str, Any] | None:
        """The import report kept with layer ``name``."""
        with self._read() as conn:
            row = conn.execute("SELECT report FROM gdm_layers WHERE name = %s", (name,)).fetchone()
            return dict(row[0]) if row and row[0] is not None else None

    def load(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The layer's rows; with ``columns`` only those columns are selected in the database."""
        with self._read() as conn:
            row = self._row(conn, name)
            if row is None:
                raise KeyError(f"no workspace layer {name!r}")
            return read_table(conn, row[0], row[1], columns=columns)

    def day_counts(self, name: str) -> pd.DataFrame:
        """Events per calendar day x block x governorate of event layer ``name``, summed in the database:
        ``day``, ``block_id``, ``pcode``, ``events``, ``fatalities`` (sum of reported), ``fatalities_reported``."""
        with self._read() as conn:
            row = self._row(conn, name)
            if row is None:
                raise KeyError(f"no workspace layer {name!r}")
            q = sql.SQL("SELECT date_trunc('day', date) AS day, block_id, pcode, count(*) AS events, "
                        "coalesce(sum(fatalities), 0)::bigint AS fatalities, count(fatalities) AS fatalities_reported "
                        "FROM {} WHERE date IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").format(
                sql.Identifier(row[0]))
            buf = io.BytesIO()
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SET LOCAL work_mem = '64MB'")  # the groups hashed in memory, not sorted on disk
                with cur.copy(sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(q)) as cp:
                    for chunk in cp:
                        buf.write(chunk)
            buf.seek(0)
            out = pd.read_csv(buf, dtype={"pcode": "string"}, keep_default_na=False, na_values={"block_id": [""],
                                                                                              "pcode": [""]})
            out["day"] = pd.to_datetime(out["day"])
            out["block_id"] = out["block_id"].astype("Int64")
            return out

    def load_dates(self, name: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Rows with ``start <= date <= end``, selected in the database."""
        with self._read() as conn:
            row = self._row(conn, name)
            if row is None:
                raise KeyError(f"no workspace layer {name!r}")
            where = sql.SQL("{} BETWEEN {} AND {}").format(sql.Identifier("date"), sql.Literal(start.to_pydatetime()),
                                                            sql.Literal(end.to_pydatetime()))
            return read_table(conn, row[0], row[1], where)

    def delete(self, name: str) -> bool:
        with self.session() as conn:
            row = self._row(conn, name)
            if row is None:
                return False
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(row[0])))
            conn.execute("DELETE FROM gdm_layers WHERE name = %s", (name,))
            self._changed(conn)
        return True

    def rename(self, old: str, new: str) -> dict[str, Any]:
        with self.session() as conn:
            target = check_rename(old, new, self._names(conn))
            row = self._row(conn, old)
            assert row is not None  # check_rename found it
            entry = {**row[1], "name": target}
            conn.execute("UPDATE gdm_layers SET name = %s, entry = %s WHERE name = %s",
                         (target, Jsonb(_jsonable(entry)), old))
            self._changed(conn)
        return entry

    def drop_events(self, name: str, event_ids: set[str]) -> int:
        with self.session() as conn:
            row = self._row(conn, name)
            if row is None or not event_ids:
                return 0
            table, entry = row
            cur = conn.execute(sql.SQL("DELETE FROM {} WHERE event_id = ANY(%s)").format(sql.Identifier(table)),
                               (sorted(event_ids),))
            gone = cur.rowcount
            if not gone:
                return 0
            if gone >= entry["rows"]:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))
                conn.execute("DELETE FROM gdm_layers WHERE name = %s", (name,))
            else:
                n, *box = conn.execute(sql.SQL(  # counted and bounded in the database: the rows stay there
                    "SELECT count(*), min(ST_XMin(geometry)), min(ST_YMin(geometry)), max(ST_XMax(geometry)), "
                    "max(ST_YMax(geometry)) FROM {}").format(sql.Identifier(table))).fetchone() or (0,)
                entry.update(rows=int(n), bbox=[round(float(v), 6) for v in box] if box and box[0] is not None
                             else None, sha256=_change_key(table),
                             removed_as_overlap=int(entry.get("removed_as_overlap", 0)) + gone)
                conn.execute("UPDATE gdm_layers SET rows = %s, entry = %s WHERE name = %s",
                             (entry["rows"], Jsonb(_jsonable(entry)), name))
            self._changed(conn)
        return int(gone)

    @staticmethod
    def _table_md5(conn: psycopg.Connection[Any], table: str) -> str:
        q = sql.SQL("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t._gdm_row), '')) FROM {} t").format(
            sql.Identifier(table))
        row = conn.execute(q).fetchone()
        return str(row[0]) if row else ""

    def state_hashes(self) -> dict[str, str]:
        """Each layer's manifest entry and table content hash, and every layer table in the schema."""
        with self._read() as conn:
            out = {f"manifest/{r[0]}": str(r[1]) for r in conn.execute(
                "SELECT name, md5(entry::text) FROM gdm_layers ORDER BY name").fetchall()}
            for t in self.layer_tables(conn):
                out[f"table/{t}"] = self._table_md5(conn, t)
        return out

    @staticmethod
    def layer_tables(conn: psycopg.Connection[Any]) -> list[str]:
        """Every ``gdm_layer_*`` table in the schema (a table no manifest row names would be a leftover)."""
        return [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'gdm\\_layer\\_%' "
            "ORDER BY tablename").fetchall()]

    def state_key(self) -> str:
        with self._read() as conn:
            row = conn.execute("SELECT changes FROM gdm_state").fetchone()
        return f"postgis@{row[0] if row else 0}"

    def problems(self) -> list[str]:
        """Sentences naming a layer whose table is gone or whose entry cannot be read."""
        out: list[str] = []
        with self._read() as conn:
            tables = set(self.layer_tables(conn))
            for name, table, entry in conn.execute("SELECT name, table_name, entry FROM gdm_layers ORDER BY name"):
                if table not in tables:
                    out.append(msg(N_("layer {name!r}: its table {table} is missing (delete the layer and import its "
                                      "file again)"), name=name, table=table))
                elif not isinstance(entry, dict) or "dtypes" not in entry:
                    out.append(msg(N_("layer {name!r}: its manifest entry is damaged (delete the layer and import "
                                      "its file again)"), name=name))
        return out


_readers = threading.local()


def _reader(url: str) -> psycopg.Connection[Any]:
    """This thread's autocommit connection to ``url``: one per thread and process (a forked child makes its own;
    another URL closes the one before)."""
    held: tuple[str, int, psycopg.Connection[Any]] | None = getattr(_readers, "held", None)
    if held is not None and held[0] == url and held[1] == os.getpid() and not (held[2].closed or held[2].broken):
        return held[2]
    if held is not None and held[1] == os.getpid():
        _forget_reader()
    conn = _connect(url)
    conn.commit()  # SET TIME ZONE stays for the session
    conn.autocommit = True
    _readers.held = (url, os.getpid(), conn)
    return conn


def _forget_reader() -> None:
    held = getattr(_readers, "held", None)
    _readers.held = None
    if held is not None and held[1] == os.getpid():
        with suppress(psycopg.Error):
            held[2].close()


def _change_key(table: str) -> str:
    """The entry's ``sha256`` on PostGIS: new whenever the layer's table is written (the count tables' cache key)."""
    return hashlib.sha256(f"{table}:{uuid.uuid4().hex}".encode()).hexdigest()


def _try_lock(conn: psycopg.Connection[Any]) -> bool:
    """Take the writers' advisory lock for this transaction if no other session holds it (never waits)."""
    row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_LOCK_KEY,)).fetchone()
    return bool(row and row[0])


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))
