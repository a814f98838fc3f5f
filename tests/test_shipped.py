"""The shipped geodata: it validates clean and its answers are plausible against the
reference figures (CAREC CPMM, Logistics Cluster, railway km posts)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

import pytest

from conftest import REPO
from corridors.fidelity import metric_value
from corridors.validate import validate


def test_shipped_geodata_validates_clean():
    report = validate(REPO / "geodata")
    assert report.ok, "\n".join(map(str, report.problems))


def test_termez_karachi_is_plausible(shipped_net):
    route = shipped_net.route("Termez", "Karachi")
    t = route.totals
    # by road via Kabul and Kandahar-Chaman-Quetta-N-25 (~1,900 km) or Torkham-Peshawar-M-1..M-9 (~2,500 km)
    assert 1800 <= t["distance_km"] <= 2900
    # CPMM: border crossings of about a day each side; 5-10 days from Termez to the port gate
    # (the port's own dwell, about a week at Karachi, comes on top)
    land_h = metric_value(route, "time_h", "land")
    assert 4 * 24 <= land_h <= 12 * 24
    assert t["time_h"] == pytest.approx(land_h + shipped_net.data.ports["KARACHI"].dwell_h, abs=0.05)
    # CPMM TFI3: USD 570-1,030 per 500 km per 20 t truck -> USD 3,000-6,000 for ~2,500 km
    assert 2500 <= t["cost_usd"] <= 7000
    assert route.crossings[0] == "HAI"
    assert route.crossings[-1] in {"TRK", "SPB", "KHR", "GKH"}


def test_hairatan_is_the_termez_gateway_and_torkham_leads_to_peshawar(shipped_net):
    assert shipped_net.route("Termez", "Kabul").crossings == ["HAI"]
    assert shipped_net.route("Kabul", "Peshawar").crossings == ["TRK"]
    assert shipped_net.route("Kandahar", "Quetta").crossings == ["SPB"]
    assert shipped_net.route("Mashhad", "Herat", modes=["road"]).crossings == ["ISQ"]
    # with rail allowed the Khaf-Herat railway competes with Islam Qala's long queue of trucks
    assert shipped_net.route("Herat", "Mashhad").crossings[0] in {"ISQ", "KHF"}


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("Hairatan", "Mazar-i-Sharif", 70, 90),  # 75-80 km (LCA, Pajhwok)
        ("Kabul", "Jalalabad", 140, 165),  # 143-160 km
        ("Herat", "Kandahar", 540, 600),  # 557 km NH01
        ("Kandahar", "Kabul", 470, 510),  # 483 km
        ("Peshawar", "Karachi", 1350, 1650),  # N-55: NHA Peshawar-Kotri 1,264 + M-9 136; motorways ~1,565
        ("Torkham_PK", "Karachi", 1416 * 0.9, 1416 * 1.1),  # 1,416 km, Afghan chamber (2017)
        ("Karachi", "Chaman", 780, 830),  # N-25 790-813 km
    ],
)
def test_road_distances_match_the_sheets(shipped_net, a, b, low, high):
    route = shipped_net.route(a, b, objective="distance", modes=["road"])
    assert low <= route.totals["distance_km"] <= high


def test_rail_from_termez_reaches_naibabad_on_1520(shipped_net):
    route = shipped_net.route("Termez", "Naibabad", modes=["rail"])
    assert {leg.gauge_mm for leg in route.leg_list} == {1520}
    assert route.crossings == ["HAI"]


def test_shir_khan_bandar_forces_transloading(shipped_net):
    route = shipped_net.route("Dushanbe", "Kunduz")
    assert "SKB" in route.crossings
    assert any(t["kind"] == "crossing_transload" for t in route.transfers)


def test_planned_trans_afghan_railway_opens_a_rail_route(shipped_net):
    from corridors.scenarios import load_scenario

    # today a rail-only Termez-Peshawar route must go round through Turkmenistan, Iran and Taftan
    today = shipped_net.route("Termez", "Peshawar", modes=["rail"], objective="distance")
    assert "KHR_RAIL" not in today.crossings
    tar = shipped_net.with_scenarios([load_scenario("tarp-built", REPO / "geodata")])
    route = tar.route("Termez", "Peshawar", modes=["rail"], objective="distance")
    assert route.crossings == ["HAI", "KHR_RAIL"]
    assert any(t["kind"] == "gauge_break" for t in route.transfers)
    assert route.totals["distance_km"] < today.totals["distance_km"] / 2


SCENARIO_DIR = REPO / "geodata" / "scenarios"
#: Every shipped scenario file: a file dropped in the folder is tested without editing this module.
SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.toml"))
#: The tables a scenario file may hold, each checked by :func:`check_scenario_effect`.
SCENARIO_KEYS = {"name", "description", "source", "close", "open", "set", "scale"}


def _crossing_edges(graph, cid: str, mode: str | None = None) -> list[dict]:
    """Attributes of the graph's edges of crossing ``cid`` (of one mode if given)."""
    return [
        d
        for _, _, d in graph.edges(data=True)
        if d["kind"] == "crossing" and d["crossing_id"] == cid and (mode is None or d["mode"] == mode)
    ]


def _edges_with_id(graph, eid: str) -> list[dict]:
    """Attributes of the graph's road and rail edges with id ``eid`` (both directions)."""
    return [d for _, _, d in graph.edges(data=True) if d["kind"] in ("road", "rail") and d["id"] == eid]


def _route_or_none(net, origin: str, destination: str, **options):
    """The route, or None when the network has none."""
    from corridors.errors import NoRouteError

    try:
        return net.route(origin, destination, **options)
    except NoRouteError:
        return None


def _links(route) -> set[str]:
    """Crossing ids and edge ids a route uses."""
    return set(route.crossings) | {leg.edge_id for leg in route.leg_list if leg.edge_id}


def _check_closed_crossing(base, net, item: str) -> None:
    """A closed crossing (or ``ID:mode``) has no edge left, and a route across it changes."""
    from corridors.scenarios import Scenario

    cid, _, mode = item.partition(":")
    cid, mode = cid.upper(), mode or None
    crossing = base.data.crossings[cid]
    assert not _crossing_edges(net.graph, cid, mode), f"{item}: still in the graph"
    if mode is not None:
        # the other modes stay open, as they were
        for other in set(crossing.modes) - {mode}:
            assert len(_crossing_edges(net.graph, cid, other)) == len(_crossing_edges(base.graph, cid, other)) > 0
    before = _crossing_edges(base.graph, cid, mode)
    if not before:
        # not built in the baseline (a planned link): opening its project must not build it now
        assert crossing.project, f"{item}: neither built nor planned, so closing it does nothing"
        reopened = net.with_scenarios([Scenario("reopen", open_projects=(crossing.project,))])
        assert not _crossing_edges(reopened.graph, cid, mode), f"{item}: opening {crossing.project} builds it"
        return
    for m in sorted({d["mode"] for d in before}):
        old = base.route(crossing.af_place, crossing.partner_place, modes=[m])
        assert cid in old.crossings, f"{item}: the baseline {m} route between its posts does not cross it"
        new = _route_or_none(net, crossing.af_place, crossing.partner_place, modes=[m])
        assert new is None or cid not in new.crossings, f"{item}: the {m} route between its posts still crosses it"


def _check_closed_edge(base, net, eid: str) -> None:
    """A closed edge is gone from the graph, and the route along it changes."""
    edge = base.data.edges[eid]
    assert not _edges_with_id(net.graph, eid), f"edge {eid}: still in the graph"
    if _edges_with_id(base.graph, eid):
        old = base.route(edge.from_id, edge.to_id, modes=[edge.mode])
        assert eid in _links(old), f"edge {eid}: the baseline route between its ends does not use it"
        new = _route_or_none(net, edge.from_id, edge.to_id, modes=[edge.mode])
        assert new is None or eid not in _links(new), f"edge {eid}: the route between its ends still uses it"


def _check_closed_place(base, net, pid: str) -> None:
    """A closed place keeps no edge, crossing or transfer."""
    pid = pid.upper()
    assert any(base.graph.nodes[n]["place"] == pid for n in base.graph), f"place {pid}: not in the baseline graph"
    touching = [
        (u, v, k)
        for u, v, k in net.graph.edges(keys=True)
        if pid in (net.graph.nodes[u]["place"], net.graph.nodes[v]["place"])
    ]
    assert not touching, f"place {pid}: still joined by {touching[:3]}"


def _check_opened_project(base, net, project: str) -> None:
    """A project's planned links are absent from the baseline graph, built by the scenario and used."""
    from corridors.scenarios import projects

    assert project in projects(base.data), f"unknown project {project}"
    planned = ("planned", "under_construction")
    edges = [e for e in base.data.edges.values() if e.project == project and e.status in planned]
    crossings = [c for c in base.data.crossings.values() if c.project == project and c.status in planned]
    assert edges or crossings, f"project {project}: nothing left to build"
    for e in edges:
        assert not _edges_with_id(base.graph, e.id), f"{e.id}: built before the scenario"
        assert len(_edges_with_id(net.graph, e.id)) == 2, f"{e.id}: not built both ways"
        # the new link is the way between its own ends
        route = net.route(e.from_id, e.to_id, modes=[e.mode], objective="distance")
        assert e.id in _links(route), f"{e.id}: the {e.mode} route between its ends does not use it"
    for c in crossings:
        assert not _crossing_edges(base.graph, c.id), f"{c.id}: built before the scenario"
        assert {d["mode"] for d in _crossing_edges(net.graph, c.id)} == set(c.modes), f"{c.id}: not built"


def _crossing_field(fld: str, transload_h: float) -> tuple[str, float]:
    """The edge attribute a crossing field becomes, and what the graph adds to it."""
    return {
        "road_time_h": ("time_h", transload_h),
        "rail_time_h": ("time_h", 0.0),
        "road_fee_usd_per_truck": ("cost_usd_per_truck", 0.0),
        "rail_fee_usd_per_wagon": ("cost_usd_per_wagon", 0.0),
        "closure_prob": ("closure_prob", 0.0),
        "closure_mean_days": ("closure_mean_days", 0.0),
    }[fld]


def _check_value(base, net, key: str, expected) -> None:
    """A ``set`` or ``scale`` target holds ``expected(old value)`` in the data and on the edges."""
    import fnmatch

    kind, _, rest = key.partition(".")
    if kind == "costs":
        matches = [k for k in base.data.costs.params if fnmatch.fnmatchcase(k, rest)]
        assert matches, f"{key}: matches no cost parameter"
        for k in matches:
            old = base.data.costs.params[k].value
            assert net.data.costs.params[k].value == pytest.approx(expected(old)), k
        return
    rec_id, _, fld = rest.rpartition(".")
    if kind == "crossing":
        old_rec, new_rec = base.data.crossings[rec_id], net.data.crossings[rec_id]
        want = expected(getattr(old_rec, fld) or 0.0)
        assert getattr(new_rec, fld) == pytest.approx(want), key
        if fld == "capacity_trucks_per_day":
            return  # a record figure only: no edge carries it
        mode = {"road_time_h": "road", "road_fee_usd_per_truck": "road"}.get(fld)
        mode = mode or {"rail_time_h": "rail", "rail_fee_usd_per_wagon": "rail"}.get(fld)
        edges = _crossing_edges(net.graph, rec_id, mode)
        assert edges, f"{key}: crossing {rec_id} has no {mode or ''} edge to carry it"
        for d in edges:
            attr, extra = _crossing_field(fld, d.get("transload_time_h", 0.0))
            assert d[attr] == pytest.approx(want + extra), (key, attr)
        if fld.endswith("_time_h"):
            # the crossing leg of a route across it takes the new time
            route = net.route(new_rec.af_place, new_rec.partner_place, modes=[mode])
            legs = [leg for leg in route.leg_list if leg.kind == "crossing" and leg.crossing_id == rec_id]
            assert legs and all(leg.time_h == pytest.approx(want + extra) for leg in legs), key
    elif kind == "group":
        want = expected(getattr(base.data.groups[rec_id], fld))
        assert getattr(net.data.groups[rec_id], fld) == pytest.approx(want), key
        members = [c for c in net.data.crossings.values() if c.closure_group == rec_id]
        for c in members:
            for d in _crossing_edges(net.graph, c.id):
                if fld == "closure_prob":
                    assert d["group_closure_prob"] == pytest.approx(want), (key, c.id)
    elif kind == "edge":
        want = expected(getattr(base.data.edges[rec_id], fld) or 0.0)
        assert getattr(net.data.edges[rec_id], fld) == pytest.approx(want), key
        for d in _edges_with_id(net.graph, rec_id):
            if fld == "distance_km":
                assert d["distance_km"] == pytest.approx(want), key
            else:
                assert d["time_h"] == pytest.approx(d["distance_km"] / want), key
    elif kind == "terminal":
        olds = [t for t in base.data.terminals if t.place == rec_id]
        news = [t for t in net.data.terminals if t.place == rec_id]
        assert olds and len(news) == len(olds), key
        for old, new in zip(olds, news, strict=True):
            assert getattr(new, fld) == pytest.approx(expected(getattr(old, fld))), key
    else:
        pytest.fail(f"{key}: this test has no check for target kind {kind!r}; add one to _check_value")


def check_scenario_effect(base, net, raw: dict) -> int:
    """Assert that every change a parsed scenario file asks for is in ``net``; return how many."""
    unknown = set(raw) - SCENARIO_KEYS
    assert not unknown, f"tables this test does not check: {unknown}"
    close, opened = raw.get("close", {}), raw.get("open", {})
    changes = 0
    for item in close.get("crossings", []):
        if item.partition(":")[0].upper() in base.data.crossings:
            _check_closed_crossing(base, net, item)
        elif item in base.data.edges:  # --close takes an edge or a place too
            _check_closed_edge(base, net, item)
        else:
            _check_closed_place(base, net, item)
        changes += 1
    for eid in close.get("edges", []):
        _check_closed_edge(base, net, eid)
        changes += 1
    for pid in close.get("places", []):
        _check_closed_place(base, net, pid)
        changes += 1
    for project in opened.get("projects", []):
        _check_opened_project(base, net, project)
        changes += 1
    for key, value in raw.get("set", {}).items():
        _check_value(base, net, key, lambda _old, v=value: v)
        changes += 1
    for key, factor in raw.get("scale", {}).items():
        _check_value(base, net, key, lambda old, f=factor: old * f)
        changes += 1
    return changes


@dataclass(frozen=True)
class RouteEffect:
    """What a scenario's description says happens to one route (links: crossing or edge ids)."""

    origin: str
    destination: str
    options: dict = field(default_factory=dict)
    before_one_of: tuple[str, ...] = ()  # the baseline route uses at least one of these
    after: tuple[str, ...] = ()  # the scenario route uses these
    gone: tuple[str, ...] = ()  # the scenario route uses none of these
    no_route_before: bool = False
    no_route_after: bool = False
    time_change_h: float | None = None  # scenario minus baseline hours, same crossings
    new_edges: tuple[str, ...] = ()  # graph edge keys that only the scenario has
    unchanged: bool = False  # the scenario leaves this route as it was


AF_PK = ("TRK", "SPB", "KHR", "GKH", "ANG")
#: Per shipped scenario, the route its description (README's scenario table) is about.
DESCRIBED = {
    "torkham-closed": RouteEffect("Kabul", "Peshawar", before_one_of=("TRK",), gone=("TRK",)),
    # "the land route to Karachi then runs through Iran (Taftan-Mirjaveh)"
    "af-pk-border-closed": RouteEffect("Kabul", "Karachi", before_one_of=AF_PK, gone=AF_PK, after=("TAF",)),
    # "after attacks in Kurram closed the Parachinar road"
    "kharlachi-2024": RouteEffect("Kabul", "Parachinar", before_one_of=("KHR",), gone=("KHR",)),
    # rail over the Friendship Bridge suspended; "road and the Termez river port keep working"
    "hairatan-rail-suspended": (
        RouteEffect("Termez", "Naibabad", {"modes": ["rail"]}, before_one_of=("HAI",), no_route_after=True),
        RouteEffect("Termez", "Kabul", {"modes": ["road"]}, before_one_of=("HAI",), after=("HAI",), unchanged=True),
    ),
    "salang-winter": RouteEffect("Termez", "Kabul", before_one_of=("AF-R-SLN-SLS",), gone=("AF-R-SLN-SLS",)),
    "tarp-built": RouteEffect(
        "Termez", "Peshawar", {"modes": ["rail"], "objective": "distance"}, after=("HAI", "KHR_RAIL")
    ),
    # "Herat gets a 1520 mm railhead with road transfer"
    "torghundi-herat-rail": RouteEffect(
        "Mary",
        "Herat",
        {"modes": ["rail"]},
        no_route_before=True,
        after=("AF-RL-TOR-HER",),
        new_edges=("HERAT:road->rail1520",),
    ),
    # the China-Afghanistan train's Khorgos dwell falls from the CPMM 84.1 h to 6 h
    "kz-cn-block-train-clearance": RouteEffect(
        "Urumqi",
        "Hairatan",
        {"modes": ["rail"]},
        before_one_of=("KHG_RAIL",),
        after=("KHG_RAIL",),
        time_change_h=6 - 84.1,
    ),
}


def test_every_shipped_scenario_is_listed_and_described():
    names = {p.stem for p in SCENARIO_FILES}
    assert len(names) >= 8
    missing = sorted(names - set(DESCRIBED))
    assert not missing, f"add the route effect of {missing} (from its description) to DESCRIBED"
    assert set(DESCRIBED) <= names, f"DESCRIBED names scenarios not shipped: {sorted(set(DESCRIBED) - names)}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_shipped_scenario_has_its_effect(shipped_net, path):
    from corridors.scenarios import load_scenario

    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw.get("name") == path.stem and raw.get("description") and raw.get("source")
    net = shipped_net.with_scenarios([load_scenario(path.stem, REPO / "geodata")])
    assert check_scenario_effect(shipped_net, net, raw) > 0, f"{path.name} changes nothing"
    with pytest.raises(AssertionError):  # the checks see it when the scenario is not applied
        check_scenario_effect(shipped_net, shipped_net, raw)
    effects = DESCRIBED.get(path.stem)
    if effects is None:
        pytest.fail(f"{path.stem}: no described route effect in DESCRIBED")
    for effect in effects if isinstance(effects, tuple) else (effects,):
        _check_route_effect(shipped_net, net, effect)


def _check_route_effect(base, net, effect: RouteEffect) -> None:
    """The route of ``effect`` before and after the scenario is as described."""
    old = _route_or_none(base, effect.origin, effect.destination, **effect.options)
    new = _route_or_none(net, effect.origin, effect.destination, **effect.options)
    assert (old is None) == effect.no_route_before, old
    assert (new is None) == effect.no_route_after, new
    if old is not None and effect.before_one_of:
        assert set(effect.before_one_of) & _links(old), (effect.before_one_of, old.crossings)
    if new is not None:
        assert set(effect.after) <= _links(new), (effect.after, new.crossings)
        assert not set(effect.gone) & _links(new), (effect.gone, new.crossings)
    if old is not None and new is not None:
        if effect.unchanged:
            assert _links(new) == _links(old)
            assert new.totals == pytest.approx(old.totals)
        elif effect.time_change_h is None:
            # a closure or a new link changes the route, not just its figures
            assert _links(new) != _links(old)
        else:
            assert new.crossings == old.crossings
            assert new.totals["time_h"] - old.totals["time_h"] == pytest.approx(effect.time_change_h, abs=0.05)
    base_keys = {k for _, _, k in base.graph.edges(keys=True)}
    new_keys = {k for _, _, k in net.graph.edges(keys=True)}
    for key in effect.new_edges:
        assert key in new_keys and key not in base_keys, key


TOY_SCENARIO = """
name = "toy"
description = "every kind of change the effect checks know, on the toy network"
source = "test"
[close]
crossings = ["X4", "X1:rail"]
edges = ["AF-R-2"]
places = ["PKPOST2"]
[set]
"crossing.X1.road_time_h" = 9
"crossing.X3.road_fee_usd_per_truck" = 120
"crossing.X2.capacity_trucks_per_day" = 40
"group.G.closure_prob" = 0.3
"edge.AF-R-3.speed_kmh" = 20
"terminal.AFCITY.time_h" = 3
[scale]
"costs.road.cost_usd_per_truck_km.*" = 1.5
"""


def test_the_effect_checks_pass_on_every_kind_of_change_and_fail_without_it(toy_net):
    """The shipped files use few kinds of change; the checks of the others are tried here."""
    from corridors.scenarios import parse_scenario

    raw = tomllib.loads(TOY_SCENARIO)
    net = toy_net.with_scenarios([parse_scenario(TOY_SCENARIO, "toy")])
    assert check_scenario_effect(toy_net, net, raw) == 11
    # each change alone, checked against the unchanged network, is caught
    singles = [{"close": {table: [item]}} for table, items in raw["close"].items() for item in items]
    singles += [{table: {key: value}} for table in ("set", "scale") for key, value in raw[table].items()]
    assert len(singles) == 11
    for single in singles:
        with pytest.raises(AssertionError):
            check_scenario_effect(toy_net, toy_net, single)


def test_aliases_resolve(shipped_net):
    for text, expected in [
        ("Termiz", "TERMEZ"),
        ("Mazar-e Sharif", "MAZAR_I_SHARIF"),
        ("Hayratan", "HAIRATAN"),
        ("Towraghondi", "TORGHUNDI"),
        ("Sherkhan Bandar", "SHIR_KHAN_BANDAR"),
    ]:
        assert shipped_net.places.place(text).id == expected
