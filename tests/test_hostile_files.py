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

from pipeline.runtime import imports, workspace
from tests.pg_cluster import stored_layers

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"


@pytest.fixture()
def ws(workspace_backend, tmp_path) -> Path:
    """A workspace on each backend (files, PostGIS) holding one layer to protect."""
    rep = imports.import_file(DATA / "hxl-points.csv")  # something to protect
    assert rep["status"] == "written"
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
