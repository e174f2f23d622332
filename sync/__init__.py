"""Offline delta sync protocol: change feed, cursors, scope, mutations, conflict rules."""
