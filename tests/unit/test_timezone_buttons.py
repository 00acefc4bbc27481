"""The data of /timezone's buttons: the zone, and in a group the member the menu is for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.kernel import USER_ID_MAX
from bot.modules.accounts.timezone import FOR, PREFIX, choice_data, read_choice

ZONES = st.text(min_size=1, max_size=40).filter(lambda text: FOR not in text)
MEMBERS = st.integers(1, USER_ID_MAX)


@given(ZONES, st.none() | MEMBERS)
def test_a_buttons_data_reads_back_as_its_zone_and_member(zone: str, member: int | None) -> None:
    """What :func:`choice_data` writes, :func:`read_choice` reads back unchanged."""
    assert read_choice(choice_data(zone, member)) == (zone, member)


@given(st.text(max_size=80))
def test_any_data_is_read_or_refused_never_raised(data: str) -> None:
    """Forged data gives a zone text and a member within Telegram's bound, or None."""
    found = read_choice(PREFIX + data)
    assert found is None or found[1] is None or 1 <= found[1] <= USER_ID_MAX


def test_a_member_that_is_not_an_ascii_user_id_is_refused() -> None:
    """``@²``, ``@0`` and ``@`` beyond 2^52 name nobody: the press is refused."""
    for owner in ("²", "0", str(USER_ID_MAX + 1), "", "-5"):
        assert read_choice(f"{PREFIX}Europe/Kyiv{FOR}{owner}") is None
