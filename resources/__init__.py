"""Bundled resources: default labels, app icon and the demo corpus (data files only)."""
