"""What must hold on both workspace backends: layers survive a restart, a killed import leaves the store
consistent, one file imported twice at once ends as one layer, the layer cap, stale temporary files, who sees and
changes which layer, renames, damage named instead of a traceback, and the PostGIS schema's own migrations."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import psycopg
import pytest

from pipeline.__main__ import main
from pipeline.runtime import imports, workspace
from pipeline.runtime.workspace_access import Viewer, sees_detail
from pipeline.runtime.workspace_postgis import SCHEMA_VERSION, PostgisBackend, migrate
from tests.conftest import ROOT
from tests.pg_cluster import stored_layers

DATA = ROOT / "tests" / "data" / "imports"
ACLED = DATA / "acled-clean.csv"


def _big_acled(path, copies: int) -> None:
    """The fixture's five ACLED rows repeated ``copies`` times, each with its own event id."""
    head, *rows = ACLED.read_text(encoding="utf-8").splitlines()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(head + "\n")
        for k in range(copies):
            for r in rows:
                fh.write(r.replace("SYN", f"K{k}X", 1) + "\n")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_layers_are_found_again_by_a_fresh_process(workspace_backend):
    rep = _run("import", str(ACLED))
    assert rep.returncode == 0, rep.stderr
    listed = json.loads(_run("workspace", "list", "--json").stdout)  # another process: a restarted app
    assert [(e["name"], e["rows"], e["owner"], e["shared"]) for e in listed] == [("acled-clean", 5, "cli", True)]
    assert len(workspace.load("acled-clean")) == 5


def test_an_import_killed_midway_leaves_the_store_consistent(workspace_backend, tmp_path):
    big = tmp_path / "big-acled.csv"
    _big_acled(big, 12_000)  # 60,000 rows: long enough a save to be killed inside it
    script = ("import sys\nfrom pipeline.runtime import imports\n"
              f"imports.import_file({str(big)!r}, progress=lambda m: print(m, flush=True))\n")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("saving"):
            break
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    time.sleep(0.5)  # the server notices the closed connection and rolls back
    layers = workspace.list_layers()
    assert len(layers) <= 1
    # a table or file without its manifest entry: none on PostGIS (one transaction); on files at most the killed
    # import's own file, never listed, removed when the lock is next taken
    assert stored_layers() - len(layers) <= (0 if workspace.backend().kind == "postgis" else 1)
    for e in layers:  # if the kill came after the commit, the layer is whole
        assert len(workspace.load(e["name"])) == e["rows"] == 60_000
    assert workspace.problems() == []
    rep = imports.import_file(ACLED)  # the workspace still works
    assert rep["status"] == "written" and len(workspace.load(rep["layer"])) == 5
    assert stored_layers() == len(workspace.list_layers()) == len(layers) + 1  # and nothing is left over


def _import_same(q) -> None:
    q.put(imports.import_file(ACLED)["status"])


def test_the_same_file_imported_by_two_processes_at_once_ends_as_one_layer(workspace_backend):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_import_same, args=(q,)) for _ in range(2)]
    for p in procs:
        p.start()
    statuses = [q.get(timeout=300), q.get(timeout=300)]
    for p in procs:
        p.join(timeout=60)
    assert statuses == ["written", "written"]
    assert [(e["name"], e["rows"]) for e in workspace.list_layers()] == [("acled-clean", 5)]
    assert stored_layers() == 1


def test_an_import_waits_for_another_process_saving_at_most_the_time_limit(workspace_backend, monkeypatch):
    holder = subprocess.Popen(  # another process of the server, in the middle of a save: it holds the lock
        [sys.executable, "-c", "import sys\nfrom pipeline.runtime import workspace\n"
         "with workspace.import_session():\n    print('held', flush=True)\n    sys.stdin.read()\n"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        before = workspace.file_hashes()
        monkeypatch.setenv("GDM_IMPORT_TIME_LIMIT_S", "2")
        t0 = time.monotonic()
        rep = imports.import_file(ACLED)
        waited = time.monotonic() - t0
        assert rep["status"] == "refused" and not rep["written"]
        assert ("another import was still saving to the workspace after 2 s (the time limit, import_time_limit_s, "
                "GDM_IMPORT_TIME_LIMIT_S): nothing was stored") in rep["message"]
        assert 2 <= waited < 10
        assert workspace.file_hashes() == before and workspace.list_layers() == []
    finally:
        holder.stdin.close()  # the other save ends
        holder.wait(timeout=60)
    assert imports.import_file(ACLED)["status"] == "written"  # once it is done, the import goes through


def test_an_import_over_the_layer_cap_is_refused_with_a_sentence(workspace_backend, monkeypatch):
    monkeypatch.setenv("GDM_MAX_LAYERS", "1")
    assert imports.import_file(ACLED)["status"] == "written"
    before = workspace.file_hashes()
    rep = imports.import_file(DATA / "points-wild-dates.csv")
    assert rep["status"] == "refused" and rep["written"] is False
    assert rep["message"] == ("the workspace holds 1 layer(s) and this import would add 1, over the limit of 1 "
                              "(max_layers, GDM_MAX_LAYERS): nothing imported (fix: delete layers you no longer "
                              "need, or raise GDM_MAX_LAYERS)")
    assert workspace.file_hashes() == before
    assert imports.import_file(ACLED)["status"] == "written"  # the same file replaces its layer: no new layer


def test_stale_temporary_files_are_removed_at_the_next_import(tmp_path, monkeypatch):
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path / "ws"))
    monkeypatch.setenv("GDM_DATABASE_URL", "")
    layers = tmp_path / "ws" / "layers"
    layers.mkdir(parents=True)
    old, young = layers / ".acled.abc.parquet.tmp", layers / ".zones.def.parquet.tmp"
    old.write_bytes(b"half a layer")
    young.write_bytes(b"a running import")
    os.utime(old, (time.time() - 120, time.time() - 120))
    assert imports.import_file(ACLED)["status"] == "written"
    assert not old.exists() and young.exists()  # a concurrent import's temporary file survives


def test_layers_belong_to_who_imported_them(workspace_backend, monkeypatch):
    alice, bob = Viewer("alice@example.org", signed_in=True), Viewer("bob@example.org", signed_in=True)
    mine = imports.import_file(ACLED, owner=alice.user, shared=False)
    team = imports.import_file(DATA / "points-wild-dates.csv", owner=alice.user, shared=True)
    cli = imports.import_file(DATA / "hxl-points.csv")
    names = lambda v: sorted(e["name"] for e in workspace.list_layers(viewer=v))  # noqa: E731
    assert names(alice) == sorted([mine["layer"], team["layer"], cli["layer"]])
    assert names(bob) == sorted([team["layer"], cli["layer"]])  # alice's private ACLED layer is hers alone
    assert names(Viewer("session:0a1b")) == names(bob)
    assert sees_detail(workspace.entry(mine["layer"]), alice) and not sees_detail(workspace.entry(mine["layer"]), bob)
    with pytest.raises(workspace.WorkspaceError, match="belongs to alice@example.org: only its owner or an editor"):
        workspace.delete(team["layer"], viewer=bob)
    with pytest.raises(workspace.WorkspaceError, match="only its owner or an editor may rename"):
        workspace.rename(cli["layer"], "mine-now", viewer=bob)
    monkeypatch.setenv("GDM_EDITORS", "Bob@example.org")
    assert workspace.delete(team["layer"], viewer=bob)  # an editor may
    assert workspace.rename(mine["layer"], "alice-acled", viewer=alice)["name"] == "alice-acled"
    assert "alice-acled" in names(alice) and "alice-acled" not in names(bob)
    assert names(None) == sorted(["alice-acled", cli["layer"]])


def test_rename_refuses_a_taken_name_on_the_command_line(workspace_backend, capsys):
    imports.import_file(ACLED)
    imports.import_file(DATA / "points-wild-dates.csv")
    assert main(["workspace", "rename", "acled-clean", "points-wild-dates"]) == 2
    assert capsys.readouterr().err == ("error: the name 'points-wild-dates' is already taken by another layer (fix: "
                                       "choose another name, or delete or rename that layer first)\n")
    assert main(["workspace", "rename", "acled-clean", "ACLED December"]) == 0
    assert main(["workspace", "delete", "points-wild-dates"]) == 0
    capsys.readouterr()
    assert main(["workspace", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["name", "kind", "rows", "origin", "imported_at", "owner", "shared"]
    assert out[1].split()[:4] == ["acled-december", "events", "5", "acled-clean.csv"]
    assert out[1].split()[-2:] == ["cli", "True"] and len(out) == 2
    assert main(["workspace", "delete", "points-wild-dates"]) == 1


def test_a_damaged_manifest_is_named_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path / "ws"))
    monkeypatch.setenv("GDM_DATABASE_URL", "")
    assert imports.import_file(ACLED)["status"] == "written"
    manifest = tmp_path / "ws" / "manifest.json"
    manifest.write_text('{"layers": {"acled-clean": ', encoding="utf-8")
    assert workspace.list_layers() == []
    (problem,) = workspace.problems()
    assert f"the workspace manifest {manifest} is damaged" in problem and "nothing was changed" in problem
    rep = imports.import_file(DATA / "points-wild-dates.csv")
    assert rep["status"] == "refused" and "is damaged" in rep["message"]
    assert manifest.read_text(encoding="utf-8") == '{"layers": {"acled-clean": '  # never overwritten


def test_a_damaged_layer_is_named_on_both_backends(workspace_backend):
    rep = imports.import_file(ACLED)
    b = workspace.backend()
    if isinstance(b, PostgisBackend):
        with psycopg.connect(b.url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE {workspace.entry(rep['layer'])['table']}")
        expected = "layer 'acled-clean': its table gdm_layer_1 is missing"
    else:
        (b.root / "layers" / "acled-clean.parquet").write_bytes(b"PAR1 not really")
        expected = "layer 'acled-clean': its file layers/acled-clean.parquet is damaged"
    (problem,) = workspace.problems()
    assert problem.startswith(expected)


def test_an_older_schema_is_upgraded_and_a_newer_one_refused(pg_url):
    with psycopg.connect(pg_url) as conn, conn.transaction():
        migrate(conn, to=1)
        assert conn.execute("SELECT version FROM gdm_schema").fetchone() == (1,)
    PostgisBackend(pg_url)  # opening the workspace upgrades it
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM gdm_schema").fetchone() == (SCHEMA_VERSION,)
        cols = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name = 'gdm_layers' AND table_schema = current_schema()")}
        assert "report" in cols
        conn.execute("UPDATE gdm_schema SET version = 99")
    with pytest.raises(workspace.WorkspaceError, match=r"schema is version 99, newer than this version of the app "
                                                       rf"understands \({SCHEMA_VERSION}\)"):
        PostgisBackend(pg_url)


def test_postgis_keeps_the_import_report_and_indexes_geometry(pg_url, monkeypatch):
    monkeypatch.setenv("GDM_DATABASE_URL", pg_url)
    rep = imports.import_file(ACLED, owner="alice@example.org")
    b = workspace.backend()
    assert isinstance(b, PostgisBackend)
    kept = b.report(rep["layer"])
    assert kept is not None and kept["accepted"] == 5 and kept["sha256"] == rep["sha256"]
    with psycopg.connect(pg_url) as conn:
        table = workspace.entry(rep["layer"])["table"]
        (indexdef,) = conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname LIKE "
                                   "'%%geom'", (table,)).fetchone() or ("",)
        owner = conn.execute("SELECT owner, origin, origin_sha256 FROM gdm_layers").fetchone()
    assert "USING gist (geometry)" in indexdef
    assert owner == ("alice@example.org", "acled-clean.csv", rep["sha256"])


RAW_EVENTS = ROOT / "geodata" / "raw" / "events"  # public files the repository ships (geodata/SOURCES.md)
JOINED = ["source_row", "block_id", "pcode", "location_type", "outline_distance_m"]


def _shared_vertex_points(path) -> int:
    """A CSV of points on vertices two blocks of the bundle share (the tie rule decides their block)."""
    import shapely

    from pipeline.runtime.bundle import load_geolayer

    blocks = load_geolayer("blocks")
    seen: dict[tuple[float, float], int] = {}
    for geom in blocks.geometry:
        for x, y in {(float(c[0]), float(c[1])) for c in shapely.get_coordinates(geom)}:  # exact, as written
            seen[(x, y)] = seen.get((x, y), 0) + 1
    shared = [xy for xy, n in seen.items() if n >= 2][:40]
    lines = ["event_id,date,latitude,longitude,admin2"]
    lines += [f"EDGE{i},2024-01-{i % 28 + 1:02d},{y!r},{x!r},Gaza City" for i, (x, y) in enumerate(shared)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(shared)


def _import_on(backend: str, path, url: str, ws, monkeypatch) -> tuple[dict, object]:
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(ws))
    monkeypatch.setenv("GDM_DATABASE_URL", url if backend == "postgis" else "")
    assert workspace.backend().kind == backend
    rep = imports.import_file(path, accept_partial=True)
    assert rep["status"] == "written", rep["message"]
    stored = workspace.load(rep["layer"])
    return rep, stored[JOINED].sort_values("source_row").reset_index(drop=True)


@pytest.mark.parametrize("name", ["acled-edges.csv", "shared-vertices.csv", "forensic-architecture-jabalia-oct2023.tsv",
                                  "2016-2023-attacks-on-health-care-incident-data.xlsx"])
def test_the_database_join_stores_the_same_blocks_and_governorates_as_the_app(pg_url, tmp_path, monkeypatch, name):
    if name == "acled-edges.csv":
        path = DATA / name
    elif name == "shared-vertices.csv":
        path = tmp_path / name
        assert _shared_vertex_points(path) >= 10
    else:
        path = next(RAW_EVENTS.glob(f"**/{name}"))
    files_rep, on_files = _import_on("files", path, pg_url, tmp_path / "ws", monkeypatch)
    db_rep, in_db = _import_on("postgis", path, pg_url, tmp_path / "ws", monkeypatch)
    assert len(on_files) == files_rep["accepted"] > 0
    assert on_files["block_id"].notna().any() and on_files["pcode"].notna().any()  # the join found something
    pd.testing.assert_frame_equal(on_files, in_db, check_dtype=False)
    if files_rep["rejected"] == 0:  # with every row stored, the database's join warns as the app's does
        assert files_rep["warnings"] == db_rep["warnings"]
    if name == "acled-edges.csv":
        assert set(in_db["location_type"]) == {"strip", "offshore", "border"}
        assert any("row(s) name a governorate other than the one their point lies in" in w for w in db_rep["warnings"])


def test_columns_and_day_counts_come_from_the_store_not_the_whole_layer(workspace_backend):
    from pipeline.runtime import event_counts

    rep = imports.import_file(RAW_EVENTS / "forensic-architecture-jabalia-oct2023.tsv")
    assert rep["status"] == "written"
    whole = workspace.load(rep["layer"])
    part = workspace.load(rep["layer"], columns=["date", "block_id"])
    assert list(part.columns) == ["date", "block_id"] and not hasattr(part, "geometry")
    pd.testing.assert_frame_equal(part, pd.DataFrame(whole[["date", "block_id"]]), check_dtype=False)
    table = event_counts.table_for(workspace.entry(rep["layer"]))
    expected = event_counts.count_table(whole)
    assert table.rows == expected.rows == len(whole)
    pd.testing.assert_frame_equal(table.frame, expected.frame)
    assert int(table.frame["events"].sum()) == len(whole)


def test_the_bundle_blocks_are_loaded_into_the_database_once_and_reused(pg_url, monkeypatch):
    from pipeline.runtime.import_join import reference_key

    monkeypatch.setenv("GDM_DATABASE_URL", pg_url)
    assert imports.import_file(ACLED)["status"] == "written"
    key = reference_key()
    query = ("SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relname LIKE 'gdm\\_ref\\_%%' AND c.relkind = 'r' AND n.nspname = current_schema() ORDER BY 1")
    with psycopg.connect(pg_url) as conn:
        first = conn.execute(query).fetchall()
        (indexes,) = conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename LIKE %s AND indexdef LIKE "
                                  "'%%USING gist (geom)%%'", (f"gdm_ref_{key}_%",)).fetchone() or (0,)
    assert [name for name, _ in first] == [f"gdm_ref_{key}_blocks", f"gdm_ref_{key}_govs"] and indexes == 2
    assert imports.import_file(DATA / "acled-edges.csv", accept_partial=True)["status"] == "written"
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(query).fetchall() == first  # the same tables (same oids): not made again


REPORTED = ["status", "rows_read", "accepted", "rejected", "rejections", "problems", "warnings", "repaired"]


def _chunked_and_whole(path, pg_url, ws, monkeypatch, *, rows: int = 2) -> tuple[dict, pd.DataFrame, dict,
                                                                               pd.DataFrame]:
    """The file imported on PostGIS read ``rows`` rows a chunk (staged chunk by chunk), then read whole."""
    from pipeline.runtime import import_stream

    staged: list[int] = []
    real = import_stream.parts
    monkeypatch.setattr(import_stream, "CHUNK_ROWS", rows)
    monkeypatch.setattr(import_stream, "parts", lambda *a, **k: staged.append(1) or real(*a, **k))
    chunked_rep, _ = _import_on("postgis", path, pg_url, ws, monkeypatch)
    chunked = workspace.load(chunked_rep["layer"])
    chunked_entry = workspace.entry(chunked_rep["layer"])
    assert staged == [1] and chunked_rep["rows_read"] > 2 * rows  # the staged import ran, over several chunks
    assert workspace.delete(chunked_rep["layer"])  # the next import is not "the same file imported before"
    monkeypatch.setattr(import_stream, "streams", lambda det, in_db: False)
    whole_rep, _ = _import_on("postgis", path, pg_url, ws, monkeypatch)
    whole = workspace.load(whole_rep["layer"])
    whole_entry = workspace.entry(whole_rep["layer"])
    for key in ("rows", "bbox", "columns", "dtypes", "dataset", "rows_read", "rejected", "report"):
        assert chunked_entry.get(key) == whole_entry.get(key), key
    monkeypatch.undo()
    return chunked_rep, chunked, whole_rep, whole


@pytest.mark.parametrize("name", ["forensic-architecture-jabalia-oct2023.tsv", "acled-faulty.csv",
                                  "points-out-of-domain.csv", "points-wild-dates.csv", "acled-edges.csv"])
def test_an_import_read_in_chunks_reports_and_stores_what_the_whole_file_read_does(pg_url, tmp_path, monkeypatch,
                                                                                  name):
    """Two rows a chunk: the file spans many chunks, each checked and COPYed to the staging table on its own; the
    report (counts, reasons with their row numbers, warnings) and the stored rows are those of the file read
    whole, on PostGIS and (rows) on the files backend."""
    path = next(RAW_EVENTS.glob(f"**/{name}")) if name.endswith(".tsv") else DATA / name
    files_rep, on_files = _import_on("files", path, pg_url, tmp_path / "ws", monkeypatch)
    chunked_rep, chunked, whole_rep, whole = _chunked_and_whole(path, pg_url, tmp_path / "ws", monkeypatch)
    assert {k: chunked_rep.get(k) for k in REPORTED} == {k: whole_rep.get(k) for k in REPORTED}
    pd.testing.assert_frame_equal(chunked.drop(columns="geometry"), whole.drop(columns="geometry"))
    assert chunked.geometry.equals(whole.geometry)
    pd.testing.assert_frame_equal(on_files, chunked[JOINED].sort_values("source_row").reset_index(drop=True),
                                  check_dtype=False)
    assert (files_rep["accepted"], files_rep["rejected"], files_rep["rejections"]) == (
        chunked_rep["accepted"], chunked_rep["rejected"], chunked_rep["rejections"])


def test_a_csv_the_streaming_reader_cannot_take_is_read_whole_on_postgis(pg_url, tmp_path, monkeypatch):
    """Two columns of one name: pyarrow's reader refuses the header, so the file is read whole, as on files."""
    from pipeline.runtime import import_stream

    path = tmp_path / "twice-named.csv"
    path.write_text("latitude,longitude,date,notes,notes\n31.52,34.45,2024-01-02,a,b\n31.41,34.38,2024-01-03,c,d\n"
                    "31.30,34.30,2024-01-04,e,f\n", encoding="utf-8")
    files_rep, on_files = _import_on("files", path, pg_url, tmp_path / "ws", monkeypatch)
    streamed: list[object] = []
    real = import_stream.parts
    monkeypatch.setattr(import_stream, "CHUNK_ROWS", 1)
    monkeypatch.setattr(import_stream, "parts", lambda *a, **k: streamed.append(real(*a, **k)) or streamed[-1])
    db_rep, in_db = _import_on("postgis", path, pg_url, tmp_path / "ws", monkeypatch)
    assert streamed == [None]  # asked, and it declined
    assert (db_rep["accepted"], db_rep["rejected"]) == (files_rep["accepted"], files_rep["rejected"]) == (3, 0)
    assert db_rep["warnings"] == files_rep["warnings"]
    pd.testing.assert_frame_equal(on_files, in_db, check_dtype=False)


def _dated(src, path, changes: dict[int, str]) -> None:
    """``src`` (a TSV with a ``date`` column) with the dates of the data rows numbered in ``changes`` replaced."""
    frame = pd.read_csv(src, sep="\t", dtype=str, keep_default_na=False)
    for row, value in changes.items():
        frame.loc[row - 2, "date"] = value  # row 2 is the first data row (header = 1)
    frame.to_csv(path, sep="\t", index=False)


@pytest.mark.parametrize("when", ["about the war", "earlier years"])
def test_dates_before_the_war_are_judged_on_the_whole_file_when_read_in_chunks(pg_url, tmp_path, monkeypatch, when):
    """The share of dates inside the war is the whole file's, not a chunk's: the chunk holding the old dates is
    mostly old, but the file (Forensic Architecture's Jabalia events) is about the war, so those rows are rejected
    with their row numbers; with most dates moved before the war, they are kept with one warning."""
    src = next(RAW_EVENTS.glob("**/forensic-architecture-jabalia-oct2023.tsv"))
    path = tmp_path / "jabalia-dated.tsv"
    old = range(10, 14) if when == "about the war" else range(2, 80)
    _dated(src, path, {r: "2019-05-0" + str(r % 9 + 1) for r in old})
    files_rep, _ = _import_on("files", path, pg_url, tmp_path / "ws", monkeypatch)
    chunked_rep, chunked, whole_rep, whole = _chunked_and_whole(path, pg_url, tmp_path / "ws", monkeypatch, rows=4)
    assert {k: chunked_rep.get(k) for k in REPORTED} == {k: whole_rep.get(k) for k in REPORTED}
    pd.testing.assert_frame_equal(chunked.drop(columns="geometry"), whole.drop(columns="geometry"))
    if when == "about the war":
        before = [q for q in chunked_rep["rejections"] if "is before 2023-10-07" in q["reason"]]
        assert [q["row"] for q in before] == list(old) and chunked_rep["rejected"] == files_rep["rejected"] >= 4
    else:
        assert f"{len(old)} row(s) dated before 2023-10-07 kept (the file covers earlier years)" in chunked_rep[
            "warnings"]
    assert chunked_rep["warnings"] == files_rep["warnings"]


def test_a_refused_import_read_in_chunks_leaves_nothing_in_the_database(pg_url, tmp_path, monkeypatch):
    """ACLED rows with faults (a duplicate event id among them), no partial import: refused with the whole-file
    read's report, and no table is left behind (the staging table and its rows are rolled back)."""
    from pipeline.runtime import import_stream

    monkeypatch.setenv("GDM_DATABASE_URL", pg_url)
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path / "ws"))
    monkeypatch.setattr(import_stream, "CHUNK_ROWS", 3)
    chunked = imports.import_file(DATA / "acled-faulty.csv")
    assert any("duplicate event: same id" in q["reason"] for q in chunked["rejections"])
    monkeypatch.setattr(import_stream, "streams", lambda det, in_db: False)
    whole = imports.import_file(DATA / "acled-faulty.csv")
    assert chunked["status"] == whole["status"] == "refused" and chunked["message"] == whole["message"]
    assert {k: chunked.get(k) for k in REPORTED} == {k: whole.get(k) for k in REPORTED}
    with psycopg.connect(pg_url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                             "AND tablename LIKE 'gdm\\_%%' AND tablename NOT LIKE 'gdm\\_ref\\_%%'")]
    assert sorted(tables) == ["gdm_layers", "gdm_schema", "gdm_state"] and workspace.list_layers() == []


@pytest.mark.parametrize("keep", [False, True])
def test_events_already_in_an_earlier_layer_are_found_in_the_database_when_read_in_chunks(pg_url, tmp_path,
                                                                                           monkeypatch, keep):
    """Two ACLED weeks sharing events: the second, read a row at a time, finds the events of the first (a join
    in the database), reports them as the whole-file read does and (newest import wins) removes them from it."""
    from pipeline.runtime import import_stream

    first, second = DATA / "acled-weeks-1.csv", DATA / "acled-weeks-2.csv"
    outcomes = []
    for chunked in (True, False):
        monkeypatch.setenv("GDM_DATABASE_URL", pg_url)
        for e in workspace.list_layers():  # an empty workspace for each way of reading
            assert workspace.delete(e["name"])
        monkeypatch.setattr(import_stream, "CHUNK_ROWS", 1)
        monkeypatch.setattr(import_stream, "streams", (lambda det, in_db: in_db) if chunked else
                            (lambda det, in_db: False))
        a = imports.import_file(first)
        b = imports.import_file(second, keep_duplicates=keep)
        layers = {e["name"]: workspace.load(e["name"]).drop(columns="geometry") for e in workspace.list_layers()}
        outcomes.append((a, b, layers))
    (a1, b1, l1), (a2, b2, l2) = outcomes
    assert b1["overlaps"] and b1["overlaps"][0]["events"] > 0
    assert (b1["overlaps"], b1["warnings"], b1["accepted"]) == (b2["overlaps"], b2["warnings"], b2["accepted"])
    assert sorted(l1) == sorted(l2)
    for name in l1:
        pd.testing.assert_frame_equal(l1[name], l2[name])
    earlier = l1[a1["layer"]]
    assert len(earlier) == a1["accepted"] - (0 if keep else b1["overlaps"][0]["events"])


@pytest.mark.parametrize("good", [2, 40_000])
def test_a_row_the_streaming_reader_refuses_rolls_back_the_staged_chunks(pg_url, tmp_path, monkeypatch, good):
    """A row with a field too many, in pyarrow's first block or after 40,000 good rows (four chunks staged):
    pyarrow refuses it, what was staged is rolled back, and the file is read whole, reported as on files."""
    from pipeline.runtime import import_stream

    path = tmp_path / "ragged.csv"
    rows = [f"31.{41 + k % 9},34.{38 + k % 7},2024-01-{k % 28 + 1:02d},n{k}" for k in range(good)]
    path.write_text("latitude,longitude,date,notes\n" + "\n".join(rows) + "\n31.30,34.30,2024-01-04,c,extra\n"
                    "31.31,34.31,2024-01-05,d\n", encoding="utf-8")
    files_rep = imports.import_file(path, root=tmp_path / "ws", accept_partial=True)
    monkeypatch.setenv("GDM_DATABASE_URL", pg_url)
    monkeypatch.setattr(import_stream, "CHUNK_ROWS", 10_000)
    refused: list[str] = []
    real = import_stream._parts

    def parts(*a, **k):
        try:
            yield from real(*a, **k)
        except import_stream.Unstreamable as exc:
            refused.append(str(exc))
            raise

    monkeypatch.setattr(import_stream, "_parts", parts)
    db_rep = imports.import_file(path, accept_partial=True)
    assert bool(refused) == (good > 2)  # refused midway, or on opening (nothing staged yet)
    assert {k: db_rep.get(k) for k in REPORTED} == {k: files_rep.get(k) for k in REPORTED}
    assert db_rep["status"] == files_rep["status"]
    with psycopg.connect(pg_url) as conn:
        (staged,) = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'gdm\\_stage\\_%%'"
                                 ).fetchone() or (0,)
    assert staged == 0


def test_slash_dates_one_chunk_cannot_order_are_read_in_the_whole_files_order(pg_url, tmp_path, monkeypatch):
    """Forensic Architecture's Jabalia events with month/day/year dates: the first rows (days 1 to 12) could be
    either order, a later row (day 13 on) proves month-first. Read four rows a chunk, the first chunks alone would
    be day-first (11 May instead of 5 November, before the war); the import declines the chunked read, so the dates
    are the whole file's, as on the files backend."""
    src = next(RAW_EVENTS.glob("**/forensic-architecture-jabalia-oct2023.tsv"))
    path = tmp_path / "jabalia-us-dates.tsv"
    n = len(pd.read_csv(src, sep="\t", dtype=str))
    _dated(src, path, {r: f"11/{min(r - 1, 12) if r < 30 else 13 + r % 15:02d}/2023" for r in range(2, n + 2)})
    files_rep, on_files = _import_on("files", path, pg_url, tmp_path / "ws", monkeypatch)
    chunked_rep, chunked, whole_rep, whole = _chunked_and_whole(path, pg_url, tmp_path / "ws", monkeypatch, rows=4)
    assert {k: chunked_rep.get(k) for k in REPORTED} == {k: whole_rep.get(k) for k in REPORTED}
    pd.testing.assert_frame_equal(chunked.drop(columns="geometry"), whole.drop(columns="geometry"))
    first = chunked.sort_values("source_row")["date"].iloc[0]
    assert str(first.date()) == "2023-11-01" and files_rep["rejected"] == chunked_rep["rejected"] == 0
    assert not any("slash dates could be" in w for w in chunked_rep["warnings"])
