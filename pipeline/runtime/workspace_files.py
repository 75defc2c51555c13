"""The embedded workspace backend: GeoParquet files and ``manifest.json`` in a local folder.

Folder ``root`` holds ``manifest.json`` and ``layers/<name>.parquet``. Every write goes to a temporary
file in the same folder and is swapped in with ``os.replace``; the manifest is read, changed and
written while holding an exclusive ``fcntl`` lock on ``.lock``, waited for at most ``import_time_limit_s``
(then a :class:`WorkspaceError`: another import was still saving, nothing was stored). :meth:`FilesBackend.session` holds
that lock across several calls (an import's same-file and overlap checks and its save), re-entrantly
within one thread. Temporary files left by a killed import (``.*.parquet.tmp``) older than
:data:`STALE_TEMP_SECONDS` are removed when a backend is opened and at every import; a layer file that no manifest
entry names (an import killed between swapping its file in and writing the manifest) is removed the next time the
lock is taken. A layer that already has a file (re-imported, overlaps removed, renamed) gets a new file beside the old
one, the manifest then names the new one, and only then is the old one removed: a kill at any step leaves the
manifest naming a whole file (the old layer or the new), and the other file unnamed, removed at the next lock.
"""

from __future__ import annotations

import contextvars
import fcntl
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
from geopandas.io.arrow import _geopandas_to_arrow  # type: ignore[attr-defined]  # to_parquet's own step

from pipeline.core.i18n import N_, msg
from pipeline.core.storage import atomic_write_bytes, bbox_of, sha256_file
from pipeline.runtime.point_rows import PointRows
from pipeline.runtime.workspace_entry import (
    WorkspaceError,
    check_rename,
    damaged,
    free_name,
    make_entry,
    slug,
    wait_for_lock,
)

MANIFEST = "manifest.json"
LOCK = ".lock"
LAYERS = "layers"
STALE_TEMP_SECONDS = 60.0
ROW_GROUP = 100_000

_held: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar("gdm_files_locks", default=None)


class FilesBackend:
    """Layers as GeoParquet files beside a locked ``manifest.json`` (nothing to set up)."""

    kind = "files"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        clean_stale_temp(self.root)

    # ------------------------------------------------------------ locking and the manifest

    @contextmanager
    def session(self) -> Iterator[None]:
        """Hold the workspace's exclusive lock (re-entrant in this thread) for the calls inside."""
        held = dict(_held.get() or {})
        key = str(self.root.resolve())
        if held.get(key):
            held[key] += 1
            token = _held.set(held)
            try:
                yield
            finally:
                _held.reset(token)
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as fh:
            wait_for_lock(lambda: _try_flock(fh.fileno()))  # at most import_time_limit_s, then a sentence
            held[key] = 1
            token = _held.set(held)
            try:
                clean_stale_temp(self.root)
                self._clean_orphans()
                yield
            finally:
                _held.reset(token)
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _manifest(self) -> dict[str, Any]:
        p = self.root / MANIFEST
        if not p.exists():
            return {"layers": {}}
        try:
            manifest: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(manifest.get("layers"), dict):
                raise ValueError("no 'layers' object")
        except (ValueError, UnicodeDecodeError) as exc:
            raise damaged(f"manifest {p}", exc) from None
        return manifest

    def _clean_orphans(self) -> list[str]:
        """Remove layer files no manifest entry names: a new layer's file whose import was killed after the file was
        swapped in and before the manifest was written. Called under the lock only (no save is then between the two
        steps); never when the manifest is damaged (its files are then the only copy)."""
        d = self.root / LAYERS
        if not d.is_dir() or not (self.root / MANIFEST).exists():
            return []
        try:
            named = {str(e.get("file")) for e in self._manifest()["layers"].values() if isinstance(e, dict)}
        except WorkspaceError:
            return []
        gone = []
        for p in d.glob("*.parquet"):
            if f"{LAYERS}/{p.name}" not in named:
                p.unlink(missing_ok=True)
                gone.append(p.name)
        return gone

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
        atomic_write_bytes(self.root / MANIFEST, text.encode("utf-8"))

    def _file_for(self, layer: str, previous: dict[str, Any] | None) -> Path:
        """Where ``layer``'s next file goes: ``layers/<layer>.parquet``, or a new name beside the file the manifest
        names now (``previous``), which stays whole until the manifest names the new one."""
        d = self.root / LAYERS
        plain = d / f"{layer}.parquet"
        if previous is None or self.root / str(previous.get("file")) != plain:
            return plain
        return d / f"{layer}.{secrets.token_hex(4)}.parquet"

    def _retire(self, previous: dict[str, Any] | None, now: dict[str, Any] | None) -> None:
        """Remove the file ``previous`` named once the manifest names ``now``'s (or no entry at all)."""
        if previous is not None and (now is None or previous.get("file") != now.get("file")):
            (self.root / str(previous["file"])).unlink(missing_ok=True)

    def _write_frame(self, layer: str, frame: pd.DataFrame | PointRows, previous: dict[str, Any] | None = None
                     ) -> Path:
        d = self.root / LAYERS
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{layer}.", suffix=".parquet.tmp", dir=d)
        os.close(fd)
        target = self._file_for(layer, previous)
        try:
            if isinstance(frame, PointRows):  # points made a row group at a time
                write_point_rows(frame, Path(tmp))
            else:  # row groups of 100,000: the writer buffers one group at a time (a 1M-row layer at once: 100 MiB)
                frame.to_parquet(tmp, index=False, compression="zstd", row_group_size=ROW_GROUP)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    # ------------------------------------------------------------ the backend interface

    def save_layer(self, name: str, gdf: pd.DataFrame | PointRows, *, origin: str, meta: dict[str, Any],
                   overwrite: bool = False) -> dict[str, Any]:
        with self.session():
            manifest = self._manifest()
            layer = free_name(slug(name), manifest["layers"], overwrite=overwrite)
            previous = manifest["layers"].get(layer)
            frame = gdf if isinstance(gdf, PointRows) else gdf.reset_index(drop=True)
            target = self._write_frame(layer, frame, previous)
            entry = {"file": f"{LAYERS}/{target.name}", **make_entry(layer, frame, origin=origin, meta=meta),
                     "sha256": sha256_file(target)}
            manifest["layers"][layer] = entry
            self._write_manifest(manifest)
            self._retire(previous, entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        return list(self._manifest()["layers"].values())

    def entry(self, name: str) -> dict[str, Any]:
        layers = self._manifest()["layers"]
        if name not in layers:
            raise KeyError(f"no workspace layer {name!r} (layers: {sorted(layers)})")
        found: dict[str, Any] = layers[name]
        return found

    def load(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        e = self.entry(name)
        path = self.root / e["file"]
        spatial = e.get("crs") and (columns is None or "geometry" in columns)
        return gpd.read_parquet(path, columns=columns) if spatial else pd.read_parquet(path, columns=columns)

    def load_dates(self, name: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Rows with ``start <= date <= end`` (read with a parquet filter, not the whole layer)."""
        e = self.entry(name)
        flt = [("date", ">=", start), ("date", "<=", end)]
        path = self.root / e["file"]
        return gpd.read_parquet(path, filters=flt) if e.get("crs") else pd.read_parquet(path, filters=flt)

    def delete(self, name: str) -> bool:
        if not (self.root / MANIFEST).exists():
            return False
        with self.session():
            manifest = self._manifest()
            e = manifest["layers"].pop(name, None)
            if e is None:
                return False
            self._write_manifest(manifest)
            (self.root / e["file"]).unlink(missing_ok=True)
        return True

    def rename(self, old: str, new: str) -> dict[str, Any]:
        with self.session():
            manifest = self._manifest()
            target = check_rename(old, new, manifest["layers"])
            e = manifest["layers"].pop(old)
            previous = dict(e)
            if target != old:  # a second name for the file first; the old name goes once the manifest says so
                dst = self.root / LAYERS / f"{target}.parquet"
                dst.unlink(missing_ok=True)  # unnamed (the name is free): left by a kill
                os.link(self.root / e["file"], dst)
                e.update(name=target, file=f"{LAYERS}/{dst.name}")
            manifest["layers"][target] = e
            self._write_manifest(manifest)
            self._retire(previous, e)
        return dict(e)

    def drop_events(self, name: str, event_ids: set[str]) -> int:
        with self.session():
            manifest = self._manifest()
            e = manifest["layers"].get(name)
            if e is None:
                return 0
            frame = self.load(name)
            gone = frame["event_id"].astype("string").isin(list(event_ids)).to_numpy()
            if not gone.any():
                return 0
            if gone.all():
                manifest["layers"].pop(name)
                self._write_manifest(manifest)
                (self.root / e["file"]).unlink(missing_ok=True)
                return int(gone.sum())
            kept = frame.loc[~gone].reset_index(drop=True)
            previous = dict(e)
            path = self._write_frame(name, kept, previous)
            e.update(file=f"{LAYERS}/{path.name}", rows=int(len(kept)), bbox=bbox_of(kept), sha256=sha256_file(path),
                     removed_as_overlap=int(e.get("removed_as_overlap", 0)) + int(gone.sum()))
            self._write_manifest(manifest)
            self._retire(previous, e)
        return int(gone.sum())

    def state_hashes(self) -> dict[str, str]:
        """sha256 of every file in the workspace folder (what tests compare before and after an import)."""
        if not self.root.exists():
            return {}
        return {p.relative_to(self.root).as_posix(): sha256_file(p)
                for p in sorted(self.root.rglob("*")) if p.is_file()}

    def state_key(self) -> str:
        path = self.root / MANIFEST
        try:
            stat = path.stat()
        except OSError:
            return f"{path}@none"
        return f"{path}@{stat.st_mtime_ns}:{stat.st_size}"

    def problems(self) -> list[str]:
        """Sentences naming a damaged manifest or a missing or altered layer file (empty when all is well)."""
        try:
            entries = self.entries()
        except WorkspaceError as exc:
            return [exc.message()]
        out: list[str] = []
        for e in entries:
            path = self.root / str(e.get("file"))
            if not path.is_file():
                out.append(msg(N_("layer {name!r}: its file {file} is missing (delete the layer and "
                                  "import its file again)"), name=e.get("name"), file=e.get("file")))
            elif e.get("sha256") and sha256_file(path) != e["sha256"]:
                out.append(msg(N_("layer {name!r}: its file {file} is damaged (its sha256 differs from the one "
                                  "recorded at import; delete the layer and import its file again)"),
                               name=e.get("name"), file=e.get("file")))
        return out


def write_point_rows(rows: PointRows, path: Path) -> None:
    """Write ``rows`` as GeoParquet, one row group of :data:`ROW_GROUP` rows (and its points) at a time.

    Each slice goes through geopandas' own GeoParquet conversion; the file's ``geo`` metadata is the
    first slice's with the bounding box of all the rows (what ``to_parquet`` of the whole frame writes).
    """
    writer: pq.ParquetWriter | None = None
    schema = None
    try:
        for part in rows.chunks(ROW_GROUP):
            table = _geopandas_to_arrow(part, index=False)
            if writer is None:
                meta = dict(table.schema.metadata or {})
                geo = json.loads(meta[b"geo"])
                geo["columns"][geo["primary_column"]]["bbox"] = rows.bbox(digits=None) or []
                meta[b"geo"] = json.dumps(geo).encode()
                schema = table.schema.with_metadata(meta)
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            assert schema is not None
            writer.write_table(table.replace_schema_metadata(schema.metadata).cast(schema), row_group_size=ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()


def _try_flock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` if no other process holds it (never waits)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def clean_stale_temp(root: Path, older_than: float = STALE_TEMP_SECONDS) -> list[str]:
    """Remove ``layers/.*.parquet.tmp`` older than ``older_than`` seconds (a younger one may be a running import)."""
    d = root / LAYERS
    if not d.is_dir():
        return []
    cutoff = time.time() - older_than
    gone = []
    for p in d.glob(".*.parquet.tmp"):
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink()
                gone.append(p.name)
        except FileNotFoundError:
            continue
    return gone
