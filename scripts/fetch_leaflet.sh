#!/usr/bin/env bash
# Fetch the map's JavaScript/CSS (Leaflet) from the npm registry, pinned and checksummed, and
# unpack it under static/vendor/ so Streamlit serves it at /app/static/vendor/... (see
# [server] enableStaticServing in .streamlit/config.toml). static/vendor/ is git-ignored.
#
#   bash scripts/fetch_leaflet.sh          # idempotent: exits at once when everything is present
#
# The map uses Leaflet itself (GeoJson layers, canvas circle markers, layer control, scale bar;
# the legend is plain HTML) and jQuery (folium's Popup template calls $(...)); no Leaflet plugin
# is loaded, and folium's Bootstrap/Font Awesome links are dropped when serving locally. To add one, add a line
# "<package> <version> <sha256 of the npm tarball>" to PACKAGES and map its CDN URL in
# dashboard/maps.py (VENDOR_MAP).
# Without these files (a host whose set-up runs only pip, e.g. Streamlit Community Cloud), the
# map falls back to the CDN and the server log says so.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=static/vendor
PACKAGES=(
  "leaflet 1.9.4 84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77"
  "jquery 3.7.1 68a9f787516da47c680e09c187bcbac4536b6f85d90eb882844e12919e583f53"
)

all_present=1
for line in "${PACKAGES[@]}"; do
  read -r name version sum <<<"$line"
  if [ "$(cat "$VENDOR/$name/.sha256" 2>/dev/null || true)" != "$sum" ]; then all_present=0; fi
done
if [ "$all_present" = 1 ]; then
  echo "fetch_leaflet: static/vendor is up to date"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_leaflet: npm is not installed; the map will load Leaflet from its CDN" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$VENDOR"
for line in "${PACKAGES[@]}"; do
  read -r name version sum <<<"$line"
  if [ "$(cat "$VENDOR/$name/.sha256" 2>/dev/null || true)" = "$sum" ]; then continue; fi
  echo "fetch_leaflet: npm pack $name@$version"
  tarball=$(cd "$tmp" && npm pack --silent "$name@$version" | tail -n 1)
  got=$(sha256sum "$tmp/$tarball" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "fetch_leaflet: checksum mismatch for $name@$version: expected $sum, got $got" >&2
    exit 1
  fi
  rm -rf "${VENDOR:?}/$name" "$tmp/package"
  tar -xzf "$tmp/$tarball" -C "$tmp"
  mv "$tmp/package" "$VENDOR/$name"
  echo "$version" > "$VENDOR/$name/.version"
  echo "$sum" > "$VENDOR/$name/.sha256"
done
echo "fetch_leaflet: done ($(du -sh "$VENDOR" | cut -f1) in $VENDOR)"
