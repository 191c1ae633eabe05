"""Server-side motorsport preferences (``/me/preferences/motorsport``): validation with precise
422s, stored per user (nobody else sees them), honoured by the commentary endpoint (style,
favourite drivers highlighted) on the replayed 2018 Azerbaijan GP; the migration that adds
``user_preferences`` runs up and down on SQLite and PostgreSQL; the replay job stores the pushed
commentary and win probability in the session snapshot."""

from __future__ import annotations

import re
import tempfile

import pytest

from sideline.analytics.motorsport import commentary
from tests.conftest import create_account
from tests.motorsport.f1_data import f1db, f1db_seconds

URL = "/api/v1/me/preferences/motorsport"
RACE = ("2018", "races", "04-azerbaijan")
DEFAULTS = {"commentary_style": "casual", "favourite_drivers": [], "broadcast_delay_s": 0}


def put(race_api, account, body):
    return race_api.client.put(URL, headers=account.headers, json=body)


def test_preferences_are_validated_and_kept_per_user(race_api):
    client, me = race_api.client, create_account(race_api.client, race_api.services)
    other = create_account(race_api.client, race_api.services)
    assert client.get(URL, headers=me.headers).json() == DEFAULTS
    r = put(race_api, me, {"commentary_style": "technical", "favourite_drivers": ["44", "ham", " 16", "44"],
                           "broadcast_delay_s": 30})
    assert r.status_code == 200, r.text
    saved = {"commentary_style": "technical", "favourite_drivers": ["44", "HAM", "16"], "broadcast_delay_s": 30}
    assert r.json() == saved and client.get(URL, headers=me.headers).json() == saved
    assert client.get(URL, headers=other.headers).json() == DEFAULTS  # another user's are not mine
    assert put(race_api, other, {"favourite_drivers": ["77"]}).json()["favourite_drivers"] == ["77"]
    assert client.get(URL, headers=me.headers).json() == saved

    bad = [({"commentary_style": "shouty"}, "commentary_style: Input should be 'casual' or 'technical'"),
           ({"broadcast_delay_s": 121}, "broadcast_delay_s: Input should be less than or equal to 120"),
           ({"broadcast_delay_s": -1}, "broadcast_delay_s: Input should be greater than or equal to 0"),
           ({"broadcast_delay_s": 1.5}, "broadcast_delay_s: Input should be a valid integer"),
           ({"favourite_drivers": ["44", "Lewis"]},
            "favourite_drivers: Value error, item 1 ('Lewis') is neither a car number (0-99) nor a three-letter"),
           ({"favourite_drivers": [str(n) for n in range(1, 22)]},
            "favourite_drivers: List should have at most 20 items"),
           ({"favourite_drivers": "44"}, "favourite_drivers: Input should be a valid list"),
           ({"delay": 5}, "delay: Extra inputs are not permitted")]
    for body, message in bad:
        r = put(race_api, me, body)
        assert r.status_code == 422 and r.json()["error"]["message"].startswith(message), (body, r.text)
    assert client.get(URL, headers=me.headers).json() == saved  # nothing half-written

    assert client.get(URL).status_code == 401
    key = client.post(me.url("/api-keys"), headers=me.headers, json={"name": "k", "scopes": ["read"]}).json()["key"]
    r = client.get(URL, headers={"X-API-Key": key})
    assert r.status_code == 403 and "user login" in r.json()["error"]["message"]


NUMBER = re.compile(r"\d+(?:[.:]\d+)*")


def cited(line: dict) -> str:
    values = line["data"].values()
    numbers = {str(line["lap"])} | {str(v) for v in values} | {f"{v:.3f}" for v in values if isinstance(v, float)}
    numbers |= {f"{v:.1f}" for v in values if isinstance(v, float)}
    numbers |= {commentary.lap_time_text(v) for k, v in line["data"].items() if "lap_time" in k and v}
    return " ".join(numbers)


def test_commentary_follows_the_callers_style_and_favourites(race_api):
    client = race_api.client
    me = create_account(client, race_api.services)
    url = f"/api/v1/f1/sessions/{race_api.session_id}/commentary"
    casual = client.get(url, headers=me.headers).json()["items"]  # defaults: casual, no favourites
    assert casual and all(".casual." in line["template"] and not line["highlight"] for line in casual)
    put(race_api, me, {"commentary_style": "technical", "favourite_drivers": ["HAM", "11"]})
    technical = client.get(url, headers=me.headers).json()["items"]
    assert [line["id"] for line in technical] == [line["id"] for line in casual]
    assert all(".technical." in line["template"] for line in technical)
    assert sum(a["text"] != b["text"] for a, b in zip(casual, technical, strict=True)) > 0.9 * len(casual)
    # favourites by code or number: the lines about Hamilton (44) or Perez (11), and only those
    for line in technical:
        assert line["highlight"] == bool({"44", "11"} & set(line["drivers"])), line["id"]
    assert any(line["highlight"] for line in technical)
    # a query parameter still wins over the stored preference
    override = client.get(url, headers=me.headers, params={"style": "casual", "favourites": "77"}).json()["items"]
    assert [line["text"] for line in override] == [line["text"] for line in casual]
    assert {line["id"] for line in override if line["highlight"]} == {line["id"] for line in casual if "77" in line["drivers"]}

    # the numbers are right in both styles: every number of a text is cited by its data ...
    for line in casual + technical:
        for number in NUMBER.findall(line["text"].split(" (")[0]):
            assert number in cited(line), (number, line["text"])
    # ... and the data agree with f1db: pit-lane times, the winner and the margin
    by_id = {line["id"]: (a, line) for a, line in zip(casual, technical, strict=True)}
    lane = {(str(r["driverNumber"]), r["lap"]): f1db_seconds(r["time"]) for r in f1db(*RACE, "pit-stops.yml")}
    stops = [(a, b) for a, b in by_id.values() if b["kind"] == "pit_stop"]
    assert len(stops) == len(lane)
    errors = []
    for a, b in stops:
        seconds = b["data"]["pit_lane_time"]
        errors.append(abs(seconds - lane[(b["drivers"][0], b["lap"])]))
        assert f"{seconds:.3f}" in b["text"]  # technical: to the millisecond
        assert f"{seconds:.1f} s" in a["text"] or "lane" not in a["text"]  # casual: tenths, when cited
    assert sorted(errors)[len(errors) // 2] < 0.1  # the median stop's lane time is f1db's
    official = f1db(*RACE, "race-results.yml")
    casual_win, technical_win = by_id["winner:51:44"]
    margin = f1db_seconds(official[1]["gap"])
    assert technical_win["text"] == f"HAM wins: 51 laps from P2 on the grid, {margin:.3f} s ahead of RAI."
    assert "HAM" in casual_win["text"] and technical_win["data"]["grid_position"] == official[0]["gridPosition"]
    lead = by_id["lead_change:49:44:77"]
    assert lead[1]["text"] == "Lead change on lap 49: HAM P1, BOT out." and "BOT is out" in lead[0]["text"]


def test_the_replay_stored_the_pushed_commentary_and_win_probability(race_api):
    snapshot = race_api.client.get(f"/api/v1/f1/sessions/{race_api.session_id}/snapshot",
                                   headers=race_api.account.headers).json()
    ids = [line["id"] for line in snapshot["commentary"]]
    assert len(ids) == len(set(ids)) and {"winner:51:44", "lead_change:49:44:77", "retirement:48:77"} <= set(ids)
    assert all(set(line["texts"]) == {"casual", "technical"} for line in snapshot["commentary"])
    laps = [point["lap"] for point in snapshot["win_probability"]]
    assert laps == list(range(0, 52)) and snapshot["win_probability"][-1]["probabilities"]["44"] == 1.0


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_the_user_preferences_migration_runs_up_and_down(database, request):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from sideline.storage.db import Database
    from sideline.storage.migrate import current_revision, downgrade, head_revision, upgrade
    from sideline.storage.models import Base
    from tests.conftest import create_pg_database, drop_pg_database

    if database == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='sideline-mig-')}/db.sqlite3"
    else:
        request.getfixturevalue("pg_server")
        url = create_pg_database("sideline_mig")
    db = Database(url)
    try:
        upgrade(db.engine, "0002")
        assert "user_preferences" not in inspect(db.engine).get_table_names()
        upgrade(db.engine)
        assert current_revision(db.engine) == head_revision() == "0003_user_preferences"
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
        assert not [d for d in diff if "user_preferences" in repr(d)]  # the migration makes what the model says
        downgrade(db.engine, "0002")
        assert "user_preferences" not in inspect(db.engine).get_table_names() and current_revision(db.engine) == "0002"
        upgrade(db.engine)
        assert "user_preferences" in inspect(db.engine).get_table_names()
    finally:
        db.dispose()
        if database == "postgres":
            drop_pg_database(url)
