"""Settings: embedded defaults, environment parsing, one-line errors for misconfiguration."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sideline.settings import ConfigurationError, load_settings


def test_embedded_defaults_need_no_configuration(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("SIDELINE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.resolved_database_url.startswith("sqlite:///") and s.is_embedded
    assert s.resolved_blob_url.endswith("var/blobs")
    assert s.redis_url is None
    key = s.resolved_secret_key
    assert len(key) >= 32 and load_settings().resolved_secret_key == key  # kept in the home folder


def test_lists_from_env_accept_commas_and_json(monkeypatch):
    monkeypatch.setenv("SIDELINE_JOB_MODULES", "a.b, c.d")
    monkeypatch.setenv("SIDELINE_WORKER_QUEUES", '["video", "pose"]')
    s = load_settings()
    assert s.job_modules == ["a.b", "c.d"] and s.worker_queues == ["video", "pose"]


def test_postgres_url_is_normalised_to_psycopg():
    assert load_settings(database_url="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("overrides, needle", [
    ({"database_url": "mysql://root@localhost/x"}, "SIDELINE_DATABASE_URL"),
    ({"redis_url": "http://localhost:6379"}, "SIDELINE_REDIS_URL"),
    ({"blob_url": "ftp://files/x"}, "SIDELINE_BLOB_URL"),
    ({"environment": "production"}, "SIDELINE_SECRET_KEY"),
    ({"port": 70000}, "SIDELINE_PORT"),
])
def test_misconfiguration_is_one_clear_error(overrides, needle):
    with pytest.raises(ConfigurationError) as info:
        load_settings(**overrides)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_cli_reports_misconfiguration_in_one_line_without_traceback(tmp_path):
    env = {**os.environ, "SIDELINE_HOME": str(tmp_path), "SIDELINE_DATABASE_URL": "mysql://nope"}
    r = subprocess.run([sys.executable, "-m", "sideline.cli", "db", "upgrade"], env=env, capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error: Invalid configuration: SIDELINE_DATABASE_URL")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
