"""Resolve what a user types into places, crossings and edges.

Names match case- and accent-insensitively, ignoring spaces and punctuation, through ids,
names and aliases: ``mazar-e sharif``, ``Mazar-i-Sharif`` and ``MAZAR_I_SHARIF`` all find the
same place. ``LAT,LON`` is recognised as a coordinate pair.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from corridors.data import Crossing, GeoData, Place
from corridors.errors import UnknownPlaceError

_NOT_ALNUM_ASCII = re.compile(r"[^0-9a-z]+")
_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Fold a name for matching: strip accents, casefold, drop everything but letters and digits.

    Parameters
    ----------
    text
        A name as typed.

    Returns
    -------
    str

    Examples
    --------
    >>> normalize("Mazār-i-Sharīf")
    'mazarisharif'

    """
    if text.isascii():  # most names: the same fold, without a Python loop over characters
        return _NOT_ALNUM_ASCII.sub("", text.lower())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in stripped.casefold() if ch.isalnum())


def parse_latlon(text: str) -> tuple[float, float] | None:
    """Return ``(lat, lon)`` if ``text`` is a coordinate pair such as ``36.7,67.1``, else None."""
    m = _LATLON.match(text)
    if not m:
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


class _NameIndex:
    """Normalized names to the ids that carry them."""

    def __init__(self) -> None:
        self.ids: dict[str, set[str]] = defaultdict(set)
        self.label: dict[str, str] = {}

    def add(self, rec_id: str, label: str, names: Iterable[str]) -> None:
        self.label[rec_id] = label
        for name in names:
            key = normalize(name)
            if key:
                self.ids[key].add(rec_id)

    def find(self, text: str) -> set[str]:
        return self.ids.get(normalize(text), set())

    def suggest(self, text: str, n: int = 5) -> list[str]:
        close = difflib.get_close_matches(normalize(text), list(self.ids), n=3 * n, cutoff=0.6)
        labels = [self.label[i] for key in close for i in sorted(self.ids[key])]
        return list(dict.fromkeys(labels))[:n]


class PlaceIndex:
    """Look up places, crossings and edges by what a user types.

    Parameters
    ----------
    data
        The geodata whose records to index.

    """

    def __init__(self, data: GeoData) -> None:
        self.data = data
        self._places = _NameIndex()
        for p in data.places.values():
            self._places.add(p.id, p.name, (p.id, p.name, *p.aliases))
        self._crossings = _NameIndex()
        for c in data.crossings.values():
            self._crossings.add(c.id, f"{c.name} ({c.id})", (c.id, c.name, *c.aliases))

    def place(self, text: str) -> Place:
        """Return the place called ``text``.

        Raises
        ------
        UnknownPlaceError
            If no place matches (with the closest names as suggestions), or several do.

        """
        if text.strip().upper() in self.data.places:  # an exact id wins over names and aliases
            return self.data.places[text.strip().upper()]
        ids = self._places.find(text)
        if len(ids) == 1:
            return self.data.places[next(iter(ids))]
        if ids:
            options = ", ".join(f"{i} ({self.data.places[i].country})" for i in sorted(ids))
            raise UnknownPlaceError(f"'{text}' is ambiguous: it names {options}; use an id")
        raise UnknownPlaceError(f"unknown place '{text}'", self._places.suggest(text))

    def endpoint(self, text: str) -> tuple[list[Place], str]:
        """Resolve the origin or destination of a route: one place, or both sides of a crossing.

        A name shared by the two border posts of one crossing (``Torkham`` names
        ``TORKHAM_AF`` and ``TORKHAM_PK``), or a crossing's own name, stands for the crossing:
        both sides are returned and the route picks the side it reaches first (as a
        destination) or leaves from (as an origin). An id still picks one side.

        Parameters
        ----------
        text
            What the user typed.

        Returns
        -------
        tuple of (list of Place, str)
            The places and a label for messages.

        Raises
        ------
        UnknownPlaceError
            If nothing matches, or the name is ambiguous in any other way.

        """
        key = text.strip().upper()
        if key in self.data.places:
            place = self.data.places[key]
            return [place], place.name
        ids = self._places.find(text)
        if len(ids) == 1:
            place = self.data.places[next(iter(ids))]
            return [place], place.name
        sides = self._crossing_sides(ids) if ids else None
        if sides is None and not ids:
            crossings = {self.data.crossings[c] for c in self._crossings.find(text)}
            crossings = {c for c in crossings if self._known_sides(c)}
            pairs = {(c.af_place, c.partner_place) for c in crossings}
            if len(pairs) == 1:
                sides = next(iter(crossings))
        if sides is not None:
            return [self.data.places[sides.af_place], self.data.places[sides.partner_place]], sides.name
        return [self.place(text)], text  # raises with the options or suggestions

    def _crossing_sides(self, ids: set[str]) -> Crossing | None:
        """The crossing whose two sides are exactly ``ids``, if there is one."""
        for c in self.data.crossings.values():
            if ids == {c.af_place, c.partner_place}:
                return c
        return None

    def _known_sides(self, c: Crossing) -> bool:
        return c.af_place in self.data.places and c.partner_place in self.data.places

    def crossing(self, text: str) -> Crossing | None:
        """Return the crossing called ``text``, or None if no crossing has that name."""
        ids = self._crossings.find(text)
        if len(ids) == 1:
            return self.data.crossings[next(iter(ids))]
        return None

    def avoidable(self, text: str) -> tuple[str, str]:
        """Resolve a ``--avoid`` value to ``("crossing" | "place" | "edge", id)``.

        A crossing id or name wins over a place of the same name (``Hairatan`` avoids the
        crossing; ``HAIRATAN`` the place), then places, then edge ids.

        Raises
        ------
        UnknownPlaceError
            If nothing matches.

        """
        if text.upper() in self.data.crossings:
            return "crossing", text.upper()
        if text in self.data.edges:
            return "edge", text
        if text in self.data.places:  # the exact upper-case id: HAIRATAN is the place
            return "place", text
        crossing = self.crossing(text)
        if crossing is not None:
            return "crossing", crossing.id
        if self._places.find(text):
            return "place", self.place(text).id
        suggestions = self._crossings.suggest(text, 3) + self._places.suggest(text, 3)
        raise UnknownPlaceError(f"nothing called '{text}' to avoid (no crossing, place or edge id)", suggestions)
