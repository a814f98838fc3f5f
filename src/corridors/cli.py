"""Command line: ``python -m corridors COMMAND ...``.

This module only parses arguments, calls the model and prints. Errors a user can cause
become one line on standard error and an exit code (see :mod:`corridors.errors`).
Heavy imports happen inside the command that needs them, so ``route`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from corridors.errors import CorridorsError, UsageError

PROG = "corridors"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _load(args: argparse.Namespace) -> Any:
    from corridors.network import load_network

    return load_network(args.geodata)


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def cmd_route(args: argparse.Namespace) -> int:
    """``route``: the least-cost corridor between two places."""
    from corridors import report

    modes = [m.strip() for m in args.modes.split(",") if m.strip()] if args.modes else None
    net = _load(args)
    route = net.route(
        args.origin,
        args.destination,
        cargo=args.cargo,
        tonnes=args.tonnes,
        objective=args.objective,
        modes=modes,
        via=args.via or (),
        avoid=args.avoid or (),
        alternatives=args.alternatives,
    )
    if args.geojson:
        from corridors.io import write_json

        write_json(args.geojson, route.to_geojson())
    if args.json:
        _emit_json(route.to_dict())
    else:
        print(report.route_report(route))
        if args.geojson:
            print(f"\nlegs written to {args.geojson}")
    return 0


def cmd_nodes(args: argparse.Namespace) -> int:
    """``nodes``: the places the network holds."""
    from corridors import report

    rows = _load(args).place_records(country=args.country, kind=args.kind, layer=args.layer)
    if args.json:
        _emit_json(rows)
    else:
        print(report.nodes_table(rows))
        print(f"\n{len(rows)} places")
    return 0


def cmd_crossings(args: argparse.Namespace) -> int:
    """``crossings``: the border crossings with their facts."""
    from corridors import report

    rows = _load(args).crossing_records(country=args.country, mode=args.mode)
    if args.json:
        _emit_json(rows)
    else:
        print(report.crossings_table(rows))
        print(f"\n{len(rows)} crossings")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate``: check a geodata directory; exit code 5 when anything is wrong."""
    from corridors.data import default_geodata_dir
    from corridors.validate import validate

    directory = args.directory or args.geodata or default_geodata_dir()
    result = validate(directory)
    for problem in result.problems:
        print(problem)
    if args.report:
        print(f"Geodata in {directory}")
        for title, counter in result.counts.items():
            print(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
        print(f"  estimates: {len(result.estimates)}")
        for line in result.estimates:
            print(f"    {line}")
    if result.ok:
        print(f"{directory}: valid", file=sys.stderr)
        return 0
    print(f"{directory}: {len(result.problems)} problem(s)", file=sys.stderr)
    return 5


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--geodata", metavar="DIR", help="geodata directory (default: the shipped geodata/, or $CORRIDORS_GEODATA)"
    )

    parser = _Parser(
        prog=PROG,
        description="Freight corridors through Afghanistan: least-cost routes over road and rail, border crossings and transshipments.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "route",
        parents=[common],
        help="least-cost corridor between two places",
        description="Least-cost corridor between two places, leg by leg.",
    )
    p.add_argument("origin", help="place name, id or alias, or LAT,LON")
    p.add_argument("destination", help="place name, id or alias, or LAT,LON")
    p.add_argument(
        "--cargo", default="general", help="cargo profile: general, bulk, fuel, perishable (default general)"
    )
    p.add_argument(
        "--tonnes", type=_positive_float, help="shipment size in tonnes (default one truckload of the profile)"
    )
    p.add_argument(
        "--objective",
        default="generalized",
        choices=("generalized", "cost", "time", "distance"),
        help="what to minimise (default generalized)",
    )
    p.add_argument("--modes", help="modes allowed, comma-separated: road,rail (default both)")
    p.add_argument("--via", action="append", metavar="PLACE", help="a place the route must pass (repeatable, in order)")
    p.add_argument(
        "--avoid",
        action="append",
        metavar="PLACE_OR_CROSSING",
        help="a crossing, place or edge id to avoid (repeatable)",
    )
    p.add_argument(
        "--alternatives",
        type=_positive_int,
        default=1,
        metavar="K",
        help="show the K best corridors that differ in their border crossings",
    )
    p.add_argument("--json", action="store_true", help="print JSON (schema in README)")
    p.add_argument("--geojson", metavar="FILE", help="write the legs as GeoJSON LineStrings")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser(
        "nodes", parents=[common], help="list the places of the network", description="List the places of the network."
    )
    p.add_argument("--country", help="ISO country code, e.g. AF")
    p.add_argument("--kind", help="city, town, border, port, terminal or junction")
    p.add_argument("--layer", choices=("road", "rail1520", "rail1435", "rail1676"), help="only places on this layer")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_nodes)

    p = sub.add_parser(
        "crossings",
        parents=[common],
        help="list the border crossings",
        description="List the border crossings with their times, fees and closure figures.",
    )
    p.add_argument("--country", help="partner country code, e.g. PK")
    p.add_argument("--mode", choices=("road", "rail"), help="only crossings that serve this mode")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_crossings)

    p = sub.add_parser(
        "validate",
        parents=[common],
        help="check a geodata directory",
        description="Check a geodata directory; print every problem as file:row: message.",
    )
    p.add_argument("directory", nargs="?", help="geodata directory (default the shipped one)")
    p.add_argument("--report", action="store_true", help="add a summary: counts and the list of estimates")
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 usage, 3 unknown place, 4 no route, 5 bad data.

    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CorridorsError as exc:
        print(f"{PROG}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


__all__ = ["UsageError", "build_parser", "main"]
