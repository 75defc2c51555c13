"""What both workspace backends share: layer names, manifest entries, the error for a refused change."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from pipeline.core import settings
from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.core.storage import bbox_of
from pipeline.runtime.point_rows import PointRows
from pipeline.runtime.workspace_access import CLI_OWNER


class WorkspaceError(InputError):
    """The workspace refuses a change (a taken name, no such layer, no right to change it, damage)."""


def wait_for_lock(try_lock: Callable[[], bool], *, poll_s: float = 0.05) -> None:
    """Call ``try_lock`` (a non-blocking attempt) until it succeeds, for at most ``import_time_limit_s``;
    then a :class:`WorkspaceError` saying another import was still saving (a lock held by another process)."""
    limit = settings.get(settings.IMPORT_TIME_LIMIT_S)
    deadline = time.monotonic() + limit
    while not try_lock():
        left = deadline - time.monotonic()
        if left <= 0:
            raise WorkspaceError(
                msg(N_("another import was still saving to the workspace after {limit:g} s (the time limit, "
                       "{name}, {env}): nothing was stored"), limit=limit, name=settings.IMPORT_TIME_LIMIT_S.name,
                    env=settings.IMPORT_TIME_LIMIT_S.env),
                fix=msg(N_("import the file again in a moment (or raise the setting if you run the app)")))
        time.sleep(min(poll_s, left))


def slug(name: str) -> str:
    """A safe layer name: lower-case letters, digits, ``-`` and ``_`` (at most 60 characters)."""
    s = re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-_")[:60].strip("-_")
    return s or "layer"


def free_name(base: str, taken: Collection[str], *, overwrite: bool = False) -> str:
    """``base``, or ``base-2``, ``base-3`` ... the first one not in ``taken`` (``base`` itself if ``overwrite``)."""
    layer, n = base, 2
    while layer in taken and not overwrite:
        layer = f"{base}-{n}"
        n += 1
    return layer


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def make_entry(layer: str, frame: pd.DataFrame | PointRows, *, origin: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The manifest entry of a layer about to be stored (the backend adds where it is kept and its hash)."""
    meta = dict(meta)
    crs: str | None
    if isinstance(frame, PointRows):
        crs, bbox = pyproj.CRS.from_user_input(frame.crs).to_string(), frame.bbox()
    else:
        crs = frame.crs.to_string() if isinstance(frame, gpd.GeoDataFrame) and frame.crs else None
        bbox = bbox_of(frame)
    return {
        "name": layer,
        "origin": origin,
        "imported_at": now_iso(),
        "rows": int(len(frame)),
        "crs": crs,
        "bbox": bbox,
        "columns": [c for c in frame.columns if c != "geometry"],
        "acled": bool(meta.pop("acled", False)),
        "owner": str(meta.pop("owner", None) or CLI_OWNER),
        "shared": bool(meta.pop("shared", True)),
        "workspace": True,
        **meta,
    }


def check_rename(old: str, new: str, taken: Collection[str]) -> str:
    """The slug ``new`` becomes, or :class:`WorkspaceError` when ``old`` is missing or ``new`` is taken."""
    if old not in taken:
        raise WorkspaceError(msg(N_("there is no workspace layer {name!r}"), name=old),
                             fix=msg(N_("see the names with `python -m pipeline workspace list`")))
    target = slug(new)
    if target != old and target in taken:
        raise WorkspaceError(msg(N_("the name {name!r} is already taken by another layer"), name=target),
                             fix=msg(N_("choose another name, or delete or rename that layer first")))
    return target


def damaged(what: str, exc: BaseException) -> WorkspaceError:
    return WorkspaceError(msg(N_("the workspace {what} is damaged ({error}); nothing was changed"), what=what,
                              error=f"{type(exc).__name__}: {exc}"),
                          fix=msg(N_("restore it from a backup, or move it aside to start an empty workspace")))
