"""The map's Leaflet/jQuery copy shipped in static/vendor/ (written by scripts/fetch_leaflet.sh).

Checks that MANIFEST.sha256 matches the files byte for byte and lists every one of them, that each
package's licence ships with it, that every path dashboard/map_assets.py points the map at exists (it is
read as text, not imported), and that the images leaflet.css uses exist. The checkers are plain
functions, run once on the real folder and once on tampered tmp_path copies to show they can fail.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
MANIFEST = "MANIFEST.sha256"
README = "README.md"
MAPS_PY = ROOT / "dashboard" / "map_assets.py"
URL_BASE = "/app/static/vendor"
LICENCES = {"leaflet": ("LICENSE", "BSD-2-Clause"), "jquery": ("LICENSE.txt", "MIT")}
LINE = re.compile(r"^([0-9a-f]{64}) [ *](\S.*)$")  # sha256sum output: "<hex>  <path>" (or " *<path>")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_entries(vendor: Path) -> dict[str, str]:
    """path -> sha256 from MANIFEST.sha256; malformed or duplicate lines raise ValueError."""
    entries: dict[str, str] = {}
    for n, line in enumerate((vendor / MANIFEST).read_text(encoding="utf-8").splitlines(), 1):
        m = LINE.match(line)
        if not m:
            raise ValueError(f"{MANIFEST}:{n}: not a sha256sum line: {line!r}")
        digest, rel = m.groups()
        if rel in entries:
            raise ValueError(f"{MANIFEST}:{n}: {rel} listed twice")
        entries[rel] = digest
    return entries


def checksum_problems(vendor: Path) -> list[str]:
    """Manifest lines whose file is missing, escapes the folder, or has another sha256."""
    problems = []
    for rel, digest in manifest_entries(vendor).items():
        path = (vendor / rel).resolve()
        if not path.is_relative_to(vendor.resolve()) or rel.startswith("/"):
            problems.append(f"{rel}: outside static/vendor")
        elif not path.is_file():
            problems.append(f"{rel}: listed but missing")
        elif sha256(path) != digest:
            problems.append(f"{rel}: sha256 {sha256(path)} != manifest {digest}")
    return problems


def shipped_files(vendor: Path) -> list[str]:
    return sorted(p.relative_to(vendor).as_posix() for p in vendor.rglob("*")
                  if p.is_file() and p.relative_to(vendor).as_posix() not in (MANIFEST, README))


def unlisted_files(vendor: Path) -> list[str]:
    listed = manifest_entries(vendor)
    return [rel for rel in shipped_files(vendor) if rel not in listed]


def referenced_paths(maps_source: str) -> set[str]:
    """Paths under static/vendor that dashboard/map_assets.py points the map at.

    Any literal "/app/static/vendor/..." URL, plus each local file of VENDOR_MAP, which
    localize_assets joins to VENDOR_URL ("/app/static/vendor").
    """
    paths = set(re.findall(re.escape(URL_BASE) + r"/([\w./-]+)", maps_source))
    base = re.search(r'^VENDOR_URL\s*=\s*"([^"]*)"', maps_source, re.M)
    block = re.search(r"^VENDOR_MAP\b[^=]*=\s*\[(.*?)^\]", maps_source, re.M | re.S)
    if base and block:
        assert base.group(1) == URL_BASE, f"VENDOR_URL is {base.group(1)!r}; static serving uses {URL_BASE}"
        paths |= set(re.findall(r'\(\s*r?"[^"]*"\s*,\s*"([^"]+)"\s*\)', block.group(1)))
    return paths


def css_images(vendor: Path) -> list[str]:
    """Relative url(...) targets of every shipped .css file, as paths under static/vendor."""
    out = []
    for css in vendor.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css.read_text(encoding="utf-8")):
            if not re.match(r"^(data:|[a-z]+://|/|#)", url):
                out.append((css.parent / url.split("?")[0].split("#")[0]).resolve().relative_to(vendor.resolve())
                           .as_posix())
    return sorted(set(out))


# ------------------------------------------------------------------ the shipped folder


def test_manifest_checksums_match_the_files():
    assert (VENDOR / MANIFEST).is_file(), "static/vendor/MANIFEST.sha256 missing: run bash scripts/fetch_leaflet.sh"
    assert manifest_entries(VENDOR), "MANIFEST.sha256 is empty"
    assert checksum_problems(VENDOR) == []


def test_manifest_is_sorted():
    lines = (VENDOR / MANIFEST).read_text(encoding="utf-8").splitlines()
    paths = [LINE.match(line).group(2) for line in lines]
    assert paths == sorted(paths)


def test_every_shipped_file_is_in_the_manifest():
    assert unlisted_files(VENDOR) == []


def test_no_source_maps_or_unminified_builds_shipped():
    extra = [rel for rel in shipped_files(VENDOR) if rel.endswith(".map") or re.search(r"-src\.|jquery\.js$", rel)]
    assert extra == []


@pytest.mark.parametrize("package", sorted(LICENCES))
def test_each_package_ships_its_licence(package):
    name, spdx = LICENCES[package]
    licence = VENDOR / package / name
    assert licence.is_file() and licence.stat().st_size > 0, f"{package}: {name} missing"
    assert f"{package}/{name}" in manifest_entries(VENDOR)
    readme = (VENDOR / README).read_text(encoding="utf-8")
    row = next((line for line in readme.splitlines() if f"`{package}@" in line), "")
    assert spdx in row, f"static/vendor/README.md does not give {package}'s licence as {spdx}"
    assert re.search(r"`[0-9a-f]{64}`", row), f"static/vendor/README.md does not give {package}'s tarball sha256"


def test_every_vendor_path_in_maps_py_exists():
    paths = referenced_paths(MAPS_PY.read_text(encoding="utf-8"))
    # the map needs at least Leaflet's JS and CSS and jQuery: fewer means the regex no longer matches map_assets.py
    assert {"leaflet/dist/leaflet.js", "leaflet/dist/leaflet.css", "jquery/dist/jquery.min.js"} <= paths, paths
    missing = sorted(p for p in paths if not (VENDOR / p).is_file())
    assert missing == [], f"dashboard/map_assets.py points at files not in static/vendor: {missing}"
    listed = manifest_entries(VENDOR)
    assert sorted(p for p in paths if p not in listed) == []


def test_images_used_by_leaflet_css_are_shipped():
    images = css_images(VENDOR)
    assert "leaflet/dist/images/layers.png" in images
    assert [p for p in images if not (VENDOR / p).is_file()] == []


def test_static_vendor_is_not_git_ignored():
    git = shutil.which("git")
    if not git or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    files = [f"static/vendor/{rel}" for rel in [MANIFEST, README, *shipped_files(VENDOR)]]
    r = subprocess.run([git, "check-ignore", "--no-index", *files], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == "", f"git ignores shipped files:\n{r.stdout}"


# ------------------------------------------------------------------ the checkers can fail


@pytest.fixture
def vendor_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "vendor"
    shutil.copytree(VENDOR, dst)
    assert checksum_problems(dst) == [] and unlisted_files(dst) == []
    return dst


def test_tampered_file_fails_the_checksum(vendor_copy):
    js = vendor_copy / "leaflet" / "dist" / "leaflet.js"
    js.write_bytes(js.read_bytes() + b"\n// injected")
    assert checksum_problems(vendor_copy) == [f"leaflet/dist/leaflet.js: sha256 {sha256(js)} != manifest "
                                              f"{manifest_entries(vendor_copy)['leaflet/dist/leaflet.js']}"]


def test_deleted_file_fails_the_checksum(vendor_copy):
    (vendor_copy / "jquery" / "dist" / "jquery.min.js").unlink()
    assert checksum_problems(vendor_copy) == ["jquery/dist/jquery.min.js: listed but missing"]


def test_unlisted_file_is_reported(vendor_copy):
    (vendor_copy / "leaflet" / "dist" / "leaflet.js.map").write_text("{}")
    assert unlisted_files(vendor_copy) == ["leaflet/dist/leaflet.js.map"]


def test_malformed_or_escaping_manifest_lines_fail(vendor_copy):
    manifest = vendor_copy / MANIFEST
    good = manifest.read_text(encoding="utf-8")
    manifest.write_text(good + "not a checksum line\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a sha256sum line"):
        manifest_entries(vendor_copy)
    outside = vendor_copy.parent / "outside.txt"
    outside.write_text("x")
    manifest.write_text(good + f"{sha256(outside)}  ../outside.txt\n", encoding="utf-8")
    assert checksum_problems(vendor_copy) == ["../outside.txt: outside static/vendor"]


def test_missing_referenced_path_is_found():
    source = 'VENDOR_URL = "/app/static/vendor"\nVENDOR_MAP = [\n    (r"x", "leaflet/dist/leaflet.js"),\n' \
             '    (r"y", "plugin/gone.js"),\n    (r"z", None),\n]\nURL = "/app/static/vendor/other/thing.css"\n'
    paths = referenced_paths(source)
    assert paths == {"leaflet/dist/leaflet.js", "plugin/gone.js", "other/thing.css"}
    assert sorted(p for p in paths if not (VENDOR / p).is_file()) == ["other/thing.css", "plugin/gone.js"]


def test_css_image_checker_sees_a_missing_image(vendor_copy):
    (vendor_copy / "leaflet" / "dist" / "images" / "layers.png").unlink()
    images = css_images(vendor_copy)
    assert [p for p in images if not (vendor_copy / p).is_file()] == ["leaflet/dist/images/layers.png"]
