"""Map builders rendered as HTML, without a browser: layers, colours, legend entries, escaping, offline assets."""

from __future__ import annotations

import json
import re
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from dashboard import map_assets, map_draw, map_geometry, map_layers
from pipeline.runtime import metrics
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.zones import zones_valid_on

ON, SINCE = date(2023, 12, 2), date(2023, 12, 1)
HOSTILE = "<img src=x onerror=alert(1)> \"dq\" 'sq' `bt` ${x}"


def flat(m) -> str:
    return "".join(map_draw.render_html(m).split())


@pytest.fixture(scope="module")
def base():
    out = {name: load_layer(name) for name in ("strip", "governorates", "blocks")}
    out["display"] = map_layers.display_blocks(out["blocks"], out["governorates"])
    return out


def geojson_features(html: str) -> list[dict]:
    """Every feature of every GeoJson layer embedded in a rendered map (folium's ``geo_json_..._add({...})``)."""
    decoder, out = json.JSONDecoder(), []
    for m in re.finditer(r"geo_json_\w+_add\(", html):
        data, _ = decoder.raw_decode(html, m.end())
        out += data["features"]
    return out


@pytest.fixture(scope="module")
def status(base):
    ids = base["blocks"]["block_id"].tolist()
    s = ["recent" if i % 3 == 0 else "earlier" if i % 3 == 1 else "none" for i in range(len(ids))]
    return pd.DataFrame({"block_id": ids, "status": s})


def small_events() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "event_id": ["e1", "e2", "e3"], "date": pd.to_datetime(["2023-12-01", "2023-12-02", "2023-12-02"]),
        "kind": ["airstrike", "shelling", HOSTILE], "fatalities": [0, 25, None], "location": ["Rafah", HOSTILE, "x"],
        "dataset": ["test"] * 3, "source": ["test source"] * 3, "notes": [None, HOSTILE, None],
    }, geometry=[Point(34.25, 31.29), Point(34.30, 31.34), Point(34.45, 31.50)], crs="EPSG:4326")


def small_places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "place_id": ["khan-younis", "rafah", "al-mawasi", "hostile"],
        "name_en": ["Khan Younis", "Rafah", "Al-Mawasi", HOSTILE],
        "name_ar": ["خان يونس", "رفح", "المواصي", HOSTILE],
        "aliases": ["Khan Yunis", "", "Mawasi", ""], "kind": ["city", "city", "area", "landmark"],
        "inside_gaza": [True, True, True, True],
        "label_lon": [34.306, 34.246, 34.22, 34.4], "label_lat": [31.346, 31.287, 31.33, 31.45],
    }, geometry=[Point(34.306, 31.346), Point(34.246, 31.287), box(34.20, 31.30, 34.24, 31.36),
                 Point(34.4, 31.45)], crs="EPSG:4326")


def full_input(base, status, **kw) -> map_layers.MapInput:
    blocks = map_layers.prepare_blocks(base["display"], status, None, on=ON, since=SINCE, window=7)
    zone = gpd.GeoDataFrame({"zone_id": ["z1"], "kind": ["humanitarian zone"], "name": ["Test zone"],
                             "valid_from": ["2023-12-01"], "valid_to": [None], "area_km2": [6.7],
                             "source": ["test"]}, geometry=[box(34.21, 31.30, 34.25, 31.36)], crs="EPSG:4326")
    claims = pd.DataFrame({"date": ["2023-12-02"], "claim": ["Strikes around the city"], "figure": [50.0],
                           "attributed_to": ["IDF"], "place_id": ["khan-younis"], "source": ["report"]})
    places = small_places()
    return map_layers.MapInput(
        on=ON, since=SINCE, window=7, strip=map_geometry.simplify_for_display(base["strip"]),
        governorates=map_layers.prepare_governorates(base["governorates"]), blocks=blocks,
        zone=map_layers.prepare_zone(zone), incidents=map_layers.prepare_events(small_events()),
        places=map_layers.prepare_places(places), claims=map_layers.prepare_claims(claims, places), **kw)


def test_all_layers_legend_and_palette(base, status):
    m = map_draw.build_map(full_input(base, status))
    html = flat(m)
    for colour in map_draw.STATUS_COLOURS.values():  # each status colour is used for fills
        assert f'"fillColor":"{colour}"' in html
    for cls in ("gdm-block", "gdm-recent", "gdm-earlier", "gdm-none", "gdm-zone", "gdm-claim", "gdm-strip",
                "gdm-governorate"):
        assert cls in html
    for entry in ("Orderedinthelast7days", "Orderedearlier,since1Dec2023", "Notorderedinthisperiod",
                  "Humanitarianzonedeclaredonthedate", "Strikesandincidents", "Reportedevents(attributedclaims)",
                  "Places", "Governorateboundary"):
        assert entry in html, entry
    assert "L.circleMarker" in html or "L.CircleMarker" in html
    assert '"preferCanvas":true' in html
    assert "L.marker(" not in html  # no DOM marker per event


def test_incident_radius_grows_with_fatalities():
    ev = map_layers.prepare_events(small_events())
    r = dict(zip(ev["event_id"], ev["radius"], strict=True))
    assert r["e2"] > r["e1"] >= 4 and r["e3"] == 4  # unknown fatalities: the smallest size


def test_legend_follows_layers(base, status):
    html = flat(map_draw.build_map(full_input(base, status, layers=["blocks"])))
    assert "Orderedinthelast7days" in html
    assert "Humanitarianzonedeclared" not in html and "gdm-zone" not in html
    assert "Reportedevents(attributed" not in html


def test_places_bilingual_rtl_labels(base, status):
    html = map_draw.render_html(map_draw.build_map(full_input(base, status)))
    places = {f["properties"]["place_id"]: f["properties"] for f in geojson_features(html)
              if "place_id" in f["properties"]}
    assert set(places) == {"khan-younis", "rafah", "al-mawasi", "hostile"}
    # the main places carry a permanent label: English, then Arabic in a right-to-left element
    assert places["khan-younis"]["label"] == 'Khan Younis <bdi dir="rtl" lang="ar">خان يونس</bdi>'
    assert places["rafah"]["label"] == 'Rafah <bdi dir="rtl" lang="ar">رفح</bdi>'
    assert places["al-mawasi"]["label"].startswith("Al-Mawasi ")
    assert "label" not in places["hostile"]  # any other place: on hover only
    assert places["khan-younis"]["tip"].endswith("city<br>also: Khan Yunis")
    assert "permanent: true" in html and "gdm-place-label" in html


def test_every_text_is_escaped(base, status):
    blocks = base["blocks"].copy()
    blocks["neighbourhood"] = HOSTILE
    blocks["locality"] = HOSTILE
    gov = base["governorates"].copy()
    gov["name_en"] = HOSTILE
    gov["name_ar"] = HOSTILE
    hist = pd.DataFrame({"block_id": [int(blocks["block_id"].iloc[0])], "order_id": [HOSTILE],
                         "issued_on": ["2023-12-01"], "source_name": [HOSTILE],
                         "source_url": ["javascript:alert(1)"]})
    inp = full_input({**base, "blocks": blocks, "governorates": gov}, status)
    inp.blocks = map_layers.prepare_blocks(map_layers.display_blocks(blocks, gov), status, hist,
                                           on=ON, since=SINCE, window=7)
    inp.governorates = map_layers.prepare_governorates(gov)
    html = map_draw.render_html(map_draw.build_map(inp))
    assert "<img src=x" not in html
    assert "\\u003cimg src=x" not in html  # not even inside the embedded JSON
    assert "&lt;img src=x onerror=alert(1)&gt;" in html.replace("\\u0026", "&")
    assert "javascript:alert" not in html  # non-http links are dropped, their text kept
    assert "`bt`" not in html and "${x}" not in html


def test_offline_assets_rewritten(base, status, tmp_path, caplog):
    # with local copies: every Leaflet/jQuery link points at /app/static/vendor, no CDN left
    (tmp_path / "leaflet" / "dist").mkdir(parents=True)
    (tmp_path / "jquery" / "dist").mkdir(parents=True)
    for rel in ("leaflet/dist/leaflet.js", "leaflet/dist/leaflet.css", "jquery/dist/jquery.min.js"):
        (tmp_path / rel).write_text("//")
    m = map_draw.build_map(full_input(base, status), localize=False)
    assert map_assets.localize_assets(m, vendor_dir=tmp_path) is True
    html = map_draw.render_html(m)
    links = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert "/app/static/vendor/leaflet/dist/leaflet.js" in links
    assert "/app/static/vendor/leaflet/dist/leaflet.css" in links
    assert not [u for u in links if u.startswith("http")], links
    # without them: the CDN stays and the log says so
    m2 = map_draw.build_map(full_input(base, status), localize=False)
    with caplog.at_level("WARNING"):
        assert map_assets.localize_assets(m2, vendor_dir=tmp_path / "missing") is False
    assert "CDN" in caplog.text
    assert "cdn.jsdelivr.net/npm/leaflet" in map_draw.render_html(m2)


def test_display_geometry_simplified_and_rounded(base):
    raw = base["blocks"]
    disp = map_geometry.simplify_for_display(raw, 15.0)
    assert len(disp) == len(raw)
    assert disp.geometry.count_coordinates().sum() < raw.geometry.count_coordinates().sum()
    coords = json.dumps(map_geometry.to_geojson(disp.head(20), ["block_id"]))
    assert not re.search(r"\d+\.\d{6,}", coords)  # at most 5 decimals
    assert disp.geometry.is_valid.all()


def test_block_outlines_simplified_once_only_status_changes_per_date(base, status, monkeypatch):
    display = base["display"]  # what the dashboard prepares once per process
    assert display.geometry.count_coordinates().sum() < base["blocks"].geometry.count_coordinates().sum()

    def simplify_again(*args, **kwargs):
        raise AssertionError("block outlines simplified again for a date")

    monkeypatch.setattr(map_layers, "simplify_for_display", simplify_again)
    day1 = map_layers.prepare_blocks(display, status, None, on=ON, since=SINCE, window=7)
    day2 = map_layers.prepare_blocks(display, status.assign(status="none"), None, on=date(2023, 12, 20),
                                     since=SINCE, window=7)
    for day in (day1, day2):  # the very same outlines, not recomputed
        assert len(day) == len(display)
        assert all(a is b for a, b in zip(day.geometry.values, display.geometry.values, strict=True))
    assert day1["status"].tolist() == status["status"].tolist()
    assert set(day2["status"]) == {"none"}
    assert day1["tip"].iloc[0].endswith("<i>ordered in the last 7 days</i>")
    assert day2["tip"].iloc[0].endswith("<i>not ordered</i>")
    assert day1["tip"].iloc[0].startswith(display["tip_head"].iloc[0])
    assert "status" not in display.columns  # the shared frame is never changed


def test_default_view_html_size(base, status):
    html = map_draw.render_html(map_draw.build_map(full_input(base, status)))
    assert len(html.encode()) < 2_000_000


# ---------------------------------------------------------------- imported (workspace) layers

def imported_events(blocks: gpd.GeoDataFrame, n: int = 4, *, dataset: str = "csv upload", text: str = "note"
                    ) -> gpd.GeoDataFrame:
    """Events as the workspace stores them (datetime64 dates, nullable string/Int64 columns), at block points."""
    b = blocks.sort_values("block_id").iloc[[10, 10, 200, 400, 500][:n]]
    dates = ["2023-12-01", "2023-12-02", "2023-11-20", "2023-12-02", "2023-12-02"][:n]  # the third: before
    frame = pd.DataFrame({
        "event_id": [f"ev{i}" for i in range(n)], "date": pd.to_datetime(dates), "kind": ["airstrike"] * n,
        "fatalities": pd.array([3, None, 1, 0, 2][:n], dtype="Int64"), "location": [f"{text} place"] * n,
        "pcode": b["pcode"].to_numpy(), "block_id": pd.array(b["block_id"].to_numpy(), dtype="Int64"),
        "dataset": [dataset] * n, "source": ["my source"] * n, "source_url": [None] * n,
        "geo_precision": ["1"] * n, "notes": [f"{text} notes"] * n})
    for c in ("event_id", "kind", "location", "pcode", "dataset", "source", "source_url", "geo_precision", "notes"):
        frame[c] = frame[c].astype("string")
    return gpd.GeoDataFrame(frame, geometry=b.geometry.representative_point().to_numpy(), crs="EPSG:4326")


def features_of(html: str, layer: str) -> int:
    return len(re.findall(r'"ws":\s*"' + re.escape(layer) + '"', html))


def test_imported_event_layer_is_drawn_apart_with_its_legend_entry(base, status):
    frame = imported_events(base["blocks"])  # 4 events, the third dated before the 7-day window
    layer = map_layers.prepare_workspace_layer({"name": "my-points", "kind": "events", "acled": False}, frame,
                                         on=ON, window=7, blocks=base["blocks"], governorates=base["governorates"])
    assert layer.count == 3 and not layer.aggregated
    html = map_draw.render_html(map_draw.build_map(full_input(base, status, workspace=[layer])))
    assert features_of(html, "my-points") == 3  # the window's events, one feature each
    legend = "".join(html.split())
    assert "Imported:my-points" in legend and "points:3inthelast7days" in legend
    assert "Strikes/incidents,last7days" in legend  # the shipped incidents keep their own entry
    assert map_draw.WORKSPACE_COLOURS[0] in html and map_draw.WORKSPACE_RIM in html
    assert "L.marker(" not in html  # circle markers on the canvas, as the shipped incidents
    assert "Imported: my-points" in html  # the layer control's toggle
    # the shipped incidents layer is unchanged: its three small events are still three features
    assert html.count('"radius":') >= 6


def test_acled_layer_aggregated_by_default_with_attribution(base, status):
    frame = imported_events(base["blocks"], 5, dataset="ACLED", text="ACLEDROWTEXT")
    entry = {"name": "acled-export", "kind": "events", "acled": True}
    layer = map_layers.prepare_workspace_layer(entry, frame, on=ON, window=7, blocks=base["blocks"], governorates=base["governorates"])
    assert layer.aggregated and layer.count == 4
    html = map_draw.render_html(map_draw.build_map(full_input(base, status, workspace=[layer]))).replace("\\u0026", "&")
    # one feature per block (two of the window's events share a block), sized by count
    assert features_of(html, "acled-export") == 3
    assert "ACLEDROWTEXT" not in html  # no location or notes of any row
    assert "2 event(s)" in html
    assert "Armed Conflict Location &amp; Event Data (ACLED)" in html
    assert re.search(r"attributionControl\.addAttribution\(\s*\"Armed Conflict Location", html)
    assert "ACLED, aggregated by block" in html
    # a person's own switch to event detail shows the rows (still with the attribution)
    detail = map_layers.prepare_workspace_layer(entry, frame, on=ON, window=7, blocks=base["blocks"], governorates=base["governorates"], acled_detail=True)
    html2 = map_draw.render_html(map_draw.build_map(full_input(base, status, workspace=[detail]))).replace("\\u0026", "&")
    assert features_of(html2, "acled-export") == 4 and "ACLEDROWTEXT notes" in html2
    assert "Armed Conflict Location &amp; Event Data (ACLED)" in html2
    # no attribution when no ACLED layer shows
    plain = map_draw.render_html(map_draw.build_map(full_input(base, status)))
    assert "Armed Conflict Location" not in plain


def test_imported_zones_and_figures_and_every_text_escaped(base, status):
    events = imported_events(base["blocks"], text=HOSTILE)
    events["kind"] = pd.array([HOSTILE] * len(events), dtype="string")
    zones = gpd.GeoDataFrame({"zone_id": ["z1", "z2"], "kind": [HOSTILE, "zone"], "name": [HOSTILE, "Later zone"],
                              "valid_from": pd.to_datetime(["2023-11-30", "2023-12-10"]),
                              "valid_to": pd.to_datetime([None, None]), "source": [HOSTILE, "x"],
                              "area_km2": [1.0, 1.0]},
                             geometry=[box(34.30, 31.40, 34.33, 31.43), box(34.40, 31.45, 34.42, 31.47)], crs=4326)
    gov = base["governorates"].set_index("pcode")
    figures = gpd.GeoDataFrame({"date": pd.to_datetime(["2023-11-30", "2023-12-02", "2023-12-20"]),
                                "pcode": ["PS0270", "PS0270", "PS0270"], "metric": [HOSTILE, HOSTILE, HOSTILE],
                                "value": [1234, 43210, 98765], "name": [HOSTILE] * 3, "name_ar": [HOSTILE] * 3,
                                "source": [HOSTILE] * 3, "dataset": ["HXL"] * 3},
                               geometry=[gov.loc["PS0270"].geometry.representative_point()] * 3, crs=4326)
    layers = [
        map_layers.prepare_workspace_layer({"name": HOSTILE, "kind": "events"}, events, on=ON, window=7, blocks=base["blocks"], governorates=base["governorates"]),
        map_layers.prepare_workspace_layer({"name": "zones-x", "kind": "zones"}, zones, on=ON, window=7, blocks=base["blocks"], governorates=base["governorates"]),
        map_layers.prepare_workspace_layer({"name": "figs", "kind": "figures"}, figures, on=ON, window=7, blocks=base["blocks"], governorates=base["governorates"]),
    ]
    html = map_draw.render_html(map_draw.build_map(full_input(base, status, workspace=layers)))
    assert features_of(html, "zones-x") == 1  # only the zone valid on the date, as an outline
    assert "gdm-ws-zone" in html and '"fill":false' in "".join(html.split())
    assert features_of(html, "figs") == 1  # one labelled point per governorate: the latest value by the date
    assert "43,210" in html and "1,234" not in html and "98,765" not in html and "gdm-ws-label" in html
    assert "<img src=x" not in html
    assert "\\u003cimg src=x" not in html  # not even inside the embedded JSON
    assert "&lt;img src=x onerror=alert(1)&gt;" in html.replace("\\u0026", "&")
    assert "`bt`" not in html and "${x}" not in html


def test_map_and_metrics_count_the_same_rows_on_a_date(base):
    frame = imported_events(base["blocks"], 5)  # dated 1, 2 Dec, 20 Nov, 2, 2 Dec
    entry = {"name": "mine", "kind": "events"}
    for on, window in ((ON, 7), (ON, 1), (date(2023, 11, 26), 7), (date(2023, 11, 19), 7)):
        layer = map_layers.prepare_workspace_layer(entry, frame, on=on, window=window, blocks=base["blocks"],
                                                   governorates=base["governorates"])
        assert layer.count == metrics.workspace_strikes([(entry, frame)], on, window)["mine"]["count"], (on, window)
    assert [map_layers.prepare_workspace_layer(entry, frame, on=ON, window=w, blocks=base["blocks"],
                                               governorates=base["governorates"]).count for w in (1, 7, 13)] == [3, 4, 5]
    # zones: an imported zone that ends on the date is no longer drawn, as the metrics' zone rule says
    zones = gpd.GeoDataFrame({"zone_id": ["ends", "starts"], "kind": ["zone", "zone"], "name": ["Ends", "Starts"],
                              "valid_from": pd.to_datetime(["2023-11-01", "2023-12-02"]),
                              "valid_to": pd.to_datetime(["2023-12-02", None]), "source": ["x", "x"],
                              "area_km2": [1.0, 1.0]},
                             geometry=[box(34.30, 31.40, 34.33, 31.43), box(34.40, 31.45, 34.42, 31.47)], crs=4326)
    layer = map_layers.prepare_workspace_layer({"name": "z", "kind": "zones"}, zones, on=ON, window=7,
                                               blocks=base["blocks"], governorates=base["governorates"])
    assert layer.frame["zone_id"].tolist() == zones_valid_on(zones, ON)["zone_id"].tolist() == ["starts"]
