"""Hostile uploads: each gives a clear error (or, for markup in text, is kept as inert text) and leaves
the workspace byte-for-byte as it was."""

from __future__ import annotations

import json
import pickle
import re
import stat
import zipfile
from pathlib import Path

import pytest

from pipeline.runtime import imports, workspace, workspace_files
from tests.pg_cluster import stored_layers

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"


@pytest.fixture()
def ws(workspace_backend, tmp_path) -> Path:
    """A workspace on each backend (files, PostGIS) holding one layer to protect."""
    rep = imports.import_file(DATA / "hxl-points.csv")  # something to protect
    assert rep["status"] == "written"
    return tmp_path / "workspace"


@pytest.fixture()
def files_ws(tmp_path, monkeypatch) -> Path:
    """The files backend only (a layer to protect): a disk that fills up mid-write is the files backend's
    case; on PostGIS a write is one transaction (an interrupted one is tested in test_workspace_backends)."""
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path / "workspace"))
    monkeypatch.setenv("GDM_DATABASE_URL", "")
    assert imports.import_file(DATA / "hxl-points.csv")["status"] == "written"
    return tmp_path / "workspace"


def _refused(path: Path, needle: str, **kw) -> dict:
    before = workspace.file_hashes()
    rep = imports.import_file(path, **kw)
    assert rep["status"] == "error", rep
    assert needle in rep["message"], rep["message"]
    assert rep["error"]["file"] == path.name and rep["written"] is False
    assert workspace.file_hashes() == before
    return rep


def test_oversized_file(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("GDM_MAX_UPLOAD_MB", "1")
    f = tmp_path / "big.csv"
    f.write_text("date,lat,lon\n" + "2023-12-02,31.5,34.45\n" * 60_000)
    _refused(f, "over the limit of 1 MiB")
    before = workspace.file_hashes()
    rep = imports.import_bytes(f.read_bytes(), "big.csv")  # the dashboard's path refuses before writing anything
    assert rep["status"] == "error" and "over the limit" in rep["message"]
    assert workspace.file_hashes() == before


def test_too_many_features(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("GDM_MAX_FEATURES", "3")
    _refused(DATA / "points-wild-dates.csv", "more than 3 rows")


def test_zip_bomb(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("GDM_MAX_UNZIPPED_MB", "5")
    f = tmp_path / "bomb.zip"
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zone.shp", b"\0" * (20 * 1024 * 1024))
        zf.writestr("zone.shx", b"\0" * 100)
        zf.writestr("zone.dbf", b"\0" * 100)
    assert f.stat().st_size < 100_000
    _refused(f, "unpack to 20 MiB, over the limit of 5 MiB")


def test_zip_bomb_with_a_lying_header_is_stopped_while_unpacking(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("GDM_MAX_UNZIPPED_MB", "1")
    f = tmp_path / "liar.zip"
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zone.geojson", b" " * (3 * 1024 * 1024))
    # rewrite the declared uncompressed size (central directory and local header) to 10 bytes
    raw = bytearray(f.read_bytes())
    size = (3 * 1024 * 1024).to_bytes(4, "little")
    raw = raw.replace(size, (10).to_bytes(4, "little"))
    f.write_bytes(bytes(raw))
    before = workspace.file_hashes()
    rep = imports.import_file(f)
    assert rep["status"] == "error" and rep["written"] is False and "damaged" in rep["message"]
    assert workspace.file_hashes() == before


@pytest.mark.parametrize("member", ["../evil.geojson", "sub/../../evil.geojson", "/etc/evil.geojson"])
def test_path_traversal_and_absolute_paths(ws, tmp_path, member):
    f = tmp_path / "traversal.zip"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("ok.txt", "x")
        info = zipfile.ZipInfo("placeholder")
        info.filename = member  # ZipInfo() would normalise the name; a hostile archive does not
        zf.writestr(info, '{"type": "FeatureCollection", "features": []}')
    rep = _refused(f, "refused")
    assert not (tmp_path / "evil.geojson").exists() and not Path("/etc/evil.geojson").exists()
    assert member in rep["message"]


def test_symlink_in_zip(ws, tmp_path):
    f = tmp_path / "link.zip"
    with zipfile.ZipFile(f, "w") as zf:
        info = zipfile.ZipInfo("zone.shp")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    _refused(f, "symbolic link: refused")


def test_malformed_json(ws, tmp_path):
    f = tmp_path / "broken.geojson"
    f.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", ')
    _refused(f, "malformed JSON")


def test_json_that_is_not_geojson(ws, tmp_path):
    f = tmp_path / "data.json"
    f.write_text(json.dumps({"__class__": "os.system", "args": ["rm -rf /"]}))
    _refused(f, "not GeoJSON")


def test_binary_junk_with_a_csv_name(ws, tmp_path):
    f = tmp_path / "junk.csv"
    f.write_bytes(bytes(range(256)) * 64)
    _refused(f, "binary, not text")


class _Tripwire:
    """Unpickling this object creates a file: the test can see whether anything unpickled the upload."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("name", ["payload.csv", "payload.pkl", "payload.gpkg", "payload.xlsx"])
def test_pickle_bytes_are_never_unpickled(ws, tmp_path, name):
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(_Tripwire(marker), protocol=4)
    pickle.loads(payload)  # the tripwire works: unpickling it creates the marker
    assert marker.exists()
    marker.unlink()
    f = tmp_path / name
    f.write_bytes(payload * 10)
    rep = imports.import_file(f)
    assert rep["status"] == "error" and rep["written"] is False, rep
    assert not marker.exists(), "the upload was unpickled"


def test_empty_file(ws, tmp_path):
    f = tmp_path / "empty.csv"
    f.write_bytes(b"")
    _refused(f, "the file is empty")


def test_csv_with_only_a_header(ws, tmp_path):
    f = tmp_path / "header.csv"
    f.write_text("date,latitude,longitude,notes\n")
    _refused(f, "no data rows")


def test_acled_with_only_a_header(ws, tmp_path):
    f = tmp_path / "acled-header.csv"
    f.write_text((DATA / "acled-clean.csv").read_text().splitlines()[0] + "\n")
    _refused(f, "header but no rows")


def test_xlsx_that_is_a_broken_zip(ws, tmp_path):
    f = tmp_path / "broken.xlsx"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    _refused(f, "zip")


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_and_script_in_every_text_field_are_kept_as_inert_text(ws, tmp_path):
    from dashboard.html import esc

    header = (DATA / "acled-clean.csv").read_text().splitlines()
    import csv
    import io

    rows = list(csv.reader(io.StringIO("\n".join(header))))
    text_cols = {"location", "source", "notes", "sub_event_type", "actor1", "admin3", "event_id_cnty"}
    for r in rows[1:]:
        for i, name in enumerate(rows[0]):
            if name in text_cols:
                r[i] = f"{r[i]} {SCRIPT}"
    f = tmp_path / "html.csv"
    with open(f, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    rep = imports.import_file(f)
    assert rep["status"] == "written"
    assert any("HTML-like markup" in w and "shown escaped" in w for w in rep["warnings"])
    g = workspace.load(rep["layer"])
    for col in ("location", "source", "notes", "event_id"):
        assert g[col].str.endswith(SCRIPT).all()  # stored verbatim, as data
        assert "<script>" not in esc(g[col].iloc[0]) and "&lt;script&gt;" in esc(g[col].iloc[0])
    assert all(re.fullmatch(r"[a-z0-9_]+", k) for k in g["kind"]), set(g["kind"])  # slugs: no markup survives
    # the same file on a dry run writes nothing
    before = workspace.file_hashes()
    imports.import_file(f, dry_run=True)
    assert workspace.file_hashes() == before


def test_hostile_layer_name_from_the_file_name(ws, tmp_path):
    f = tmp_path / "..__<b>x<'b>.csv"
    f.write_bytes((DATA / "points-wild-dates.csv").read_bytes())
    rep = imports.import_file(f)
    assert rep["status"] == "written" and all(c.isalnum() or c in "-_" for c in rep["layer"])
    assert len(workspace.load(rep["layer"])) == 5 and stored_layers() == 2  # beside the protected layer
    if workspace.backend().kind == "files":
        assert (ws / "layers" / f"{rep['layer']}.parquet").exists()


# ---------------------------------------------------------------- values and encodings that used to end in a traceback


@pytest.mark.parametrize(("written", "hint"), [("9999-12-31", "'no end date'"), ("0001-01-01", "'no date'"),
                                               ("31 December 9999", "'no end date'"), ("1/1/0001", "'no date'")])
def test_placeholder_dates_are_a_rejected_row_not_a_traceback(ws, tmp_path, written, hint):
    f = tmp_path / "placeholder.csv"
    f.write_text(f"date,latitude,longitude\n2023-12-02,31.5,34.45\n{written},31.5,34.45\n")
    before = workspace.file_hashes()
    rep = imports.import_file(f)
    assert rep["status"] == "refused" and workspace.file_hashes() == before
    (r,) = rep["rejections"]
    assert r["row"] == 3 and r["field"] == "date"
    assert "outside the years 1678-2261" in r["reason"] and hint in r["reason"]


def test_placeholder_end_date_of_a_zone_names_its_feature(ws, tmp_path):
    ring = [[34.30, 31.35], [34.32, 31.35], [34.32, 31.37], [34.30, 31.37], [34.30, 31.35]]
    feats = [{"type": "Feature", "properties": {"name": n, "valid_from": "2023-12-01", "valid_to": end},
              "geometry": {"type": "Polygon", "coordinates": [ring]}} for n, end in (("a", None), ("b", "9999-12-31"))]
    f = tmp_path / "open-end.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    rep = imports.import_file(f, accept_partial=True)
    assert rep["status"] == "written" and rep["accepted"] == 1
    (r,) = rep["rejections"]
    assert r["row"] == 2 and r["field"] == "valid_to" and "9999-12-31" in r["reason"]


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"type": "FeatureCollection", "features": [' + '{"a": ' * 50_000 + "1"
                                  + "}" * 50_000 + "]}"])
def test_deeply_nested_json(ws, tmp_path, text):
    f = tmp_path / "nested.geojson"
    f.write_text(text)
    _refused(f, "nested over about 1,000 levels deep")


ARABIC_ROW = "2023-12-02,31.5,34.45,قصف منزل في حي الشجاعية شرق مدينة غزة\n"


def test_utf8_is_decided_on_the_whole_file_not_its_first_64_kib(ws, tmp_path):
    head = "date,latitude,longitude,notes\n"
    text, n = head, 0
    while len((text + ARABIC_ROW).encode("utf-8")) <= 65_536 + 200:
        text += ARABIC_ROW.replace("2023-12-02", f"2023-12-{2 + n % 20:02d}")
        n += 1
    data = text.encode("utf-8")
    # byte 65,536 (0-based offset 65,535) falls inside a two-byte Arabic letter: a 64 KiB head would cut it in half
    cut = 65_535
    assert data[cut] & 0xC0 == 0x80 or data[cut + 1] & 0xC0 == 0x80, "the boundary is not inside a letter"
    f = tmp_path / "arabic.csv"
    f.write_bytes(data)
    rep = imports.import_file(f)
    assert rep["status"] == "written" and rep["accepted"] == n, rep["message"]
    notes = set(workspace.load(rep["layer"])["notes"])
    assert notes == {ARABIC_ROW.rstrip("\n").split(",")[3]}


def test_utf16_file_over_64_kib(ws, tmp_path):
    rows = [ARABIC_ROW.replace("2023-12-02", f"2023-12-{2 + i % 20:02d}").replace("غزة", f"غزة {i}")
            for i in range(1500)]
    data = ("date,latitude,longitude,notes\n" + "".join(rows)).encode("utf-16")
    assert len(data) > 65_536
    f = tmp_path / "utf16.csv"
    f.write_bytes(data)
    rep = imports.import_file(f)
    assert rep["status"] == "written" and rep["accepted"] == 1500, rep["message"]
    assert "غزة 1499" in set(workspace.load(rep["layer"])["notes"].str.split("مدينة ").str[1])


def _workbook_with(tmp_path: Path, member: str, prolog: bytes) -> Path:
    out = tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(DATA / "acled-clean.xlsx") as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                data = prolog + data.split(b"?>", 1)[-1]
            zout.writestr(info, data)
    return out


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
                     for i in range(1, 10)) + b"]>")


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_workbook_with_a_dtd_is_refused(ws, tmp_path, member):
    rep = _refused(_workbook_with(tmp_path, member, LAUGHS), "declares a DTD")
    assert member in rep["message"] and "save it again as .xlsx" in rep["message"]


def test_full_disk_leaves_nothing_half_written(files_ws, tmp_path, monkeypatch):
    import errno

    import geopandas as gpd

    def fill_the_disk(self, path, *a, **kw):
        Path(path).write_bytes(b"PAR1 half a layer")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(workspace_files, "write_point_rows", lambda rows, path: rows.to_geodataframe().to_parquet(path))
    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", fill_the_disk)
    before = workspace.file_hashes()
    rep = imports.import_file(DATA / "points-wild-dates.csv")
    assert rep["status"] == "error" and rep["written"] is False and rep["layers"] == []
    assert "the server's disk is full" in rep["message"] and "nothing was stored" in rep["message"]
    assert workspace.file_hashes() == before  # no temporary file, manifest and layers unchanged


def test_failed_second_layer_removes_the_first(files_ws, tmp_path, monkeypatch):
    import errno

    import geopandas as gpd

    for f in ("points-wild-dates.csv", "zones-invalid.geojson"):
        assert imports.import_file(DATA / f, accept_partial=True)["status"] == "written"
    gpkg = tmp_path / "two-layers.gpkg"
    gpkg.write_bytes(workspace.export_geopackage())
    before = workspace.file_hashes()
    real = gpd.GeoDataFrame.to_parquet
    calls = []

    def second_fails(self, path, *a, **kw):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *a, **kw)

    monkeypatch.setattr(workspace_files, "write_point_rows", lambda rows, path: rows.to_geodataframe().to_parquet(path))
    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", second_fails)
    rep = imports.import_file(gpkg)
    assert rep["status"] == "error" and "disk is full" in rep["message"] and len(calls) == 2
    assert workspace.file_hashes() == before


# ---------------------------------------------------------------- limits on time and size


def test_import_time_limit(ws, monkeypatch):
    monkeypatch.setenv("GDM_IMPORT_TIME_LIMIT_S", "0.001")
    rep = _refused(DATA / "acled-clean.csv", "this import took longer than 0.001 s (import_time_limit_s, "
                                             "GDM_IMPORT_TIME_LIMIT_S): nothing was stored")
    assert rep["error"]["fix"]


def test_waiting_for_another_import_to_save_has_a_time_limit(ws, monkeypatch):
    monkeypatch.setenv("GDM_IMPORT_TIME_LIMIT_S", "3")
    assert imports._SAVE_LOCK.acquire(timeout=5)  # another session of this server is saving
    try:
        rep = _refused(DATA / "acled-clean.csv", "another import was still saving to the workspace after the "
                                                 "time limit of 3 s")
    finally:
        imports._SAVE_LOCK.release()
    assert rep["seconds"] < 10
    assert imports.import_file(DATA / "acled-clean.csv")["status"] == "written"  # once it is done, it works


def _ring(n: int) -> list[list[float]]:
    import math

    pts = [[34.40 + 0.01 * math.cos(2 * math.pi * i / n), 31.45 + 0.01 * math.sin(2 * math.pi * i / n)]
           for i in range(n)]
    return [*pts, pts[0]]


def test_feature_over_the_vertex_cap_is_refused_by_number(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("GDM_MAX_VERTICES", "1000")
    feats = [{"type": "Feature", "properties": {"name": n}, "geometry": {"type": "Polygon", "coordinates": [_ring(k)]}}
             for n, k in (("small", 50), ("huge", 2000))]
    f = tmp_path / "vertices.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    rep = imports.import_file(f, accept_partial=True)
    assert rep["status"] == "written" and rep["accepted"] == 1
    (r,) = rep["rejections"]
    assert r["row"] == 2 and r["field"] == "geometry"
    assert "2,001 vertices, over the limit of 1,000 for one feature (max_vertices, GDM_MAX_VERTICES)" in r["reason"]
    assert list(workspace.load(rep["layer"])["name"]) == ["small"]


def test_long_report_text_is_cut_and_said(monkeypatch):
    from pipeline.runtime.mentions import find_mentions
    from pipeline.runtime.place_search import get_index

    monkeypatch.setenv("GDM_MAX_REPORT_CHARS", "1000")
    text = "Families fled to Rafah. " * 200 + "Jets struck Jabalia."
    res = find_mentions(get_index(), text)
    assert res["chars_read"] == 1000 and res["chars"] == len(text)
    assert "only the first 1,000 of 4,820 characters were read (max_report_chars" in res["cut"]
    assert {m["name"] for m in res["mentions"]} == {"Rafah"}  # Jabalia lies past the cut
    assert find_mentions(get_index(), "Families fled to Rafah.")["cut"] is None


# ---------------------------------------------------------------- concurrent imports in one process


def test_concurrent_imports_in_threads_of_one_process():
    """8 threads import different files at once, in fresh processes (a crash counts); every import reports."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_threads.py"), "--rounds", "3", "--threads", "8",
                        "--per-thread", "2"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "3 rounds x 8 threads x 2 imports: 0 crashed, 0 with an import error, 3 clean" in r.stdout, r.stdout
