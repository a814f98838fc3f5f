"""Command line: ``python -m corridors COMMAND ...``.

This module only parses arguments, calls the model and prints. Errors a user can cause
become one line on standard error and an exit code (see :mod:`corridors.errors`).
Heavy imports happen inside the command that needs them, so ``route`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from corridors.costs import LOSS_OBJECTIVES, OBJECTIVES
from corridors.data import CARGO_PROFILES, LAYERS, MODES, PLACE_KINDS, SEA_LAYER
from corridors.errors import CorridorsError, UsageError
from corridors.limits import MAX_ALTERNATIVES, MAX_SAMPLES, MAX_TONNES, MAX_WORKERS
from corridors.osm.options import DEFAULT_HIGHWAYS
from corridors.queues import DEFAULT_GAP, DEFAULT_MAX_ITERATIONS, METHODS

PROG = "corridors"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see --help)\n")


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


def _bounded(kind: Callable[[str], Any], high: float, name: str) -> Callable[[str], Any]:
    """An argparse type: ``kind`` (a checker above), then at most ``high`` (a documented limit)."""

    def check(text: str) -> Any:
        value = kind(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"{name} is limited to {high:,.0f} (README, Limits), not {text}")
        return value

    return check


def _file_name(text: str) -> str:
    """An argparse type for an output file: not empty, not a folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the file name is empty")
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file name")
    return text


def _modes(text: str) -> list[str]:
    """``--modes``: a comma-separated list of road and rail, at least one."""
    from corridors.data import MODES  # deferred: heavy stack

    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown mode(s) {', '.join(bad)}; give road, rail or road,rail")
    if not modes:
        raise argparse.ArgumentTypeError("no mode given; give road, rail or road,rail")
    return modes


def _load(args: argparse.Namespace) -> Any:
    """The network of ``--geodata``, with ``--scenario``, ``--close`` and ``--open`` applied."""
    net = _base_network(args)
    scenarios = _scenarios(args, net)
    return net.with_scenarios(scenarios) if scenarios else net


def _base_network(args: argparse.Namespace) -> Any:
    """The strategic network of ``--geodata``, or the detailed OSM network ``--network NAME``."""
    if getattr(args, "network", None):
        from corridors.osm import load_osm_network  # deferred: heavy stack

        net = load_osm_network(args.network, args.geodata)
        for line in net.conflation.lines():
            print(f"{PROG}: {line}", file=sys.stderr)
        return net
    from corridors.network import load_network  # deferred: heavy stack

    return load_network(args.geodata)


def _scenarios(args: argparse.Namespace, net: Any) -> list[Any]:
    from corridors.scenarios import from_flags, load_scenario  # deferred: heavy stack

    out = [load_scenario(name, net.data.directory) for name in getattr(args, "scenario", None) or ()]
    close, opened = getattr(args, "close", None) or (), getattr(args, "open", None) or ()
    if close or opened:
        out.append(from_flags(close, opened))
    return out


def _route_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "cargo": args.cargo, "tonnes": args.tonnes, "objective": args.objective, "modes": args.modes,
        "via": args.via or (), "avoid": args.avoid or (),
    }  # fmt: skip


def _write_json_file(path: str, obj: Any) -> None:
    from corridors.io import write_json  # deferred: heavy stack

    write_json(path, obj)


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def cmd_route(args: argparse.Namespace) -> int:
    """``route``: the least-cost corridor between two places."""
    from corridors import report  # deferred: heavy stack

    net = _load(args)
    k = max(args.alternatives, 2) if args.why else args.alternatives
    route = net.route(args.origin, args.destination, alternatives=k, **_route_kwargs(args))
    why = None
    if args.why:
        from corridors.explain import compare  # deferred: heavy stack

        why = compare(route)
        route.alternatives = route.alternatives[: args.alternatives]
    written = []
    if args.geojson:
        _write_json_file(args.geojson, route.to_geojson())
        written.append(f"legs written to {args.geojson}")
    routes = route.alternatives if len(route.alternatives) > 1 else [route]
    if args.chart:
        from corridors.charts import write_chart  # deferred: heavy stack

        written.append(f"chart written to {write_chart(routes, args.chart)}")
    if args.map:
        from corridors import maps  # deferred: heavy stack

        path = (
            maps.default_map_path(route.origin["name"], route.destination["name"]) if args.map == DEFAULT else args.map
        )
        m = maps.route_map(route, tiles=args.tiles, scenarios=_scenarios(args, net))
        written.append(f"map written to {maps.save_map(m, path, offline=args.offline)}")
    if args.json:
        doc = route.to_dict()
        if why is not None:
            doc["why"] = why.to_dict()
        _emit_json(doc)
    else:
        print(report.route_report(route))
        if why is not None:
            print()
            print(report.why_report(why))
        for line in written:
            print(line)
    return 0


def cmd_fidelity(args: argparse.Namespace) -> int:
    """``fidelity``: every observed whole-route fact against the model, and the pass rate."""
    from corridors import report  # deferred: heavy stack
    from corridors.fidelity import check_all, summary, to_json  # deferred: heavy stack
    from corridors.scenarios import load_scenario  # deferred: heavy stack

    net = _base_network(args)
    if not net.data.observations:
        raise UsageError(f"no observations in {net.data.directory} (observations.csv is missing or empty)")
    checks = check_all(net, net.data.observations.values(), lambda n: load_scenario(n, net.data.directory))
    if args.json:
        _emit_json(to_json(checks))
    elif args.markdown:
        print(report.fidelity_markdown(checks, summary(checks)))
    else:
        print(report.fidelity_report(checks, summary(checks)))
    return 0


def cmd_whatif(args: argparse.Namespace) -> int:
    """``whatif``: baseline and scenario routes side by side, with deltas."""
    from corridors import report  # deferred: heavy stack
    from corridors.errors import NoRouteError  # deferred: heavy stack

    base_net = _base_network(args)
    scenarios = _scenarios(args, base_net)
    if not scenarios:
        raise UsageError("whatif needs at least one --scenario, --close or --open")
    scen_net = base_net.with_scenarios(scenarios)
    if getattr(args, "loaded", False):
        base_net, scen_net = _loaded(args, base_net), _loaded(args, scen_net)
    kwargs = _route_kwargs(args)
    base = base_net.route(args.origin, args.destination, **kwargs)
    try:
        scen, reason = scen_net.route(args.origin, args.destination, **kwargs), None
    except NoRouteError as exc:
        scen, reason = None, exc.message
    names = [s.name for s in scenarios]
    written = None
    if args.map:
        from corridors import maps  # deferred: heavy stack

        path = args.map
        if path == DEFAULT:
            path = maps.default_map_path(base.origin["name"], base.destination["name"], prefix="whatif-")
        m = maps.whatif_map(base, scen, (), scen_net, tiles=args.tiles, scenarios=scenarios, reason=reason)
        written = maps.save_map(m, path, offline=args.offline)
    if args.json:
        _emit_json({
            "scenarios": names,
            "baseline": base.to_dict(),
            "scenario": scen.to_dict() if scen else None,
            "no_route_reason": reason,
            "deltas": {r["metric"]: r["delta"] for r in report.whatif_rows(base, scen) if r["metric"] != "crossings"},
        })  # fmt: skip
    else:
        print(report.whatif_report(base, scen, names, reason))
        if written:
            print(f"map written to {written}")
    return 0


def _wants_progress(quiet: bool) -> bool:
    """Progress bars go to a terminal (or anywhere with CORRIDORS_PROGRESS=1), never into logs or pipes."""
    return not quiet and (sys.stderr.isatty() or bool(os.environ.get("CORRIDORS_PROGRESS")))


@contextmanager
def _progress(total: int, unit: str, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A tqdm progress bar on standard error fed with "done so far" counts; None when quiet."""
    if not _wants_progress(quiet):
        yield None
        return
    from tqdm import tqdm  # deferred: heavy stack

    bar = tqdm(total=total, unit=unit, file=sys.stderr, leave=False)
    try:
        yield lambda done: bar.update(done - bar.n)
    finally:
        bar.close()


def cmd_risk(args: argparse.Namespace) -> int:
    """``risk``: Monte Carlo over closure states."""
    from corridors import report  # deferred: heavy stack
    from corridors.cluster import connect  # deferred: heavy stack
    from corridors.risk import simulate  # deferred: heavy stack

    net = _load(args)
    if getattr(args, "loaded", False):
        net = _loaded(args, net)
    net = net.with_points([args.origin, args.destination])
    distributed = args.workers is not None or args.scheduler is not None
    quiet = args.json or (args.samples < 50_000 and not distributed)
    with _progress(args.samples, "sample", quiet=quiet) as bar, connect(args.workers, args.scheduler) as client:
        result = simulate(
            net, args.origin, args.destination, samples=args.samples, seed=args.seed, wait=args.wait,
            cargo=args.cargo, tonnes=args.tonnes, objective=args.objective, progress=bar, client=client,
        )  # fmt: skip
    written = None
    if args.map:
        from corridors import maps  # deferred: heavy stack

        path = args.map
        if path == DEFAULT:
            path = maps.default_map_path(result.origin, result.destination, prefix="risk-")
        m = maps.risk_map(result, net, tiles=args.tiles, scenarios=_scenarios(args, net))
        written = maps.save_map(m, path, offline=args.offline)
    if args.json:
        _emit_json(result.to_dict())
    else:
        print(report.risk_report(result))
        if written:
            print(f"map written to {written}")
    return 0


def cmd_criticality(args: argparse.Namespace) -> int:
    """``criticality``: close each crossing (or edge) alone and rank the damage."""
    from corridors import report  # deferred: heavy stack
    from corridors.cluster import connect  # deferred: heavy stack
    from corridors.criticality import criticality, criticality_size  # deferred: heavy stack
    from corridors.demand import default_od_path, load_flows  # deferred: heavy stack

    net = _load(args)
    flows = load_flows(args.od or default_od_path(net.data.directory))
    if args.assign:
        return _criticality_assign(args, net, flows)
    n_cases = criticality_size(net, flows, args.edges)
    with _progress(n_cases, "case", quiet=args.json) as bar, connect(args.workers, args.scheduler) as client:
        rows = criticality(net, flows, edges=args.edges, objective=args.objective, progress=bar, client=client)
    if args.map:
        from corridors import maps  # deferred: heavy stack

        path = "criticality.html" if args.map == DEFAULT else args.map
        m = maps.criticality_map(rows, net, tiles=args.tiles, scenarios=_scenarios(args, net))
        maps.save_map(m, path, offline=args.offline)
    if args.json:
        _emit_json({"flows": len(flows), "tonnes_per_year": sum(f.tonnes_per_year for f in flows),
                    "cases": [r.to_dict() for r in rows]})  # fmt: skip
    else:
        print(report.criticality_table(rows, args.top))
        print(
            f"\n{len(flows)} flows, {sum(f.tonnes_per_year for f in flows):,.0f} t/yr; each row closes one {'crossing or edge' if args.edges else 'crossing'} alone"
        )
    return 0


def _flows(args: argparse.Namespace, net: Any) -> list[Any]:
    """The demand of ``--flows`` (default the shipped trade flows), only the ``--cargo`` profiles if given."""
    from corridors.demand import default_od_path, load_flows  # deferred: heavy stack

    flows = load_flows(getattr(args, "flows", None) or default_od_path(net.data.directory))
    cargo = getattr(args, "cargo_filter", None)
    if cargo:
        flows = [f for f in flows if f.cargo in cargo]
        if not flows:
            raise UsageError(f"no flows of cargo {', '.join(cargo)} in the demand file")
    return flows


def _assign_params(args: argparse.Namespace, net: Any) -> Any:
    from corridors.assign import AssignParams  # deferred: heavy stack

    return AssignParams.from_network(
        net, method=args.method, gap=args.gap,
        max_iterations=args.max_iterations,
    )  # fmt: skip


def _loaded(args: argparse.Namespace, net: Any) -> Any:
    """``--loaded``: the network with every crossing's time set to its assigned (queued) time."""
    from corridors.assign import loaded_network  # deferred: heavy stack

    return loaded_network(net, _flows(args, net), _assign_params(args, net))


def _criticality_assign(args: argparse.Namespace, net: Any, flows: list[Any]) -> int:
    """``criticality --assign``: each closure re-solved as an equilibrium."""
    from corridors import report  # deferred: heavy stack
    from corridors.assign import criticality_assign, criticality_assign_size  # deferred: heavy stack
    from corridors.cluster import connect  # deferred: heavy stack

    if args.edges:
        raise UsageError("--assign closes crossings only; leave out --edges")
    params = _assign_params(args, net)
    with (
        _progress(criticality_assign_size(net), "case", quiet=args.json) as bar,
        connect(args.workers, args.scheduler) as client,
    ):
        rows = criticality_assign(net, flows, params=params, progress=bar, client=client)
    if args.map:
        from corridors import maps  # deferred: heavy stack

        path = "criticality.html" if args.map == DEFAULT else args.map
        maps.save_map(maps.criticality_map(rows, net, tiles=args.tiles, scenarios=_scenarios(args, net)), path,
                      offline=args.offline)  # fmt: skip
    if args.json:
        _emit_json({"flows": len(flows), "tonnes_per_year": sum(f.tonnes_per_year for f in flows),
                    "method": params.method, "cases": [r.to_dict() for r in rows]})  # fmt: skip
    else:
        print(report.criticality_table(rows, args.top))
        print(
            f"\n{len(flows)} flows, {sum(f.tonnes_per_year for f in flows):,.0f} t/yr; each row closes one crossing "
            f"alone and re-solves the {params.method} equilibrium"
        )
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    """``assign``: the trade flows at equilibrium, with queues at the crossings."""
    from corridors import report  # deferred: heavy stack
    from corridors.assign import assign, compare_revenue, compare_volumes  # deferred: heavy stack

    net = _load(args)
    flows = _flows(args, net)
    params = _assign_params(args, net)
    names = [s.name for s in _scenarios(args, net)]
    result = assign(net, flows, params=params, scenarios=names)
    written = []
    if args.csv:
        from corridors.io import atomic_write_text  # deferred: heavy stack

        written.append(f"crossings written to {atomic_write_text(args.csv, report.assign_csv(result))}")
    if args.geojson:
        _write_json_file(args.geojson, result.to_geojson(net))
        written.append(f"flows written to {args.geojson}")
    if args.map:
        from corridors import maps  # deferred: heavy stack

        path = "flows.html" if args.map == DEFAULT else args.map
        m = maps.flows_map(result, net, tiles=args.tiles, scenarios=_scenarios(args, net))
        written.append(f"map written to {maps.save_map(m, path, offline=args.offline)}")
    volumes = revenue = None
    if args.compare or args.markdown:
        volumes = compare_volumes(result, net, params.queue.days_per_year)
        revenue = compare_revenue(result, net)
    if args.json:
        doc = result.to_dict()
        if volumes is not None:
            doc["compare"] = {
                "volumes": [v.to_dict() for v in volumes],
                "revenue": [r.to_dict() for r in revenue or []],
            }
        _emit_json(doc)
    elif args.markdown:
        print(report.compare_markdown(volumes or [], revenue or []))
    else:
        print(report.compare_report(volumes, revenue or []) if volumes is not None else report.assign_report(result))
        for line in written:
            print(line)
    if not result.converged:
        print(f"{PROG}: warning: not converged after {result.iterations} iterations (gap {result.gap:.2e}); "
              "raise --max-iterations or --gap", file=sys.stderr)  # fmt: skip
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    """``map``: the whole network as a Folium HTML map."""
    from corridors import maps  # deferred: heavy stack

    net = _load(args)
    m = maps.network_map(net, tiles=args.tiles, scenarios=_scenarios(args, net))
    path = maps.save_map(m, args.output, offline=args.offline)
    if args.json:
        _emit_json({"map": str(path)})
    else:
        print(f"map written to {path}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """``build``: a detailed road (and rail) network from an OpenStreetMap extract."""
    from corridors.osm import build_network, network_info  # deferred: heavy stack

    folder = build_network(
        args.osm, args.name, bbox=args.bbox, highways=args.highways, rail=args.rail, geodata=args.geodata,
        progress=_wants_progress(args.json),
    )  # fmt: skip
    info = network_info(args.name)
    if args.json:
        _emit_json({"name": args.name, "folder": str(folder), "report": info.get("report")})
    else:
        print(f"network '{args.name}' written to {folder}")
        for key, value in (info.get("report") or {}).items():
            print(f"  {key}: {value}")
        print(f"route on it with: python -m corridors route ORIGIN DESTINATION --network {args.name}")
    return 0


def cmd_networks(args: argparse.Namespace) -> int:
    """``networks``: the detailed networks built so far."""
    from corridors.osm import data_root, list_networks  # deferred: heavy stack

    names = list_networks()
    if args.json:
        _emit_json(names)
    else:
        print("\n".join(names) if names else f"no detailed networks under {data_root()} yet (see 'build')")
    return 0


def cmd_nodes(args: argparse.Namespace) -> int:
    """``nodes``: the places the network holds."""
    from corridors import report  # deferred: heavy stack

    rows = _load(args).place_records(country=args.country, kind=args.kind, layer=args.layer)
    if args.json:
        _emit_json(rows)
    else:
        print(report.nodes_table(rows))
        print(f"\n{len(rows)} places")
    return 0


def cmd_crossings(args: argparse.Namespace) -> int:
    """``crossings``: the border crossings with their facts."""
    from corridors import report  # deferred: heavy stack

    rows = _load(args).crossing_records(country=args.country, mode=args.mode)
    if args.json:
        _emit_json(rows)
    else:
        print(report.crossings_table(rows))
        print(f"\n{len(rows)} crossings")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate``: check a geodata directory; exit code 5 when anything is wrong."""
    from corridors.data import default_geodata_dir  # deferred: heavy stack
    from corridors.validate import validate  # deferred: heavy stack

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


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative whole number, not {value}")
    return value


def _parents() -> dict[str, argparse.ArgumentParser]:
    """Option groups shared by several commands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--geodata", metavar="DIR", help="geodata directory (default: the shipped geodata/, or $CORRIDORS_GEODATA)"
    )
    common.add_argument("--json", action="store_true", help="print JSON (schemas in README)")

    scenario = argparse.ArgumentParser(add_help=False)
    scenario.add_argument(
        "--scenario",
        action="append",
        metavar="NAME_OR_FILE",
        help="apply a scenario (shipped name or .toml path; repeatable, in order)",
    )
    scenario.add_argument(
        "--close", action="append", metavar="ID", help="close a crossing (ID or ID:mode), edge or place (repeatable)"
    )
    scenario.add_argument(
        "--open", action="append", metavar="PROJECT", help="open a planned project, e.g. TAR (repeatable)"
    )
    scenario.add_argument(
        "--network",
        metavar="NAME",
        help="use the detailed OSM network NAME made by 'build' (default: the strategic network)",
    )

    pair = argparse.ArgumentParser(add_help=False)
    pair.add_argument("origin", help="place name, id or alias, or LAT,LON")
    pair.add_argument("destination", help="place name, id or alias, or LAT,LON")
    pair.add_argument(
        "--cargo", default="general", help="cargo profile: general, bulk, fuel, perishable (default general)"
    )
    pair.add_argument(
        "--tonnes",
        type=_bounded(_positive_float, MAX_TONNES, "--tonnes"),
        help=f"shipment size in tonnes, at most {MAX_TONNES:,.0f} (default one truckload of the profile)",
    )
    pair.add_argument(
        "--objective", default="generalized", choices=OBJECTIVES, help="what to minimise (default generalized)"
    )

    restrict = argparse.ArgumentParser(add_help=False)
    restrict.add_argument("--modes", type=_modes, help="modes allowed, comma-separated: road,rail (default both)")
    restrict.add_argument(
        "--via", action="append", metavar="PLACE", help="a place the route must pass (repeatable, in order)"
    )
    restrict.add_argument(
        "--avoid",
        action="append",
        metavar="PLACE_OR_CROSSING",
        help="a crossing, place or edge id to avoid (repeatable)",
    )
    mapopts = argparse.ArgumentParser(add_help=False)
    mapopts.add_argument(
        "--tiles",
        choices=("osm", "none"),
        default="osm",
        help="online tiles over the offline basemap: OpenStreetMap (default) or none",
    )
    mapopts.add_argument(
        "--offline", action="store_true", help="inline Leaflet and jQuery so the map works with no network at all"
    )
    return {"common": common, "scenario": scenario, "pair": pair, "restrict": restrict, "map": mapopts}


def _cluster_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--workers",
        type=_bounded(_positive_int, MAX_WORKERS, "--workers"),
        metavar="N",
        help="run on a local Dask cluster of N worker processes",
    )
    group.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786"
    )


CARGO_CHOICES = CARGO_PROFILES


def _assign_options(p: argparse.ArgumentParser, flows: bool = True) -> None:
    """Options of the equilibrium assignment (``assign``, ``criticality --assign``, ``--loaded``)."""
    if flows:
        p.add_argument("--flows", metavar="FILE", help="OD flows CSV (default geodata/od/trade_flows.csv)")
    p.add_argument(
        "--method", choices=METHODS, default="sue",
        help="sue: logit stochastic user equilibrium (default); ue: deterministic (Wardrop)",
    )  # fmt: skip
    p.add_argument(
        "--gap", type=_bounded(_positive_float, 1.0, "--gap"), default=DEFAULT_GAP, metavar="G",
        help=f"stop below this relative gap (default {DEFAULT_GAP:g})",
    )  # fmt: skip
    p.add_argument(
        "--max-iterations", type=_bounded(_positive_int, 100_000, "--max-iterations"), default=DEFAULT_MAX_ITERATIONS,
        metavar="N", help=f"iterations at most (default {DEFAULT_MAX_ITERATIONS})",
    )  # fmt: skip


def _loaded_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--loaded", action="store_true",
        help="price crossings at their assigned (queued) times: assign the trade flows first",
    )  # fmt: skip
    _assign_options(p)


def _map_option(p: argparse.ArgumentParser, help: str) -> None:
    """``--map [FILE]``: write a map; without FILE, to the default name ``help`` gives."""
    p.add_argument("--map", nargs="?", type=_file_name, const=DEFAULT, metavar="FILE", help=help)


def _country(text: str) -> str:
    """An ISO 3166-1 alpha-2 code (two letters)."""
    if len(text.strip()) != 2 or not text.strip().isalpha():
        raise argparse.ArgumentTypeError(f"'{text}' is not a two-letter country code (AF, PK, UZ ...)")
    return text.strip().upper()


#: Marks a ``--map`` given without a file name: the command picks its default path.
DEFAULT = "\0default"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # deferred: only --version reads it (~15 ms)

    try:
        return version("corridors")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``: print the installed version, looked up only when asked."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"{PROG} {_version()}")  # on standard output, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    par = _parents()
    parser = _Parser(
        prog=PROG,
        description="Freight corridors through Afghanistan: least-cost routes over road and rail, border crossings and transshipments.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "route",
        parents=[par["pair"], par["restrict"], par["scenario"], par["map"], par["common"]],
        help="least-cost corridor between two places",
        description="Least-cost corridor between two places, leg by leg.",
    )
    p.add_argument(
        "--alternatives",
        type=_bounded(_positive_int, MAX_ALTERNATIVES, "--alternatives"),
        default=1,
        metavar="K",
        help="show the K best corridors that differ in their border crossings",
    )
    p.add_argument("--geojson", type=_file_name, metavar="FILE", help="write the legs as GeoJSON LineStrings")
    _map_option(p, "write a Folium HTML map (default ./<origin>-<destination>.html)")
    p.add_argument("--chart", type=_file_name, metavar="FILE", help="write the time/cost-distance chart (.png or .svg)")
    p.add_argument(
        "--why",
        action="store_true",
        help="compare the chosen corridor with the runner-up: line haul, borders, transfers",
    )
    p.set_defaults(func=cmd_route)

    p = sub.add_parser(
        "fidelity",
        parents=[par["common"]],
        help="the model against observed whole-route facts",
        description="Run every observation in geodata/observations.csv and print model against observed, pass or fail.",
    )
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (the README's table)")
    p.set_defaults(func=cmd_fidelity)

    p = sub.add_parser(
        "whatif",
        parents=[par["pair"], par["restrict"], par["scenario"], par["map"], par["common"]],
        help="baseline and scenario routes side by side",
        description="Compare the route before and after a scenario.",
    )
    _map_option(p, "write both routes on one map (default ./whatif-<origin>-<destination>.html)")
    _loaded_options(p)
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser(
        "risk",
        parents=[par["pair"], par["scenario"], par["map"], par["common"]],
        help="Monte Carlo over border closures",
        description="Monte Carlo over closure states of the crossings and closure groups.",
    )
    p.add_argument(
        "--samples",
        type=_bounded(_positive_int, MAX_SAMPLES, "--samples"),
        default=10_000,
        metavar="N",
        help=f"closure states to draw (default 10000, at most {MAX_SAMPLES:,})",
    )
    p.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        metavar="S",
        help="random seed (default 0; same seed, same numbers)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="a closed crossing can be waited out (its mean closure duration) instead of detoured",
    )
    _map_option(p, "map with line width by edge use (default ./risk-<origin>-<destination>.html)")
    _cluster_options(p)
    _loaded_options(p)
    p.set_defaults(func=cmd_risk)

    p = sub.add_parser(
        "criticality",
        parents=[par["scenario"], par["map"], par["common"]],
        help="rank crossings (and edges) by the damage of closing each",
        description="Close each crossing (or edge) alone and rank the extra cost and the lost flows over an OD demand file.",
    )
    p.add_argument("--od", metavar="FILE", help="origin-destination demand CSV (default geodata/od/trade_flows.csv)")
    p.add_argument("--edges", action="store_true", help="also close every road and rail edge")
    p.add_argument(
        "--objective",
        default="generalized",
        choices=LOSS_OBJECTIVES,
        help="what routes minimise (default generalized)",
    )
    p.add_argument("--top", type=_positive_int, metavar="N", help="show the N most critical only")
    p.add_argument(
        "--assign", action="store_true",
        help="re-solve each closure as a trade-flow equilibrium with crossing queues (crossings only)",
    )  # fmt: skip
    _assign_options(p, flows=False)
    _map_option(p, "map of crossings sized by criticality (default ./criticality.html)")
    _cluster_options(p)
    p.set_defaults(func=cmd_criticality)

    p = sub.add_parser(
        "assign",
        parents=[par["scenario"], par["map"], par["common"]],
        help="trade flows at equilibrium with queues at the crossings",
        description="Assign the yearly trade flows to the network at user equilibrium: crossing times grow with "
        "load through a queue function of capacity and opening hours (README, Assignment).",
    )
    _assign_options(p)
    p.add_argument(
        "--cargo", dest="cargo_filter", action="append", choices=CARGO_CHOICES, metavar="PROFILE",
        help="assign only the flows of this cargo profile (repeatable)",
    )  # fmt: skip
    p.add_argument("--csv", type=_file_name, metavar="FILE", help="write the crossing table as CSV")
    p.add_argument("--geojson", type=_file_name, metavar="FILE", help="write edges and crossings with their loads")
    p.add_argument(
        "--map", nargs="?", type=_file_name, const=DEFAULT, metavar="FILE",
        help="map of edges by tonnes a year and crossings by utilisation and wait (default ./flows.html)",
    )  # fmt: skip
    p.add_argument("--compare", action="store_true", help="print modelled against observed volumes and revenue shares")
    p.add_argument("--markdown", action="store_true", help="print the comparison as Markdown (the README's tables)")
    p.set_defaults(func=cmd_assign)

    p = sub.add_parser(
        "map",
        parents=[par["scenario"], par["map"], par["common"]],
        help="map of the whole network",
        description="Folium map of the whole network: roads, railways by gauge, planned projects, crossings by closure probability, terminals.",
    )
    p.add_argument(
        "--output",
        "-o",
        type=_file_name,
        metavar="FILE",
        default="network.html",
        help="HTML file to write (default ./network.html)",
    )
    p.set_defaults(func=cmd_map)

    p = sub.add_parser(
        "nodes",
        parents=[par["scenario"], par["common"]],
        help="list the places of the network",
        description="List the places of the network.",
    )
    p.add_argument("--country", type=_country, help="ISO country code, e.g. AF")
    p.add_argument("--kind", choices=PLACE_KINDS, help="only places of this kind")
    p.add_argument("--layer", choices=(*LAYERS, SEA_LAYER), help="only places on this layer")
    p.set_defaults(func=cmd_nodes)

    p = sub.add_parser(
        "crossings",
        parents=[par["scenario"], par["common"]],
        help="list the border crossings",
        description="List the border crossings with their times, fees and closure figures.",
    )
    p.add_argument(
        "--country", type=_country, help="partner country code, e.g. PK (AF: every crossing with an Afghan side)"
    )
    p.add_argument("--mode", choices=MODES, help="only crossings that serve this mode")
    p.set_defaults(func=cmd_crossings)

    p = sub.add_parser(
        "build",
        parents=[par["common"]],
        help="build a detailed network from an OpenStreetMap extract",
        description="Build a detailed road (and rail) network from an OSM extract with osmnx, conflate the geodata crossings and terminals to it, and store it under the user data directory ($CORRIDORS_DATA or ~/.local/share/corridors).",
    )
    p.add_argument("--osm", required=True, metavar="FILE", help=".osm XML or .osm.pbf extract")
    p.add_argument("--name", required=True, help="name to store the network under")
    p.add_argument("--bbox", metavar="W,S,E,N", help="keep only this bounding box")
    p.add_argument(
        "--highways",
        default=",".join(DEFAULT_HIGHWAYS),
        help=f"OSM highway classes (default {','.join(DEFAULT_HIGHWAYS)}; _link roads included)",
    )
    p.add_argument("--rail", action="store_true", help="also build railways by gauge")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "networks",
        parents=[par["common"]],
        help="list the detailed networks built",
        description="List the detailed OSM networks built with 'build'.",
    )
    p.set_defaults(func=cmd_networks)

    p = sub.add_parser(
        "validate",
        help="check a geodata directory",
        description="Check a geodata directory; print every problem as file:row: message.",
    )
    p.add_argument("directory", nargs="?", help="geodata directory (default the shipped one)")
    p.add_argument("--geodata", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--report", action="store_true", help="add a summary: counts and the list of estimates")
    p.set_defaults(func=cmd_validate)
    return parser


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _one_line(message: str) -> str:
    """A message that stays on one line: control characters from user input shown escaped."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), message)


_NEGATIVE_COORDINATE = re.compile(r"^-\d+(\.\d+)?\s*[, ]\s*-?\d+(\.\d+)?$")


def _shield_coordinate(arg: str) -> str:
    """Keep a ``LAT,LON`` that starts with a minus (``-40,-120``) from being read as an option.

    argparse takes any word that starts with ``-`` and is not a plain number for an option; a
    leading space (which the coordinate parser ignores) makes it an ordinary value.
    """
    return f" {arg}" if _NEGATIVE_COORDINATE.match(arg) else arg


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
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args([_shield_coordinate(a) for a in argv])
    try:
        return args.func(args)
    except CorridorsError as exc:
        print(f"{PROG}: {_one_line(exc.message)}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


__all__ = ["UsageError", "build_parser", "main"]
