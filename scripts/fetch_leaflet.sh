#!/usr/bin/env bash
# Refresh the map's JavaScript/CSS (Leaflet, jQuery) that ships with the repository in static/vendor/.
# Streamlit serves that folder at /app/static/vendor/... ([server] enableStaticServing in
# .streamlit/config.toml), so a fresh clone draws the map with no internet and no npm.
#
#   bash scripts/fetch_leaflet.sh           # verify the shipped copy; re-fetch only if a pin changed or a file is damaged
#   bash scripts/fetch_leaflet.sh --force   # always re-fetch from the npm registry and rewrite static/vendor/
#   bash scripts/fetch_leaflet.sh --check   # verify only (no network); exit 1 if static/vendor/ is out of date
#
# A refresh runs `npm pack <package>@<version>`, checks the tarball's sha256 against PACKAGES, copies
# only the files listed in FILES_<package> (what dashboard/map_assets.py VENDOR_MAP points at, the images
# Leaflet's CSS and default icon use, and the package's licence), then rewrites
# static/vendor/MANIFEST.sha256 (sha256sum format, paths relative to static/vendor, sorted) and
# static/vendor/README.md (origin, version, licence, tarball sha256). Commit the result.
#
# The map uses Leaflet itself (GeoJson layers, canvas circle markers, layer control, scale bar; the
# legend is plain HTML) and jQuery (folium's Popup template calls $(...)); no Leaflet plugin is loaded,
# and folium's Bootstrap/Font Awesome links are dropped when serving locally. To bump a version or add
# a package: edit PACKAGES (and FILES_<package>, LICENCE/TITLE below), map its CDN URL in
# dashboard/map_assets.py (VENDOR_MAP), run this script with --force and commit static/vendor/.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022
export LC_ALL=C

VENDOR=static/vendor
# <npm package> <version> <sha256 of the npm tarball>
PACKAGES=(
  "leaflet 1.9.4 84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77"
  "jquery 3.7.1 68a9f787516da47c680e09c187bcbac4536b6f85d90eb882844e12919e583f53"
)
# Files shipped from each tarball (paths inside its package/ folder; a folder is copied whole).
FILES_leaflet=(dist/leaflet.js dist/leaflet.css dist/images LICENSE)
FILES_jquery=(dist/jquery.min.js LICENSE.txt)
# SPDX licence each package.json must declare, and a human name for the README.
declare -A LICENCE=([leaflet]=BSD-2-Clause [jquery]=MIT)
declare -A TITLE=(
  [leaflet]="Leaflet, the JavaScript map library folium drives"
  [jquery]="jQuery, used by folium's popup template"
)

mode=refresh-if-needed
case "${1:-}" in
  "") ;;
  --force) mode=force ;;
  --check) mode=check ;;
  *) echo "usage: bash scripts/fetch_leaflet.sh [--force|--check]" >&2; exit 2 ;;
esac

# Expected shipped paths (relative to static/vendor), sorted; folders are expanded from the disk copy.
expected_paths() {
  local line name version sum f
  for line in "${PACKAGES[@]}"; do
    read -r name version sum <<<"$line"
    local files="FILES_$name[@]"
    for f in "${!files}"; do
      if [ -d "$VENDOR/$name/$f" ]; then
        (cd "$VENDOR" && find "$name/$f" -type f)
      else
        echo "$name/$f"
      fi
    done
  done | sort
}

# True when static/vendor/ holds exactly the pinned files, each matching MANIFEST.sha256.
up_to_date() {
  local line name version sum
  [ -f "$VENDOR/MANIFEST.sha256" ] && [ -f "$VENDOR/README.md" ] || return 1
  (cd "$VENDOR" && sha256sum --check --strict --quiet MANIFEST.sha256 >/dev/null 2>&1) || return 1
  # The manifest lists exactly the expected files, and nothing else is on disk.
  [ "$(cut -c67- "$VENDOR/MANIFEST.sha256")" = "$(expected_paths)" ] || return 1
  [ "$(cd "$VENDOR" && find . -type f ! -path ./MANIFEST.sha256 ! -path ./README.md | sed 's|^\./||' | sort)" \
    = "$(expected_paths)" ] || return 1
  # The README records the pinned version and tarball sum of every package.
  for line in "${PACKAGES[@]}"; do
    read -r name version sum <<<"$line"
    grep -qF "\`$name@$version\`" "$VENDOR/README.md" && grep -qF "$sum" "$VENDOR/README.md" || return 1
  done
}

if [ "$mode" != force ] && up_to_date; then
  echo "fetch_leaflet: $VENDOR is up to date (checked against $VENDOR/MANIFEST.sha256)"
  exit 0
fi
if [ "$mode" = check ]; then
  echo "fetch_leaflet: $VENDOR does not match the pins or its manifest; run bash scripts/fetch_leaflet.sh --force" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "fetch_leaflet: npm/node are not installed; cannot refresh $VENDOR" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/vendor"
mkdir -p "$stage"
readme_rows=()
for line in "${PACKAGES[@]}"; do
  read -r name version sum <<<"$line"
  echo "fetch_leaflet: npm pack $name@$version"
  tarball=$(cd "$tmp" && npm pack --silent "$name@$version" | tail -n 1)
  got=$(sha256sum "$tmp/$tarball" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "fetch_leaflet: checksum mismatch for $name@$version: expected $sum, got $got" >&2
    exit 1
  fi
  rm -rf "$tmp/package"
  tar -xzf "$tmp/$tarball" -C "$tmp"
  declared=$(node -p "require(process.argv[1]).license" "$tmp/package/package.json")
  if [ "$declared" != "${LICENCE[$name]}" ]; then
    echo "fetch_leaflet: $name@$version declares licence $declared, expected ${LICENCE[$name]}" >&2
    exit 1
  fi
  files="FILES_$name[@]"
  for f in "${!files}"; do
    if [ ! -e "$tmp/package/$f" ]; then
      echo "fetch_leaflet: $name@$version has no $f" >&2
      exit 1
    fi
    mkdir -p "$stage/$name/$(dirname "$f")"
    cp -R "$tmp/package/$f" "$stage/$name/$f"
  done
  readme_rows+=("| \`$name/\` | ${TITLE[$name]} | \`$name@$version\` | ${LICENCE[$name]} | \`$sum\` |")
done

# Manifest: every shipped file except the manifest and README, sorted, paths relative to static/vendor.
(cd "$stage" && find . -type f | sed 's|^\./||' | sort | while IFS= read -r f; do sha256sum -- "$f"; done) \
  > "$tmp/MANIFEST.sha256"
mv "$tmp/MANIFEST.sha256" "$stage/MANIFEST.sha256"

{
  cat <<'EOF'
# static/vendor: the map's JavaScript and CSS, shipped with the repository

Streamlit serves this folder at `/app/static/vendor/` (`[server] enableStaticServing` in
`.streamlit/config.toml`); `dashboard/map_assets.py` (`VENDOR_MAP`, `localize_assets`) points the map's
Leaflet and jQuery links here, so the map works offline from the first `streamlit run app.py`.
Do not edit these files by hand: they are generated by `scripts/fetch_leaflet.sh`.

| Folder | What | Source (npm registry, package@version) | Licence | npm tarball sha256 |
|---|---|---|---|---|
EOF
  printf '%s\n' "${readme_rows[@]}"
  cat <<'EOF'

Only the files the app loads are kept (minified builds, the images Leaflet's CSS and default marker
icon use) plus each package's licence file (`leaflet/LICENSE`, `jquery/LICENSE.txt`). No source maps:
`leaflet.js` still ends with a `sourceMappingURL` comment, which only browser developer tools follow.

`MANIFEST.sha256` lists the sha256 of every file here except itself and this README
(`cd static/vendor && sha256sum -c MANIFEST.sha256`); `tests/test_vendor_assets.py` checks it.

## Refresh

    bash scripts/fetch_leaflet.sh           # verify; re-fetch only if a pin changed or a file is damaged
    bash scripts/fetch_leaflet.sh --force   # re-fetch from the npm registry (needs npm and network)
    bash scripts/fetch_leaflet.sh --check   # verify only, no network

To change a version, edit `PACKAGES` (version and tarball sha256) in `scripts/fetch_leaflet.sh`, run it
with `--force`, and commit `static/vendor/`.
EOF
} > "$stage/README.md"

rm -rf "${VENDOR:?}"
mkdir -p "$(dirname "$VENDOR")"
mv "$stage" "$VENDOR"
up_to_date || { echo "fetch_leaflet: $VENDOR failed its own check after refresh" >&2; exit 1; }
echo "fetch_leaflet: done ($(du -sh "$VENDOR" | cut -f1) in $VENDOR, $(wc -l < "$VENDOR/MANIFEST.sha256") files)"
