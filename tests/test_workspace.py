"""The workspace, on both backends (files and PostGIS): atomic saves, a locked manifest under concurrent imports,
GeoPackage round trip, aggregates."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from pipeline.runtime import imports, workspace
from pipeline.runtime.bundle import load_layer
from tests.pg_cluster import stored_layers

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"


def _events(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"event_id": [f"e{i}" for i in range(n)], "date": pd.to_datetime(["2023-12-01"] * n),
         "kind": ["airstrike"] * n, "fatalities": pd.array([1] * n, dtype="Int64"), "block_id": pd.array([33] * n, dtype="Int64"),
         "pcode": ["PS0270"] * n},
        geometry=[Point(34.3, 31.3)] * n, crs=4326)


def test_save_list_load_delete(workspace_backend, tmp_path):
    e = workspace.save_layer("My Layer!", _events(), origin="mine.csv", meta={"acled": True, "kind": "events"})
    assert e["name"] == "my-layer" and e["rows"] == 3 and e["acled"] is True and e["origin"] == "mine.csv"
    assert stored_layers() == 1 and e["bbox"] == [34.3, 31.3, 34.3, 31.3]
    e2 = workspace.save_layer("My Layer!", _events(1), origin="again.csv")
    assert e2["name"] == "my-layer-2"  # a taken name is never overwritten
    assert [x["name"] for x in workspace.list_layers()] == ["my-layer", "my-layer-2"]
    assert len(workspace.load("my-layer")) == 3
    assert workspace.delete("my-layer") and stored_layers() == 1
    assert not workspace.delete("my-layer")
    assert [x["name"] for x in workspace.list_layers()] == ["my-layer-2"]
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []  # no temporary file left behind


def test_summary_shape(workspace_backend):
    workspace.save_layer("a", _events(), origin="a.csv", meta={"acled": True, "kind": "events"})
    s = workspace.summary()
    assert set(s["layers"]["a"]) >= {"rows", "crs", "bbox", "origin", "imported_at", "acled"}
    assert s["layers"]["a"]["rows"] == 3 and s["layers"]["a"]["acled"] is True and s["layers"]["a"]["workspace"]
    assert s["layers"]["a"]["owner"] == "cli" and s["layers"]["a"]["shared"] is True


def _import_many(root: str, files: list[str], q) -> None:
    import os

    os.environ["GDM_WORKSPACE_DIR"] = root
    from pipeline.runtime import imports as imp

    names = [imp.import_file(f, display="points-wild-dates.csv")["layer"] for f in files]
    q.put(names)


def test_two_people_importing_at_once_do_not_overwrite_each_other(workspace_backend, tmp_path):
    ws = tmp_path / "workspace"
    # eight different files of one name (the same file imported again would replace its layer instead)
    text = (DATA / "points-wild-dates.csv").read_text(encoding="utf-8")
    files = []
    for i in range(8):
        f = tmp_path / f"copy-{i}.csv"
        f.write_text(text.replace("invented for tests", f"invented for tests (copy {i})"), encoding="utf-8")
        files.append(str(f))
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_import_many, args=(str(ws), files[k::2], q)) for k in range(2)]
    for p in procs:
        p.start()
    names = q.get(timeout=300) + q.get(timeout=300)
    for p in procs:
        p.join(timeout=60)
    assert len(set(names)) == 8
    layers = workspace.list_layers()
    assert sorted(e["name"] for e in layers) == sorted(names)
    for e in layers:
        assert len(workspace.load(e["name"])) == 5


def test_geopackage_export_imports_again_and_leaves_acled_out(workspace_backend, tmp_path, monkeypatch):
    for f in ("points-wild-dates.csv", "zones-invalid.geojson", "acled-clean.csv", "hxl-governorates.csv"):
        rep = imports.import_file(DATA / f, accept_partial=True)
        assert rep["status"] == "written", rep
    data = workspace.export_geopackage()
    assert data[:16] == b"SQLite format 3\x00"
    gpkg = tmp_path / "workspace.gpkg"
    gpkg.write_bytes(data)
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path / "fresh"))
    for e in workspace.list_layers():  # an empty workspace (a fresh folder, or the same database emptied)
        workspace.delete(e["name"])
    rep = imports.import_file(gpkg)
    assert rep["status"] == "written" and rep["rejected"] == 0, rep
    kinds = {x["name"]: x["kind"] for x in rep["layers"]}
    assert kinds == {"points-wild-dates": "events", "zones-invalid": "zones", "hxl-governorates": "figures"}
    again = workspace.load("points-wild-dates").sort_values("source_row")
    assert again["block_id"].tolist() == [33, 125, 321, 568, 2]
    assert again["date"].dt.strftime("%Y-%m-%d").tolist()[0] == "2023-10-07"
    assert len(workspace.load("zones-invalid")) == 2
    figures = workspace.load("hxl-governorates")
    assert figures[figures["metric"] == "#affected+idps"].set_index("pcode")["value"].to_dict() == {
        "PS0255": 1000, "PS0265": 2000, "PS0270": 3000, "PS0275": 4000}
    assert not any(e["acled"] for e in workspace.list_layers())


def test_geopackage_export_keeps_imported_series_as_tables_that_import_again(workspace_backend, tmp_path,
                                                                            monkeypatch):
    rep = imports.import_file(DATA / "trucks-line-list.csv", as_="series", unit="trucks", accept_partial=True)
    assert rep["status"] == "written"
    days = workspace.load(rep["layer"])
    series = workspace.entry(rep["layer"])["series"]
    gpkg = tmp_path / "workspace.gpkg"
    gpkg.write_bytes(workspace.export_geopackage())
    for e in workspace.list_layers():
        workspace.delete(e["name"])
    again = imports.import_file(gpkg)
    assert again["status"] == "written" and again["rejected"] == 0, again
    # a one-layer GeoPackage is named after the file, as any import of one is
    assert [(x["name"], x["kind"], x["rows"]) for x in again["layers"]] == [("workspace", "series", len(days))]
    back = workspace.load(again["layer"])
    cols = ["date", "metric", "value", "unit", "pcode", "place", "category", "qualifier", "source"]
    pd.testing.assert_frame_equal(back[cols].reset_index(drop=True), days[cols].reset_index(drop=True))
    assert workspace.entry(again["layer"])["series"]["unit"] == series["unit"] == "trucks"


def test_aggregate_events_by_block_and_governorate(workspace_backend):
    rep = imports.import_file(DATA / "acled-clean.csv")
    g = workspace.load(rep["layer"])
    by_pcode = workspace.aggregate_events(g, by="pcode", period=None)
    assert by_pcode.set_index("pcode")["events"].to_dict() == {"PS0255": 1, "PS0260": 1, "PS0265": 1, "PS0270": 1,
                                                               "PS0275": 1}
    weekly = workspace.aggregate_events(g, by="pcode", period="W")
    # 1-3 Dec 2023 fall in the week from Mon 27 Nov, 4-5 Dec in the week from Mon 4 Dec
    totals = weekly.groupby("period_start")[["events", "fatalities"]].sum()
    assert totals.loc[pd.Timestamp("2023-11-27")].tolist() == [3, 0 + 1 + 2]
    assert totals.loc[pd.Timestamp("2023-12-04")].tolist() == [2, 3 + 4]
    monthly = workspace.aggregate_events(g, by="block", period="M", shapes=load_layer("blocks"))
    assert isinstance(monthly, gpd.GeoDataFrame) and monthly.geometry.notna().all()
    assert monthly["events"].sum() == 5 and set(monthly["period_start"]) == {pd.Timestamp("2023-12-01")}


def test_a_layer_file_left_without_its_manifest_entry_is_removed_at_the_next_save(tmp_path, monkeypatch):
    """Files backend: a save stopped between swapping its file in and writing the manifest (a killed process)
    leaves a file no entry names; it is never listed, and the next save (under the lock) removes it."""
    from pipeline.runtime.workspace_files import FilesBackend

    b = FilesBackend(tmp_path / "ws")
    b.save_layer("kept", _events(), origin="kept.csv", meta={})

    def killed(self, manifest):
        raise KeyboardInterrupt("killed between the file and the manifest")

    with monkeypatch.context() as m:
        m.setattr(FilesBackend, "_write_manifest", killed)
        try:
            b.save_layer("lost", _events(2), origin="lost.csv", meta={})
        except KeyboardInterrupt:
            pass
    assert sorted(p.name for p in (tmp_path / "ws" / "layers").glob("*.parquet")) == ["kept.parquet", "lost.parquet"]
    assert [e["name"] for e in b.entries()] == ["kept"] and b.problems() == []
    b.save_layer("next", _events(1), origin="next.csv", meta={})
    assert sorted(p.name for p in (tmp_path / "ws" / "layers").glob("*.parquet")) == ["kept.parquet", "next.parquet"]
    assert len(b.load("kept")) == 3  # the named layers untouched


def _killed_at_the_manifest(monkeypatch, step) -> None:  # type: ignore[no-untyped-def]
    from pipeline.runtime.workspace_files import FilesBackend

    def killed(self, manifest):
        raise KeyboardInterrupt("killed between the file and the manifest")

    with monkeypatch.context() as m:
        m.setattr(FilesBackend, "_write_manifest", killed)
        try:
            step()
        except KeyboardInterrupt:
            pass


def test_a_rewrite_killed_before_its_manifest_leaves_the_layer_whole_and_the_next_lock_tidies(tmp_path, monkeypatch):
    """Files backend: re-importing over a layer, removing overlaps from it, or renaming it, killed after the new
    file is written and before the manifest names it, leaves the layer as it was (never "damaged" or "missing");
    the unnamed file goes at the next lock, and a finished rewrite leaves one file per layer."""
    from pipeline.runtime.workspace_files import FilesBackend

    b = FilesBackend(tmp_path / "ws")
    layers = tmp_path / "ws" / "layers"
    b.save_layer("kept", _events(), origin="kept.csv", meta={})
    before = b.load("kept")
    steps = {"re-import": lambda: b.save_layer("kept", _events(5), origin="kept.csv", meta={}, overwrite=True),
             "overlaps removed": lambda: b.drop_events("kept", {"e0"}),
             "renamed": lambda: b.rename("kept", "renamed")}
    for what, step in steps.items():
        _killed_at_the_manifest(monkeypatch, step)
        assert [e["name"] for e in b.entries()] == ["kept"], what
        assert b.problems() == [], what
        pd.testing.assert_frame_equal(b.load("kept"), before, check_like=True)
        assert len(list(layers.glob("*.parquet"))) == 2, what  # the new file, unnamed
        with b.session():  # the next lock removes it
            pass
        assert [p.name for p in layers.glob("*.parquet")] == ["kept.parquet"], what
    b.save_layer("kept", _events(5), origin="kept.csv", meta={}, overwrite=True)
    assert len(b.load("kept")) == 5 and len(list(layers.glob("*.parquet"))) == 1 and b.problems() == []
    assert b.drop_events("kept", {"e0"}) == 1 and len(b.load("kept")) == 4
    assert len(list(layers.glob("*.parquet"))) == 1 and b.problems() == []
    b.rename("kept", "renamed")
    assert [p.name for p in layers.glob("*.parquet")] == ["renamed.parquet"] and len(b.load("renamed")) == 4
    assert b.problems() == []
