"""Token-bucket rate limiting on memory and on Redis: buckets, refill, Retry-After, the API."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from fastapi.testclient import TestClient

from sideline.auth.rate_limit import MemoryRateLimiter, RedisRateLimiter, make_rate_limiter
from tests.conftest import REDIS_URL, create_account, make_settings


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_bucket_allows_burst_then_waits_and_refills():
    clock = FakeClock()
    limiter = MemoryRateLimiter(rate_per_minute=60, burst=2, clock=clock)
    assert [limiter.hit("a"), limiter.hit("a")] == [0.0, 0.0]
    assert limiter.hit("a") == pytest.approx(1.0)
    assert limiter.hit("b") == 0.0  # buckets are per key
    clock.now += 0.5
    assert limiter.hit("a") == pytest.approx(0.5)  # half a token has come back
    clock.now += 0.5
    assert limiter.hit("a") == 0.0
    clock.now += 60
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("a") > 0] == [0.0, 0.0, True]  # never above burst
    # Per-call limits (the login bucket) are independent of the defaults.
    assert limiter.hit("login", rate_per_minute=6, burst=1) == 0.0
    assert limiter.hit("login", rate_per_minute=6, burst=1) == pytest.approx(10.0)


def test_memory_limiter_prunes_full_buckets():
    clock = FakeClock()
    limiter = MemoryRateLimiter(rate_per_minute=60, burst=5, clock=clock)
    limiter.PRUNE_ABOVE = 10
    for i in range(10):
        limiter.hit(f"idle-{i}")
    limiter.hit("busy")
    limiter.hit("busy")
    clock.now += 10  # every idle bucket is full again; "busy" is too
    limiter.hit("busy")
    assert set(limiter._buckets) <= {"busy"}
    assert limiter.hit("busy") == 0.0


@pytest.fixture
def redis_client(redis_server):
    client = redis.Redis.from_url(redis_server)
    yield client
    client.close()


def test_redis_bucket_retry_after_and_refill(redis_client, redis_namespace):
    limiter = RedisRateLimiter(redis_client, redis_namespace, rate_per_minute=6, burst=2)
    assert [limiter.hit("user:1"), limiter.hit("user:1")] == [0.0, 0.0]
    wait = limiter.hit("user:1")
    assert 9.5 < wait <= 10.0  # one token per 10 s
    assert limiter.hit("user:2") == 0.0

    fast = RedisRateLimiter(redis_client, redis_namespace, rate_per_minute=600, burst=1)  # 10 tokens/s
    assert fast.hit("refill") == 0.0
    assert 0.05 < fast.hit("refill") <= 0.1
    time.sleep(0.15)
    assert fast.hit("refill") == 0.0


def test_redis_keys_are_namespaced_hashed_and_expire(redis_client, redis_namespace):
    limiter = RedisRateLimiter(redis_client, redis_namespace, rate_per_minute=60, burst=10)
    limiter.hit("login:10.0.0.1:someone@example.org")
    keys = [k.decode() for k in redis_client.scan_iter(f"{redis_namespace}:*")]
    assert len(keys) == 1 and keys[0].startswith(f"{redis_namespace}:ratelimit:")
    assert "example.org" not in keys[0]
    assert 0 < redis_client.pttl(keys[0]) <= 11_000  # full again after burst/rate = 10 s, then dropped


def test_redis_bucket_is_atomic_under_concurrency(redis_server, redis_namespace):
    # Separate connections per thread, as separate API processes would have.
    pool = redis.ConnectionPool.from_url(redis_server, max_connections=16)
    client = redis.Redis(connection_pool=pool)
    limiter = RedisRateLimiter(client, redis_namespace, rate_per_minute=0.001, burst=25)
    with ThreadPoolExecutor(8) as executor:
        waits = list(executor.map(lambda _: limiter.hit("shared"), range(80)))
    assert sum(1 for w in waits if w == 0.0) == 25
    pool.disconnect()


def test_make_rate_limiter_picks_the_backend(tmp_path, redis_server, redis_namespace):
    assert isinstance(make_rate_limiter(make_settings(tmp_path)), MemoryRateLimiter)
    limiter = make_rate_limiter(make_settings(tmp_path, redis_url=redis_server, redis_namespace=redis_namespace))
    assert isinstance(limiter, RedisRateLimiter) and limiter.namespace == redis_namespace
    limiter.client.close()


def test_unreachable_redis_fails_open(caplog):
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    limiter = RedisRateLimiter(client, "sltest:down", rate_per_minute=1, burst=1)
    assert [limiter.hit("k"), limiter.hit("k")] == [0.0, 0.0]
    assert "rate limiting skipped" in caplog.text


# --- Through the API, on both backends -------------------------------------------------------

@pytest.fixture(params=["memory", "redis"])
def limited(request, tmp_path):
    """An app with small limits: 3 requests of burst, one more every 10 s; 3 logins per minute."""
    from sideline.api.app import create_app
    from sideline.services import build_services
    from sideline.storage.migrate import upgrade

    settings = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'rl.sqlite3'}",
                             rate_limit_per_minute=6, rate_limit_burst=3, login_rate_limit_per_minute=3)
    services = build_services(settings)
    upgrade(services.db.engine)
    client_redis = None
    if request.param == "redis":
        namespace = request.getfixturevalue("redis_namespace")
        client_redis = redis.Redis.from_url(REDIS_URL)
        services.rate_limiter = make_rate_limiter(settings.model_copy(update={"redis_namespace": namespace}),
                                                  client_redis)
        assert isinstance(services.rate_limiter, RedisRateLimiter)
    with TestClient(create_app(settings, services)) as client:
        yield client, services
    services.close()
    if client_redis is not None:
        client_redis.close()


def test_api_returns_429_with_retry_after_per_principal(limited):
    client, services = limited
    alice = create_account(client, services)
    bob = create_account(client, services)
    for _ in range(3):
        assert client.get("/api/v1/me", headers=alice.headers).status_code == 200
    r = client.get("/api/v1/me", headers=alice.headers)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "10"
    error = r.json()["error"]
    assert error["code"] == "rate_limited" and error["message"] == "Too many requests; retry in 10 s"
    assert error["request_id"] == r.headers["x-request-id"]
    # Every route that needs a principal shares the bucket; other users have their own.
    assert client.get(alice.url("/athletes"), headers=alice.headers).status_code == 429
    assert client.get("/api/v1/me", headers=bob.headers).status_code == 200


def test_api_keys_have_their_own_bucket(limited):
    client, services = limited
    owner = create_account(client, services)
    r = client.post(owner.url("/api-keys"), headers=owner.headers, json={"name": "k", "scopes": ["read"]})
    key = {"Authorization": f"Bearer {r.json()['key']}"}
    statuses = [client.get(owner.url("/athletes"), headers=key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/me", headers=owner.headers).status_code == 200  # the user's 2nd request


def test_login_has_a_stricter_limit_per_ip_and_email(limited):
    client, services = limited
    alice = create_account(client, services)  # one login attempt used
    for _ in range(2):
        assert client.post("/api/v1/auth/login", json={"email": alice.email, "password": "wrong-pass"}).status_code == 401
    r = client.post("/api/v1/auth/login", json={"email": alice.email.upper(), "password": alice.password})
    # One attempt per 20 s comes back; the password hashing of the attempts above took a moment.
    assert r.status_code == 429 and 15 <= int(r.headers["Retry-After"]) <= 20
    assert r.json()["error"]["message"] == f"Too many login attempts; retry in {r.headers['Retry-After']} s"
    other = create_account(client, services)
    assert other.token  # another email from the same address still logs in


def test_memory_refill_through_the_api(tmp_path):
    """Waiting for the Retry-After time lets the next request through."""
    from sideline.api.app import create_app
    from sideline.services import build_services
    from sideline.storage.migrate import upgrade

    settings = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'refill.sqlite3'}",
                             rate_limit_per_minute=120, rate_limit_burst=1)
    services = build_services(settings)
    upgrade(services.db.engine)
    try:
        with TestClient(create_app(settings, services)) as client:
            alice = create_account(client, services)
            assert client.get("/api/v1/me", headers=alice.headers).status_code == 200
            r = client.get("/api/v1/me", headers=alice.headers)
            assert r.status_code == 429 and r.headers["Retry-After"] == "1"
            time.sleep(0.55)  # one token every 0.5 s
            assert client.get("/api/v1/me", headers=alice.headers).status_code == 200
    finally:
        services.close()


def test_threaded_memory_limiter_is_exact():
    limiter = MemoryRateLimiter(rate_per_minute=0.001, burst=30)
    allowed = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            ok = limiter.hit("k") == 0.0
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 30
