"""Runtime layer: what the dashboard and the CLI use while running.

Bundle and workspace reading, metrics, zone queries, gazetteer search, report reading, imports and the
situation report PDF (``sitrep``, ``sitrep_map``, ``sitrep_layout``, ``sitrep_text``)
(with the readers for uploaded files in ``readers/``). Imports core only, and reads what the build
wrote, never its code.
"""
