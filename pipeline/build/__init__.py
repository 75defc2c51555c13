"""Build layer: raw-file readers (``sources/``), build steps, provenance and ``python -m pipeline build``.

Imports core only; it writes the bundle that the runtime layer reads, and never imports runtime code.
"""
