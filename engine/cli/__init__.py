"""The ``spantune`` command line: a thin layer over :mod:`engine.api`."""
