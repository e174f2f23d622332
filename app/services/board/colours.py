"""The console's colours: one per thing a page tells apart — each technician, region, product
line, visit kind — the same on every chart, timeline and map."""

from __future__ import annotations

import colorsys
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Depot, Order, Technician, VisitKind

ALL_COLOUR = "#2563eb"
NONE_COLOUR = "#9ca3af"
KIND_COLOURS = {"measure": "#2563eb", "install": "#d97706", "repair": "#059669"}
# Hand-picked first: distinct on screen and in print. Beyond them, hues a golden angle apart.
PALETTE = (
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
_GOLDEN_ANGLE = 137.508


def colour(index: int) -> str:
    """The `index`-th colour: the palette, then evenly spread hues (never the same twice)."""
    if index < len(PALETTE):
        return PALETTE[index]
    hue = ((index - len(PALETTE)) * _GOLDEN_ANGLE + 17) % 360 / 360
    lightness = (0.38, 0.48, 0.58)[index % 3]
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.7)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def colours_of(keys: Iterable[object]) -> dict[object, str]:
    """Colours for keys in a stable order (the first key gets the first colour)."""
    return {key: colour(i) for i, key in enumerate(keys)}


def technician_colours(session: Session) -> dict[int, str]:
    """Every technician's colour, by id: the same on the board, the map and the figures."""
    ids = session.scalars(select(Technician.id).order_by(Technician.id))
    return {tech_id: colour(i) for i, tech_id in enumerate(ids)}


def slice_colours(session: Session, by: str) -> dict[str, str]:
    """The colour of each value of a figure's slice (as the figures name it)."""
    if by == "technician":
        names = session.scalars(select(Technician.name).order_by(Technician.id))
        found = colours_of(names)
    elif by == "region":
        found = colours_of(session.scalars(select(Depot.name).order_by(Depot.id)))
    elif by == "product_line":
        lines = session.scalars(select(Order.product_line).distinct().order_by(Order.product_line))
        found = colours_of(line for line in lines if line is not None)
    elif by == "kind":
        found = {kind.value: KIND_COLOURS.get(kind.value, NONE_COLOUR) for kind in VisitKind}
    else:
        found = {"all": ALL_COLOUR}
    return {str(k): c for k, c in found.items()} | {"(none)": NONE_COLOUR}
