"""Display preferences (``/me/preferences/display``): metric by default, kept per user and apart
from the motorsport document, precise 422s that change nothing, 401 without login and 403 for an
API key (preferences belong to a person)."""

from __future__ import annotations

from tests.conftest import create_account

URL = "/api/v1/me/preferences/display"
MOTORSPORT = "/api/v1/me/preferences/motorsport"


def test_units_default_to_metric_and_are_kept_per_user(client, account, services):
    me = account
    colleague = create_account(client, services, org_id=me.org_id)  # same organisation, own preferences
    assert client.get(URL, headers=me.headers).json() == {"units": "metric"}
    r = client.put(URL, headers=me.headers, json={"units": "imperial"})
    assert r.status_code == 200 and r.json() == {"units": "imperial"}, r.text
    assert client.get(URL, headers=me.headers).json() == {"units": "imperial"}
    assert client.get(URL, headers=colleague.headers).json() == {"units": "metric"}
    # another area's document is untouched, and writing it leaves the units alone
    assert client.get(MOTORSPORT, headers=me.headers).json()["commentary_style"] == "casual"
    assert client.put(MOTORSPORT, headers=me.headers, json={"commentary_style": "technical"}).status_code == 200
    assert client.get(URL, headers=me.headers).json() == {"units": "imperial"}
    assert client.put(URL, headers=me.headers, json={}).json() == {"units": "metric"}  # left out: the default
    assert client.put(URL, headers=me.headers, json={"units": "imperial"}).status_code == 200
    assert client.get(MOTORSPORT, headers=me.headers).json()["commentary_style"] == "technical"

    for body, message in (({"units": "furlongs"}, "units: Input should be 'metric' or 'imperial'"),
                          ({"units": None}, "units: Input should be 'metric' or 'imperial'"),
                          ({"unit": "metric"}, "unit: Extra inputs are not permitted")):
        r = client.put(URL, headers=me.headers, json=body)
        assert r.status_code == 422 and r.json()["error"]["message"].startswith(message), (body, r.text)
    assert client.get(URL, headers=me.headers).json() == {"units": "imperial"}  # nothing half-written

    assert client.get(URL).status_code == 401
    key = client.post(me.url("/api-keys"), headers=me.headers, json={"name": "k", "scopes": ["read"]}).json()["key"]
    for method in ("GET", "PUT"):
        r = client.request(method, URL, headers={"X-API-Key": key}, json={"units": "metric"})
        assert r.status_code == 403 and "user login" in r.json()["error"]["message"], (method, r.text)
    assert client.get(URL, headers=me.headers).json() == {"units": "imperial"}
