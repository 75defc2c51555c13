"""From a fresh clone, the run command alone draws the map, and no request leaves the machine.

The branch is cloned into a temporary folder (``git clone``: committed files only, no fetched vendor
files, no built caches) and started with nothing but ``streamlit run app.py``. Every request the page
makes is recorded; only 127.0.0.1 / localhost are allowed.
"""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import MAP_FRAME, ROOT, Server, shot
from .test_journeys import COUNT

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def clone_server(tmp_path_factory):
    dest = tmp_path_factory.mktemp("clone") / "repo"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(dest)], check=True)
    s = Server(log_name="server-fresh-clone", root=dest)
    yield s
    s.stop()


def test_fresh_clone_draws_the_map_with_no_request_leaving_the_machine(clone_server, page):
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(clone_server.url)
    frame = page.locator(MAP_FRAME).last
    expect(frame.locator(".leaflet-container")).to_be_visible()
    page.wait_for_function(f"typeof gdmMap !== 'undefined' && ({COUNT})('block') === 620")
    expect(frame.locator(".gdm-legend")).to_contain_text("2 Dec 2023")
    assert any(u.split("?")[0].endswith("/app/static/vendor/leaflet/dist/leaflet.js") for u in urls)
    outside = [u for u in urls if urlsplit(u).scheme not in ("data", "blob")
               and urlsplit(u).hostname not in ("127.0.0.1", "localhost")]
    assert outside == []
    shot(page, "fresh-clone-map")
