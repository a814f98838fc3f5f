"""Resolving what users type: ids, names, aliases, accents, coordinates, suggestions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridors.errors import UnknownPlaceError
from corridors.places import normalize, parse_latlon


@pytest.mark.parametrize("text", ["AFCITY", "afcity", "Afcity", "Āfcity Sharīf", "af-e city", "AF E CITY"])
def test_names_aliases_case_and_accents(toy_net, text):
    assert toy_net.places.place(text).id == "AFCITY"


def test_normalize():
    assert normalize("Mazār-i-Sharīf") == "mazarisharif"
    assert normalize("  Shir Khan Bandar ") == normalize("shir-khan-bandar")


def test_unknown_place_suggests(toy_net):
    with pytest.raises(UnknownPlaceError) as err:
        toy_net.places.place("Afcty")
    assert err.value.exit_code == 3
    assert "Afcity" in err.value.suggestions
    assert "did you mean" in err.value.message


def test_latlon_parsing():
    assert parse_latlon("36.7,67.1") == (36.7, 67.1)
    assert parse_latlon(" -33.5 , 151.2 ") == (-33.5, 151.2)
    assert parse_latlon("Kabul") is None
    assert parse_latlon("136.7,67.1") is None


def test_avoidable_prefers_crossing_ids(toy_net):
    assert toy_net.places.avoidable("X1") == ("crossing", "X1")
    assert toy_net.places.avoidable("Friendship") == ("crossing", "X1")
    assert toy_net.places.avoidable("Afcity") == ("place", "AFCITY")
    assert toy_net.places.avoidable("AF-R-3") == ("edge", "AF-R-3")
    with pytest.raises(UnknownPlaceError):
        toy_net.places.avoidable("nowhere at all")


def test_errors_are_also_the_matching_builtins(toy_net):
    from corridors.errors import DataError, NoRouteError, UnknownPlaceError, UsageError

    assert issubclass(UsageError, ValueError) and issubclass(DataError, ValueError)
    assert issubclass(UnknownPlaceError, LookupError) and issubclass(NoRouteError, LookupError)
    with pytest.raises(LookupError):
        toy_net.route("Nowhere", "Afcity")
    with pytest.raises(ValueError):
        toy_net.route("Uzcity", "Afcity", tonnes=-1)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_normalize_ascii_fast_path_is_the_general_fold(text):
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    assert normalize(text) == "".join(ch for ch in stripped.casefold() if ch.isalnum())
