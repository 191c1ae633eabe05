"""Tenancy: organisations never see, change or infer each other's data; roles and key scopes;
athletes (with data-protection erasure), datasets (private and public) and the export."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
import zipfile

import pytest
from sqlalchemy import func, select

from sideline.jobs.service import create_job
from sideline.privacy import EXPORT_JOB, export_blob_key
from sideline.storage.models import (Athlete, Dataset, FramePart, Invitation, Job, Metric, Sample, StoredFile,
                                     Visibility)
from tests.conftest import create_account, wait_for
from tests.football.factories import add_match

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def make_key(client, account, scopes) -> str:
    return ok(client.post(account.url("/api-keys"), headers=account.headers,
                          json={"name": "k", "scopes": scopes}), 201)["key"]


def add_file(services, org_id, athlete_id=None, content=b"raw bytes", name="clip.csv") -> StoredFile:
    file_id = uuid.uuid4()
    key = f"files/{org_id}/{file_id}"
    services.blobs.put(key, content)
    with services.db.session() as s:
        row = StoredFile(id=file_id, organisation_id=org_id, athlete_id=athlete_id, filename=name,
                         content_type="text/csv", size=len(content), received=len(content), status="ready",
                         blob_key=key)
        s.add(row)
    return row


def add_series(services, org_id, dataset_id, athlete_id=None, subject=None, n=3) -> None:
    with services.db.session() as s:
        for i in range(n):
            ts = T0 + dt.timedelta(seconds=i)
            s.add(Sample(ts=ts, organisation_id=org_id, dataset_id=dataset_id, athlete_id=athlete_id,
                         subject=subject, channel="hr", value=140.0 + i))
            s.add(Metric(ts=ts, organisation_id=org_id, dataset_id=dataset_id, athlete_id=athlete_id,
                         subject=subject, name="load", value=1.0 + i))


def add_frame_part(services, org_id, dataset_id) -> str:
    key = f"frames/{org_id}/{dataset_id}/{uuid.uuid4()}.parquet"
    services.blobs.put(key, b"PAR1 fake parquet PAR1")
    with services.db.session() as s:
        s.add(FramePart(dataset_id=dataset_id, organisation_id=org_id, stream="tracking", blob_key=key,
                        start_s=0.0, end_s=10.0, rows=100, columns=["x", "y"]))
    return key


def add_public_dataset(services, name="Monaco GP 2026 - Race", kind="f1_session") -> uuid.UUID:
    with services.db.session() as s:
        ds = Dataset(organisation_id=None, visibility=Visibility.public, kind=kind, name=name, meta={"year": 2026})
        s.add(ds)
        s.flush()
        return ds.id


@pytest.fixture
def world(client, services, account, other_account):
    """Org A (``account``) and org B (``other_account``) with one of everything each."""
    objects = {}
    for label, acc in (("a", account), ("b", other_account)):
        athlete = ok(client.post(acc.url("/athletes"), headers=acc.headers,
                                 json={"name": f"Athlete {label.upper()}", "sport": "football"}), 201)
        dataset = ok(client.post(acc.url("/datasets"), headers=acc.headers,
                                 json={"kind": f"match_{label}", "name": f"Match {label}", "athlete_id": athlete["id"]}), 201)
        key = ok(client.post(acc.url("/api-keys"), headers=acc.headers, json={"name": "k", "scopes": ["admin"]}), 201)
        invitation = ok(client.post(acc.url("/invitations"), headers=acc.headers,
                                    json={"email": f"invitee-{label}@example.org", "role": "viewer"}), 201)
        job = ok(client.post(acc.url("/jobs"), headers=acc.headers,
                             json={"type": "demo.count", "params": {"steps": 1, "delay": 0}}), 202)
        file = add_file(services, acc.org_id, uuid.UUID(athlete["id"]))
        match_id, clip_id = add_match(services, acc.org_id)
        objects[label] = {"match_id": str(match_id), "clip_id": str(clip_id), "player_id": "h1", "athlete_id": athlete["id"], "dataset_id": dataset["id"], "key_id": key["id"],
                          "key": key["key"], "invitation_id": invitation["id"], "job_id": job["id"],
                          "file_id": str(file.id), "upload_id": str(file.id), "user_id": str(acc.user_id)}
    objects["public_dataset_id"] = str(add_public_dataset(services))
    return objects


# --- Nothing of B through A's eyes --------------------------------------------------------------

# Valid bodies, so that a 404 for B's ids cannot hide behind a 422 for the body.
BODIES = {
    ("PATCH", "/members/{user_id}"): {"role": "viewer"},
    ("PATCH", "/athletes/{athlete_id}"): {"name": "Renamed"},
    ("PATCH", "/datasets/{dataset_id}"): {"name": "Renamed"},
    ("POST", "/athletes"): {"name": "Intruder"},
    ("POST", "/datasets"): {"kind": "x", "name": "Intruder"},
    ("POST", "/api-keys"): {"name": "x", "scopes": ["admin"]},
    ("POST", "/invitations"): {"email": "intruder@example.org", "role": "owner"},
    ("POST", "/jobs"): {"type": "demo.count", "params": {"steps": 1}},
    ("POST", "/matches/{match_id}/clips"): {"name": "Intruder", "start_s": 0, "end_s": 1},
    ("PUT", "/football/settings"): {"physical": {}},
    ("POST", "/f1/sessions/{session_id}/replay"): {"speed": 10},
    ("PATCH", "/f1/sessions/{session_id}/replay"): {"speed": 10},
    ("PATCH", "/videos/{video_id}/tracks/{track_id}"): {"name": "Intruder"},
    ("PATCH", "/videos/{video_id}/teams/{side}"): {"name": "Intruder"},
    ("PUT", "/videos/{video_id}/calibration"): {"image_points": [[0, 0], [100, 0], [100, 100], [0, 100]],
                                                "pitch_points": [[-10, -10], [10, -10], [10, 10], [-10, 10]]},
    ("POST", "/videos/{video_id}/poses"): {"track_id": 1, "t0": 0, "t1": 1},
}


def org_routes(app):
    """Every (method, path) of the API under /orgs/{org_id}, including other engineers' routers."""
    schema = app.openapi()
    for path, operations in schema["paths"].items():
        if path.startswith("/api/v1/orgs/{org_id}"):
            for method in operations:
                yield method.upper(), path


# Path parameters that are not ids: a valid value, so the route's own lookup decides.
NON_UUID_PARAMS = {"track_id": 1, "side": "home", "frame": 0}

# Required query parameters, so that a 404 cannot hide behind a 422 for a missing query.
QUERIES = {
    "/matches/{match_id}/frames": {"t0": 0, "t1": 10},
    "/matches/{match_id}/pitch-control": {"t": 1},
}


def call(client, method, path, headers, org_id, ids):
    suffix = path[len("/api/v1/orgs/{org_id}"):]
    body = BODIES.get((method, suffix))
    url = "/api/v1/orgs/" + str(org_id) + re.sub(
        r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), NON_UUID_PARAMS.get(m.group(1), uuid.uuid4()))), suffix)
    return client.request(method, url, headers=headers, params=QUERIES.get(suffix),
                          json=body if method in ("POST", "PATCH", "PUT") else None)


def same_answer(a, b) -> bool:
    return a.status_code == b.status_code and a.json()["error"]["code"] == b.json()["error"]["code"] \
        and a.json()["error"]["message"] == b.json()["error"]["message"]


def test_every_org_route_answers_for_another_org_as_for_no_org(app, client, account, other_account, world):
    routes = list(org_routes(app))
    assert len(routes) >= 25 and ("DELETE", "/api/v1/orgs/{org_id}/athletes/{athlete_id}") in routes
    for who, headers in (("user", account.headers), ("key", bearer(world["a"]["key"]))):
        for method, path in routes:
            theirs = call(client, method, path, headers, other_account.org_id, world["b"])
            nobody = call(client, method, path, headers, uuid.uuid4(), {})
            assert theirs.status_code == 404, (who, method, path, theirs.text)
            assert same_answer(theirs, nobody), (who, method, path, theirs.text, nobody.text)


def test_b_ids_inside_a_are_indistinguishable_from_random_ids(app, client, account, other_account, world):
    checked = 0
    for who, headers in (("user", account.headers), ("key", bearer(world["a"]["key"]))):
        for method, path in org_routes(app):
            params = set(re.findall(r"\{(\w+)\}", path)) - {"org_id"}
            if not params or method == "POST" and path.endswith("/accept"):
                continue
            theirs = call(client, method, path, headers, account.org_id, world["b"])
            random_ids = call(client, method, path, headers, account.org_id, {})
            assert theirs.status_code == 404, (who, method, path, theirs.text)
            assert same_answer(theirs, random_ids), (who, method, path, theirs.text, random_ids.text)
            checked += 1
    assert checked >= 2 * 15
    # ... and B's objects are all still there, untouched.
    b, h = world["b"], other_account.headers
    assert ok(client.get(other_account.url(f"/athletes/{b['athlete_id']}"), headers=h))["name"] == "Athlete B"
    assert ok(client.get(other_account.url(f"/datasets/{b['dataset_id']}"), headers=h))["name"] == "Match b"
    assert ok(client.get(other_account.url(f"/files/{b['file_id']}"), headers=h))["id"] == b["file_id"]
    assert client.get(other_account.url("/jobs"), headers=bearer(b["key"])).status_code == 200  # key not revoked
    invitations = ok(client.get(other_account.url("/invitations"), headers=h))["items"]
    assert [i["status"] for i in invitations] == ["pending"]
    members = ok(client.get(other_account.url("/members"), headers=h))["items"]
    assert [(m["user_id"], m["role"]) for m in members] == [(b["user_id"], "owner")]
    job = ok(client.get(other_account.url(f"/jobs/{b['job_id']}"), headers=h))
    assert not job["cancel_requested"]


def test_lists_and_filters_never_include_or_count_b(client, services, account, other_account, world):
    b = world["b"]
    b_ids = {v for k, v in b.items() if k != "key"}
    for headers in (account.headers, bearer(world["a"]["key"])):
        for path in ("/athletes", "/datasets", "/jobs", "/api-keys", "/members", "/invitations", "/files",
                     "/athletes?q=Athlete", "/athletes?q=B", f"/datasets?athlete_id={b['athlete_id']}",
                     "/datasets?kind=match_b", "/datasets?public=false", "/jobs?type=demo.count"):
            page = ok(client.get(account.url(path), headers=headers))
            ids = {str(item.get("id", item.get("user_id"))) for item in page["items"]}
            assert not ids & b_ids, path
            assert page["total"] == len(page["items"]), path
    assert ok(client.get(account.url("/datasets?kind=match_b"), headers=account.headers))["total"] == 0
    assert ok(client.get(account.url(f"/datasets?athlete_id={b['athlete_id']}"), headers=account.headers))["total"] == 0
    assert ok(client.get(account.url("/athletes?q=athlete b"), headers=account.headers))["total"] == 0


# --- Roles and key scopes ---------------------------------------------------------------------

def test_roles_within_an_organisation(client, services, account, world):
    viewer = create_account(client, services, role="viewer", org_id=account.org_id)
    analyst = create_account(client, services, role="analyst", org_id=account.org_id)
    a = world["a"]
    for method, path, body in (("POST", "/athletes", {"name": "X"}), ("PATCH", f"/athletes/{a['athlete_id']}", {"name": "X"}),
                               ("POST", "/datasets", {"kind": "x", "name": "X"}),
                               ("DELETE", f"/datasets/{a['dataset_id']}", None),
                               ("POST", "/jobs", {"type": "demo.count"}), ("POST", f"/jobs/{a['job_id']}/cancel", None)):
        r = client.request(method, account.url(path), headers=viewer.headers, json=body)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"]["message"] == "Your role (viewer) does not allow this; it needs analyst or above"
    assert client.get(account.url("/athletes"), headers=viewer.headers).status_code == 200
    ok(client.post(account.url("/athletes"), headers=analyst.headers, json={"name": "By analyst"}), 201)
    for method, path in (("GET", "/api-keys"), ("POST", "/api-keys"), ("GET", "/invitations"),
                         ("PATCH", f"/members/{viewer.user_id}"), ("DELETE", f"/athletes/{a['athlete_id']}"),
                         ("GET", "/export")):
        r = client.request(method, account.url(path), headers=analyst.headers,
                           json={"name": "x", "scopes": ["read"], "role": "owner"} if method != "GET" else None)
        assert r.status_code == 403, (path, r.text)
        assert "needs owner" in r.json()["error"]["message"]


def test_api_key_scopes(client, account, world):
    read, write = make_key(client, account, ["read"]), make_key(client, account, ["write"])
    assert client.get(account.url("/athletes"), headers=bearer(read)).status_code == 200
    r = client.post(account.url("/athletes"), headers=bearer(read), json={"name": "X"})
    assert r.status_code == 403 and r.json()["error"]["message"] == "This API key lacks the 'write' scope"
    ok(client.post(account.url("/athletes"), headers=bearer(write), json={"name": "By key"}), 201)
    # A write-only key cannot read: scopes are not a hierarchy, except admin which implies all.
    assert client.get(account.url("/athletes"), headers=bearer(write)).status_code == 403
    r = client.delete(account.url(f"/athletes/{world['a']['athlete_id']}"), headers=bearer(write))
    assert r.status_code == 403 and "'admin' scope" in r.json()["error"]["message"]
    assert client.get("/api/v1/me", headers=bearer(read)).status_code == 403  # keys are not users
    assert client.get("/api/v1/public/datasets", headers=bearer(read)).status_code == 200


# --- Datasets: private and public ---------------------------------------------------------------

def test_public_datasets_are_shared_and_private_ones_never_leak(client, services, account, other_account, world):
    public_id = world["public_dataset_id"]
    for acc, mine, theirs in ((account, world["a"], world["b"]), (other_account, world["b"], world["a"])):
        page = ok(client.get(acc.url("/datasets"), headers=acc.headers))
        assert {(d["id"], d["public"]) for d in page["items"]} == {(mine["dataset_id"], False), (mine["match_id"], False),
                                                                 (public_id, True)}
        assert page["total"] == 3
        assert [d["id"] for d in ok(client.get(acc.url("/datasets?public=true"), headers=acc.headers))["items"]] == [public_id]
        assert [d["id"] for d in ok(client.get(acc.url("/datasets?kind=f1_session"), headers=acc.headers))["items"]] == [public_id]
        assert ok(client.get(acc.url(f"/datasets/{public_id}"), headers=acc.headers))["public"] is True
        r = client.get(acc.url(f"/datasets/{theirs['dataset_id']}"), headers=acc.headers)
        assert r.status_code == 404
        for path in ("/api/v1/public/datasets", "/api/v1/public/datasets?kind=match_a", "/api/v1/public/datasets?kind=match_b"):
            page = ok(client.get(path, headers=acc.headers))
            assert all(d["public"] for d in page["items"]) and page["total"] == len(page["items"])
            assert {d["id"] for d in page["items"]} <= {public_id}
        assert client.get(f"/api/v1/public/datasets/{mine['dataset_id']}", headers=acc.headers).status_code == 404
        assert ok(client.get(f"/api/v1/public/datasets/{public_id}", headers=acc.headers))["name"] == "Monaco GP 2026 - Race"
    # Public data is read-only through any organisation.
    for method, body in (("PATCH", {"name": "Mine now"}), ("DELETE", None)):
        r = client.request(method, account.url(f"/datasets/{public_id}"), headers=account.headers, json=body)
        assert r.status_code == 403 and r.json()["error"]["message"] == "Public datasets are read-only"
    assert client.get("/api/v1/public/datasets").status_code == 401


def test_dataset_crud_and_delete_removes_its_data(client, services, account, world):
    a = world["a"]
    ds = ok(client.post(account.url("/datasets"), headers=account.headers,
                        json={"kind": "session", "name": "Training", "starts_at": "2026-05-01T10:00:00",
                              "meta": {"pitch": "B"}}), 201)
    assert ds["starts_at"].startswith("2026-05-01T10:00:00") and ds["public"] is False
    r = client.post(account.url("/datasets"), headers=account.headers,
                    json={"kind": "session", "name": "X", "athlete_id": world["b"]["athlete_id"]})
    assert r.status_code == 400 and r.json()["error"]["message"] == "athlete_id: no athlete of this organisation has this id"
    changed = ok(client.patch(account.url(f"/datasets/{ds['id']}"), headers=account.headers,
                              json={"name": "Training (am)", "athlete_id": a["athlete_id"]}))
    assert changed["name"] == "Training (am)" and changed["athlete_id"] == a["athlete_id"]
    assert client.patch(account.url(f"/datasets/{ds['id']}"), headers=account.headers, json={"name": None}).status_code == 400
    add_series(services, account.org_id, uuid.UUID(ds["id"]))
    key = add_frame_part(services, account.org_id, uuid.UUID(ds["id"]))
    assert client.delete(account.url(f"/datasets/{ds['id']}"), headers=account.headers).status_code == 204
    assert client.get(account.url(f"/datasets/{ds['id']}"), headers=account.headers).status_code == 404
    assert not services.blobs.exists(key)
    with services.db.session() as s:
        for model in (Sample, Metric, FramePart):
            assert s.scalar(select(func.count()).select_from(model).where(model.dataset_id == uuid.UUID(ds["id"]))) == 0


# --- Athletes and erasure -------------------------------------------------------------------------

def test_athlete_crud_and_search(client, services, account, other_account):
    for name in ("Zoë Wilson", "Sam O'Neil", "Ana 100%_real"):
        ok(client.post(account.url("/athletes"), headers=account.headers,
                       json={"name": name, "sport": "tennis", "birth_date": "2001-02-03",
                             "external_ids": {"wta": "123"}}), 201)
    names = lambda q: [a["name"] for a in ok(client.get(account.url(f"/athletes?{q}"), headers=account.headers))["items"]]
    assert names("q=zo") == ["Zoë Wilson"]
    assert names("q=%25_") == ["Ana 100%_real"]  # LIKE wildcards are matched literally
    assert names("q=_") == ["Ana 100%_real"]
    assert names("limit=2&offset=1") == ["Sam O'Neil", "Zoë Wilson"]
    athlete = ok(client.get(account.url("/athletes?q=sam"), headers=account.headers))["items"][0]
    r = client.patch(account.url(f"/athletes/{athlete['id']}"), headers=account.headers,
                     json={"position": "baseline", "user_id": str(account.user_id)})
    assert ok(r)["position"] == "baseline" and ok(r)["birth_date"] == "2001-02-03"
    r = client.patch(account.url(f"/athletes/{athlete['id']}"), headers=account.headers,
                     json={"user_id": str(other_account.user_id)})
    assert r.status_code == 400 and "no member of this organisation" in r.json()["error"]["message"]
    for body in ({"name": ""}, {"name": "x", "birth_date": "1800-01-01"}, {"name": "x", "external_ids": {"": "1"}}):
        assert client.post(account.url("/athletes"), headers=account.headers, json=body).status_code == 422, body


def test_deleting_an_athlete_erases_all_of_their_data(client, services, account, world):
    a = world["a"]
    athlete_id, other = uuid.UUID(a["athlete_id"]), ok(client.post(account.url("/athletes"), headers=account.headers,
                                                                  json={"name": "Keeper"}), 201)
    other_id = uuid.UUID(other["id"])
    own_ds = uuid.UUID(a["dataset_id"])
    add_series(services, account.org_id, own_ds, athlete_id)
    part_key = add_frame_part(services, account.org_id, own_ds)
    team = ok(client.post(account.url("/datasets"), headers=account.headers, json={"kind": "match", "name": "Team match"}), 201)
    team_id = uuid.UUID(team["id"])
    add_series(services, account.org_id, team_id, athlete_id)  # their rows in a shared dataset
    add_series(services, account.org_id, team_id, other_id)
    other_file = add_file(services, account.org_id, other_id)
    with services.db.session() as s:
        athlete_files = s.scalars(select(StoredFile.blob_key).where(StoredFile.athlete_id == athlete_id)).all()
    assert athlete_files and all(services.blobs.exists(k) for k in athlete_files)
    export = start_export(client, account)

    r = client.delete(account.url(f"/athletes/{athlete_id}"), headers=account.headers)
    deleted = ok(r)["deleted"]
    assert deleted == {"datasets": 1, "frame_parts": 1, "files": 1, "samples": 6, "metrics": 6, "laps": 0, "exports": 1}
    with services.db.session() as s:
        assert s.get(Athlete, athlete_id) is None
        for model in (Dataset, StoredFile, Sample, Metric):
            assert s.scalar(select(func.count()).select_from(model).where(model.athlete_id == athlete_id)) == 0, model
        for model in (Sample, Metric, FramePart):
            assert s.scalar(select(func.count()).select_from(model).where(model.dataset_id == own_ds)) == 0, model
        # Everyone else's data stays.
        assert s.get(Athlete, other_id) is not None and s.get(Dataset, team_id) is not None
        assert s.scalar(select(func.count()).select_from(Sample).where(Sample.athlete_id == other_id)) == 3
        assert s.get(StoredFile, other_file.id) is not None
    assert not any(services.blobs.exists(k) for k in [*athlete_files, part_key])
    assert services.blobs.exists(other_file.blob_key)
    # The earlier export held their data, so it is gone too.
    assert not services.blobs.exists(export_blob_key(account.org_id, uuid.UUID(export["id"])))
    r = client.get(account.url(f"/exports/{export['id']}/download"), headers=account.headers)
    assert r.status_code == 410 and "athlete's data was erased" in r.json()["error"]["message"]
    assert client.delete(account.url(f"/athletes/{athlete_id}"), headers=account.headers).status_code == 404
    # Org B's athlete and file are untouched.
    with services.db.session() as s:
        assert s.get(Athlete, uuid.UUID(world["b"]["athlete_id"])) is not None
        assert services.blobs.exists(s.get(StoredFile, uuid.UUID(world["b"]["file_id"])).blob_key)


# --- Export -------------------------------------------------------------------------------------

def start_export(client, account) -> dict:
    job = ok(client.get(account.url("/export"), headers=account.headers), 202)
    assert job["type"] == EXPORT_JOB
    return wait_for(lambda: (j := ok(client.get(account.url(f"/jobs/{job['id']}"), headers=account.headers)))["state"]
                    in ("succeeded", "failed") and j, timeout=30, message="the export")


def test_export_contains_the_organisation_and_nothing_else(client, services, account, other_account, world):
    a = world["a"]
    add_series(services, account.org_id, uuid.UUID(a["dataset_id"]), uuid.UUID(a["athlete_id"]))
    add_frame_part(services, account.org_id, uuid.UUID(a["dataset_id"]))
    job = start_export(client, account)
    assert job["state"] == "succeeded", job
    with services.db.session() as s:  # the match's Parquet parts are files of the export too
        match_parts = s.scalar(select(func.count()).select_from(FramePart).where(
            FramePart.dataset_id == uuid.UUID(a["match_id"])))
    assert job["result"]["tables"]["athletes"] == 1 and job["result"]["files"] == 2 + match_parts

    r = client.get(account.url(f"/exports/{job['id']}/download"), headers=account.headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert "attachment" in r.headers["content-disposition"] and "alpha-fc" in r.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    names = set(archive.namelist())
    tables = {n.removeprefix("tables/").removesuffix(".json"): json.loads(archive.read(n))
              for n in names if n.startswith("tables/")}
    assert {"organisations", "users", "memberships", "athletes", "datasets", "samples", "metrics", "files",
            "frame_parts", "jobs", "api_keys", "invitations"} <= set(tables)
    assert [o["id"] for o in tables["organisations"]] == [str(account.org_id)]
    assert [u["email"] for u in tables["users"]] == [account.email]
    assert [x["id"] for x in tables["athletes"]] == [a["athlete_id"]]
    assert {x["id"] for x in tables["datasets"]} == {a["dataset_id"], a["match_id"]}  # not B's, not the public one
    assert [x["id"] for x in tables["clips"]] == [a["clip_id"]]
    assert len(tables["samples"]) == 3 and tables["samples"][0]["value"] == 140.0
    text = b"".join(archive.read(n) for n in names)
    for secret in ("password_hash", "key_hash", "token_hash", a["key"], str(other_account.org_id),
                   world["b"]["athlete_id"], other_account.email):
        assert secret.encode() not in text, secret
    assert archive.read(f"files/{a['file_id']}/clip.csv") == b"raw bytes"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["organisation_id"] == str(account.org_id) and manifest["tables"]["samples"] == 3

    # B's owner cannot fetch A's export, not even through their own organisation.
    assert client.get(other_account.url(f"/exports/{job['id']}/download"), headers=other_account.headers).status_code == 404
    r = client.get(account.url(f"/exports/{world['a']['job_id']}/download"), headers=account.headers)
    assert r.status_code == 404  # a job, but not an export


def test_export_not_ready_is_409(client, services, account):
    with services.db.session() as s:
        job = create_job(s, account.org_id, EXPORT_JOB, {})  # never dispatched: stays queued
        job_id = job.id
    r = client.get(account.url(f"/exports/{job_id}/download"), headers=account.headers)
    assert r.status_code == 409 and "not ready" in r.json()["error"]["message"]
    with services.db.session() as s:
        assert s.get(Job, job_id).state.value == "queued"


def test_invitations_of_other_orgs_cannot_be_revoked(client, services, account, other_account, world):
    r = client.delete(account.url(f"/invitations/{world['b']['invitation_id']}"), headers=account.headers)
    assert r.status_code == 404
    with services.db.session() as s:
        assert s.get(Invitation, uuid.UUID(world["b"]["invitation_id"])).revoked_at is None


def test_athlete_role_sees_only_their_own_data(client, services, account):
    """An athlete login inside the club reads its own record, datasets and files, never team-mates'."""
    from sideline.storage.models import Athlete, Dataset, FileStatus, StoredFile

    me = create_account(client, services, role="athlete", org_id=account.org_id)
    with services.db.session() as s:
        mine = Athlete(organisation_id=account.org_id, name="Me Myself", user_id=me.user_id)
        mate = Athlete(organisation_id=account.org_id, name="Team Mate")
        s.add_all([mine, mate])
        s.flush()
        my_ds = Dataset(organisation_id=account.org_id, kind="swing", name="my swing", athlete_id=mine.id)
        mate_ds = Dataset(organisation_id=account.org_id, kind="swing", name="mate swing", athlete_id=mate.id)
        club_ds = Dataset(organisation_id=account.org_id, kind="football_match", name="club match")
        files = [StoredFile(organisation_id=account.org_id, athlete_id=a, filename=f"{n}.mp4", content_type="video/mp4",
                            size=1, received=1, status=FileStatus.ready, blob_key=f"files/{n}") for a, n in
                 ((mine.id, "mine"), (mate.id, "mate"), (None, "club"))]
        s.add_all([my_ds, mate_ds, club_ds, *files])
        s.flush()
        ids = {"mine": mine.id, "mate": mate.id, "my_ds": my_ds.id, "mate_ds": mate_ds.id, "club_ds": club_ds.id,
               "my_file": files[0].id, "mate_file": files[1].id, "club_file": files[2].id}
    job = client.post(account.url("/jobs"), headers=account.headers, json={"type": "demo.count", "params": {"steps": 1, "delay": 0}})

    def names(path):
        r = client.get(account.url(path), headers=me.headers)
        assert r.status_code == 200, r.text
        return sorted(i.get("name") or i.get("filename") or i["id"] for i in r.json()["items"]), r.json()["total"]

    assert names("/athletes") == (["Me Myself"], 1)
    assert names("/datasets") == (["my swing"], 1)
    assert names("/files") == (["mine.mp4"], 1)
    assert names("/jobs") == ([], 0)
    assert client.get(account.url(f"/athletes/{ids['mine']}"), headers=me.headers).status_code == 200
    assert client.get(account.url(f"/datasets/{ids['my_ds']}"), headers=me.headers).status_code == 200
    for path in (f"/athletes/{ids['mate']}", f"/datasets/{ids['mate_ds']}", f"/datasets/{ids['club_ds']}",
                 f"/files/{ids['mate_file']}", f"/files/{ids['club_file']}", f"/jobs/{job.json()['id']}"):
        r = client.get(account.url(path), headers=me.headers)
        assert r.status_code == 404, path  # the same answer as for an id that does not exist
    # Staff see everything.
    staff = client.get(account.url("/athletes"), headers=account.headers).json()["total"]
    assert staff == 2
    # The organisation-wide live channel is not theirs either.
    with client.websocket_connect(f"/api/v1/ws?token={me.token}") as ws:
        ws.send_json({"type": "subscribe", "channel": f"org:{account.org_id}:jobs", "since": None})
        reply = ws.receive_json()
        assert reply["type"] == "error" and reply["code"] == "not_found"
