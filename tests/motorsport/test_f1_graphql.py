"""GraphQL beside REST (``/api/v1/graphql``) on the replayed 2018 Azerbaijan GP: the answers equal
the REST answers (a driver's laps, the classification, stints, pit stops, race control, the
session, the win probability), authentication is REST's, unknown ids and out-of-range limits
are GraphQL errors (status 200, never a 500), and the depth, alias and row guards hold."""

from __future__ import annotations

import pytest

from sideline.api.routers import f1_graphql

URL = "/api/v1/graphql"


def gql(race_api, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
    r = race_api.client.post(URL, json={"query": query, "variables": variables or {}},
                             headers=race_api.account.headers if headers is None else headers)
    assert r.status_code == 200, r.text
    return r.json()


def data(race_api, query: str, variables: dict | None = None) -> dict:
    body = gql(race_api, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def rest(race_api, path: str, **params) -> dict:
    r = race_api.client.get(f"/api/v1/f1/sessions/{race_api.session_id}{path}", headers=race_api.account.headers,
                            params=params)
    assert r.status_code == 200, r.text
    return r.json()


LAPS = """query ($id: ID!, $driver: String, $from: Int, $to: Int) {
  f1Session(id: $id) { laps(driver: $driver, fromLap: $from, toLap: $to) {
    driverNumber number time sectors position compound tyreAge pitIn pitOut deleted personalBest gap
    driver { tla } } } }"""


def test_a_drivers_laps_equal_the_rest_laps_and_the_gap_chart(race_api):
    sid = race_api.session_id
    laps = data(race_api, LAPS, {"id": sid, "driver": "44"})["f1Session"]["laps"]
    expected = rest(race_api, "/laps", driver="44")["items"]
    assert len(laps) == len(expected) == 51
    for ours, theirs in zip(laps, expected, strict=True):
        assert (ours["driverNumber"], ours["number"], ours["time"], ours["sectors"], ours["position"],
                ours["compound"], ours["tyreAge"], ours["pitIn"], ours["pitOut"], ours["deleted"],
                ours["personalBest"]) == (
            theirs["driver"], theirs["lap"], theirs["lap_time"], theirs["sectors"], theirs["position"],
            theirs["compound"], theirs["tyre_age"], theirs["pit_in"], theirs["pit_out"], theirs["deleted"],
            theirs["personal_best"])
        assert ours["driver"] == {"tla": "HAM"}
    gaps = next(g for g in rest(race_api, "/analysis/gaps")["items"] if g["driver"] == "44")
    assert [lap["gap"] for lap in laps] == gaps["gaps"]
    assert laps[-1]["gap"] == 0.0 and laps[-1]["position"] == 1  # Hamilton won
    window = data(race_api, LAPS, {"id": sid, "driver": "77", "from": 47, "to": 49})["f1Session"]["laps"]
    assert [lap["number"] for lap in window] == [47, 48]  # Bottas's puncture: no lap 49
    all_laps = data(race_api, "query ($id: ID!) { f1Session(id: $id) { laps { number } } }", {"id": sid})
    assert len(all_laps["f1Session"]["laps"]) == len(rest(race_api, "/laps")["items"]) == 841


def test_classification_stints_pit_stops_and_race_control_equal_rest(race_api):
    fields = ("order position positionText driverNumber laps status classified time gap gapText penaltySeconds "
              "retiredLap retiredNote gridPosition")
    got = data(race_api, f"""query ($id: ID!) {{ f1Session(id: $id) {{
        classification {{ {fields} }}
        stints {{ driverNumber stint compound new tyreAgeStart laps lapStart lapEnd }}
        pitStops {{ driverNumber stop lap tIn tOut pitLaneTime source }}
        raceControl(limit: 1000) {{ t lap category flag message driverNumber }}
        ham: drivers {{ number stints {{ stint }} pitStops {{ lap }} }} }} }}""", {"id": race_api.session_id})["f1Session"]
    classification = rest(race_api, "/classification")["items"]
    assert [row["driverNumber"] for row in got["classification"]] == [r["driver"] for r in classification]
    assert got["classification"][0]["driverNumber"] == "44" and got["classification"][1]["gap"] == 2.46
    for ours, theirs in zip(got["classification"], classification, strict=True):
        assert (ours["position"], ours["laps"], ours["status"], ours["time"], ours["gap"], ours["retiredLap"],
                ours["gridPosition"]) == (theirs["position"], theirs["laps"], theirs["status"], theirs["time"],
                                          theirs["gap"], theirs["retired_lap"], theirs["grid_position"])
    stints = rest(race_api, "/stints")["items"]
    assert [(s["driverNumber"], s["stint"], s["compound"], s["lapStart"], s["lapEnd"], s["laps"]) for s in got["stints"]] \
        == [(s["driver"], s["stint"], s["compound"], s["lap_start"], s["lap_end"], s["laps"]) for s in stints]
    stops = rest(race_api, "/pit-stops")["items"]
    assert [(p["driverNumber"], p["stop"], p["lap"], p["pitLaneTime"]) for p in got["pitStops"]] == \
        [(p["driver"], p["stop"], p["lap"], p["pit_lane_time"]) for p in stops]
    control = rest(race_api, "/race-control")["items"]
    assert [(m["t"], m["message"]) for m in got["raceControl"]] == [(m["t"], m["message"]) for m in control]
    # per-driver lists under drivers { ... } are the same rows
    ham = next(d for d in got["ham"] if d["number"] == "44")
    assert [s["stint"] for s in ham["stints"]] == [s["stint"] for s in rest(race_api, "/stints", driver="44")["items"]]
    assert [p["lap"] for p in ham["pitStops"]] == [p["lap"] for p in rest(race_api, "/pit-stops", driver="44")["items"]]


def test_sessions_and_the_win_probability_equal_rest(race_api):
    got = data(race_api, """{ f1Sessions { id name year round circuit kind status lapCount totalLaps channel
        drivers { number tla team } } }""")["f1Sessions"]
    detail = rest(race_api, "")
    assert got == [{"id": race_api.session_id, "name": detail["name"], "year": 2018, "round": 4, "circuit": detail["circuit"],
                    "kind": "Race", "status": "finished", "lapCount": 51, "totalLaps": 51,
                    "channel": f"public:f1:{race_api.session_id}",
                    "drivers": [{k: d[k] for k in ("number", "tla", "team")} for d in detail["drivers"]]}]
    timeline = rest(race_api, "/win-probability")
    points = data(race_api, """query ($id: ID!) { f1Session(id: $id) { winProbability { prior totalLaps
        points(fromLap: 48, toLap: 49) { lap driverNumber probability } } } }""",
                  {"id": race_api.session_id})["f1Session"]["winProbability"]
    assert (points["prior"], points["totalLaps"]) == (timeline["prior"], 51)
    expected = {(row["lap"], d): p for row in timeline["laps"] if row["lap"] in (48, 49)
                for d, p in row["probabilities"].items()}
    assert {(p["lap"], p["driverNumber"]): p["probability"] for p in points["points"]} == expected
    assert (49, "77") not in expected and (48, "77") in expected and expected[(49, "44")] > 0.9


def test_authentication_is_the_rest_one(race_api):
    query = {"query": "{ f1Sessions { id } }"}
    r = race_api.client.post(URL, json=query)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = race_api.client.post(URL, json=query, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "Access token rejected" in r.json()["error"]["message"]
    assert race_api.client.get(URL, params=query).status_code == 401
    # another organisation reads the public session; so does an API key (header or bearer)
    other = race_api.other_account
    r = race_api.client.post(URL, json=query, headers=other.headers)
    assert r.json() == {"data": {"f1Sessions": [{"id": race_api.session_id}]}}
    key = race_api.client.post(other.url("/api-keys"), headers=other.headers, json={"name": "gql", "scopes": ["read"]})
    assert key.status_code == 201, key.text
    for headers in ({"X-API-Key": key.json()["key"]}, {"Authorization": f"Bearer {key.json()['key']}"}):
        r = race_api.client.get(URL, params=query, headers=headers)
        assert r.status_code == 200 and r.json()["data"]["f1Sessions"] == [{"id": race_api.session_id}]


def test_unknown_ids_and_bad_arguments_are_graphql_errors(race_api):
    for bad_id in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        body = gql(race_api, "query ($id: ID!) { f1Session(id: $id) { name } }", {"id": bad_id})
        assert body["data"] is None
        assert [(e["message"], e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
            ("F1 session not found", "not_found", ["f1Session"])]
    sid = race_api.session_id
    for arguments, message in (("limit: 0", "limit: from 1 to 5000 (got 0)"), ("limit: 9999", "limit: from 1 to 5000"),
                               ("offset: -1", "offset: 0 or more"), ("fromLap: 9, toLap: 3", "fromLap (9) is after toLap (3)")):
        body = gql(race_api, f'{{ f1Session(id: "{sid}") {{ laps({arguments}) {{ number }} }} }}')
        assert message in body["errors"][0]["message"] and body["errors"][0]["extensions"]["code"] == "invalid_input"
    body = gql(race_api, "{ f1Sessions { nope } }")
    assert body["errors"][0]["extensions"]["code"] == "graphql_validation" and "nope" in body["errors"][0]["message"]
    body = gql(race_api, "mutation { f1Sessions { id } }")
    assert "errors" in body and not body.get("data")
    body = gql(race_api, "{ f1Sessions { id ")  # a syntax error
    assert body["errors"][0]["extensions"]["code"] == "graphql_validation"
    r = race_api.client.post(URL, json={"variables": {}}, headers=race_api.account.headers)
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("query:")
    r = race_api.client.get(URL, params={"query": "{ f1Sessions { id } }", "variables": "[1"},
                            headers=race_api.account.headers)
    assert r.status_code == 400 and r.json()["error"]["message"] == "variables: not valid JSON"


def test_depth_alias_and_row_guards(race_api, monkeypatch):
    sid = race_api.session_id
    within = f'{{ f1Session(id: "{sid}") {{ drivers {{ laps(fromLap: 1, toLap: 1) {{ driver {{ tla }} }} }} }} }}'
    assert len(data(race_api, within)["f1Session"]["drivers"]) == 20  # depth 5: allowed
    deep = (f'{{ f1Session(id: "{sid}") {{ drivers {{ laps {{ driver {{ laps {{ driver {{ laps {{ number }} }} }} }} }} }} }} }}')
    body = gql(race_api, deep)
    assert body.get("data") is None and "exceeds maximum operation depth of 6" in body["errors"][0]["message"]
    aliases = " ".join(f"a{i}: f1Sessions {{ id }}" for i in range(f1_graphql.MAX_ALIASES + 1))
    body = gql(race_api, f"{{ {aliases} }}")
    assert body.get("data") is None and "aliases" in body["errors"][0]["message"].lower()
    # the row budget: a smaller one here, so that one race is enough to exceed it
    monkeypatch.setattr(f1_graphql, "MAX_ROWS", 100)
    assert len(data(race_api, f'{{ f1Session(id: "{sid}") {{ laps(driver: "44") {{ number }} }} }}')
               ["f1Session"]["laps"]) == 51
    body = gql(race_api, f'{{ f1Session(id: "{sid}") {{ laps {{ number }} }} }}')  # 841 laps
    assert "more than 100 list items" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "invalid_input"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_both_http_methods_answer_queries(race_api, method):
    query = "query ($id: ID!) { f1Session(id: $id) { name lapCount } }"
    variables = {"id": race_api.session_id}
    if method == "GET":
        import json

        r = race_api.client.get(URL, params={"query": query, "variables": json.dumps(variables)},
                                headers=race_api.account.headers)
    else:
        r = race_api.client.post(URL, json={"query": query, "variables": variables}, headers=race_api.account.headers)
    assert r.status_code == 200 and r.json() == {"data": {"f1Session": {"name": "2018 Azerbaijan Grand Prix Race",
                                                                        "lapCount": 51}}}
