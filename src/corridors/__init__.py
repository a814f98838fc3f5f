"""corridors: an open multimodal freight-corridor model of Afghanistan and its neighbours.

Quick start::

    import corridors

    net = corridors.load_network()
    route = net.route("Termez", "Karachi")
    route.totals        # distance, time, cost, generalized cost
    route.legs          # GeoDataFrame, one LineString per leg
    net.graph           # networkx MultiDiGraph (osmnx-compatible)

Modules, in the order data flows through them: :mod:`~corridors.data` (read geodata),
:mod:`~corridors.validate` (check it), :mod:`~corridors.network` (layered graph),
:mod:`~corridors.costs` (weights), :mod:`~corridors.routing` (paths),
:mod:`~corridors.route` (results), :mod:`~corridors.report` (text), :mod:`~corridors.cli`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from corridors.network import Network, load_network
    from corridors.route import Route

_LAZY = {"load_network": "corridors.network", "Network": "corridors.network", "Route": "corridors.route"}
#: Submodules reachable as attributes (``corridors.scenarios.load_scenario``), imported on first use.
_SUBMODULES = frozenset(
    {"charts", "cli", "cluster", "convert", "costs", "data", "demand", "errors", "explain", "fidelity", "geo", "io",
     "limits", "maps", "network", "osm", "places", "report", "risk", "route", "routing", "scenarios", "validate"}
)  # fmt: skip


def __getattr__(name: str) -> Any:
    """Import the public API and the submodules lazily so that ``python -m corridors`` starts fast."""
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"corridors.{name}")
    raise AttributeError(f"module 'corridors' has no attribute {name!r}")


__all__ = ["Network", "Route", "__version__", "load_network"]
