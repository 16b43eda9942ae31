"""Bad input is a 4xx naming the field, never a 5xx (issue 13, part 3).

Each test here failed before the fix it names: a 500, a silent coercion, a body read
without a key, or a status that hid a rejection.
"""

from __future__ import annotations

import asyncio
import gzip

import orjson
import pytest
from fastapi.testclient import TestClient

from achilles_core.contract import check_session_id
from achilles_core.settings import Settings
from ingest_api.app import create_app

BIG = 2**63


def event(ts="2026-11-21T10:00:00Z", **over):
    return {"event_type": "agent_action", "source_type": "agent", "timestamp": ts, **over}


@pytest.fixture
def raw(settings):
    """A client that reports a server error as a 500 instead of raising it."""
    with TestClient(
        create_app(settings),
        headers={"Authorization": "Bearer dev-key"},
        raise_server_exceptions=False,
    ) as c:
        yield c


def _nested(depth: int) -> dict:
    root: dict = {}
    cur = root
    for _ in range(depth):
        cur["a"] = {}
        cur = cur["a"]
    return root


def _landed(settings: Settings) -> list[str]:
    folder = settings.events_dir
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("path", ["events", "errors", "correlations"])
def test_huge_offset_is_422_naming_offset(raw, path):
    raw.post("/v1/sessions/start", json={"session_id": "s1"})
    r = raw.get(f"/v1/sessions/s1/{path}", params={"offset": BIG})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "offset"


def test_huge_token_count_is_rejected_by_field(raw):
    r = raw.post("/v1/events/batch", json={"session_id": "s", "events": [event(input_tokens=BIG)]})
    assert r.status_code == 422 and r.json()["results"][0]["field"] == "input_tokens"


@pytest.mark.parametrize(
    "value,needle",
    [
        (_nested(254), "nested deeper"),
        ({"x": 2**64}, "int64"),
    ],
)
def test_unstorable_attributes_are_rejected(raw, value, needle):
    # The batch body goes through orjson, which reads 2**64 as a float; send it via
    # the Python path too (session start) where it stays an int.
    r = raw.post("/v1/events/batch", json={"session_id": "s", "events": [event(attributes=value)]})
    assert r.status_code in (200, 422)
    if r.status_code == 422:
        assert r.json()["results"][0]["field"] == "attributes"
    start = raw.post("/v1/sessions/start", json={"session_id": "m", "metadata": value})
    assert start.status_code == 422
    assert start.json()["detail"][0]["field"] == "metadata"
    assert needle in start.json()["detail"][0]["reason"]


def test_nested_attributes_in_a_batch_are_422(raw):
    body = {"session_id": "s", "events": [event(attributes=_nested(254))]}
    r = raw.post("/v1/events/batch", json=body)
    assert r.status_code == 422
    assert r.json()["results"][0]["field"] == "attributes"


@pytest.mark.parametrize("ts", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_timestamps_outside_utc_range_are_rejected(raw, settings, ts):
    # Two sessions, the second one bad: the first must still be judged on its own,
    # and nothing of a failed request may land.
    body = {"events": [event(session_id="good"), event(session_id="bad", timestamp=ts)]}
    r = raw.post("/v1/events/batch", json=body)
    assert r.status_code == 207
    assert r.json()["results"][1]["field"] == "timestamp"
    assert "out of range" in r.json()["results"][1]["reason"]
    assert _landed(settings) == ["good"]
    start = raw.post("/v1/sessions/start", json={"session_id": "t", "started_at": ts})
    end = raw.post("/v1/sessions/end", json={"session_id": "good", "ended_at": ts})
    for resp, field in ((start, "started_at"), (end, "ended_at")):
        assert resp.status_code == 422 and resp.json()["detail"][0]["field"] == field


def test_every_event_bad_lands_nothing_and_is_422(raw, settings):
    body = {"events": [event(session_id="a", event_type="nope"), event(session_id="b", ts="x")]}
    r = raw.post("/v1/events/batch", json=body)
    assert r.status_code == 422 and r.json()["rejected"] == 2
    assert _landed(settings) == []


def test_bare_number_timestamp_is_not_a_time(raw):
    r = raw.post("/v1/events/batch", json={"session_id": "s", "events": [event(ts="1763720103")]})
    assert r.status_code == 422 and r.json()["results"][0]["field"] == "timestamp"
    start = raw.post("/v1/sessions/start", json={"started_at": "1763720103"})
    assert start.status_code == 422 and start.json()["detail"][0]["field"] == "started_at"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_rejected_not_nulled(raw, literal):
    body = '{"session_id": "n", "metadata": {"x": LIT}}'.replace("LIT", literal)
    r = raw.post("/v1/sessions/start", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "NaN or Infinity" in r.json()["detail"][0]["reason"]
    batch = '{"session_id": "n", "events": [{"attributes": {"x": LIT}}]}'.replace("LIT", literal)
    r = raw.post("/v1/events/batch", content=batch, headers={"Content-Type": "application/json"})
    assert r.status_code == 400  # not JSON at all


def test_session_id_with_trailing_newline_is_refused(raw, settings):
    with pytest.raises(ValueError):
        check_session_id("abc\n")
    r = raw.post("/v1/events/batch", json={"session_id": "abc\n", "events": [event()]})
    assert r.status_code == 422
    r = raw.post("/v1/events/batch", json={"events": [event(session_id="abc\n")]})
    assert r.status_code == 422 and r.json()["results"][0]["field"] == "session_id"
    assert raw.post("/v1/sessions/start", json={"session_id": "abc\n"}).status_code == 422
    assert _landed(settings) == []


def test_422_does_not_echo_a_huge_input(raw):
    r = raw.post("/v1/sessions/start", json={"actor": "x" * 1_000_000})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "actor"
    assert len(r.content) < 2000


def test_unknown_top_level_fields_are_422(raw):
    r = raw.post("/v1/sessions/start", json={"session_id": "u", "colour": "red"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "colour"
    r = raw.post("/v1/sessions/end", json={"session_id": "u", "colour": "red"})
    assert r.status_code == 422


# -- body limits and keys, before the body is read ---------------------------------------


class _Probe:
    """An ASGI receive that counts how much of the body the app asked for."""

    def __init__(self, chunks: int, size: int):
        self.left = chunks
        self.size = size
        self.read = 0

    async def __call__(self) -> dict:
        if self.left <= 0:
            return {"type": "http.disconnect"}
        self.left -= 1
        self.read += self.size
        return {"type": "http.request", "body": b"x" * self.size, "more_body": self.left > 0}


def _call(app, path: str, headers: dict[str, str], probe: _Probe) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, probe, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


@pytest.mark.parametrize(
    "path", ["/v1/sessions/start", "/v1/sessions/end", "/v1/events/batch", "/v1/hooks/claude-code"]
)
def test_no_key_means_no_body_read(settings, path):
    app = create_app(settings)
    probe = _Probe(chunks=100, size=1_000_000)  # 100 MB on offer
    code, _ = _call(app, path, {"content-type": "application/json"}, probe)
    assert code == 401 and probe.read == 0


@pytest.mark.parametrize(
    "path", ["/v1/sessions/start", "/v1/sessions/end", "/v1/events/batch", "/v1/hooks/claude-code"]
)
def test_body_limit_on_every_endpoint(tmp_path, path):
    settings = Settings(data_dir=tmp_path, max_body_bytes=1000, _env_file=None)
    app = create_app(settings)
    auth = {"authorization": "Bearer dev-key", "content-type": "application/json"}
    declared = _Probe(chunks=100, size=1_000_000)
    code, _ = _call(app, path, {**auth, "content-length": "100000000"}, declared)
    assert code == 413 and declared.read == 0
    chunked = _Probe(chunks=100, size=600)  # no length given: stop at the limit
    code, body = _call(app, path, auth, chunked)
    assert code == 413 and chunked.read <= 1200 and b"exceeds 1000 bytes" in body


def test_gzip_bodies_are_accepted(raw):
    body = gzip.compress(orjson.dumps({"session_id": "z", "events": [event()]}))
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    r = raw.post("/v1/events/batch", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["accepted"] == 1
    start = gzip.compress(orjson.dumps({"session_id": "z2"}))
    assert raw.post("/v1/sessions/start", content=start, headers=headers).status_code == 201


def test_gzip_bomb_is_413_and_other_encodings_415(tmp_path):
    settings = Settings(data_dir=tmp_path, max_body_bytes=10_000, _env_file=None)
    with TestClient(create_app(settings), headers={"Authorization": "Bearer dev-key"}) as c:
        bomb = gzip.compress(b" " * 1_000_000)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        r = c.post("/v1/events/batch", content=bomb, headers=headers)
        assert r.status_code == 413 and "unzipped" in r.json()["detail"]
        r = c.post("/v1/events/batch", content=b"junk", headers=headers)
        assert r.status_code == 400 and "gzip" in r.json()["detail"]
        r = c.post(
            "/v1/events/batch",
            content=b"{}",
            headers={"Content-Type": "application/json", "Content-Encoding": "br"},
        )
        assert r.status_code == 415 and "gzip" in r.json()["detail"]


# -- the spec says what the server does -------------------------------------------------


def test_openapi_declares_401_413_and_error_bodies(raw):
    spec = raw.get("/openapi.json").json()
    assert "ErrorOut" in spec["components"]["schemas"]
    for path, ops in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "413", "422"} <= codes, (method, path, codes)
    batch = spec["paths"]["/v1/events/batch"]["post"]["responses"]
    assert {"200", "207", "422", "507"} <= set(batch)
    start = spec["components"]["schemas"]["SessionStartIn"]
    assert start.get("additionalProperties") is False
