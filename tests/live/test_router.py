"""Channel names have one spelling and one place (live/channels.py); each kind has one owning area."""
from __future__ import annotations

import pytest

from chessweb.live import Area, Router, channels
from chessweb.live.channels import KIND_GAME, KIND_OVERVIEW, KIND_TOURNAMENT, KIND_USER


def test_every_name_built_parses_back_to_what_built_it():
    assert channels.parse(channels.tournament(7)) == channels.Channel("tournament:7", KIND_TOURNAMENT, 7, None)
    assert channels.parse(channels.tournament(7, "standings")).part == "standings"
    assert channels.parse(channels.game(12)) == channels.Channel("game:12", KIND_GAME, 12)
    assert channels.parse(channels.user(3)) == channels.Channel("user:3", KIND_USER, 3)
    assert channels.parse(channels.TOURNAMENTS_ALL).kind == KIND_OVERVIEW


@pytest.mark.parametrize("name", ["tournament:07", "tournament:0", "game:", "user:-1", "tournament:7:moves",
                                  "Tournament:7", " system", "tournament:1234567890", "admin:1", ""])
def test_other_spellings_are_not_channels(name):
    assert channels.parse(name) is None


def test_builders_refuse_what_has_no_channel():
    with pytest.raises(ValueError):
        channels.tournament(7, "moves")
    with pytest.raises(ValueError):
        channels.game(0)
    with pytest.raises(ValueError):
        channels.user(True)


def test_a_tournament_lists_every_part_for_the_privacy_recheck():
    listed = channels.tournament_channels(7, [40, 41])
    assert listed == ["tournament:7", *(f"tournament:7:{part}" for part in channels.TOURNAMENT_PARTS),
                      "game:40", "game:41"]


def test_a_kind_has_one_owner_and_unowned_channels_are_refused():
    class Games(Area):
        kinds = (KIND_GAME,)

        def authorize(self, user, channel):
            return True

    with pytest.raises(ValueError, match="owned by both"):
        Router([Games(), Games()])
    router = Router([Games()])
    assert router.authorize(None, "game:5") is True
    assert router.authorize(None, "tournament:5") is False  # nobody owns tournaments here
    assert router.authorize(None, "game:05") is False
