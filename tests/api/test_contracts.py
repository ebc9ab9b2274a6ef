"""The published contract: generated from the models, served at /api/v1/schema.json, checked in under docs/,
and used by the server to validate what clients send."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from chessweb.api import contracts
from chessweb.realtime import protocol

from ..frame_schema import SCHEMA_FILE, check_frame


def test_the_checked_in_schema_is_the_generated_one():
    assert SCHEMA_FILE.read_text() == contracts.schema_text(), (
        "docs/api-schema.json is stale: regenerate it with "
        "`python -c \"from chessweb.api import contracts; print(contracts.schema_text(), end='')\" "
        "> docs/api-schema.json`")


def test_the_schema_is_a_valid_json_schema_2020_12():
    Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text()))


def test_the_schema_is_served_at_a_stable_url(client):
    response = client.get("/api/v1/schema.json")
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    assert response.get_data(as_text=True) == SCHEMA_FILE.read_text()


@pytest.mark.parametrize("frame", [
    '{"type":"subscribe","channel":"tournament:7:standings"}',
    '{"type":"unsubscribe","channel":"game:42"}',
    '{"type":"ping"}', '{"type":"ping","id":"abc"}', '{"type":"ping","id":17}',
])
def test_every_frame_the_server_accepts_matches_the_client_schema(frame):
    protocol.parse_client_message(frame)
    assert not list(contracts_validator("ClientMessage").iter_errors(json.loads(frame)))


@pytest.mark.parametrize("frame", [
    '{"type":"dance"}', '{"type":"subscribe"}', '{"type":"subscribe","channel":"Game:1"}',
    '{"type":"subscribe","channel":42}', '{"type":"ping","id":true}', '{"type":"ping","id":{"a":1}}',
])
def test_every_frame_the_server_refuses_breaks_the_client_schema(frame):
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_client_message(frame)
    assert list(contracts_validator("ClientMessage").iter_errors(json.loads(frame)))


def test_the_control_replies_follow_the_contract():
    for body in (protocol.connected("s1", None), protocol.subscribed(["tournament:1"]), protocol.unsubscribed([]),
                 protocol.pong(None), protocol.pong("x"), protocol.error("forbidden", "no", "admin"),
                 protocol.error("rate_limited", "slow down")):
        check_frame(json.dumps(body), "ServerMessage")


def test_an_error_code_outside_the_contract_cannot_be_sent():
    with pytest.raises(ValueError):
        protocol.error("made_up_code", "nope")


@pytest.mark.parametrize("frame", [
    {"type": "broadcast", "channel": "tournament:1:standings", "key": "standings-1", "version": 3,
     "data": {"tournament": 1, "through_round": 1, "tiebreaks": [], "rows": [], "surprise": 1}},
    {"type": "broadcast", "channel": "tournament:1", "key": "x", "version": -1, "data": None},
    {"type": "broadcast", "channel": "tournament:1", "event": "GAME_COMPLETED", "data": {"type": "x"}},
    {"type": "hello"},
])
def test_the_frame_check_catches_a_frame_outside_the_contract(frame):
    with pytest.raises(AssertionError, match="breaks"):
        check_frame(json.dumps(frame), "ServerMessage")


def contracts_validator(definition: str) -> Draft202012Validator:
    document = contracts.schema_document()
    return Draft202012Validator({"$defs": document["$defs"], "$ref": f"#/$defs/{definition}"})


def test_the_frames_of_a_real_socket_are_checked_against_the_schema(app, live_server):
    """A round robin's channels carry every fragment shape (crosstable too); each frame read is checked."""
    from websockets.sync.client import connect

    from chessweb.models import Role, TournamentFormat

    from .. import frame_schema
    from ..conftest import make_user
    from ..tournaments.conftest import setup_tournament, start_round

    organizer = make_user(Role.ORGANIZER)
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN)
    start_round(tid, organizer)
    before = frame_schema.CHECKED[0]
    query = f"channel=tournament:{tid}&channel=tournament:{tid}:games&channel=tournament:{tid}:standings" \
            f"&channel=tournament:{tid}:crosstable" \
            "&channel=tournaments:all&format=json"
    with connect(f"{live_server.ws_url}/ws?{query}", open_timeout=10, compression=None) as ws:
        seen = []
        while not seen or seen[-1]["type"] != "subscribed":
            seen.append(json.loads(ws.recv(timeout=10)))
    assert {m.get("key") for m in seen} >= {f"crosstable-{tid}", f"standings-{tid}", f"scoreboard-{tid}"}
    assert frame_schema.CHECKED[0] - before == len(seen)
