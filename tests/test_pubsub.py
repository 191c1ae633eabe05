"""The pub/sub contract, run against the in-memory backend and against real Redis alike."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
import uuid

import pytest

from sideline.live.pubsub import Gap, Message, MemoryPubSub
from sideline.live.redis_pubsub import RedisPubSub
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_pubsub(request):
    created = []

    def make(**options):
        if request.param == "memory":
            pubsub = MemoryPubSub(**options)
        else:
            namespace = request.getfixturevalue("redis_namespace")
            pubsub = RedisPubSub(REDIS_URL, namespace=namespace, **options)
        created.append(pubsub)
        return pubsub

    yield make
    for pubsub in created:
        if isinstance(pubsub, RedisPubSub):
            await pubsub.aclose()
        else:
            pubsub.close()


def channel() -> str:
    return f"org:{uuid.uuid4()}:jobs"


async def take(subscription, n: int, timeout: float = 10.0) -> list:
    items = []
    async with asyncio.timeout(timeout):
        while len(items) < n:
            items.append(await anext(subscription))
    return items


async def nothing_more(subscription, wait: float = 0.3) -> None:
    try:
        item = await asyncio.wait_for(anext(subscription), wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected extra item {item}")


def seqs(items) -> list[int]:
    assert all(isinstance(i, Message) for i in items), items
    return [i.seq for i in items]


async def test_sequence_numbers_are_per_channel_and_increase(make_pubsub):
    pubsub = make_pubsub()
    a, b = channel(), channel()
    assert pubsub.latest_seq(a) == 0
    assert [pubsub.publish(a, "e", {"i": i}) for i in range(5)] == [1, 2, 3, 4, 5]
    assert pubsub.publish(b, "e", {}) == 1
    assert pubsub.latest_seq(a) == 5 and pubsub.latest_seq(b) == 1


async def test_live_subscriber_gets_only_new_messages_in_order(make_pubsub):
    pubsub = make_pubsub()
    ch = channel()
    for i in range(3):
        pubsub.publish(ch, "before", {"i": i})
    async with pubsub.subscribe(ch) as sub:
        assert sub.seq == 3
        for i in range(4):
            pubsub.publish(ch, "job.updated", {"i": i, "nested": {"ok": True}})
        items = await take(sub, 4)
        await nothing_more(sub)
    assert seqs(items) == [4, 5, 6, 7]
    assert items[0] == Message(ch, 4, "job.updated", {"i": 0, "nested": {"ok": True}})
    assert items[-1].as_dict() == {"type": "event", "channel": ch, "seq": 7, "event": "job.updated",
                                   "data": {"i": 3, "nested": {"ok": True}}}


async def test_since_replays_the_buffer_then_continues_live(make_pubsub):
    pubsub = make_pubsub()
    ch = channel()
    for i in range(5):
        pubsub.publish(ch, "e", {"i": i})
    async with pubsub.subscribe(ch, since=2) as sub:
        assert sub.seq == 5
        pubsub.publish(ch, "e", {"i": 5})
        items = await take(sub, 4)
        await nothing_more(sub)
    assert seqs(items) == [3, 4, 5, 6]
    assert [m.data["i"] for m in items] == [2, 3, 4, 5]
    async with pubsub.subscribe(ch, since=6) as up_to_date:  # nothing missed: nothing replayed
        pubsub.publish(ch, "e", {"i": 6})
        assert seqs(await take(up_to_date, 1)) == [7]


async def test_seam_has_no_gap_or_duplicate_under_concurrent_publishing(make_pubsub):
    pubsub = make_pubsub(buffer_size=5000, max_pending=5000)  # nobody reads until the end
    ch = channel()
    threads, per_thread = 4, 300
    total = threads * per_thread
    start = threading.Barrier(threads + 1)

    def publisher(t: int) -> None:
        start.wait()
        for i in range(per_thread):
            pubsub.publish(ch, "e", {"t": t, "i": i})

    workers = [threading.Thread(target=publisher, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    # Subscribers join while the publishers run, each resuming from a different point.
    subscriptions = []
    for _ in range(6):
        await asyncio.sleep(0.005)
        latest = pubsub.latest_seq(ch)
        subscriptions.append(await pubsub.subscribe(ch, since=max(0, latest - 7)).open())
    subscriptions.append(await pubsub.subscribe(ch, since=0).open())
    live_only = await pubsub.subscribe(ch).open()
    for w in workers:
        await asyncio.to_thread(w.join)
    try:
        for sub in subscriptions:
            items = await take(sub, total - sub.since)
            assert seqs(items) == list(range(sub.since + 1, total + 1))
            await nothing_more(sub, 0.1)
        # Each publisher's messages keep their order in the sequence.
        everything = [m.data for m in items]
        for t in range(threads):
            assert [d["i"] for d in everything if d["t"] == t] == list(range(per_thread))
        assert live_only.seq is not None
        live = await take(live_only, total - live_only.seq)
        assert seqs(live) == list(range(live_only.seq + 1, total + 1))
    finally:
        for sub in [*subscriptions, live_only]:
            await sub.aclose()


async def test_since_older_than_the_buffer_gets_a_gap_then_live_messages(make_pubsub):
    pubsub = make_pubsub(buffer_size=10)
    ch = channel()
    for i in range(30):
        pubsub.publish(ch, "e", {"i": i})
    async with pubsub.subscribe(ch, since=5) as sub:
        pubsub.publish(ch, "e", {"i": 30})
        gap, message = await take(sub, 2)
    assert gap == Gap(ch, 30, "expired")
    assert gap.as_dict() == {"type": "gap", "channel": ch, "seq": 30, "reason": "expired"}
    assert message.seq == 31
    async with pubsub.subscribe(ch, since=21) as within:  # exactly the buffer: replayed
        assert seqs(await take(within, 10)) == list(range(22, 32))


async def test_buffer_is_also_bounded_in_time(make_pubsub):
    pubsub = make_pubsub(buffer_seconds=0.4)
    ch = channel()
    for i in range(3):
        pubsub.publish(ch, "e", {"i": i})
    await asyncio.sleep(0.6)
    pubsub.publish(ch, "e", {"i": 3})
    async with pubsub.subscribe(ch, since=1) as sub:
        assert await take(sub, 1) == [Gap(ch, 4, "expired")]
    async with pubsub.subscribe(ch, since=3) as recent:
        assert seqs(await take(recent, 1)) == [4]


async def test_since_ahead_of_the_channel_is_a_reset(make_pubsub):
    pubsub = make_pubsub()
    ch = channel()
    pubsub.publish(ch, "e", {})
    async with pubsub.subscribe(ch, since=57) as sub:  # e.g. seqs restarted with the server
        pubsub.publish(ch, "e", {})
        assert await take(sub, 2) == [Gap(ch, 1, "reset"), Message(ch, 2, "e", {})]


async def test_slow_subscriber_gets_an_overflow_gap_and_does_not_block_anyone(make_pubsub):
    pubsub = make_pubsub()
    ch = channel()
    async with pubsub.subscribe(ch, max_pending=5) as slow, pubsub.subscribe(ch) as fast:
        started = time.monotonic()
        await asyncio.to_thread(lambda: [pubsub.publish(ch, "e", {"i": i}) for i in range(50)])
        assert time.monotonic() - started < 5
        assert seqs(await take(fast, 50)) == list(range(1, 51))  # also lets slow's deliveries land
        items = await take(slow, 1)
        while slow.pending:
            items += await take(slow, 1)
        assert isinstance(items[0], Gap) and items[0].reason == "overflow"
        after = items[1:]
        assert seqs(after) == list(range(items[0].seq + 1, items[0].seq + 1 + len(after)))
        assert len(after) <= 5 and (after[-1].seq if after else items[0].seq) == 50
        pubsub.publish(ch, "e", {"i": 50})
        assert seqs(await take(slow, 1)) == [51]


async def test_invalid_arguments_are_clear_errors(make_pubsub):
    pubsub = make_pubsub()
    with pytest.raises(ValueError, match="invalid channel name"):
        pubsub.publish("bad channel!", "e", {})
    with pytest.raises(ValueError, match="since must be"):
        pubsub.subscribe(channel(), since=-1)


@pytest.mark.redis
async def test_redis_shares_one_reader_per_channel_and_releases_it(redis_namespace):
    pubsub = RedisPubSub(REDIS_URL, namespace=redis_namespace)
    ch = channel()
    # Opened all at once, as after a server restart: more than any connection pool holds.
    subs = await asyncio.gather(*(pubsub.subscribe(ch).open() for _ in range(300)))
    state = pubsub._loops[asyncio.get_running_loop()]
    assert list(state.readers) == [ch] and len(state.readers[ch].subscriptions) == 300
    pubsub.publish(ch, "e", {"x": 1})
    for sub in subs:
        assert seqs(await take(sub, 1)) == [1]
    for sub in subs:
        await sub.aclose()
    await asyncio.sleep(0.1)
    assert asyncio.get_running_loop() not in pubsub._loops  # reader stopped, connections closed
    await pubsub.aclose()


@pytest.mark.redis
async def test_redis_delivers_what_another_process_publishes(redis_namespace):
    pubsub = RedisPubSub(REDIS_URL, namespace=redis_namespace)
    ch = channel()
    script = (
        "import sys; from sideline.live.redis_pubsub import RedisPubSub\n"
        "p = RedisPubSub(sys.argv[1], namespace=sys.argv[2])\n"
        "print([p.publish(sys.argv[3], 'job.updated', {'i': i}) for i in range(3)])\n"
    )
    try:
        async with pubsub.subscribe(ch, since=0) as sub:
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, REDIS_URL, redis_namespace, ch,
                                                        stdout=subprocess.PIPE)
            out, _ = await proc.communicate()
            assert proc.returncode == 0 and out.strip() == b"[1, 2, 3]"
            items = await take(sub, 3)
        assert [(m.seq, m.event, m.data) for m in items] == [(1, "job.updated", {"i": 0}), (2, "job.updated", {"i": 1}),
                                                             (3, "job.updated", {"i": 2})]
    finally:
        await pubsub.aclose()
