"""Where every raw file comes from: origin, licence and caveat, as data.

The build refuses to read a file under ``geodata/raw`` that is not listed
here, so nothing reaches the bundle without a recorded source.  The
dashboard's Data page and ``geodata/SOURCES.md`` show the same records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Provenance:
    prefix: str  # path under geodata/raw (a file, or a folder ending with "/")
    origin: str
    licence: str
    title: str
    caveat: str = ""
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


NO_LICENCE = "none stated"
_BOTH = "bothness/gaza-geojson @ 39b07d99"
_GDA = "Mohammadbalata/Gaza-Damage-Assessment-Frontend @ 83bdbb6b"
_NIBAL = "mushon/nibal @ 8c8ea120"
_TFP = "TechForPalestine/palestine-datasets @ 9ea6456f"
_EDARIN = "edarin/Gaza_displacement_analytics @ de26efa0"
_GNP = "realgoodresearch/GazaNowPop @ 1b8495f2"
_NO_LIC_CAVEAT = ("No licence stated by the source repository: used to build and test; "
                  "shipped as a derived layer with its origin stated.")

PROVENANCE: list[Provenance] = [
    Provenance("boundaries/gaza-strip.bothness.geojson", f"{_BOTH}, areas/gaza-strip.geojson", NO_LICENCE,
               "Gaza Strip outline", _NO_LIC_CAVEAT, "https://github.com/bothness/gaza-geojson"),
    Provenance("boundaries/gaza-strip.tentnetfa.geojson",
               "realgoodresearch/TentNetFA @ 15eec693, displacement_tracker/evaluation/spatial_data/layers/gaza_strip.json",
               "MIT", "Gaza Strip outline (3 identical rows)", "", "https://github.com/realgoodresearch/TentNetFA"),
    Provenance("boundaries/governorates-ar.geojson", f"{_GDA}, public/Governorates.json", NO_LICENCE,
               "Governorate polygons (Arabic names)", _NO_LIC_CAVEAT + " Simplified and clipped to the Strip outline.",
               "https://github.com/Mohammadbalata/Gaza-Damage-Assessment-Frontend"),
    Provenance("boundaries/municipalities-ar.geojson", f"{_GDA}, public/Municipalitys.json", NO_LICENCE,
               "Municipality polygons (Arabic)", _NO_LIC_CAVEAT),
    Provenance("boundaries/municipalities-tentnetfa/", "realgoodresearch/TentNetFA @ d0efcd83, gaza_boundaries/",
               "MIT", "Municipal boundaries (shapefile, 33 polygons)", "", "https://github.com/realgoodresearch/TentNetFA"),
    Provenance("boundaries/osm-gaza-admin.geojson", f"{_NIBAL}, map/gaza.geojson (OpenStreetMap export 2025-10-28)",
               "ODbL 1.0 (OpenStreetMap)", "OSM municipal boundaries and names",
               "© OpenStreetMap contributors; derived layers are shared under the ODbL.",
               "https://www.openstreetmap.org/copyright"),
    Provenance("boundaries/buffer-zone-1000m.bothness.geojson", f"{_BOTH}, boundaries/buffer-1000m-wgs84.geojson",
               NO_LICENCE, "1 km band inside the perimeter fence", _NO_LIC_CAVEAT),
    Provenance("blocks/evacuation-blocks.geojson",
               f"{_GNP} (copy of bothness/gaza-geojson blocks/dash_population_blocks.geojson)", "GPL-3.0",
               "IDF evacuation-block grid published 1 Dec 2023 (620 blocks)",
               "GPL-3.0: the derived blocks layer is shared under the GPL-3.0. The grid itself was published by the IDF.",
               "https://github.com/realgoodresearch/GazaNowPop"),
    Provenance("orders/gazamaps-orders.json", "MIT-Emerging-Talent/ET6-CDSP-starter @ 86cc438d (data from gazamaps.com)",
               NO_LICENCE, "Evacuation orders Oct 2023 - Jun 2025 (GazaMaps)",
               _NO_LIC_CAVEAT + " Compiled by gazamaps.com from IDF posts.", "https://gazamaps.com"),
    Provenance("orders/gazamaps-orders.data-dictionary.md", "MIT-Emerging-Talent/ET6-CDSP-starter @ 86cc438d",
               NO_LICENCE, "Field documentation of the GazaMaps orders"),
    Provenance("orders/ocha-orders-2025.csv", _GNP, "GPL-3.0", "Blocks under evacuation orders in 2025 (typed from OCHA's dashboard)",
               "GPL-3.0 (repository); figures from UN OCHA.", "https://github.com/realgoodresearch/GazaNowPop"),
    Provenance("orders/blocks-ordered-2023-12-02.bothness.geojson", _BOTH, NO_LICENCE,
               "Blocks ordered to evacuate on 2 Dec 2023", _NO_LIC_CAVEAT),
    Provenance("orders/blocks-ordered-2023-12-04.bothness.geojson", _BOTH, NO_LICENCE,
               "Blocks ordered to evacuate on 4 Dec 2023", _NO_LIC_CAVEAT),
    Provenance("orders/evacuation-area-north-oct2023.bothness.geojson", _BOTH, NO_LICENCE,
               "Area north of Wadi Gaza ordered out on 13 Oct 2023", _NO_LIC_CAVEAT),
    Provenance("orders/idf-zones/", f"{_NIBAL}, map/IDF_zone_*.geojson (data from gazamaps.com)",
               "MIT (repository code); " + NO_LICENCE + " for the data by gazamaps.com",
               "GazaMaps' per-period order layers (15 files): block and sub-block outlines per order, Displaced/Safe",
               "The repository's MIT licence covers its code; gazamaps.com states no licence for the data. "
               + _NO_LIC_CAVEAT, "https://gazamaps.com"),
    Provenance("orders/reported-unmapped-2023-12_2024-01.csv",
               "this project, compiled from the reports cited per row (OCHA flash updates and their press reproductions)",
               NO_LICENCE + " by the cited reports (facts restated as data, each row with its source)",
               "Evacuation orders of Dec 2023 - Jan 2024 reported by OCHA or UNRWA that no block source maps",
               "Shipped as 'reported, not mapped' orders, attributed; never added into the mapped area."),
    Provenance("zones/humanitarian-zones.tentnetfa.geojson", "realgoodresearch/TentNetFA @ 15eec693", "MIT",
               "Declared 'humanitarian zone' over time", "The repository does not state where the zone outlines come from."),
    Provenance("zones/al-mawasi-safe-area-2023-12.bothness.geojson", _BOTH, NO_LICENCE,
               "Al-Mawasi area proposed in Nov/Dec 2023", _NO_LIC_CAVEAT),
    Provenance("places/communities-pcbs2017.bothness.geojson", _BOTH, NO_LICENCE + " (PCBS figures)",
               "PCBS 2017 census localities (43 points)",
               _NO_LIC_CAVEAT + " Population figures: Palestinian Central Bureau of Statistics, Census 2017."),
    Provenance("places/camps.bothness.geojson", _BOTH, NO_LICENCE, "Refugee camp outlines", _NO_LIC_CAVEAT),
    Provenance("places/wadi-gaza.bothness.geojson", f"{_BOTH}, ways/wadi-river.geojson", NO_LICENCE,
               "Wadi Gaza watercourse", _NO_LIC_CAVEAT),
    Provenance("places/landmarks-ar.geojson", _GDA, NO_LICENCE, "Named landmarks (Arabic)", _NO_LIC_CAVEAT),
    Provenance("population/pcbs-2017-strip.techforpalestine.json", _TFP, "public domain (repository); PCBS 'all rights reserved'",
               "PCBS Census 2017 and mid-2023 estimate for the Strip",
               "The figures are PCBS's; the file states PCBS reserves its rights. Only totals are used.",
               "https://github.com/TechForPalestine/palestine-datasets"),
    Provenance("population/population-by-governorate-daily.edarin.csv", _EDARIN, "MIT",
               "Daily population by governorate (advertising-audience estimates)",
               "Estimated from advertising audience counts; a floor value means 'at most'.",
               "https://github.com/edarin/Gaza_displacement_analytics"),
    Provenance("population/unrwa-idp-counts.edarin.csv", _EDARIN, "MIT", "UNRWA IDP counts", ""),
    Provenance("timeseries/casualties_daily.json", _TFP, "public domain", "Daily killed and injured (Gaza MoH via Tech for Palestine)",
               "Figures reported by the Gaza Ministry of Health; ext_* fields are filled gaps.",
               "https://github.com/TechForPalestine/palestine-datasets"),
    Provenance("timeseries/casualties-daily.mdx", _TFP, "public domain", "Field documentation of casualties_daily.json"),
    Provenance("timeseries/infrastructure-damaged.json", _TFP, "public domain", "Cumulative infrastructure damage"),
    Provenance("timeseries/infrastructure-damaged.mdx", _TFP, "public domain", "Field documentation"),
    Provenance("timeseries/governorate-daily-covariates.edarin.csv", _EDARIN, "MIT", "Per-governorate daily covariates"),
    Provenance("timeseries/food-trucks-daily-2023.csv", "Gaza-projections/gaza_projections @ 9d53b61b", NO_LICENCE,
               "Aid trucks entering Gaza per day, Oct 2023 - Jan 2024", _NO_LIC_CAVEAT),
    Provenance("timeseries/aid-trucks-monthly-cogat.json", "leemordechai/Gaza-starvation-scrollytelling @ 28701d02",
               NO_LICENCE, "Aid trucks per month (COGAT)", _NO_LIC_CAVEAT + " Figures published by COGAT."),
    Provenance("events/insecurity-insight/", "OCHA-DAP/hdx-scraper-insecurity-insight @ 8207e872", "CC BY 4.0 (HDX)",
               "Insecurity Insight incident data", "Attribution: Insecurity Insight.", "https://insecurityinsight.org"),
    Provenance("events/forensic-architecture-jabalia-oct2023.tsv", _NIBAL, "MIT (repository)",
               "Attack points in Jabalia, October 2023 (Forensic Architecture)", "Attribution: Forensic Architecture."),
    Provenance("events/unosat-damage-density-2023-10-15.geojson", _NIBAL, "MIT (repository; UNOSAT source)",
               "UNOSAT damage density 15 Oct 2023", "Attribution: UNOSAT."),
    Provenance("events/unosat-damage-density-2025-10-11.geojson", _NIBAL, "MIT (repository; UNOSAT source)",
               "UNOSAT damage density 11 Oct 2025", "Attribution: UNOSAT."),
    Provenance("hxl/", "HDX / OCHA-DAP/hdx-python-scraper test fixtures", "MIT / CC BY (HDX)",
               "HXL-tagged example sheets (import tests)"),
    # places (gazetteer) reference list, written for this project (issue 2/6):
    Provenance("reference/gazetteer-places.csv", "this project (places list, English/Arabic names, aliases; "
               "crossing and outside-Gaza coordinates from the Wikipedia articles cited per row)", "CC BY 4.0",
               "Gazetteer reference list: names, aliases, kinds, cited coordinates, region rules",
               "Coordinates of crossings from Wikipedia (CC BY-SA text; coordinates are facts); places outside "
               "Gaza are rounded to 0.01 degree and only listed, never drawn."),
    Provenance("reference/ocha-statements.csv",
               "this project, compiled from OCHA statements as reproduced by the press outlets cited per row",
               NO_LICENCE + " by the cited reports (facts restated as data, each row with its source)",
               "Dated OCHA statements: share or km² under evacuation orders, zone area, with their definition",
               "Most rows are press reproductions of OCHA updates; shown beside the project's figure, never merged."),
    Provenance("reference/zone-area-reports.csv",
               "this project, compiled from the press reports cited per row",
               NO_LICENCE + " by the cited reports (facts restated as data, each row with its source)",
               "Press figures for the area of the declared Al-Mawasi zone (Dec 2023 - Feb 2024)",
               "Shown beside the area of the zone outline shipped here, attributed; never merged with it."),
    Provenance("reference/", "this project", "CC BY 4.0",
               "Reference points and claims compiled by this project from cited public sources"),
    Provenance("reference/facility-kinds.csv", "this project (rules written against the names of "
               "places/landmarks-ar.geojson; each rule's example is a real name)", "CC BY 4.0",
               "Facility kinds: Arabic name rules (first word / any words / all words) -> kind",
               "Rules are tried in order, the first match wins; names no rule matches are kept as 'other'."),
]


def provenance_for(relpath: str) -> Provenance | None:
    """The record covering ``relpath`` (a path under geodata/raw, with '/')."""
    best: Provenance | None = None
    for p in PROVENANCE:
        if relpath == p.prefix or (p.prefix.endswith("/") and relpath.startswith(p.prefix)):
            if best is None or len(p.prefix) > len(best.prefix):
                best = p
    return best


def sources_table() -> str:
    """The Markdown table of raw sources kept in geodata/SOURCES.md (generated, so it cannot drift)."""
    lines = ["| file under geodata/raw | what it holds | origin (repository @ commit, path) | licence | caveat |",
             "|---|---|---|---|---|"]
    for p in sorted(PROVENANCE, key=lambda p: p.prefix):
        cells = [f"`{p.prefix}`", p.title, p.origin + (f" ({p.url})" if p.url else ""), p.licence, p.caveat or ""]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)
