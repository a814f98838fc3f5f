"""The checked-geodata cache of :func:`corridors.checks.load_geodata`: a hit is what parsing and
checking return, any edit under the directory is a miss, and a broken or disabled cache costs
nothing but the parse."""

from __future__ import annotations

import shutil

import pytest

from corridors.checks import load_geodata
from corridors.data import default_geodata_dir, parse_all


@pytest.fixture
def geodata_copy(tmp_path, monkeypatch):
    folder = tmp_path / "geodata"
    shutil.copytree(default_geodata_dir(), folder)
    cache = tmp_path / "cache"
    monkeypatch.setenv("CORRIDORS_GEODATA", str(folder))
    monkeypatch.setenv("CORRIDORS_CACHE", str(cache))
    return folder, cache


def same(a, b) -> bool:
    return (
        all(
            getattr(a, f) == getattr(b, f)
            for f in ("places", "edges", "crossings", "terminals", "ports", "observations")
        )
        and a.costs.params == b.costs.params
    )


def test_a_hit_equals_a_fresh_parse(geodata_copy):
    folder, cache = geodata_copy
    first = load_geodata()
    (copy,) = cache.glob("geodata-*.pickle")
    second = load_geodata()
    fresh, problems = parse_all(folder)
    assert not problems
    assert same(second, fresh) and same(first, fresh)
    assert second is not first  # every load gets its own object
    assert list(cache.glob("geodata-*.pickle")) == [copy]


def test_an_edit_is_a_miss(geodata_copy):
    folder, cache = geodata_copy
    before = load_geodata()
    path = folder / "crossings.csv"
    text = path.read_text(encoding="utf-8")
    assert ",48.4," in text  # Torkham's road time
    path.write_text(text.replace(",48.4,", ",50.0,", 1), encoding="utf-8")
    after = load_geodata()
    assert before.crossings["TRK"].road_time_h == 48.4 and after.crossings["TRK"].road_time_h == 50.0
    assert len(list(cache.glob("geodata-*.pickle"))) == 1  # one copy at a time


def test_a_broken_copy_is_parsed_again(geodata_copy):
    _, cache = geodata_copy
    load_geodata()
    (copy,) = cache.glob("geodata-*.pickle")
    copy.write_bytes(b"not a pickle")
    assert load_geodata().crossings["TRK"].road_time_h == 48.4
    assert copy.read_bytes() != b"not a pickle"  # rewritten


def test_off_writes_nothing(geodata_copy, monkeypatch):
    _, cache = geodata_copy
    monkeypatch.setenv("CORRIDORS_CACHE", "off")
    load_geodata()
    assert not cache.exists()


def test_another_directory_is_not_cached(geodata_copy, tmp_path):
    folder, cache = geodata_copy
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    load_geodata(other)
    assert not cache.exists()
