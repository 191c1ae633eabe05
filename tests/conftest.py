"""Shared fixtures: real PostgreSQL and Redis on 127.0.0.1, SQLite, apps, users, a live server."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sideline.auth import passwords
from sideline.settings import Settings, load_settings

# argon2id at its production cost takes ~0.2 s a hash, and almost every test creates and logs in
# accounts: the in-process tests use the cheapest parameters instead (the algorithm, the code
# paths and the stored hash format are the same). Servers started as subprocesses keep the real cost.
passwords._hasher = passwords.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("SIDELINE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SIDELINE_TEST_REDIS", "redis://127.0.0.1:6379/0")
SHARED_DATA = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- PostgreSQL ---------------------------------------------------------------------------

def _pg_admin_engine():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a reachable PostgreSQL; fails (not skips) if there is none."""
    from sqlalchemy import text

    try:
        with _pg_admin_engine().connect() as c:
            c.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc} (the test command starts it)")
    return PG_ADMIN_URL


def create_pg_database(prefix: str = "sideline_t", template: str | None = None) -> str:
    from sqlalchemy import text

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with _pg_admin_engine().connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    from sqlalchemy import text

    name = url.rsplit("/", 1)[1]
    with _pg_admin_engine().connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = create_pg_database()
    yield url
    drop_pg_database(url)


# --- Redis --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_server() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc} (the test command starts it)")
    return REDIS_URL


@pytest.fixture
def redis_namespace(redis_server) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    namespace = f"sltest:{uuid.uuid4().hex[:10]}"
    yield namespace
    client = redis.Redis.from_url(redis_server)
    for key in client.scan_iter(f"{namespace}*", count=1000):
        client.delete(key)


# --- Settings, services and apps ----------------------------------------------------------

def make_settings(tmp_path: Path, **overrides) -> Settings:
    values = dict(environment="test", home=tmp_path / "home", secret_key="test-secret-" + "x" * 40,
                  job_heartbeat_seconds=1.0, log_json=False, rate_limit_per_minute=100_000,
                  rate_limit_burst=100_000, login_rate_limit_per_minute=1000)
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Databases migrated once per session and copied per test (migrating each time is slow).

    The copies are exactly what `sideline db upgrade` produces; tests of migrations themselves
    use the empty `pg_url` database instead.
    """
    from sideline.storage.db import Database
    from sideline.storage.migrate import upgrade

    sqlite_file = tmp_path_factory.mktemp("template") / "db.sqlite3"
    db = Database(f"sqlite:///{sqlite_file}")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    templates = {"sqlite": str(sqlite_file)}
    pg_template = None
    try:
        pg_template = create_pg_database("sideline_tmpl")
        db = Database(pg_template)
        upgrade(db.engine)
        db.dispose()  # a template must have no open connections
        templates["postgres"] = pg_template.rsplit("/", 1)[1]
    except Exception:
        pass  # no PostgreSQL: the postgres-parametrised tests fail in pg_server with the reason
    yield templates
    if pg_template:
        drop_pg_database(pg_template)


# One thread drops the per-test PostgreSQL databases while the following tests run.
_background_drops = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")


@pytest.fixture(scope="session", autouse=True)
def _finish_background_drops() -> Iterator[None]:
    yield
    _background_drops.shutdown(wait=True)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path, migrated_templates) -> Iterator[str]:
    """Runs a test once on the embedded SQLite file and once on a fresh PostgreSQL database,
    each already migrated to head."""
    if request.param == "sqlite":
        target = tmp_path / "db.sqlite3"
        shutil.copyfile(migrated_templates["sqlite"], target)
        yield f"sqlite:///{target}"
    else:
        request.getfixturevalue("pg_server")
        url = create_pg_database(template=migrated_templates.get("postgres"))
        yield url
        _background_drops.submit(drop_pg_database, url)  # nothing waits for it: the next test can start


@pytest.fixture
def settings(tmp_path, backend) -> Settings:
    return make_settings(tmp_path, database_url=backend)


@pytest.fixture
def services(settings):
    from sideline.services import build_services
    from sideline.storage.migrate import upgrade

    svc = build_services(settings, start_runner=False)
    upgrade(svc.db.engine)
    svc.runner.start()
    yield svc
    svc.close()


@pytest.fixture
def app(settings, services):
    from sideline.api.app import create_app

    return create_app(settings, services)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclasses.dataclass
class Account:
    """A user with a fresh organisation, and ready-made auth headers."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    email: str
    password: str
    token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str = "") -> str:
        return f"/api/v1/orgs/{self.org_id}{path}"


def create_account(client: TestClient, services, *, org_name: str | None = None, role: str = "owner",
                   org_id: uuid.UUID | None = None) -> Account:
    """A user (and, unless ``org_id`` is given, a new organisation they own) logged in over HTTP."""
    from sideline.accounts import create_organisation
    from sideline.auth.passwords import hash_password
    from sideline.storage.models import Membership, Role, User

    email = f"user-{uuid.uuid4().hex[:8]}@example.org"
    password = "correct horse battery"
    with services.db.session() as s:
        user = User(email=email, name=email.split("@")[0], password_hash=hash_password(password))
        s.add(user)
        s.flush()
        if org_id is None:
            org_id = create_organisation(s, org_name or f"Club {uuid.uuid4().hex[:6]}", None).id
        s.add(Membership(organisation_id=org_id, user_id=user.id, role=Role(role)))
        user_id = user.id
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    return Account(user_id, org_id, email, password, body["access_token"], body["refresh_token"])


@pytest.fixture
def account(client, services) -> Account:
    return create_account(client, services, org_name="Alpha FC")


@pytest.fixture
def other_account(client, services) -> Account:
    return create_account(client, services, org_name="Bravo United")


def upload_file(client: TestClient, account: Account, name: str, data: bytes) -> str:
    """Upload ``data`` as a ready file of the account's organisation; its id."""
    r = client.post(account.url("/files"), headers=account.headers, files={"file": (name, data, "application/octet-stream")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def wait_job(client: TestClient, account: Account, job_id: str, timeout: float = 120.0) -> dict:
    """The job once it has finished (succeeded, failed or cancelled)."""
    def finished():
        body = client.get(account.url(f"/jobs/{job_id}"), headers=account.headers).json()
        return body if body["state"] in ("succeeded", "failed", "cancelled") else None

    return wait_for(finished, timeout=timeout, interval=0.05, message=f"job {job_id}")


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


# --- A real server process ------------------------------------------------------------------

@dataclasses.dataclass
class LiveServer:
    url: str
    demo_email: str
    demo_password: str
    home: Path
    process: subprocess.Popen


def start_server(home: Path, env_extra: dict[str, str] | None = None, *, demo_match: bool = False) -> LiveServer:
    """`sideline demo` then `sideline serve` in a subprocess; the demo match only when asked (it
    takes seconds to import and only the football pages need it)."""
    from sideline.cli import DEMO_EMAIL, DEMO_PASSWORD

    port = free_port()
    env = {**os.environ, "SIDELINE_HOME": str(home), "SIDELINE_ENVIRONMENT": "test",
           "SIDELINE_SECRET_KEY": "live-secret-" + "y" * 40, "SIDELINE_LOG_JSON": "false", **(env_extra or {})}
    sideline = [sys.executable, "-m", "sideline.cli"]
    subprocess.run([*sideline, "demo", "--match" if demo_match else "--no-match"], env=env, check=True, capture_output=True)
    log = open(home / "server.log", "wb")
    process = subprocess.Popen([*sideline, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    import httpx

    def up():
        if process.poll() is not None:
            raise AssertionError(f"server exited: {(home / 'server.log').read_text()[-2000:]}")
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=90, interval=0.2, message="the server to start")  # slow when the machine is busy
    return LiveServer(url, DEMO_EMAIL, DEMO_PASSWORD, home, process)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("live-home")
    server = start_server(home, demo_match=True)
    yield server
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()


# --- A real S3-compatible server (moto_server subprocess) -----------------------------------

S3_TEST_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[str]:
    """The endpoint URL of a ``moto_server`` process of this session (an S3 API over HTTP).

    Sets fake AWS credentials in the environment (boto3 and s3fs read them there) for the
    session, and restores the environment afterwards.
    """
    import httpx

    moto = Path(sys.executable).with_name("moto_server")
    if not moto.exists():
        pytest.fail("moto_server is missing; install the test extra (moto[server])")
    port = free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    log = open(log_path, "wb")
    process = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"

    def up():
        if process.poll() is not None:
            raise AssertionError(f"moto_server exited: {log_path.read_text()[-2000:]}")
        try:
            return httpx.get(endpoint + "/moto-api/", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    with pytest.MonkeyPatch.context() as mp:
        for name, value in S3_TEST_ENV.items():
            mp.setenv(name, value)
        # A real session token or profile of the developer must not reach the fake server.
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        try:
            wait_for(up, timeout=30, interval=0.2, message="moto_server to start")
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


@pytest.fixture
def s3_bucket(s3_server) -> Iterator[str]:
    """A new, empty bucket on ``s3_server`` for one test; emptied and removed afterwards."""
    import boto3

    name = f"sideline-test-{uuid.uuid4().hex[:12]}"
    s3 = boto3.resource("s3", endpoint_url=s3_server, region_name=S3_TEST_ENV["AWS_DEFAULT_REGION"])
    s3.create_bucket(Bucket=name)
    yield name
    bucket = s3.Bucket(name)
    for upload in bucket.multipart_uploads.all():
        upload.abort()
    bucket.objects.all().delete()
    bucket.delete()
