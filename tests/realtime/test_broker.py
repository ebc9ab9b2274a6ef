"""One broker suite, run against memory:// and a real Redis. Two brokers with the same URL and prefix
stand for two processes of one deployment."""
import queue
import threading
import time
import uuid

import pytest
import redis

from chessweb.realtime.broker import BrokerError, MemoryBroker, RedisBroker, create_broker
from chessweb.realtime.messages import Event, Fragment, MessageError, Recheck

WAIT = 10  # seconds: a generous bound for "arrives", never a speed assertion


class Process:
    """A broker plus what its hub would have received."""

    def __init__(self, url, prefix):
        self.broker = create_broker(url, prefix=prefix, origin=f"proc-{uuid.uuid4().hex[:6]}")
        self.inbox: queue.Queue = queue.Queue()
        self.resyncs = threading.Event()
        self.broker.start(self.inbox.put, self.resyncs.set)
        if isinstance(self.broker, RedisBroker):
            assert self.broker.subscribed.wait(WAIT)

    def next(self):
        return self.inbox.get(timeout=WAIT)

    def assert_empty(self):
        assert self.inbox.empty(), f"unexpected {self.inbox.get_nowait()!r}"


@pytest.fixture(params=["memory", "redis"])
def broker_url(request):
    if request.param == "memory":
        return "memory://"
    return request.getfixturevalue("redis_url")


@pytest.fixture
def deployment(broker_url):
    """Start 'processes' of one deployment; a unique prefix keeps concurrent test runs apart."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    started = []

    def start():
        process = Process(broker_url, prefix)
        started.append(process)
        return process

    start.url = broker_url
    start.prefix = prefix
    yield start
    for process in started:
        process.broker.close()


FRAGMENT = Fragment(channel="tournament:7:standings", key="standings-7", version=12,
                    html='<table id="standings-7" hx-swap-oob="true"><tr><td>½–½</td></tr></table>',
                    data={"rows": [{"name": "Černý", "score": 1.5}]}, event_id=99)
EVENT = Event(channel="system", type="announcement", data={"title": "Round 3 starts"}, html="<div>R3</div>",
              roles=("ADMIN", "ORGANIZER"), event_id=7)


# --------------------------------------------------------------------------- every backend

def test_publish_delivers_locally_at_once_and_exactly_once(deployment):
    a = deployment()
    a.broker.publish(FRAGMENT)
    assert a.inbox.get_nowait() == FRAGMENT  # before any network round trip
    a.broker.publish(EVENT)
    assert a.inbox.get_nowait() == EVENT
    if deployment.url != "memory://":
        # Our own echo comes back from Redis and must be skipped: once a later message from another
        # process arrives (pub/sub keeps order), the echoes of ours have been seen.
        b = deployment()
        b.broker.publish(Event(channel="system", type="marker", data={}))
        assert a.next().type == "marker"
    a.assert_empty()


def test_a_recheck_reaches_every_process_in_order(deployment):
    a = deployment()
    b = deployment()
    recheck = Recheck(channels=("tournament:7", "game:12"))
    a.broker.publish(recheck)
    a.broker.publish(FRAGMENT)
    assert a.next() == recheck and a.next() == FRAGMENT
    if deployment.url != "memory://":
        assert b.next() == recheck and b.next() == FRAGMENT
    with pytest.raises(MessageError, match="non-empty tuple"):
        Recheck(channels=())


def test_unserializable_data_is_refused_before_anything_is_delivered(deployment):
    a = deployment()
    with pytest.raises(MessageError, match="not JSON-serializable"):
        a.broker.publish(Event(channel="system", type="x", data={"when": object()}))
    with pytest.raises(MessageError, match="expected Fragment, Event or Recheck"):
        a.broker.publish("hello")
    a.assert_empty()


def test_publish_before_start_is_an_error(deployment):
    broker = create_broker(deployment.url, prefix=deployment.prefix, origin="x")
    with pytest.raises(RuntimeError, match="not started"):
        broker.publish(FRAGMENT)


# --------------------------------------------------------------------------- across processes (Redis)

@pytest.fixture
def redis_deployment(redis_url):
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    started = []

    def start(prefix=prefix):
        process = Process(redis_url, prefix)
        started.append(process)
        return process

    start.url = redis_url
    start.prefix = prefix
    yield start
    for process in started:
        process.broker.close()


def test_a_message_reaches_every_other_process_intact(redis_deployment):
    a, b, c = redis_deployment(), redis_deployment(), redis_deployment()
    a.broker.publish(FRAGMENT)
    a.broker.publish(EVENT)
    for other in (b, c):
        assert other.next() == FRAGMENT
        assert other.next() == EVENT


def test_order_is_kept_between_two_processes(redis_deployment):
    a, b = redis_deployment(), redis_deployment()
    for version in range(1, 101):
        a.broker.publish(Fragment(channel="game:1", key="game-1", version=version, html="x"))
    assert [b.next().version for _ in range(100)] == list(range(1, 101))


def test_deployments_with_other_prefixes_do_not_hear_each_other(redis_deployment):
    a = redis_deployment()
    stranger = redis_deployment(prefix=f"other-{uuid.uuid4().hex[:8]}")
    b = redis_deployment()
    a.broker.publish(FRAGMENT)
    assert b.next() == FRAGMENT
    stranger.assert_empty()
    assert stranger.broker.channel != a.broker.channel


def test_malformed_payloads_on_the_channel_are_ignored(redis_deployment, redis_url):
    a = redis_deployment()
    raw = redis.Redis.from_url(redis_url)
    raw.publish(a.broker.channel, b"{not json")
    raw.publish(a.broker.channel, b'{"kind":"fragment","origin":"x"}')
    raw.close()
    b = redis_deployment()
    b.broker.publish(FRAGMENT)
    assert a.next() == FRAGMENT  # still listening, nothing bogus delivered before it


def _kill_subscriber(redis_url, broker):
    """Drop one process's subscription the way a Redis restart or network cut would."""
    raw = redis.Redis.from_url(redis_url)
    try:
        for client in raw.client_list(_type="pubsub"):
            if client.get("name") == broker.client_name:
                raw.client_kill_filter(_id=client["id"])
                return
        raise AssertionError(f"subscriber {broker.client_name} not found")
    finally:
        raw.close()


def test_a_dropped_subscription_comes_back_and_asks_for_a_resync(redis_deployment, redis_url):
    a, b = redis_deployment(), redis_deployment()
    assert not a.resyncs.is_set()
    _kill_subscriber(redis_url, a.broker)
    assert a.resyncs.wait(WAIT), "no resync after the subscription was restored"
    assert a.broker.subscribed.is_set()
    b.broker.publish(FRAGMENT)
    assert a.next() == FRAGMENT  # listening again
    assert not b.resyncs.is_set()


def test_while_redis_is_down_the_process_is_asked_to_catch_up_and_resyncs_when_it_is_back(tmp_path):
    from ..servers import PrivateRedis
    server = PrivateRedis(tmp_path / "redis").start()
    outages: list[float] = []
    resyncs = threading.Event()
    broker = RedisBroker(server.url, prefix=f"test-{uuid.uuid4().hex[:10]}", origin="a", outage_poll=0.2)
    broker.start(lambda _message: None, resyncs.set, lambda: outages.append(time.monotonic()))
    try:
        assert broker.subscribed.wait(WAIT)
        assert outages == []
        server.stop()
        deadline = time.monotonic() + WAIT
        while len(outages) < 4:  # again and again while Redis is away, not once
            assert time.monotonic() < deadline, f"asked to catch up {len(outages)} times"
            time.sleep(0.05)
        assert not resyncs.is_set()
        server.start()
        assert resyncs.wait(WAIT) and broker.subscribed.is_set()
        asked = len(outages)
        time.sleep(1.0)
        assert len(outages) == asked  # back: no more polling
    finally:
        broker.close()
        server.stop()


def test_publishing_while_redis_is_unreachable_neither_blocks_nor_raises():
    broker = RedisBroker("redis://127.0.0.1:1/0", prefix="nowhere", origin="a", outgoing_limit=5)
    inbox = []
    broker.start(inbox.append, lambda: None)
    try:
        started = time.monotonic()
        for version in range(20):
            broker.publish(Fragment(channel="game:1", key="game-1", version=version, html="x"))
        assert len(inbox) == 20  # local delivery does not depend on Redis
        assert time.monotonic() - started < WAIT
    finally:
        broker.close()


# --------------------------------------------------------------------------- choosing a backend

def test_backend_is_chosen_by_url_scheme(redis_url):
    assert isinstance(create_broker("memory://", prefix="p", origin="o"), MemoryBroker)
    assert isinstance(create_broker(redis_url, prefix="p", origin="o"), RedisBroker)
    with pytest.raises(BrokerError, match="unsupported broker URL scheme 'amqp'"):
        create_broker("amqp://localhost", prefix="p", origin="o")
    with pytest.raises(BrokerError, match="prefix"):
        create_broker(redis_url, prefix="", origin="o")
