"""Map colours and the places labelled on every map: one palette for the web map and the printed report.

The values are the web map's (ColorBrewer OrRd for block status: colour-blind and photocopy safe;
a green zone apart in hue; dark blue incident dots with a white rim that read on all three block fills).
``tests/test_sitrep.py`` checks they equal the ones the dashboard draws with.
"""

from __future__ import annotations

STATUS_COLOURS = {"recent": "#b30000", "earlier": "#fc8d59", "none": "#fef0d9"}
STATUS_ORDER = ("recent", "earlier", "none")
STRIP_COLOUR = "#1a1a1a"
GOV_COLOUR = "#525252"
ZONE_COLOUR = "#1b7837"
INCIDENT_COLOUR = "#08306b"
CLAIM_COLOUR = "#6a51a3"
PLACE_COLOUR = "#252525"
BACKGROUND = "#eef1f4"
BLOCK_EDGE = "#7a7a7a"

# Labelled permanently (the main towns and the places the default scenario names).
MAJOR_PLACES = ("gaza-city", "jabalia", "beit-lahia", "beit-hanoun", "nuseirat", "deir-al-balah", "khan-younis",
                "rafah", "al-mawasi", "khuzaa")

# Facilities by kind (pipeline.core.facilities): one colour a kind, on the Orders page and the Map page.
FACILITY_COLOURS: dict[str, str] = {
    "school": "#1f77b4", "hospital": "#d62728", "clinic": "#e377c2", "pharmacy": "#9467bd", "water": "#17becf",
    "bakery": "#8c564b", "mosque": "#2ca02c", "shelter": "#ff7f0e", "other": "#7f7f7f",
}

# Imported (workspace) layers, one colour each in turn (magenta, ochre, teal, brown, grey: apart from the blocks,
# the zone and the incidents), with a black rim on points.
WORKSPACE_COLOURS = ("#c51b7d", "#e6ab02", "#01665e", "#8c510a", "#4d4d4d")
WORKSPACE_RIM = "#000000"
