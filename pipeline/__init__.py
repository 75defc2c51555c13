"""Geodata pipeline for the Gaza displacement map.

Three layers whose imports run only downward: ``core`` (errors, settings, dates, schemas, names,
storage, text) <- ``build`` (raw readers and build steps) and ``runtime`` (what the dashboard and CLI
use while running). ``build`` and ``runtime`` never import each other; ``tests/test_architecture.py``
holds the rule. This package never imports streamlit.
"""
