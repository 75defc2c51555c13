"""The workspace: layers people imported, kept beside (never inside) the bundle.

Two backends behind these functions, chosen by one setting: the embedded default (GeoParquet files and
``manifest.json`` under ``settings.WORKSPACE_DIR``, ``workspace_files``) and PostgreSQL with PostGIS
(``database_url``: ``GDM_DATABASE_URL``, or ``url`` under ``[connections.workspace]`` in
``.streamlit/secrets.toml``; ``workspace_postgis``). Callers never know which one they use.

Every layer has an ``owner`` and ``shared`` (``workspace_access``): listing functions take the
``viewer`` and return what it may see; renames and deletes check it may change the layer.
:func:`import_session` keeps an import's checks (same file, overlaps, the layer cap) and its save
under one lock (files) or one transaction (PostGIS).

Event layers follow the events schema (event_id, date, kind, fatalities, location, pcode, block_id,
dataset, source, source_url, geo_precision, notes, geometry) and carry ``acled`` in their manifest
entry: ACLED layers are shown aggregated (:func:`aggregate_events`) and are left out of
:func:`export_geopackage`, since ACLED's terms forbid passing rows on.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from pipeline.core import settings
from pipeline.core.i18n import N_, msg
from pipeline.runtime.point_rows import PointRows
from pipeline.runtime.workspace_access import Viewer, may_change, may_see
from pipeline.runtime.workspace_entry import WorkspaceError, slug
from pipeline.runtime.workspace_files import MANIFEST, FilesBackend
from pipeline.runtime.workspace_postgis import PostgisBackend

__all__ = ["MANIFEST", "Viewer", "WorkspaceError", "aggregate_events", "backend", "delete", "drop_events", "entry",
           "export_geopackage", "file_hashes", "import_session", "list_layers", "load", "load_dates", "problems",
           "rename", "save_layer", "slug", "state_key", "summary", "use_database"]

Backend = FilesBackend | PostgisBackend
_configured: dict[str, str] = {}


def workspace_dir(root: str | Path | None = None) -> Path:
    return Path(root) if root is not None else settings.get(settings.WORKSPACE_DIR)


def use_database(url: str | None) -> None:
    """Set the database URL from outside the environment (the dashboard passes ``st.secrets``'s)."""
    if url:
        _configured["url"] = str(url)
    else:
        _configured.pop("url", None)


def _secrets_url() -> str:
    for path in (settings.PROJECT_ROOT / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        url = data.get("connections", {}).get("workspace", {}).get("url")
        if url:
            return str(url)
    return ""


def database_url() -> str:
    """``GDM_DATABASE_URL`` when set (even empty: files), else the dashboard's secret, else secrets.toml's."""
    if settings.DATABASE_URL.env in os.environ:
        return settings.get(settings.DATABASE_URL).strip()
    return _configured.get("url") or _secrets_url()


@lru_cache(maxsize=8)
def _postgis(url: str) -> PostgisBackend:
    return PostgisBackend(url)


def backend(root: str | Path | None = None) -> Backend:
    """The files backend at ``root`` when given, else the configured one (PostGIS when ``database_url`` is set)."""
    if root is None:
        url = database_url()
        if url:
            return _postgis(url)
    return FilesBackend(workspace_dir(root))


@contextmanager
def import_session(root: str | Path | None = None) -> Iterator[None]:
    """Run the calls inside under one lock (files) or one transaction (PostGIS): all of them or none."""
    with backend(root).session():
        yield


def save_layer(name: str, gdf: pd.DataFrame | PointRows, *, origin: str, meta: dict[str, Any] | None = None,
               root: str | Path | None = None, overwrite: bool = False,
               in_database: Callable[[Any, str, str], None] | None = None) -> dict[str, Any]:
    """Store one layer and its manifest entry atomically; return the entry.

    ``origin`` is the file the layer came from (its name as uploaded). ``meta`` adds fields to the
    entry (``acled``, ``kind``, ``dataset``, ``origin_sha256``, ``owner``, ``shared``, counts ...);
    ``owner`` defaults to ``cli`` and ``shared`` to True. A name already taken gets a numeric suffix
    unless ``overwrite``. Events may come as :class:`PointRows` (their points made as they are written).
    ``in_database(connection, staging, table)`` writes ``table`` from the rows COPYed to ``staging`` on PostGIS,
    inside the same transaction (the import's join to blocks); the files backend refuses it.
    """
    b = backend(root)
    if in_database is not None:
        if not isinstance(b, PostgisBackend):
            raise TypeError("in_database is for the PostGIS workspace only")
        return b.save_layer(name, gdf, origin=origin, meta=dict(meta or {}), overwrite=overwrite,
                            in_database=in_database)
    return b.save_layer(name, gdf, origin=origin, meta=dict(meta or {}), overwrite=overwrite)


def list_layers(root: str | Path | None = None, *, viewer: Viewer | None = None) -> list[dict[str, Any]]:
    """Manifest entries the viewer may see (all for ``None``), oldest first; empty when there is none (or the
    manifest is damaged: :func:`problems` says so)."""
    try:
        entries = backend(root).entries()
    except WorkspaceError:
        return []
    seen = [e for e in entries if may_see(e, viewer)]
    return sorted(seen, key=lambda e: (e.get("imported_at", ""), e["name"]))


def entry(name: str, root: str | Path | None = None) -> dict[str, Any]:
    return backend(root).entry(name)


def load(name: str, root: str | Path | None = None, *, columns: list[str] | None = None) -> pd.DataFrame:
    """The stored (Geo)DataFrame of layer ``name``; with ``columns``, only those are read (a DataFrame unless
    ``geometry`` is among them)."""
    return backend(root).load(name, columns=columns)


def load_dates(name: str, start: Any, end: Any, root: str | Path | None = None) -> pd.DataFrame:
    """The rows of event layer ``name`` dated from ``start`` to ``end`` (both included): the map's query."""
    return backend(root).load_dates(name, pd.Timestamp(start), pd.Timestamp(end))


def _changeable(name: str, root: str | Path | None, viewer: Viewer | None, verb: str) -> bool:
    try:
        e = backend(root).entry(name)
    except KeyError:
        return False
    if not may_change(e, viewer):
        raise WorkspaceError(msg(N_("layer {name!r} belongs to {owner}: only its owner or an editor may delete it")
                                 if verb == "delete" else
                                 N_("layer {name!r} belongs to {owner}: only its owner or an editor may rename it"),
                                 name=name, owner=e.get("owner")),
                             fix=msg(N_("ask its owner, or an editor (setting editors)")))
    return True


def delete(name: str, root: str | Path | None = None, *, viewer: Viewer | None = None) -> bool:
    """Remove a layer and its manifest entry; False if there was no such layer (WorkspaceError: not yours)."""
    if not _changeable(name, root, viewer, "delete"):
        return False
    return backend(root).delete(name)


def rename(old: str, new: str, root: str | Path | None = None, *, viewer: Viewer | None = None) -> dict[str, Any]:
    """Give layer ``old`` the name ``slug(new)``; WorkspaceError when it is missing, the name taken, or not yours."""
    if not _changeable(old, root, viewer, "rename"):
        raise WorkspaceError(msg(N_("there is no workspace layer {name!r}"), name=old),
                             fix=msg(N_("see the names with `python -m pipeline workspace list`")))
    return backend(root).rename(old, new)


def drop_events(name: str, event_ids: set[str], root: str | Path | None = None) -> int:
    """Remove the events whose ``event_id`` is in ``event_ids`` from layer ``name`` (newest import wins).

    The layer keeps its manifest entry (origin, import time) with its counts updated; a layer left
    with no row is deleted. Returns the number of rows removed.
    """
    return backend(root).drop_events(name, event_ids)


def file_hashes(root: str | Path | None = None) -> dict[str, str]:
    """A fingerprint of everything stored (files: each file's sha256; PostGIS: each entry and table)."""
    return backend(root).state_hashes()


def state_key(root: str | Path | None = None) -> str:
    """Changes whenever the workspace does (the dashboard's cache key)."""
    return backend(root).state_key()


def problems(root: str | Path | None = None) -> list[str]:
    """Sentences naming damaged layers or a damaged manifest (the Data page shows them; the map skips them)."""
    return backend(root).problems()


def export_geopackage(root: str | Path | None = None, *, include_acled: bool = False,
                      viewer: Viewer | None = None) -> bytes:
    """All workspace layers as one GeoPackage (bytes) that ``python -m pipeline import`` reads back.

    ACLED layers are left out (their rows may not be passed on). Each layer carries its
    manifest facts as GeoPackage layer metadata (``gdm_*`` keys), so re-importing keeps them; an imported
    series (a table of days, no geometry) is an attribute-only table that reads back as the same series.
    """
    layers = [e for e in list_layers(root, viewer=viewer) if include_acled or not e.get("acled")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "workspace.gpkg"
        if not layers:
            raise ValueError("the workspace has no layer that can be exported")
        for e in layers:
            gdf = load(e["name"], root)
            if not isinstance(gdf, gpd.GeoDataFrame) and e.get("kind") != "series":
                continue
            gdf = gdf.copy()
            for c in gdf.columns:
                if str(gdf[c].dtype) in ("string", "str"):  # missing text stays NULL (not the text "<NA>")
                    gdf[c] = gdf[c].astype(object).where(gdf[c].notna(), None)
            md = {f"gdm_{k}": str(e.get(k)) for k in ("kind", "dataset", "origin", "imported_at", "acled")
                  if e.get(k) is not None}
            if not isinstance(gdf, gpd.GeoDataFrame):  # a series: an attribute-only table, dates as ISO text
                gdf["date"] = pd.to_datetime(gdf["date"]).dt.strftime("%Y-%m-%d")
                md["gdm_series"] = json.dumps(e.get("series") or {}, ensure_ascii=False, default=str)
            pyogrio.write_dataframe(gdf, path, layer=e["name"], driver="GPKG", append=path.exists(),
                                    layer_metadata=md, promote_to_multi=e.get("kind") == "zones")
        return path.read_bytes()


def summary(root: str | Path | None = None) -> dict[str, Any]:
    """``{"layers": {name: {"rows", "crs", "bbox", "origin", "imported_at", "acled", "kind", "owner", "shared"}}}``."""
    return {"layers": {e["name"]: {"rows": e["rows"], "crs": e["crs"], "bbox": e["bbox"], "origin": e["origin"],
                                   "imported_at": e["imported_at"], "acled": e.get("acled", False),
                                   "kind": e.get("kind"), "owner": e.get("owner", "cli"),
                                   "shared": e.get("shared", True), "workspace": True}
                       for e in list_layers(root)}}


def aggregate_events(gdf: pd.DataFrame, by: str = "block", period: str | None = "W",
                     *, shapes: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Counts and reported fatalities of events per block (``block_id``) or governorate (``pcode``) and period.

    ``period`` is ``"W"`` (weeks starting Monday), ``"M"`` (calendar months) or None (whole span).
    Columns: the key, ``period_start`` (if a period), ``events``, ``fatalities`` (sum of reported),
    ``fatalities_reported`` (events with a figure), ``first_date``, ``last_date``. Events outside every
    block keep a missing ``block_id``. With ``shapes`` (the blocks or governorates layer) their polygons
    are joined and a GeoDataFrame is returned. This is how ACLED layers are shown by default.
    """
    if by not in ("block", "pcode"):
        raise ValueError("by must be 'block' or 'pcode'")
    if period not in ("W", "M", None):
        raise ValueError("period must be 'W', 'M' or None")
    key = "block_id" if by == "block" else "pcode"
    dates = pd.to_datetime(gdf["date"])
    df = pd.DataFrame({key: gdf[key].to_numpy(), "date": dates.to_numpy(),
                       "fatalities": pd.array(gdf["fatalities"].to_numpy(), dtype="Int64")})
    keys = [key]
    if period:
        df["period_start"] = dates.dt.to_period(period).dt.start_time.to_numpy()
        keys.append("period_start")
    out = (df.groupby(keys, dropna=False, sort=True)
           .agg(events=("date", "size"), fatalities=("fatalities", "sum"),
                fatalities_reported=("fatalities", "count"), first_date=("date", "min"), last_date=("date", "max"))
           .reset_index())
    out["fatalities"] = out["fatalities"].astype("Int64")
    if shapes is None:
        return out
    shapes = shapes[[key, "geometry"]].copy()
    if by == "block":
        out[key] = out[key].astype("Int64")
        shapes[key] = shapes[key].astype("Int64")
    merged = out.merge(shapes, on=key, how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=shapes.crs)
