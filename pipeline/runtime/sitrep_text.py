"""The situation report's words and number formats: one table per language.

Every label, definition and legend entry the page prints is a key of ``STRINGS[lang]`` (a later step
moves the tables into gettext catalogues). Values from the data (source names, order ids) are printed
as the data has them.

Number convention of the Arabic page: Western digits (0-9) with the Arabic thousands separator U+066C
(``1٬502٬092``), the Arabic decimal separator U+066B (``84٫3``) and the Arabic percent sign U+066A;
Gregorian dates with the month in the United Nations' Arabic form, Levantine and Egyptian names together
(``2 كانون الأول/ديسمبر 2023``), in tables day/month/year in digits (``2/12/2023``). Short vowel marks (harakat) are left out, as in most printed Arabic: at 6 pt they
crowd the line above. The English page writes ``1,502,092``, ``84.3`` and ``2 Dec 2023``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date  # the class below has a method named ``date``

from pipeline.core.i18n import isolate
from pipeline.core.layers import PCODES_AR

LANGS = ("en", "ar")

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_AR_MONTHS = ("كانون الثاني/يناير", "شباط/فبراير", "آذار/مارس", "نيسان/أبريل", "أيار/مايو", "حزيران/يونيه",
              "تموز/يوليه", "آب/أغسطس", "أيلول/سبتمبر", "تشرين الأول/أكتوبر", "تشرين الثاني/نوفمبر",
              "كانون الأول/ديسمبر")

RLM = "\u200f"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Gaza Strip: evacuation orders and displacement, {on}",
        "framing": "Orders counted {framing}; \"recent\" orders and incidents: the {days} {start} to {on}.",
        "framing_grid": "since the block grid was published ({since})",
        "framing_war": "since 7 Oct 2023",
        "framing_date": "since {since}",
        "figures": "Headline figures",
        "area": "Area under evacuation orders",
        "area_value": "{km2} km² ({pct} of the Strip)",
        "area_def": "Union of the blocks and areas named by orders issued {since} to {on}, each block counted once.",
        "recent": "Ordered in the last {days}",
        "recent_value": "{km2} km² ({pct}), {blocks} blocks",
        "recent_def": "The same for orders issued {start} to {on}.",
        "pop": "People living there before the war",
        "pop_value": "about {n} (estimate)",
        "pop_def": "Sum of the blocks' pre-war population estimate (dasymetric, PCBS figures); not a count.",
        "pop_source": "PCBS mid-2023 estimate and 2017 census localities, spread over the IDF block grid",
        "zone": "Humanitarian zone declared",
        "zone_value": "{km2} km²",
        "zone_none": "none declared",
        "zone_def": "The zone version in force on the date (declared {valid_from}).",
        "incidents": "Incidents in the window",
        "incidents_value": "{n} incidents, {deaths} reported deaths",
        "incidents_def": "Geolocated incidents {start} to {on} (samples, not all strikes); {inside} inside the zone.",
        "killed": "Killed since 7 Oct 2023",
        "killed_def": "Cumulative, latest report on or before the date.",
        "trucks": "Aid trucks",
        "trucks_day": "{n} on the day",
        "trucks_month": "{n} in {month}",
        "trucks_def": "Trucks that entered Gaza: daily file where it covers the date, COGAT monthly total.",
        "no_data": "no data",
        "source": "Source: {source}; {as_of}.",
        "source_only": "Source: {source}.",
        "as_of": "as of {d}",
        "statement": "OCHA said ({d}): {text}",
        "reference": "{theirs} ({definition}); ours on the same definition {ours}, a gap of {gap} points",
        "reference_other": "{theirs} ({definition}): another definition, not compared",
        "unmapped": "Reported but not mapped (not counted): {items}",
        "unplaced": "Orders with no mapped blocks (listed, not counted): {items}",
        "orders": "Orders issued in the window",
        "orders_none": "No order issued in the window.",
        "orders_more": "... and {n} more (see the dashboard).",
        "col_date": "Issued", "col_order": "Order", "col_source": "Source", "col_blocks": "Blocks",
        "col_km2": "km²", "col_people": "Pre-war people",
        "people": "Where people are",
        "people_series": "{unit} on {d}, by governorate. {method}",
        "people_prewar": "Pre-war baseline (no dated estimate in the {days} before the date): {source}",
        "col_gov": "Governorate", "col_people_n": "People", "col_share": "Share",
        "south": "South of Wadi Gaza: {pct}",
        "claim": "Attributed claim, {d}: {figure}, \"{claim}\" ({who}).",
        "at_most": "at most",
        "legend_recent": "Ordered in the last {days}",
        "legend_earlier": "Ordered earlier, since {since}",
        "legend_none": "Not ordered in this period",
        "legend_zone": "Humanitarian zone declared on the date",
        "legend_incidents": "Incidents, {start} to {on}\n(size: reported deaths)",
        "legend_gov": "Governorate boundary",
        "legend_places": "Places",
        "north": "N",
        "km": "{n} km",
        "sources": "Sources and licences",
        "built": "Data bundle built {built}; page made {made} with matplotlib (font DejaVu Sans).",
        "link": "Same view in the dashboard: {url}",
    },
    "ar": {
        "title": "قطاع غزة: أوامر الإخلاء والنزوح، {on}",
        "framing": "الأوامر محسوبة {framing}؛ الأوامر «الأخيرة» والحوادث: {days} من {start} إلى {on}.",
        "framing_grid": "منذ نشر خريطة البلوكات ({since})",
        "framing_war": "منذ 7 تشرين الأول/أكتوبر 2023",
        "framing_date": "منذ {since}",
        "figures": "الأرقام الرئيسية",
        "area": "المساحة الخاضعة لأوامر الإخلاء",
        "area_value": "{km2} كم² ({pct} من القطاع)",
        "area_def": "اتحاد البلوكات والمناطق التي سمتها أوامر صدرت من {since} إلى {on}، ويحسب كل بلوك مرة واحدة.",
        "recent": "صدرت أوامرها في آخر {days}",
        "recent_value": "{km2} كم² ({pct}) · البلوكات {blocks}",
        "recent_def": "الحساب نفسه للأوامر الصادرة من {start} إلى {on}.",
        "pop": "السكان المقيمون فيها قبل الحرب",
        "pop_value": "نحو {n} (تقدير)",
        "pop_def": "مجموع تقديرات سكان البلوكات قبل الحرب (توزيع مساحي لأرقام الجهاز المركزي للإحصاء)؛ ليس تعدادا.",
        "pop_source": "تقدير الجهاز المركزي للإحصاء الفلسطيني لمنتصف 2023 وتجمعات تعداد 2017، موزعة على خريطة البلوكات",
        "zone": "المنطقة الإنسانية المعلنة",
        "zone_value": "{km2} كم²",
        "zone_none": "لا منطقة معلنة",
        "zone_def": "نسخة المنطقة السارية في التاريخ (أعلنت في {valid_from}).",
        "incidents": "الحوادث خلال الفترة",
        "incidents_value": "الحوادث {n} · الوفيات {deaths}",
        "incidents_def": "حوادث محددة الموقع من {start} إلى {on} (عينات لا كل الضربات)؛ داخل المنطقة: {inside}.",
        "killed": "القتلى منذ 7 تشرين الأول/أكتوبر 2023",
        "killed_def": "العدد التراكمي، آخر تقرير في التاريخ أو قبله.",
        "trucks": "شاحنات المساعدات",
        "trucks_day": "{n} في اليوم",
        "trucks_month": "{n} في {month}",
        "trucks_def": "الشاحنات التي دخلت غزة: الملف اليومي حيث يغطي التاريخ، والمجموع الشهري لمنسق أعمال الحكومة.",
        "no_data": "لا بيانات",
        "source": "المصدر: {source}؛ {as_of}.",
        "source_only": "المصدر: {source}.",
        "as_of": "حتى {d}",
        "statement": "قال مكتب أوتشا ({d}): {text}",
        "reference": "{theirs}؛ رقمنا بالتعريف نفسه {ours}، بفارق {gap} نقطة",
        "reference_other": "{theirs}: تعريف آخر، لا تجري المقارنة",
        "unmapped": "أوامر أبلغ عنها ولم ترسم (غير محسوبة): {items}",
        "unplaced": "أوامر بلا بلوكات مرسومة (مذكورة غير محسوبة): {items}",
        "orders": "الأوامر الصادرة خلال الفترة",
        "orders_none": "لم يصدر أي أمر خلال الفترة.",
        "orders_more": "... وأوامر أخرى عددها {n} (انظر لوحة البيانات).",
        "col_date": "تاريخ الإصدار", "col_order": "الأمر", "col_source": "المصدر", "col_blocks": "البلوكات",
        "col_km2": "كم²", "col_people": "السكان قبل الحرب",
        "people": "أين يوجد الناس",
        "people_series": "{unit} في {d}، حسب المحافظة. {method}",
        "people_prewar": "خط الأساس قبل الحرب (لا تقدير مؤرخ خلال {days} السابقة للتاريخ): {source}",
        "col_gov": "المحافظة", "col_people_n": "السكان", "col_share": "النسبة",
        "south": "جنوب وادي غزة: {pct}",
        "claim": "ادعاء منسوب، {d}: {figure}، «{claim}» ({who}).",
        "at_most": "على الأكثر",
        "legend_recent": "صدرت أوامرها في آخر {days}",
        "legend_earlier": "صدرت أوامرها قبل ذلك، منذ {since}",
        "legend_none": "بلا أوامر في هذه الفترة",
        "legend_zone": "المنطقة الإنسانية المعلنة في التاريخ",
        "legend_incidents": "حوادث من {start} إلى {on}\n(الحجم: الوفيات المبلغ عنها)",
        "legend_gov": "حدود المحافظة",
        "legend_places": "أماكن",
        "north": "ش",
        "km": "{n} كم",
        "sources": "المصادر والتراخيص",
        "built": "بنيت حزمة البيانات في {built}؛ أعدت الصفحة في {made} باستخدام \u2066matplotlib\u2069 (الخط \u2066DejaVu Sans\u2069).",
        "link": "العرض نفسه في لوحة البيانات: {url}",
    },
}

# Layer names in the sources list, and governorate names (the Arabic page does not print the data's English).
LAYER_NAMES = {
    "en": {"strip": "outline", "governorates": "governorates", "blocks": "blocks", "localities": "localities",
           "orders": "orders", "order_blocks": "orders", "zones": "zone", "events": "incidents",
           "places": "places", "series": "dated series", "claims": "reported claims"},
    "ar": {"strip": "حدود القطاع", "governorates": "المحافظات", "blocks": "البلوكات", "localities": "التجمعات",
           "orders": "الأوامر", "order_blocks": "الأوامر", "zones": "المنطقة الإنسانية", "events": "الحوادث",
           "places": "الأماكن", "series": "السلاسل الزمنية", "claims": "ادعاءات منسوبة"},
}
GOV_AR = PCODES_AR

# Arabic words for the data's English units and basis notes (the method text itself is data).
AR_UNITS = {"adults (18+)": "البالغون (18 عاما فأكثر)", "people": "السكان"}
EN_UNITS = {"adults (18+)": "Adults (18+)", "people": "People"}
AR_METHOD = ("تقدير من جمهور إعلانات ميتا: المستخدمون النشطون شهريا بعمر 18 عاما فأكثر حسب المحافظة، بعد تحجيمهم "
             "إلى عدد السكان (\u2066edarin/Gaza_displacement_analytics\u2069).")
AR_CLAIM_SOUTH = "من سكان غزة في الجنوب بعد أمر إخلاء الشمال"


@dataclass(frozen=True)
class Words:
    """The strings and number formats of one language."""

    lang: str

    @property
    def rtl(self) -> bool:
        return self.lang == "ar"

    def t(self, key: str, **kw: object) -> str:
        return STRINGS[self.lang][key].format(**kw)

    def _ar(self, text: str) -> str:
        return text.replace(",", "\u066c").replace(".", "\u066b") if self.rtl else text

    def num(self, n: float | int | None) -> str:
        """A whole number with thousands separators; ``no data`` for None."""
        return self.t("no_data") if n is None else self._ar(f"{round(float(n)):,}")

    def dec(self, x: float | None, places: int = 1) -> str:
        return self.t("no_data") if x is None else self._ar(f"{float(x):,.{places}f}")

    def pct(self, share: float | None, places: int = 1) -> str:
        if share is None:
            return self.t("no_data")
        text = self._ar(f"{100 * float(share):.{places}f}")
        return f"{text}\u066a" if self.rtl else f"{text}%"

    def date(self, d: Date | None) -> str:
        if d is None:
            return self.t("no_data")
        if self.rtl:
            return f"{d.day} {_AR_MONTHS[d.month - 1]} {d.year}"
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
        return f"{_AR_MONTHS[d.month - 1]} {d.year}" if self.rtl else f"{_EN_MONTHS[d.month - 1]} {d.year}"

    def place(self, name_en: str, name_ar: str | None) -> str:
        """Place label: Arabic on the Arabic page, both scripts on the English page."""
        if self.rtl:
            return name_ar or name_en
        return f"{name_en} {name_ar}" if name_ar else name_en
