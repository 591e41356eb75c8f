"""Spantune engine: project store, formats, text, training, export, inference, active learning.

The engine never imports Qt; the desktop app and the CLI reach it through :mod:`engine.api`.
"""

__version__ = "0.1.0"
