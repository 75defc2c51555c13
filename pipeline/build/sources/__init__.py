"""One reader per source format or provider: ``<layer>_from_<source>`` functions."""
