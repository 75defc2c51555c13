"""The situation report's words and number formats.

Every label, definition and legend entry the page prints is a key of ``MESSAGES``, whose values are English
messages of the translation catalogues (``pipeline/locale``, extracted by ``bash scripts/i18n``): the Arabic page
prints the catalogue's Arabic, like the dashboard. Values from the data (source names, order ids) are printed as
the data has them.

Numbers and dates follow the dashboard's convention (:mod:`pipeline.core.i18n`, stated on the Method page):
Western digits grouped with commas (``1,502,092``), a point for decimals (``84.3``), ``%`` after the number
(``23.1%``); Gregorian months by their names as used in Palestine (CLDR ``ar_PS``: ``2 كانون الأول 2023``), in
tables day/month/year in digits (``2/12/2023``). Short vowel marks (harakat) are left out, as in most printed
Arabic: at 6 pt they crowd the line above. The English page writes ``1,502,092``, ``84.3`` and ``2 Dec 2023``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date  # the class below has a method named ``date``

from pipeline.core.i18n import N_, date_text, isolate, month_names, number_text, translate
from pipeline.core.layers import PCODES_AR

LANGS = ("en", "ar")

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

RLM = "\u200f"

MESSAGES: dict[str, str] = {
    "title": N_("Gaza Strip: evacuation orders and displacement, {on}"),
    "framing": N_("Orders counted {framing}; \"recent\" orders and incidents: the {days} {start} to {on}."),
    "framing_grid": N_("since the block grid was published ({since})"),
    "framing_war": N_("since 7 Oct 2023"),
    "framing_date": N_("since {since}"),
    "figures": N_("Headline figures"),
    "area": N_("Area under evacuation orders"),
    "area_value": N_("{km2} km² ({pct} of the Strip)"),
    "area_def": N_("Union of the blocks and areas named by orders issued {since} to {on}, each block counted once."),
    "recent": N_("Ordered in the last {days}"),
    "recent_value": N_("{km2} km² ({pct}), {blocks} blocks"),
    "recent_def": N_("The same for orders issued {start} to {on}."),
    "pop": N_("People living there before the war"),
    "pop_value": N_("about {n} (estimate)"),
    "pop_def": N_("Sum of the blocks' pre-war population estimate (dasymetric, PCBS figures); not a count."),
    "pop_source": N_("PCBS mid-2023 estimate and 2017 census localities, spread over the IDF block grid"),
    "zone": N_("Humanitarian zone declared"),
    "zone_value": N_("{km2} km²"),
    "zone_none": N_("none declared"),
    "zone_def": N_("The zone version in force on the date (declared {valid_from})."),
    "incidents": N_("Incidents in the window"),
    "incidents_value": N_("{n} incidents, {deaths} reported deaths"),
    "incidents_def": N_("Geolocated incidents {start} to {on} (samples, not all strikes); {inside} inside the zone."),
    "killed": N_("Killed since 7 Oct 2023"),
    "killed_def": N_("Cumulative, latest report on or before the date."),
    "trucks": N_("Aid trucks"),
    "trucks_day": N_("{n} on the day"),
    "trucks_month": N_("{n} in {month}"),
    "trucks_def": N_("Trucks that entered Gaza: daily file where it covers the date, COGAT monthly total."),
    "no_data": N_("no data"),
    "source": N_("Source: {source}; {as_of}."),
    "source_only": N_("Source: {source}."),
    "as_of": N_("as of {d}"),
    "statement": N_("OCHA said ({d}): {text}"),
    "reference": N_("{theirs}{definition}; ours on the same definition {ours}, a gap of {gap} points"),
    "reference_other": N_("{theirs}{definition}: another definition, not compared"),
    "unmapped": N_("Reported but not mapped (not counted): {items}"),
    "unplaced": N_("Orders with no mapped blocks (listed, not counted): {items}"),
    "orders": N_("Orders issued in the window"),
    "orders_none": N_("No order issued in the window."),
    "orders_more": N_("... and {n} more (see the dashboard)."),
    "col_date": N_("Issued"), "col_order": N_("Order"), "col_source": N_("Source"), "col_blocks": N_("Blocks"),
    "col_km2": N_("km²"), "col_people": N_("Pre-war people"),
    "people": N_("Where people are"),
    "people_series": N_("{unit} on {d}, by governorate. {method}"),
    "people_prewar": N_("Pre-war baseline (no dated estimate in the {days} before the date): {source}"),
    "col_gov": N_("Governorate"), "col_people_n": N_("People"), "col_share": N_("Share"),
    "south": N_("South of Wadi Gaza: {pct}"),
    "claim": N_("Attributed claim, {d}: {figure}, \"{claim}\" ({who})."),
    "at_most": N_("at most"),
    "legend_recent": N_("Ordered in the last {days}"),
    "legend_earlier": N_("Ordered earlier, since {since}"),
    "legend_none": N_("Not ordered in this period"),
    "legend_zone": N_("Humanitarian zone declared on the date"),
    "legend_incidents": N_("Incidents, {start} to {on}\n(size: reported deaths)"),
    "legend_gov": N_("Governorate boundary"),
    "legend_places": N_("Places"),
    "north": N_("N"),
    "km": N_("{n} km"),
    "sources": N_("Sources and licences"),
    "built": N_("Data bundle built {built}; page made {made} with matplotlib (font DejaVu Sans)."),
    "link": N_("Same view in the dashboard: {url}"),
}


def strings(lang: str) -> dict[str, str]:
    """The page's messages in ``lang`` (the catalogue's; English where it has none)."""
    return {k: translate(v, lang) for k, v in MESSAGES.items()}

# Layer names in the sources list (the Arabic page does not print the data's English), as catalogue messages.
LAYER_NAMES = {"strip": N_("outline"), "governorates": N_("governorates"), "blocks": N_("blocks"),
               "localities": N_("localities"), "orders": N_("orders"), "order_blocks": N_("orders"),
               "zones": N_("zone"), "events": N_("incidents"), "places": N_("places"), "series": N_("dated series"),
               "claims": N_("reported claims")}
GOV_AR = PCODES_AR

# The data's units as the report names them.
UNITS = {"adults (18+)": N_("Adults (18+)"), "people": N_("People")}
# Sentences of the shipped data the report restates in the page's language: the data's English is the message, so
# the catalogue holds their translation; a sentence the catalogue does not have is printed as the data has it.
DATA_SENTENCES = (
    N_("Advertising-audience estimate (edarin/Gaza_displacement_analytics): Meta monthly active users aged 18+ per "
       "governorate scaled to population; adults only."),
    N_("Share of Gaza's population now in the south after the north was ordered out"),
)


def layer_name(layer: str, lang: str) -> str:
    """A layer's name in the sources list, in ``lang``."""
    return translate(LAYER_NAMES[layer], lang) if layer in LAYER_NAMES else layer


@dataclass(frozen=True)
class Words:
    """The strings and number formats of one language."""

    lang: str

    @property
    def rtl(self) -> bool:
        return self.lang == "ar"

    def t(self, key: str, **kw: object) -> str:
        return translate(MESSAGES[key], self.lang).format(**kw)

    def num(self, n: float | int | None) -> str:
        """A whole number with thousands separators; ``no data`` for None."""
        if n is None:
            return self.t("no_data")
        return number_text(round(float(n)), self.lang) if self.rtl else f"{round(float(n)):,}"

    def dec(self, x: float | None, places: int = 1) -> str:
        if x is None:
            return self.t("no_data")
        return number_text(float(x), self.lang, digits=places) if self.rtl else f"{float(x):,.{places}f}"

    def pct(self, share: float | None, places: int = 1) -> str:
        """``23.1%`` in either language (the percent sign after the number, as the dashboard writes it)."""
        if share is None:
            return self.t("no_data")
        return f"{100 * float(share):.{places}f}%"

    def date(self, d: Date | None) -> str:
        if d is None:
            return self.t("no_data")
        if self.rtl:
            return date_text(d, self.lang)
        return f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"

    def iso(self, text: str) -> str:
        """Data text (source names, ids) kept in its own order on a right-to-left page."""
        return isolate(text) if self.rtl else text

    def short_date(self, d: Date | None) -> str:
        """Dates in tables: ``2 Dec 2023``; on the Arabic page day/month/year in digits (``2/12/2023``)."""
        if d is None or not self.rtl:
            return self.date(d)
        return f"{d.day}/{d.month}/{d.year}"

    def days(self, n: int) -> str:
        """"7 days" / Arabic with the noun agreeing with the number."""
        if not self.rtl:
            return "day" if n == 1 else f"{n} days"
        if n == 1:
            return "يوم واحد"
        if n == 2:
            return "يومين"
        return f"{n} أيام" if 3 <= n <= 10 else f"{n} يوما"

    def month(self, d: Date) -> str:
        return f"{month_names(self.lang)[d.month - 1]} {d.year}" if self.rtl else f"{_EN_MONTHS[d.month - 1]} {d.year}"

    def unit(self, unit: str) -> str:
        """The data's unit (``adults (18+)``) as the report names it; an unknown one as written."""
        return translate(UNITS[unit], self.lang) if unit in UNITS else self.iso(unit)

    def data_text(self, text: str) -> str:
        """A sentence from the data (:data:`DATA_SENTENCES`) in the page's language, else as written (isolated)."""
        said = translate(text, self.lang)
        return said if said != text or not self.rtl else self.iso(text)

    def place(self, name_en: str, name_ar: str | None) -> str:
        """Place label: Arabic on the Arabic page, both scripts on the English page."""
        if self.rtl:
            return name_ar or name_en
        return f"{name_en} {name_ar}" if name_ar else name_en
