"""Core layer: errors, typed settings, dates, layer schemas and validation, names, storage helpers, text decoding,
the map palette.

Imports nothing else of the project; the build and runtime layers both stand on it.
"""
