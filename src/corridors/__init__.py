"""corridors: an open multimodal freight-corridor model of Afghanistan and its neighbours.

Quick start::

    import corridors

    net = corridors.load_network()
    route = net.route("Termez", "Karachi")
    route.totals        # distance, time, cost, generalized cost
    route.legs          # GeoDataFrame, one LineString per leg
    net.graph           # networkx MultiDiGraph (osmnx-compatible)

Modules, bottom layer first (each imports only the layers below it; README, "Module map"):
:mod:`~corridors.data` (read geodata), :mod:`~corridors.costs` (prices),
:mod:`~corridors.checks` (check geodata on load), :mod:`~corridors.graph` (the layered
graph and its contract), :mod:`~corridors.engine` (shortest paths),
:mod:`~corridors.routing` (routes, alternatives), :mod:`~corridors.network` (the entry
point), the analyses (:mod:`~corridors.risk`, :mod:`~corridors.validate`,
:mod:`~corridors.fidelity`), the renderers (:mod:`~corridors.report`, :mod:`~corridors.maps`)
and :mod:`~corridors.cli`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from corridors.network import Network, load_network
    from corridors.route import Route

_LAZY = {"load_network": "corridors.network", "Network": "corridors.network", "Route": "corridors.route"}
#: Submodules reachable as attributes (``corridors.scenarios.load_scenario``), imported on first use.
_SUBMODULES = frozenset(
    {"charts", "checks", "cli", "closures", "cluster", "convert", "costs", "data", "demand", "engine", "errors",
     "explain", "fastpath", "fidelity", "geo", "graph", "io", "limits", "maps", "network", "osm", "overlay",
     "places", "report", "restrictions", "risk", "route", "routing", "scenarios", "validate"}
)  # fmt: skip


def __getattr__(name: str) -> Any:
    """Import the public API and the submodules lazily so that ``python -m corridors`` starts fast."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"corridors.{name}")
    raise AttributeError(f"module 'corridors' has no attribute {name!r}")


__all__ = ["Network", "Route", "__version__", "load_network"]
