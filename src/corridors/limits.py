"""The sizes the tool accepts: beyond them a request is refused with exit code 2 (or 3, 5).

Every limit is documented in the README ("Limits"). They keep a mistyped number from
exhausting memory or running for hours, and refuse answers that would be fictions (a
``LAT,LON`` in the sea joined to the network by a 2,000 km "connector").
"""

from __future__ import annotations

#: ``risk --samples``: at about a million samples a second this is a few seconds to minutes.
MAX_SAMPLES = 10_000_000
#: ``--tonnes``: a whole season's bulk programme; more is a typo.
MAX_TONNES = 1_000_000.0
#: ``--alternatives``: corridors that differ in their crossings (each is a shortest-path solve).
MAX_ALTERNATIVES = 50
#: Dask workers started by ``--workers``.
MAX_WORKERS = 256
#: A ``LAT,LON`` farther than this (km) from every road node is refused (exit 3): about the
#: widest gap between road nodes of the shipped network.
MAX_SNAP_KM = 100.0
#: Largest geodata, demand or scenario file read, in bytes (exit 5 beyond).
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Longest CSV field, in characters (exit 5 beyond, reported as ``file:row``).
MAX_FIELD_CHARS = 100_000

__all__ = [
    "MAX_ALTERNATIVES",
    "MAX_FIELD_CHARS",
    "MAX_FILE_BYTES",
    "MAX_SAMPLES",
    "MAX_SNAP_KM",
    "MAX_TONNES",
    "MAX_WORKERS",
]
