"""Upload section of the Data page: bring your own ACLED export, HXL sheet, CSV points or zones.

The Data page calls :func:`render_upload_section`. Parsing and validation live in
``pipeline.imports`` (this module never reads a file format itself); every text
that comes from a file is shown escaped (tables render cells as text; messages
are markdown-escaped, so a value cannot become a link, markup or formatting).

In Arabic every label, heading and summary is the catalogue's. The import report's own sentences (the file's
problems, fixes, warnings: English in the report) are shown in Arabic when the catalogue has their template
(:func:`pipeline.core.i18n.localise`: from the sentence's template and parameters, or matched back from the
English), else as written in blocks marked ``lang="en"``; the report's English sentences stay available in an
expander (marked ``lang="en"``) to quote in a bug report.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.html import esc, md_escape
from dashboard.i18n import _, iso, lang, tr
from dashboard.visitor import configure_workspace, viewer
from pipeline.core import settings
from pipeline.core.errors import error_text
from pipeline.core.i18n import N_, localise, number_text, translate
from pipeline.runtime import imports, workspace
from pipeline.runtime.readers.acled import acled_attribution, attribution_in
from pipeline.runtime.workspace_access import Viewer, may_change, may_import

FORMATS = {"auto": N_("detect from content"), "acled": N_("ACLED export (CSV/XLSX)"),
           "hxl": N_("HXL-tagged CSV/XLSX"), "csv": N_("CSV with latitude/longitude"),
           "zones": N_("zones: GeoJSON, GeoPackage, zipped Shapefile"),
           "series": N_("series: a dated table (e.g. aid trucks by crossing and day), no coordinates needed"),
           "orders": N_("your own orders: block ids per date (CSV/XLSX) or dated polygons (GeoJSON, GeoPackage)")}
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "geojson", "json", "gpkg", "zip"]
CLOUD_NOTICE = N_("On Streamlit Community Cloud the disk is not permanent: imported layers are lost when the app "
                "restarts or goes to sleep. Download the workspace as a GeoPackage below and import it again later "
                "(or keep the workspace in a PostGIS database: see the README).")
READ_ONLY = N_("You can see the team's layers; only the editors named in the `editors` setting may import, rename or "
             "delete layers here.")


# The rejection table's columns, as labels on the Arabic page (the English page shows the columns' own names).
COLUMNS = {"row": N_("row"), "field": N_("field"), "reason": N_("reason"), "fix": N_("fix"), "layer": N_("layer"),
           "kind": N_("kind"), "rows": N_("rows"), "from file": N_("from file"), "imported at": N_("imported at"),
           "owner": N_("owner"), "shared": N_("shared"), "ACLED": N_("ACLED")}
STATUS = {"written": N_("Imported"), "dry-run": N_("Checked, nothing saved yet"),
          "refused": N_("Not imported"), "error": N_("The file cannot be imported")}


def _format_label(key: str, *, code: str) -> str:
    """A format's label; the language is bound (``format_func`` runs outside the session in AppTest)."""
    return translate(FORMATS[key], code) if code == "ar" else f"{key}: {FORMATS[key]}"


def _ar() -> bool:
    return lang() == "ar"


def _n(value: Any) -> str:
    """A count, grouped (``1,234``) in either language."""
    return number_text(int(value or 0), lang())


def _labels(columns: list[str]) -> dict[str, str] | None:
    """``column_config`` giving the table's columns Arabic labels (None in English: the columns' own names)."""
    return {c: tr(COLUMNS[c]) for c in columns if c in COLUMNS} if _ar() else None


def _as_written(text: Any, where: Any = st) -> None:
    """A sentence of the import report, shown as written and marked English (Arabic page only)."""
    if text:
        where.html(f'<div lang="en" dir="ltr" style="text-align:left">{esc(text)}</div>')


def _said(text: Any, where: Any = st, *, show: str = "caption", as_written: bool = True) -> None:
    """A sentence of the import report on the Arabic page: in Arabic when the catalogue has its template, else
    as written (marked English), or not at all when ``as_written`` is False (the Arabic summary says it; the
    English stays in the folded report)."""
    if not text:
        return
    arabic = localise(text, "ar")
    if arabic and arabic != str(text):
        getattr(where, show)(md_escape(arabic))
    elif as_written:
        _as_written(text, where)


def _in_english(rep: dict[str, Any]) -> None:
    """The report's own sentences as the report writes them (English), folded away: for a bug report."""
    lines = [rep.get("message"), rep.get("detected_as")] + [t.get("message") for t in rep.get("truncated") or []]
    lines += list(rep.get("warnings") or [])
    table = _report_table(rep)
    lines = [str(x) for x in lines if x]
    if not lines and table.empty:
        return
    with st.expander(_("The report in English (to quote in a bug report)")):
        for line in lines:
            _as_written(line)
        if not table.empty:
            st.html(f'<div lang="en" dir="ltr">{table.fillna("").to_html(index=False, escape=True)}</div>')


RLE, PDF = "\u202b", "\u202c"  # right-to-left embedding: the table's canvas lays text out left to right


def _arabic_table(table: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows with their reason and fix in Arabic where the catalogue has the sentence (embedded
    right to left, so the canvas the table is drawn on keeps the sentence's order and its brackets)."""
    out = table.copy()
    for col in ("reason", "fix"):
        if col in out.columns:
            out[col] = [None if pd.isna(v) else (f"{RLE}{arabic}{PDF}" if (arabic := localise(v, "ar")) and
                                                 arabic != str(v) else str(v)) for v in table[col]]
    return out.astype("string")


def _summary(rep: dict[str, Any]) -> str:
    """The report in Arabic from its fields: status, counts, layers."""
    parts = [tr(STATUS.get(str(rep.get("status")), str(rep.get("status") or "")))]
    if rep.get("status") != "error":
        parts.append(_("{accepted} of {rows} rows accepted, {rejected} rejected").format(
            accepted=_n(rep.get("accepted")), rows=_n(rep.get("rows_read")), rejected=_n(rep.get("rejected"))))
    names = [str(x.get("name")) for x in rep.get("layers") or [] if isinstance(x, dict) and x.get("name")]
    if names and rep.get("written"):
        parts.append(_("into the layer(s) {layers}").format(layers="، ".join(iso(n) for n in names)))
    return md_escape("؛ ".join(parts) + ".")


def _failure(rep: dict[str, Any]) -> str:
    """A refused or failed report in Arabic, for one alert: what happened, then its reason and fix when it has one."""
    if not isinstance(rep.get("error"), dict):
        return _summary(rep)
    return _summary(rep) + "\n\n" + md_escape(error_text(rep["error"], "ar"))

# The page's stylesheet (``dashboard.i18n.WIDGET_WORDS_CSS``) writes every uploader's own words in the page's
# language; this uploader's drop zone also says the size limit (a rule scoped to its key, so it wins).
UPLOADER_LIMIT_CSS = """<style>
.st-key-gdm_upload [data-testid="stFileUploaderDropzoneInstructions"] > div::after { content: %(drop)s; }
</style>"""


def _uploader_css(max_mb: int) -> str:
    """The drop zone's words with the size limit, as a CSS string (JSON quoting is valid CSS quoting)."""
    drop = _("Drag and drop the file here (up to {mb} MB)").format(mb=max_mb)
    return UPLOADER_LIMIT_CSS % {"drop": json.dumps(drop, ensure_ascii=False)}


def _report_table(rep: dict[str, Any], *, strings: bool = True) -> pd.DataFrame:
    rows = rep.get("rejections") or []
    cols = ["row", "field", "reason", "fix"] + (["layer"] if any("layer" in r for r in rows) else [])
    # object columns keep the sentences as they are (a Message carries its template); "string" makes them str
    table = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols, dtype=object)
    return table.astype("string") if strings else table


# A sum's qualifier (pipeline.runtime.readers.qualified.sum_qualifier), as the Data page writes it.
SUM_QUALIFIERS = {"at least": N_("at least {total}"), "at most": N_("at most {total}"),
                  "approximately": N_("approximately {total}")}


def _total_words(s: dict[str, Any], code: str) -> str:
    """A series' total, "at least 1,050" when a figure summed in it was "more than ..."."""
    total = number_text(float(s.get("total") or 0), code)
    q = s.get("total_qualifier")
    return translate(SUM_QUALIFIERS[q], code).format(total=total) if q in SUM_QUALIFIERS else total


def _series_text(rep: dict[str, Any], s: dict[str, Any]) -> str:
    if not _ar():
        return (f"Series {s.get('metric')!r} in unit {s.get('unit') or 'from the unit column'!r} "
                f"({s.get('unit_from')}): {s.get('days', 0):,} day(s) from {s.get('first')} to "
                f"{s.get('last')}, {_total_words(s, 'en')} in all"
                + (f", by {s.get('place_kind')}: {', '.join(s.get('places') or [])}" if s.get('places')
                   else "")
                + (f"; {rep.get('no_value', 0)} row(s) with no value left out (not 0)"
                   if rep.get("no_value") else "") + ". Shown on the Timeline page.")
    unit = iso(s["unit"]) if s.get("unit") else _("from the unit column")
    text = _("Series {metric} in the unit {unit}: {days} days from {first} to {last}, {total} in all").format(
        metric=iso(str(s.get("metric"))), unit=unit, days=_n(s.get("days")), first=iso(str(s.get("first"))),
        last=iso(str(s.get("last"))), total=_total_words(s, lang()))
    if s.get("places"):
        text += _(", by place: {places}").format(places="، ".join(iso(str(x)) for x in s["places"]))
    if rep.get("no_value"):
        text += _("; {n} rows with no value left out (not 0)").format(n=_n(rep.get("no_value")))
    return text + _(". Shown on the Timeline page.")


def show_report(rep: dict[str, Any], *, heading: str) -> None:
    """The report of a dry run or an import: counts, error, rejected rows, repairs, warnings."""
    ar = _ar()
    st.markdown(f"**{heading}**")
    if rep.get("status") == "error":
        if ar:
            st.error(_failure(rep))
            _in_english(rep)
        else:
            st.error(md_escape(rep.get("message") or "the file cannot be imported"))
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(_("rows read"), _n(rep["rows_read"]))
    c2.metric(_("accepted"), _n(rep["accepted"]))
    c3.metric(_("rejected"), _n(rep["rejected"]))
    if ar:
        st.caption(md_escape(_("Read as {format} ({container}).").format(
            format=iso(str(rep.get("format"))), container=iso(str(rep.get("container"))))))
        _said(rep.get("detected_as"))
    else:
        st.caption(md_escape(f"read as {rep.get('format')} ({rep.get('container')}): {rep.get('detected_as')}"))
    for t in rep.get("truncated") or []:
        if ar:
            st.warning(md_escape(_("The layer {layer} was cut short:").format(layer=iso(str(t["layer"])))))
            _said(t["message"], show="warning")
        else:
            st.warning(md_escape(f"{t['layer']}: {t['message']}"))
    if rep["rejected"]:
        if ar:
            st.warning(_summary(rep))
            _said(rep["message"], show="warning", as_written=False)
        else:
            st.warning(md_escape(rep["message"]))
        listed = rep.get("rejections_listed", 0)
        if rep.get("problems", 0) > listed:
            st.markdown(_("Rejected rows (first {listed} of {problems} problems):").format(
                listed=_n(listed) if ar else listed, problems=_n(rep.get("problems", listed)) if ar else rep.get("problems")))
        else:
            st.markdown(_("Rejected rows:"))
        table = _arabic_table(_report_table(rep, strings=False)) if ar else _report_table(rep)
        st.dataframe(table, hide_index=True, width="stretch", column_config=_labels(list(table.columns)))
    if rep.get("repaired"):
        st.markdown(_("Repaired geometries:"))
        st.dataframe(pd.DataFrame(rep["repaired"]).astype("string"), hide_index=True, width="stretch")
    _report_notes(rep, ar)
    if ar:
        _in_english(rep)


def _report_notes(rep: dict[str, Any], ar: bool) -> None:
    """The report's warnings, its series and the ACLED notice."""
    shown = {t["message"] for t in rep.get("truncated") or []}
    warnings = [w for w in rep.get("warnings") or [] if not any(w.endswith(m) for m in shown)]
    if warnings and ar:
        st.caption(_("Warnings from the check:"))
    for w in warnings:
        if ar:
            _said(w)
        else:
            st.caption(md_escape(w))
    s = rep.get("series")
    if s:
        st.info(md_escape(_series_text(rep, s)))
    if rep.get("acled"):
        if ar:
            st.caption(md_escape(attribution_in(acled_attribution, "ar")) + " "
                       + _("ACLED rows are shown aggregated by block or governorate and are never offered for "
                           "download."))
        else:
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
    name = iso(e["name"])
    new = c1.text_input(_("New name for {layer}").format(layer=name), key=f"gdm_rename_to_{e['name']}",
                        label_visibility="collapsed", placeholder=_("new name for {layer}").format(layer=name))
    try:
        if c2.button(_("Rename {layer}").format(layer=name), key=f"gdm_rename_{e['name']}", disabled=not new):
            workspace.rename(e["name"], new, viewer=v)
            st.rerun()
        if c3.button(_("Delete {layer}").format(layer=name), key=f"gdm_delete_{e['name']}"):
            workspace.delete(e["name"], viewer=v)
            st.session_state.pop("gdm_last_import", None)
            st.rerun()
    except workspace.WorkspaceError as exc:
        _workspace_error(exc)


def _workspace_error(exc: workspace.WorkspaceError) -> None:
    """A refusal of the workspace (its sentence is the workspace's, in English): an Arabic heading over it."""
    if _ar():
        st.error(_("The workspace refused the change:"))
        _as_written(exc.message())
    else:
        st.error(md_escape(exc.message()))


def _render_layers() -> None:
    v = viewer()
    layers = workspace.list_layers(viewer=v)
    st.markdown(_("**Workspace layers**"))
    for problem in workspace.problems():
        if _ar():
            st.warning(_("Left off the map:"))
            _as_written(problem)
        else:
            st.warning(md_escape(f"Left off the map: {problem}"))
    if not layers:
        st.caption(_("No imported layers yet."))
        return
    table = pd.DataFrame([{"layer": e["name"], "kind": e.get("kind"), "rows": e["rows"], "from file": e["origin"],
                           "imported at": e["imported_at"], "owner": _("you") if e.get("owner") == v.user
                           else e.get("owner"), "shared": bool(e.get("shared", True)), "ACLED": bool(e.get("acled"))}
                          for e in layers]).astype({"owner": "string"})
    st.dataframe(table, hide_index=True, width="stretch", column_config=_labels(list(table.columns)))
    for e in layers:
        if may_change(e, v):
            _change_controls(e, v)
    state = hashlib.sha256("".join(str(e.get("sha256")) for e in layers).encode()).hexdigest()
    data = _workspace_gpkg(state, v.user, v.signed_in)
    if data is not None:
        st.download_button(_("Download the workspace (GeoPackage)"), data=data, file_name="workspace.gpkg",
                           mime="application/geopackage+sqlite3", key="gdm_download_workspace")
    if any(e.get("acled") for e in layers):
        st.caption(_("ACLED layers are left out of the download (ACLED's terms forbid passing its rows on): "
                     "import your ACLED export again after a restart."))


def render_upload_section() -> None:
    """File uploader, format choice, dry-run report, accept-partial, import with progress, workspace list."""
    ar = _ar()
    st.subheader(_("Add your own data"))
    max_mb = settings.get(settings.MAX_UPLOAD_MB)
    st.caption(_("ACLED exports, HXL-tagged sheets, CSV points (latitude/longitude), zones (GeoJSON, GeoPackage, "
                 "zipped Shapefile) or dated series (Format 'series': e.g. aid trucks by crossing and day). Up to "
                 "{mb} MB and {rows} rows. Each file is checked first; nothing is saved until you press Import.").format(
        mb=max_mb, rows=_n(settings.get(settings.MAX_FEATURES))))
    configure_workspace()
    v = viewer()
    try:
        kind = workspace.backend().kind
    except workspace.WorkspaceError as exc:  # the workspace database cannot be reached
        _workspace_error(exc)
        return
    if kind == "files":
        st.info(tr(CLOUD_NOTICE))
    if not may_import(v):
        st.info(tr(READ_ONLY))
        _render_layers()
        return
    if ar:
        st.html(_uploader_css(max_mb))
    up = st.file_uploader(_("File to import"), type=UPLOAD_TYPES, max_upload_size=max_mb, key="gdm_upload")
    fmt = st.selectbox(_("Format"), list(FORMATS), key="gdm_upload_format",
                       format_func=partial(_format_label, code=lang()))
    unit = st.text_input(_("Unit of the values (series)"), key="gdm_upload_unit", placeholder=_("e.g. trucks"),
                         help=_("Leave empty to take it from the file, else the value column's name.")) \
        if fmt == "series" else ""
    accept = st.checkbox(_("Accept a partial import (leave the rejected rows out)"), key="gdm_upload_partial")
    share = st.checkbox(_("Share with the team (otherwise only you see the layer)"), key="gdm_upload_share",
                        help=_("Shared layers are seen by every visitor; ACLED event detail stays yours alone."))
    as_ = None if fmt == "auto" else fmt
    extra = {"unit": unit.strip()} if unit and unit.strip() else {}
    if up is not None:
        data = up.getvalue()
        key = (up.name, hashlib.sha256(data).hexdigest(), fmt, unit)
        cache = st.session_state.get("gdm_preview")
        if not cache or cache[0] != key:
            with st.spinner(_("Checking the file ...")):
                rep = imports.import_bytes(data, up.name, as_=as_, dry_run=True, **extra)
            st.session_state["gdm_preview"] = (key, rep)
        preview = st.session_state["gdm_preview"][1]
        show_report(preview, heading=_("Check of {file} (nothing saved yet)").format(file=md_escape(iso(up.name))))
        can = preview.get("status") != "error" and preview.get("accepted", 0) > 0 and \
            (preview.get("rejected", 0) == 0 or accept)
        if st.button(_("Import"), key="gdm_import", type="primary", disabled=not can):
            with st.status(_("Importing ..."), expanded=True) as status:
                say = (lambda m: _said(m, status, show="write")) if ar else (lambda m: status.write(md_escape(m)))
                rep = imports.import_bytes(data, up.name, as_=as_, accept_partial=accept, owner=v.user,
                                           shared=share, progress=say, **extra)
                ok = bool(rep.get("written"))
                status.update(label=_summary(rep) if ar else md_escape(rep.get("message") or ""),
                              state="complete" if ok else "error")
            st.session_state["gdm_last_import"] = rep
    last = st.session_state.get("gdm_last_import")
    if last:
        if ar:
            if isinstance(last.get("error"), dict):  # a refusal (the layer cap, a failed write)
                st.error(_failure(last))
            else:
                (st.success if last.get("written") else st.error)(_summary(last))
                _said(last.get("message"))
        elif last.get("written"):
            st.success(md_escape(last["message"]))
        else:
            st.error(md_escape(last.get("message") or "nothing imported"))
    _render_layers()
