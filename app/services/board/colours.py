"""Colours of the board: one per visit kind, and a palette for technicians' routes."""

KIND_COLOURS = {"measure": "#2563eb", "install": "#d97706", "repair": "#059669"}
ROUTE_COLOURS = (
    "#e11d48",
    "#7c3aed",
    "#0891b2",
    "#65a30d",
    "#ea580c",
    "#4f46e5",
    "#0d9488",
    "#c026d3",
    "#ca8a04",
    "#2563eb",
    "#dc2626",
    "#16a34a",
)
