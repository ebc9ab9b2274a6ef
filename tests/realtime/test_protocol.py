"""Client frames: parsed or refused with a precise error code; the rate limiter's three verdicts."""
import json

import pytest

from chessweb.realtime import protocol
from chessweb.realtime.protocol import (
    Ping,
    ProtocolError,
    Subscribe,
    TokenBucket,
    Unsubscribe,
    Verdict,
    is_valid_channel,
    parse_client_message,
)


@pytest.mark.parametrize("frame, expected", [
    ('{"type":"subscribe","channel":"tournament:7:standings"}', Subscribe("tournament:7:standings")),
    ('{"type":"unsubscribe","channel":"game:42"}', Unsubscribe("game:42")),
    ('{"type":"ping"}', Ping(None)),
    ('{"type":"ping","id":"abc"}', Ping("abc")),
    ('{"type":"ping","id":17}', Ping(17)),
])
def test_valid_frames(frame, expected):
    assert parse_client_message(frame) == expected


@pytest.mark.parametrize("frame, code", [
    ("not json", "bad_json"),
    ("[1, 2]", "bad_json"),
    ('"subscribe"', "bad_json"),
    ("{}", "missing_field"),
    ('{"channel":"game:1"}', "missing_field"),
    ('{"type":"subscribe"}', "missing_field"),
    ('{"type":"dance"}', "unknown_type"),
    ('{"type":"subscribe","channel":"Game:1"}', "bad_channel"),
    ('{"type":"subscribe","channel":"game:1 "}', "bad_channel"),
    ('{"type":"subscribe","channel":42}', "bad_channel"),
    ('{"type":"subscribe","channel":""}', "bad_channel"),
    ('{"type":"ping","id":true}', "invalid_field"),
    ('{"type":"ping","id":{"a":1}}', "invalid_field"),
    (b'{"type":"ping"}', "bad_frame"),
])
def test_malformed_frames_name_what_is_wrong(frame, code):
    with pytest.raises(ProtocolError) as info:
        parse_client_message(frame)
    assert info.value.code == code
    assert info.value.message


@pytest.mark.parametrize("name, ok", [
    ("system", True), ("tournaments:all", True), ("tournament:7", True), ("tournament:7:games", True),
    ("user:12", True), ("a:b:c:d:e", True), ("a:b:c:d:e:f", False), ("tournament:", False),
    (":7", False), ("tour nament", False), ("x" * 129, False), (None, False),
])
def test_channel_names(name, ok):
    assert is_valid_channel(name) is ok


def test_server_messages_are_compact_json():
    body = json.loads(protocol.encode(protocol.error("forbidden", "no", "admin")))
    assert body == {"type": "error", "code": "forbidden", "message": "no", "channel": "admin"}
    assert json.loads(protocol.encode(protocol.pong(3))) == {"type": "pong", "id": 3}


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_token_bucket_allows_a_burst_then_refuses_then_recovers():
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock)
    assert [bucket.take() for _ in range(5)] == [Verdict.ALLOW] * 5
    assert bucket.take() is Verdict.REFUSE
    clock.now += 2.0  # repays the debt of one and refills
    assert bucket.take() is Verdict.ALLOW


def test_token_bucket_sustained_excess_becomes_abuse():
    clock = FakeClock()
    bucket = TokenBucket(5, abuse_after=3.0, clock=clock)
    verdicts = []
    for _ in range(200):  # 20 messages a second against a limit of 5
        clock.now += 0.05
        verdicts.append(bucket.take())
    assert Verdict.REFUSE in verdicts
    assert verdicts[-1] is Verdict.ABUSE
    first_abuse = verdicts.index(Verdict.ABUSE)
    assert all(v is not Verdict.ABUSE for v in verdicts[:first_abuse])


def test_token_bucket_at_the_limit_is_never_refused():
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock)
    for _ in range(100):
        clock.now += 0.2
        assert bucket.take() is Verdict.ALLOW


def test_token_bucket_needs_a_positive_rate():
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(0)


def test_token_bucket_judges_frames_by_their_arrival_not_by_when_they_are_handled():
    """Frames that arrived 0.15 s apart, handled back to back 3 s later (a busy server), are all allowed."""
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock)
    arrivals = [100.0 + 0.15 * n for n in range(40)]
    clock.now = arrivals[-1] + 3.0
    assert {bucket.take(at) for at in arrivals} == {Verdict.ALLOW}


def test_a_frame_nested_past_the_interpreters_stack_is_bad_json():
    with pytest.raises(ProtocolError) as info:
        parse_client_message("[" * 5000 + "]" * 5000)
    assert info.value.code == "bad_json"
