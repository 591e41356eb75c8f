"""Spantune's desktop app (PySide6): views over :mod:`engine.api` through ``desktop.services``."""
