"""How many generated examples the property tests draw on a run of the suite.

The counts keep the whole suite to a few minutes; they are a trade-off measured in
docs/benchmarks.md (test suite). Except in the API fuzz, Hypothesis is not derandomized, so
every run draws new examples and adds to what the runs before it explored.
``TEST_EXAMPLES_SCALE`` multiplies every count for a deeper search (before a release,
overnight), as in ``TEST_EXAMPLES_SCALE=10 scripts/test tests/dispatch_integrity tests/sync``.
"""

from __future__ import annotations

import os


def _scale() -> float:
    text = os.environ.get("TEST_EXAMPLES_SCALE", "").strip() or "1"
    try:
        scale = float(text)
    except ValueError:
        scale = -1.0
    if not scale > 0:
        raise ValueError(f"TEST_EXAMPLES_SCALE must be a positive number, not {text!r}")
    return scale


SCALE = _scale()


def examples(count: int) -> int:
    """``count`` examples times ``TEST_EXAMPLES_SCALE`` (at least one)."""
    return max(1, round(count * SCALE))
