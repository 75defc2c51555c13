"""A throwaway PostgreSQL + PostGIS server for the tests, and a fixture that runs a test on both workspace backends.

``postgres_server`` (session): ``initdb`` a cluster in a temporary folder (as the ``postgres`` user when the
tests run as root: initdb refuses root), start it on a free loopback port with ``pg_ctl``, create a
database with PostGIS, and stop and remove it after the session. No server, no PostGIS: the tests that
need it FAIL with the command that installs it (``bash scripts/test`` does).

``workspace_backend`` (parametrised ``files`` / ``postgis``): an empty workspace on that backend
(``GDM_WORKSPACE_DIR`` a fresh folder; ``GDM_DATABASE_URL`` empty, or a fresh schema of the test database).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from pipeline.runtime import workspace
from pipeline.runtime.workspace_postgis import PostgisBackend

INSTALL = "apt-get install -y postgresql postgresql-<major>-postgis-3 (bash scripts/test installs them)"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed: {INSTALL}")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def start_server() -> tuple[str, Callable[[], None]]:
    """Start a throwaway server with a PostGIS database: (its URL, the function that stops and removes it)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not glob.glob("/usr/share/postgresql/*/extension/postgis.control"):
        pytest.fail(f"PostGIS is not installed: {INSTALL}")
    tmp = Path(tempfile.mkdtemp(prefix="gdm-pg-"))
    data = tmp / "data"
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")

    def stop() -> None:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)

    run = subprocess.run(_as_postgres([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                       "--no-sync"]), capture_output=True, text=True)
    if run.returncode:
        stop()
        pytest.fail(f"initdb failed: {run.stderr[-2000:]}")
    port = _free_port()
    opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
    run = subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w", "start"]),
                         capture_output=True, text=True)
    if run.returncode:
        log = (tmp / "log").read_text(errors="replace") if (tmp / "log").exists() else ""
        stop()
        pytest.fail(f"the test PostgreSQL server did not start: {run.stderr}{log[-2000:]}")
    base = f"postgresql://postgres@127.0.0.1:{port}"
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE gdm_test")
        with psycopg.connect(f"{base}/gdm_test", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
    except BaseException:
        stop()
        raise
    return f"{base}/gdm_test", stop


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a database with PostGIS on a server started for this test session."""
    url, stop = start_server()
    try:
        yield url
    finally:
        stop()


@pytest.fixture()
def pg_url(postgres_server: str) -> Iterator[str]:
    """A URL whose connections work in a fresh, empty schema (dropped after the test)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{postgres_server}?options={quote(f'-csearch_path={schema},public')}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["files", "postgis"])
def workspace_backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty workspace on each backend in turn; returns ``files`` or ``postgis``."""
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path / "workspace"))
    if request.param == "postgis":
        monkeypatch.setenv("GDM_DATABASE_URL", request.getfixturevalue("pg_url"))
    else:
        monkeypatch.setenv("GDM_DATABASE_URL", "")
    return str(request.param)


def stored_layers() -> int:
    """How many layer files (files backend) or layer tables (PostGIS) the current workspace holds."""
    b = workspace.backend()
    if isinstance(b, PostgisBackend):
        with psycopg.connect(b.url) as conn:
            return len(PostgisBackend.layer_tables(conn))
    return len(list((b.root / "layers").glob("*.parquet")))
