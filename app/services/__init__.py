"""Use cases: they take a session and explicit settings, flush, and never commit."""
