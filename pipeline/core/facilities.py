"""The facility vocabulary: a small, documented set of kinds with their English labels.

Kinds are assigned at build time from each landmark's Arabic name by the rules in
``geodata/raw/reference/facility-kinds.csv`` (see ``pipeline.build.sources.facilities``). A name no
rule matches is kept as ``other``; nothing is dropped.
"""

from __future__ import annotations

from pipeline.core.i18n import N_

# kind -> (English label, what it covers). Order = display order (tables, legends).
FACILITY_KINDS: dict[str, tuple[str, str]] = {
    "school": (N_("School"), "schools of every level (مدرسة/مدارس); kindergartens, colleges and universities are 'other'"),
    "hospital": (N_("Hospital"), "hospitals (مستشفى) and the hospital complexes al-Shifa and Nasser (مجمع ... الطبي)"),
    "clinic": (N_("Clinic / health centre"), "clinics (عيادة), health and medical centres (مركز صحي/طبي), dispensaries (مستوصف)"),
    "pharmacy": (N_("Pharmacy"), "pharmacies (صيدلية, abbreviated ص)"),
    "water": (N_("Water and sanitation"), "wells (بئر), desalination and water stations, tanks, pumps, sewage stations"),
    "bakery": (N_("Bakery"), "bakeries (مخبز/فرن); pastry shops (مخبوزات) are 'other'"),
    "mosque": (N_("Mosque"), "mosques and prayer rooms (مسجد/جامع/مصلى)"),
    "shelter": (N_("Shelter (named as such)"), "places the source names as a shelter (مركز إيواء); most shelters OCHA "
                "counts are UNRWA schools, which are listed as 'school'"),
    "other": (N_("Other"), "every other named landmark (shops, offices, parks, roundabouts ...)"),
}

KIND_EN: dict[str, str] = {k: v[0] for k, v in FACILITY_KINDS.items()}
