"""The ``validate`` report: every check of :mod:`corridors.checks`, plus connectivity.

:func:`validate` adds to the checks run on every load the one that needs the network: every
pair listed in ``required_corridors.csv`` must have a route. It is what
``python -m corridors validate`` runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from corridors.checks import load_problems, problem_of
from corridors.data import (
    COSTS_FILE,
    CROSSINGS_FILE,
    EDGES_FILE,
    PLACES_FILE,
    TERMINALS_FILE,
    GeoData,
    Problem,
    csv_rows,
    parse_all,
    read_text_file,
)
from corridors.errors import CorridorsError, DataError
from corridors.network import Network

#: Optional file listing origin–destination pairs that must stay connected.
REQUIRED_FILE = "required_corridors.csv"


def read_required(directory: Path, problems: list[Problem]) -> list[tuple[str, str, int]]:
    """Read the optional list of origin–destination pairs that must stay connected."""
    path = directory / REQUIRED_FILE
    if not path.exists():
        return []
    pairs = []
    try:
        for line, row in csv_rows(read_text_file(path, REQUIRED_FILE), REQUIRED_FILE, ("origin", "destination")):
            o, d = row["origin"].strip(), row["destination"].strip()
            if not o or not d:
                problems.append(Problem(REQUIRED_FILE, line, "origin and destination are required"))
                continue
            pairs.append((o, d, line))
    except DataError as exc:
        problems.append(problem_of(exc))
        return pairs
    if not pairs and not any(p.file == REQUIRED_FILE for p in problems):
        problems.append(Problem(REQUIRED_FILE, 0, "no corridors listed (delete the file if none are required)"))
    return pairs


def connectivity_problems(data: GeoData) -> list[Problem]:
    """Return the required corridors (``required_corridors.csv``) that have no route."""
    problems: list[Problem] = []
    pairs = read_required(data.directory, problems)
    if not pairs:
        return problems
    try:
        net = Network(data)
    except CorridorsError as exc:  # a figure the graph needs is missing
        return [*problems, problem_of(exc)]
    for o, d, row in pairs:
        try:
            net.route(o, d)
        except CorridorsError as exc:
            problems.append(Problem(REQUIRED_FILE, row, f"{o} -> {d}: {exc.message}"))
    return problems


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`: problems, and a summary of what the data holds."""

    problems: list[Problem]
    counts: dict[str, Counter] = field(default_factory=dict)
    estimates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def validate(directory: str | Path) -> ValidationReport:
    """Run every check on a geodata directory.

    Parameters
    ----------
    directory
        The geodata directory.

    Returns
    -------
    ValidationReport
        Every problem found (``file:row: message``), record counts and the estimates.

    """
    data, problems = parse_all(directory)
    problems += load_problems(data)
    if not problems:
        problems += connectivity_problems(data)
    report = ValidationReport(problems=problems)
    report.counts = {
        "places by country": Counter(p.country for p in data.places.values()),
        "edges by mode": Counter(e.layer for e in data.edges.values()),
        "edges by status": Counter(e.status for e in data.edges.values()),
        "map layers": Counter(m.kind for m in data.map_layers.values()),
        "crossings by partner country": Counter(
            data.places[c.partner_place].country for c in data.crossings.values() if c.partner_place in data.places
        ),
    }
    est = [
        f"{PLACES_FILE}:{p.row}: place {p.id}: {p.provenance.note}"
        for p in data.places.values()
        if p.provenance.is_estimate
    ]
    est += [
        f"{EDGES_FILE}:{e.row}: edge {e.id}: {e.provenance.note}"
        for e in data.edges.values()
        if e.provenance.is_estimate
    ]
    est += [
        f"{CROSSINGS_FILE}:{c.row}: crossing {c.id}: {c.provenance.note}"
        for c in data.crossings.values()
        if c.provenance.is_estimate
    ]
    est += [
        f"{TERMINALS_FILE}:{t.row}: terminal {t.place} {t.from_layer}<->{t.to_layer}: {t.provenance.note}"
        for t in data.terminals
        if t.provenance.is_estimate
    ]
    est += [
        f"{COSTS_FILE}: {k}: {p.provenance.note}"
        for k, p in sorted(data.costs.params.items())
        if p.provenance.is_estimate
    ]
    report.estimates = est
    return report
