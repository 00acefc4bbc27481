"""The audience line of /broadcast: read totally, checked against the declared facets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.people import (
    Audience,
    AudienceError,
    AudienceRegistry,
    Facet,
    Scope,
    at_least,
    choice,
    days,
    looks_like_audience,
    parse_audience,
)
from bot.core.people.audience import MAX_TERMS, Term
from bot.core.people.users import User
from bot.modules.accounts.tags import FACETS as TAGS
from bot.modules.analytics.audience import FACETS as ACTIVITY
from bot.modules.missions.audience import FACETS as MISSIONS
from bot.modules.subscriptions.audience import FACETS as VIP

REGISTRY = AudienceRegistry([*VIP, *MISSIONS, *TAGS, *ACTIVITY])
SCOPE = Scope(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), "Europe/Kyiv")


def test_terms_are_read_with_their_values_and_negation() -> None:
    audience = parse_audience("  lang:uk,en\t-seen:30d vip:expired ")
    assert audience.terms == (
        Term("lang", ("uk", "en")),
        Term("seen", ("30d",), negated=True),
        Term("vip", ("expired",)),
    )
    assert str(audience) == "lang:uk,en -seen:30d vip:expired"
    assert parse_audience("").everyone and str(Audience()) == ""


@pytest.mark.parametrize(
    "text",
    [
        "lang",  # no colon
        ":uk",  # no name
        "LANG:uk",  # names are lowercase ASCII
        "lаng:uk",  # a Cyrillic а
        "lang:",  # no value
        "lang:uk,,en",  # an empty value
        "lang:" + ",".join(["uk"] * 11),  # too many values
        "tag:" + "x" * 65,  # a value too long
        " ".join(["seen:1d"] * (MAX_TERMS + 1)),  # too many terms
    ],
)
def test_what_is_not_an_audience_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(AudienceError) as refused:
        parse_audience(text)
    assert str(refused.value)


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("colour:red", "No audience term “colour”"),
        ("lang:xx", "“xx” is not a value of lang"),
        ("tz:Mars/Olympus", "is not a value of tz"),
        ("seen:30", "is not a value of seen"),
        ("seen:0d", "is not a value of seen"),
        ("seen:²d", "is not a value of seen"),
        ("vip:gold", "is not a value of vip"),
        ("streak:-1", "is not a value of streak"),
        ("streak:①", "is not a value of streak"),
        ("tag:has space", "No audience term"),  # the space splits it: "space" is no term
        ("tag:Ünï", "is not a value of tag"),
        ("source:a.b", "is not a value of source"),
    ],
)
def test_unknown_names_and_bad_values_are_named(text: str, wrong: str) -> None:
    with pytest.raises(AudienceError) as refused:
        REGISTRY.check(parse_audience(text))
    assert wrong in str(refused.value) or "not a term" in str(refused.value)


def test_values_are_read_by_their_facet() -> None:
    checked = REGISTRY.check(
        parse_audience("tz:europe/kyiv seen:12h streak:7+ missions:3 tag:Beta")
    )
    assert [values for _facet, _term, values in checked] == [
        ["Europe/Kyiv"],
        [timedelta(hours=12)],
        [7],
        [3],
        ["beta"],
    ]


def test_readers() -> None:
    assert days("30d") == timedelta(days=30) and days("2H") == timedelta(hours=2)
    assert days("d") is None and days("5w") is None and days("99999d") is None
    assert at_least("7+") == 7 and at_least("0") == 0 and at_least("+") is None
    assert choice("yes", "no")("YES") == "yes" and choice("yes")("y") is None


def test_a_facet_is_declared_once_with_a_plain_name() -> None:
    with pytest.raises(ValueError, match="twice"):
        AudienceRegistry([*VIP, *VIP])
    with pytest.raises(ValueError, match="lowercase"):
        Facet("Vip", "", str, lambda value, scope: User.id.is_not(None))


@pytest.mark.parametrize(
    ("line", "is_audience"),
    [
        ("lang:uk", True),
        ("-tag:beta seen:7d", True),
        ("-tag:beta Hello", False),
        ("Note:this matters", False),
        ("note:this", True),
        ("Hello: everyone", False),
        ("Meeting at 10:30", False),
        ("https://example.org", False),
        ("", False),
        ("   ", False),
        ("Ціна:10", False),
    ],
)
def test_which_first_lines_are_audiences(line: str, is_audience: bool) -> None:
    assert looks_like_audience(line) is is_audience


@given(st.text(max_size=300))
def test_any_text_is_an_audience_or_refused_never_an_exception(text: str) -> None:
    """Any line: an audience whose canonical text reads back the same, or AudienceError;
    checking it against the facets, the same; compiling it, conditions or AudienceError."""
    try:
        audience = parse_audience(text)
    except AudienceError:
        return
    assert parse_audience(str(audience)) == audience
    try:
        conditions = REGISTRY.where(audience, SCOPE)
    except AudienceError:
        return
    assert len(conditions) == len(audience.terms) + 1  # and reachable


@given(
    st.lists(
        st.sampled_from(
            [
                "lang:uk",
                "lang:en,uk",
                "-seen:30d",
                "joined:7d",
                "referred:no",
                "vip:never",
                "streak:3+",
                "missions:1",
                "tag:beta",
                "tz:UTC",
                "-vip:active",
            ]
        ),
        max_size=MAX_TERMS,
    )
)
def test_any_combination_of_valid_terms_compiles(terms: list[str]) -> None:
    audience = parse_audience(" ".join(terms))
    query = REGISTRY.count_query(audience, SCOPE)
    assert "users" in str(query)
