"""Readers for files people upload (ACLED exports, HXL sheets, CSV points, zone files): one per format."""
