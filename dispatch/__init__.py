"""Dispatch planning: a pure library (no web, no database)."""
