"""What a route may not use: modes, places, crossings and edges (:class:`Restrictions`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from corridors.engine import edge_link, edge_needs, mode_bits

if TYPE_CHECKING:
    from corridors.network import Network


@dataclass(frozen=True)
class Restrictions:
    """What a route may not use.

    Attributes
    ----------
    modes
        Modes allowed (``road``, ``rail``).
    places
        Place ids to avoid (all their layers).
    crossings
        Crossing ids to avoid (all their modes).
    edges
        Edge ids to avoid.

    """

    modes: frozenset[str] = frozenset({"road", "rail"})
    places: frozenset[str] = frozenset()
    crossings: frozenset[str] = frozenset()
    edges: frozenset[str] = frozenset()
    nodes: frozenset[str] = field(default=frozenset(), repr=False)

    def adding(self, kind: str, rec_id: str, network: Network) -> Restrictions:
        """Return a copy that also avoids one crossing, place or edge."""
        if kind == "crossing":
            return replace(self, crossings=self.crossings | {rec_id})
        if kind == "edge":
            return replace(self, edges=self.edges | {rec_id})
        return replace(self, places=self.places | {rec_id}, nodes=self.nodes | set(network.nodes_of(rec_id)))

    def allows(self, attrs: Mapping[str, Any]) -> bool:
        """Whether an edge with these attributes may be used (the rule :mod:`corridors.engine` masks rows by)."""
        if edge_needs(attrs) & ~mode_bits(self.modes):
            return False
        kind, ident = edge_link(attrs)
        return ident not in (self.crossings if kind == "crossing" else self.edges)
