"""The landing page's map: an inline SVG of a simplified Europe with the AI Factories and
Antennas drawn at their coordinates.  No tiles and no script: it works offline and in any
browser, and a screen reader gets each point's name from its ``<title>``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: The drawn window, in degrees; wide enough for Iceland, Portugal, Cyprus and Finland.
WEST, EAST, SOUTH, NORTH = -25.0, 42.0, 33.5, 71.5
#: Equirectangular projection, with longitudes shrunk by cos(latitude) at the window's middle.
SCALE = 14.0
ASPECT = math.cos(math.radians((SOUTH + NORTH) / 2))


@dataclass(frozen=True)
class Point:
    label: str
    href: str
    lat: float
    long: float
    kind: str  # "factory", "antenna" or "gigafactory"


def project(lat: float, long: float) -> tuple[float, float]:
    return round((long - WEST) * ASPECT * SCALE, 1), round((NORTH - lat) * SCALE, 1)


def size() -> tuple[float, float]:
    return project(SOUTH, EAST)


@cache
def _outline() -> dict[str, list[list[list[float]]]]:
    text = resources.files("aifactories").joinpath("static/europe-outline.json").read_text()
    return json.loads(text)


def _path(ring: list[list[float]]) -> str:
    points = [project(lat, long) for long, lat in ring]
    return "M" + " L".join(f"{x},{y}" for x, y in points) + " Z"


def outline_paths() -> tuple[str, str]:
    """The land and the water (seas drawn over the land) as SVG path data."""
    outline = _outline()
    return (
        " ".join(_path(r) for r in outline["land"]),
        " ".join(_path(r) for r in outline["water"]),
    )


def visible(points: list[Point]) -> list[tuple[Point, float, float]]:
    """The points inside the window, with their SVG coordinates."""
    return [
        (p, *project(p.lat, p.long))
        for p in points
        if SOUTH <= p.lat <= NORTH and WEST <= p.long <= EAST
    ]
