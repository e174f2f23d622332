"""Hypothesis' Unicode tables, built once per checkout before the test processes need them.

The first time a process generates text, Hypothesis walks every code point to learn the Unicode
categories and which characters UTF-8 encodes (some 4 CPU seconds, more on a busy machine), then
keeps the tables under `.hypothesis/`. On a fresh clone each test process that fuzzes the API
would walk them itself: `scripts/test` runs `python -m tests.unicode_warmup` in the background
during the import checks and the lint, so the test processes find them built.
"""

from __future__ import annotations

from hypothesis.internal import charmap


def build_tables() -> None:
    """Build (or load) the tables Hypothesis keeps under `.hypothesis/unicode_data/`."""
    charmap.charmap()
    charmap.intervals_from_codec("utf-8")


if __name__ == "__main__":
    build_tables()
