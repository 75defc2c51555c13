"""Upload section of the Data page: bring your own ACLED export, HXL sheet, CSV points or zones.

The Data page calls :func:`render_upload_section`. Parsing and validation live in
``pipeline.imports`` (this module never reads a file format itself); every text
that comes from a file is shown escaped (tables render cells as text; messages
are markdown-escaped, so a value cannot become a link, markup or formatting).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.html import md_escape
from dashboard.visitor import configure_workspace, viewer
from pipeline.core import settings
from pipeline.runtime import imports, workspace
from pipeline.runtime.readers.acled import acled_attribution
from pipeline.runtime.workspace_access import Viewer, may_change, may_import

FORMATS = {"auto": "detect from content", "acled": "ACLED export (CSV/XLSX)", "hxl": "HXL-tagged CSV/XLSX",
           "csv": "CSV with latitude/longitude", "zones": "zones: GeoJSON, GeoPackage, zipped Shapefile",
           "series": "series: a dated table (e.g. aid trucks by crossing and day), no coordinates needed",
           "orders": "your own orders: block ids per date (CSV/XLSX) or dated polygons (GeoJSON, GeoPackage)"}
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "geojson", "json", "gpkg", "zip"]
CLOUD_NOTICE = ("On Streamlit Community Cloud the disk is not permanent: imported layers are lost when the app "
                "restarts or goes to sleep. Download the workspace as a GeoPackage below and import it again later "
                "(or keep the workspace in a PostGIS database: see the README).")
READ_ONLY = ("You can see the team's layers; only the editors named in the `editors` setting may import, rename or "
             "delete layers here.")


def _report_table(rep: dict[str, Any]) -> pd.DataFrame:
    rows = rep.get("rejections") or []
    cols = ["row", "field", "reason", "fix"] + (["layer"] if any("layer" in r for r in rows) else [])
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols).astype("string")


def show_report(rep: dict[str, Any], *, heading: str) -> None:
    """The report of a dry run or an import: counts, error, rejected rows, repairs, warnings."""
    st.markdown(f"**{heading}**")
    if rep.get("status") == "error":
        st.error(md_escape(rep.get("message") or "the file cannot be imported"))
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("rows read", f"{rep['rows_read']:,}")
    c2.metric("accepted", f"{rep['accepted']:,}")
    c3.metric("rejected", f"{rep['rejected']:,}")
    st.caption(md_escape(f"read as {rep.get('format')} ({rep.get('container')}): {rep.get('detected_as')}"))
    for t in rep.get("truncated") or []:
        st.warning(md_escape(f"{t['layer']}: {t['message']}"))
    if rep["rejected"]:
        st.warning(md_escape(rep["message"]))
        listed = rep.get("rejections_listed", 0)
        more = f" (first {listed} of {rep.get('problems', listed)} problems)" if rep.get("problems", 0) > listed else ""
        st.markdown(f"Rejected rows{more}:")
        st.dataframe(_report_table(rep), hide_index=True, width="stretch")
    if rep.get("repaired"):
        st.markdown("Repaired geometries:")
        st.dataframe(pd.DataFrame(rep["repaired"]).astype("string"), hide_index=True, width="stretch")
    shown = {t["message"] for t in rep.get("truncated") or []}
    for w in rep.get("warnings") or []:
        if not any(w.endswith(m) for m in shown):
            st.caption(md_escape(w))
    s = rep.get("series")
    if s:
        st.info(md_escape(f"Series {s.get('metric')!r} in unit {s.get('unit') or 'from the unit column'!r} "
                          f"({s.get('unit_from')}): {s.get('days', 0):,} day(s) from {s.get('first')} to "
                          f"{s.get('last')}, {s.get('total', 0):,.0f} in all"
                          + (f", by {s.get('place_kind')}: {', '.join(s.get('places') or [])}" if s.get('places')
                             else "")
                          + (f"; {rep.get('no_value', 0)} row(s) with no value left out (not 0)"
                             if rep.get("no_value") else "") + ". Shown on the Timeline page."))
    if rep.get("acled"):
        st.caption(md_escape(acled_attribution) + " ACLED rows are shown aggregated by block or governorate and "
                   "are never offered for download.")


@st.cache_data(show_spinner=False, max_entries=4)
def _workspace_gpkg(state: str, who: str, signed_in: bool) -> bytes | None:
    try:
        return workspace.export_geopackage(viewer=Viewer(who, signed_in=signed_in))
    except ValueError:
        return None


def _change_controls(e: dict[str, Any], v: Viewer) -> None:
    """Rename and delete for one layer (shown only to its owner or an editor)."""
    c1, c2, c3 = st.columns([3, 1, 1])
    new = c1.text_input(f"New name for {e['name']}", key=f"gdm_rename_to_{e['name']}", label_visibility="collapsed",
                        placeholder=f"new name for {e['name']}")
    try:
        if c2.button(f"Rename {e['name']}", key=f"gdm_rename_{e['name']}", disabled=not new):
            workspace.rename(e["name"], new, viewer=v)
            st.rerun()
        if c3.button(f"Delete {e['name']}", key=f"gdm_delete_{e['name']}"):
            workspace.delete(e["name"], viewer=v)
            st.session_state.pop("gdm_last_import", None)
            st.rerun()
    except workspace.WorkspaceError as exc:
        st.error(md_escape(exc.message()))


def _render_layers() -> None:
    v = viewer()
    layers = workspace.list_layers(viewer=v)
    st.markdown("**Workspace layers**")
    for problem in workspace.problems():
        st.warning(md_escape(f"Left off the map: {problem}"))
    if not layers:
        st.caption("No imported layers yet.")
        return
    table = pd.DataFrame([{"layer": e["name"], "kind": e.get("kind"), "rows": e["rows"], "from file": e["origin"],
                           "imported at": e["imported_at"], "owner": "you" if e.get("owner") == v.user
                           else e.get("owner"), "shared": bool(e.get("shared", True)), "ACLED": bool(e.get("acled"))}
                          for e in layers]).astype({"owner": "string"})
    st.dataframe(table, hide_index=True, width="stretch")
    for e in layers:
        if may_change(e, v):
            _change_controls(e, v)
    state = hashlib.sha256("".join(str(e.get("sha256")) for e in layers).encode()).hexdigest()
    data = _workspace_gpkg(state, v.user, v.signed_in)
    if data is not None:
        st.download_button("Download the workspace (GeoPackage)", data=data, file_name="workspace.gpkg",
                           mime="application/geopackage+sqlite3", key="gdm_download_workspace")
    if any(e.get("acled") for e in layers):
        st.caption("ACLED layers are left out of the download (ACLED's terms forbid passing its rows on): "
                   "import your ACLED export again after a restart.")


def render_upload_section() -> None:
    """File uploader, format choice, dry-run report, accept-partial, import with progress, workspace list."""
    st.subheader("Add your own data")
    max_mb = settings.get(settings.MAX_UPLOAD_MB)
    st.caption(f"ACLED exports, HXL-tagged sheets, CSV points (latitude/longitude), zones (GeoJSON, GeoPackage, "
               f"zipped Shapefile) or dated series (Format 'series': e.g. aid trucks by crossing and day). Up to {max_mb} MB and {settings.get(settings.MAX_FEATURES):,} rows. "
               "Each file is checked first; nothing is saved until you press Import.")
    configure_workspace()
    v = viewer()
    try:
        kind = workspace.backend().kind
    except workspace.WorkspaceError as exc:  # the workspace database cannot be reached
        st.error(md_escape(exc.message()))
        return
    if kind == "files":
        st.info(CLOUD_NOTICE)
    if not may_import(v):
        st.info(READ_ONLY)
        _render_layers()
        return
    up = st.file_uploader("File to import", type=UPLOAD_TYPES, max_upload_size=max_mb, key="gdm_upload")
    fmt = st.selectbox("Format", list(FORMATS), format_func=lambda k: f"{k}: {FORMATS[k]}", key="gdm_upload_format")
    unit = st.text_input("Unit of the values (series)", key="gdm_upload_unit", placeholder="e.g. trucks",
                         help="Leave empty to take it from the file, else the value column's name.") \
        if fmt == "series" else ""
    accept = st.checkbox("Accept a partial import (leave the rejected rows out)", key="gdm_upload_partial")
    share = st.checkbox("Share with the team (otherwise only you see the layer)", key="gdm_upload_share",
                        help="Shared layers are seen by every visitor; ACLED event detail stays yours alone.")
    as_ = None if fmt == "auto" else fmt
    extra = {"unit": unit.strip()} if unit and unit.strip() else {}
    if up is not None:
        data = up.getvalue()
        key = (up.name, hashlib.sha256(data).hexdigest(), fmt, unit)
        cache = st.session_state.get("gdm_preview")
        if not cache or cache[0] != key:
            with st.spinner("Checking the file ..."):
                rep = imports.import_bytes(data, up.name, as_=as_, dry_run=True, **extra)
            st.session_state["gdm_preview"] = (key, rep)
        preview = st.session_state["gdm_preview"][1]
        show_report(preview, heading=f"Check of {md_escape(up.name)} (nothing saved yet)")
        can = preview.get("status") != "error" and preview.get("accepted", 0) > 0 and \
            (preview.get("rejected", 0) == 0 or accept)
        if st.button("Import", key="gdm_import", type="primary", disabled=not can):
            with st.status("Importing ...", expanded=True) as status:
                rep = imports.import_bytes(data, up.name, as_=as_, accept_partial=accept, owner=v.user,
                                           shared=share, progress=lambda m: status.write(md_escape(m)), **extra)
                ok = bool(rep.get("written"))
                status.update(label=md_escape(rep.get("message") or ""), state="complete" if ok else "error")
            st.session_state["gdm_last_import"] = rep
    last = st.session_state.get("gdm_last_import")
    if last:
        if last.get("written"):
            st.success(md_escape(last["message"]))
        else:
            st.error(md_escape(last.get("message") or "nothing imported"))
    _render_layers()
