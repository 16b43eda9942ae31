"""The Sentry receiver: the mapping on every real payload, the endpoints, and the
real `sentry-sdk` reporting to a real `achilles serve`."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from achilles_core.contract import validate_event
from ingest_api.sources.sentry import parse_envelope, parse_sentry_event, session_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sentry"
FILES = sorted(p.name for p in FIXTURES.glob("*.json"))
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def envelope(event: dict[str, Any]) -> bytes:
    payload = json.dumps(event).encode()
    header = {"event_id": event.get("event_id"), "sent_at": "2026-11-30T12:00:00Z"}
    item = {"type": "event", "content_type": "application/json", "length": len(payload)}
    return b"\n".join([json.dumps(header).encode(), json.dumps(item).encode(), payload])


@pytest.mark.parametrize("name", FILES)
def test_every_real_event_becomes_one_valid_error(name: str) -> None:
    raw = load(name)
    result = parse_sentry_event(raw, project="42", received_at=AT)
    [event] = result.events
    validate_event(event)
    assert event["event_type"] == "error" and event["source_type"] == "external"
    assert event["event_id"] == f"sentry-{raw['event_id']}"
    assert event["error_type"] and event["message"]
    assert event["attributes"]["sentry_project"] == "42"


def test_python_event_mapping() -> None:
    [event] = parse_sentry_event(
        load("incoming__python_zero_division.json"), project="7", received_at=AT
    ).events
    assert event["error_type"] == "ZeroDivisionError"
    assert event["message"] == "division by zero"
    assert event["severity"] == "error"
    # The innermost in-app frame, not Django's handler frames around it.
    top = event["attributes"]["top_frame"]
    assert top["in_app"] is True and event["file_path"] == top.get("abs_path", top["filename"])
    assert "django" not in event["file_path"]
    assert event["attributes"]["stack"][-1]["function"] == top["function"]
    assert event["session_id"] == "sentry-7-default"


def test_stored_event_tags_as_pairs_and_timestamps_without_offset() -> None:
    [stored] = parse_sentry_event(
        load("oss_sentry_json__python_zero_division.json"), project="1", received_at=AT
    ).events
    assert stored["attributes"]["tags"]["handled"] == "no"
    [elixir] = parse_sentry_event(
        load("incoming__elixir_error.json"), project="1", received_at=AT
    ).events
    assert elixir["timestamp"] == "2021-09-28T18:57:46Z"
    assert elixir["session_id"] == "sentry-1-dev"
    [go] = parse_sentry_event(
        load("incoming__go_file_not_found.json"), project="1", received_at=AT
    ).events
    assert go["timestamp"].startswith("2020-04-25T19:36:56.584908")


def test_session_tag_joins_an_agent_session() -> None:
    raw = {**load("incoming__js_error_with_context.json"), "tags": {"achilles.session_id": "s-1"}}
    assert session_for(raw, "1") == "s-1"
    bad = {**raw, "tags": {"achilles.session_id": "no spaces allowed"}}
    assert session_for(bad, "1") == "sentry-1-default"


def test_envelope_items_and_lengths() -> None:
    raw = load("incoming__go_file_not_found.json")
    body = envelope(raw) + b'\n{"type":"client_report"}\n{"discarded_events":[]}\n'
    events, skipped = parse_envelope(body)
    assert events == [raw] and skipped == ["client_report"]


# -- endpoints ----------------------------------------------------------------
KEY = {"X-Sentry-Auth": "Sentry sentry_key=dev-key, sentry_version=7, sentry_client=x/1"}


def test_envelope_endpoint_gzip_and_dedupe(client) -> None:
    raw = load("incoming__python_zero_division.json")
    body = gzip.compress(envelope(raw))
    headers = {
        **KEY,
        "Content-Type": "application/x-sentry-envelope",
        "Content-Encoding": "gzip",
        "Authorization": "",
    }
    r = client.post("/api/9/envelope/", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": raw["event_id"]}
    assert client.post("/api/9/envelope/", content=body, headers=headers).status_code == 200
    events = client.get("/v1/sessions/sentry-9-default/events").json()["events"]
    assert [e["event_id"] for e in events] == [f"sentry-{raw['event_id']}"]


def test_envelope_brotli_as_sentry_sdk_sends_it_when_brotli_is_installed(client) -> None:
    import brotli

    raw = load("incoming__go_file_not_found.json")
    headers = {**KEY, "Content-Encoding": "br", "Authorization": ""}
    r = client.post("/api/2/envelope/", content=brotli.compress(envelope(raw)), headers=headers)
    assert r.status_code == 200, r.text
    bomb = brotli.compress(b"{}\n" + b" " * (64 * 2**20))
    assert client.post("/api/2/envelope/", content=bomb, headers=headers).status_code == 413
    assert client.post("/api/2/envelope/", content=b"nope", headers=headers).status_code == 400


def test_store_endpoint_with_query_key(client) -> None:
    raw = load("incoming__dotnet_error.json")
    r = client.post("/api/3/store/?sentry_key=dev-key", json=raw, headers={"Authorization": ""})
    assert r.status_code == 200, r.text
    events = client.get("/v1/sessions/sentry-3-Development/events").json()["events"]
    assert events[0]["error_type"] == "System.NullReferenceException"


@pytest.mark.parametrize(
    "body, encoding",
    [
        (b"not an envelope", None),
        (b"\x00\xff\xfe garbage", None),
        (b'{}\n{"type":"event","length":999}\n{}', None),
        (b'{}\n{"type":"event"}\n[1,2', None),
        (b"not gzip at all", "gzip"),
        (gzip.compress(b"{}\n{")[:-6], "gzip"),
    ],
)
def test_garbage_is_400(client, body: bytes, encoding: str | None) -> None:
    headers = {**KEY, "Authorization": ""}
    if encoding:
        headers["Content-Encoding"] = encoding
    r = client.post("/api/1/envelope/", content=body, headers=headers)
    assert r.status_code == 400, r.text
    r = client.post("/api/1/store/", content=body, headers=headers)
    assert r.status_code == 400, r.text


def test_a_key_is_required(client) -> None:
    body = envelope(load("incoming__go_file_not_found.json"))
    no_key = client.post("/api/1/envelope/", content=body, headers={"Authorization": ""})
    assert no_key.status_code == 401
    wrong = {"X-Sentry-Auth": "Sentry sentry_key=nope", "Authorization": ""}
    assert client.post("/api/1/envelope/", content=body, headers=wrong).status_code == 401
    assert client.post("/api/1/store/", content=b"{}", headers=wrong).status_code == 401


# -- the real SDK against a real server -----------------------------------------
@pytest.mark.slow
def test_real_sentry_sdk_reports_to_achilles_serve(tmp_path: Path) -> None:
    import sentry_sdk

    from achilles.client import AchillesClient
    from achilles.server import ServerProcess

    with ServerProcess(tmp_path / "data") as server:
        port = server.url.rsplit(":", 1)[1]
        sentry_sdk.init(dsn=f"http://dev-key@127.0.0.1:{port}/5", environment="test")
        try:
            with sentry_sdk.new_scope() as scope:
                scope.set_tag("achilles.session_id", "agent-session-1")
                try:
                    1 / 0  # noqa: B018
                except ZeroDivisionError as exc:
                    joined = sentry_sdk.capture_exception(exc)
            try:
                {}["missing"]  # noqa: B018
            except KeyError as exc:
                unjoined = sentry_sdk.capture_exception(exc)
            sentry_sdk.flush(timeout=10)
        finally:
            sentry_sdk.get_client().close()
        with AchillesClient(server.url, "dev-key") as client:
            [a] = list(client.iter_events("agent-session-1"))
            [b] = list(client.iter_events("sentry-5-test"))
    assert a["event_id"] == f"sentry-{joined}" and a["error_type"] == "ZeroDivisionError"
    assert a["file_path"] == __file__ and a["source_type"] == "external"
    assert b["event_id"] == f"sentry-{unjoined}" and b["error_type"] == "KeyError"


# -- audit against real clients -------------------------------------------------
def _sdk_events(**init: Any) -> list[dict[str, Any]]:
    """What the real sentry-sdk sends, captured by a transport: the envelopes' events."""
    import logging

    import sentry_sdk
    from sentry_sdk.transport import Transport

    bodies: list[bytes] = []

    class Capture(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            bodies.append(envelope.serialize())

    sentry_sdk.init(dsn="http://dev-key@127.0.0.1:1/1", transport=Capture, **init)
    try:
        sentry_sdk.capture_message("disk almost full", level="warning")
        logging.getLogger("audit").error("job %s failed", "nightly")
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
    return [event for body in bodies for event in parse_envelope(body)[0]]


def test_message_events_take_their_stack_from_threads() -> None:
    # attach_stacktrace puts the stack of capture_message and logging events in threads.
    events = _sdk_events(attach_stacktrace=True)
    assert len(events) == 2 and all("threads" in e for e in events)
    for raw in events:
        [event] = parse_sentry_event(raw, project="1", received_at=AT).events
        assert event["file_path"] == __file__ and event["attributes"]["stack"]
    assert {
        e["message"]
        for e in map(lambda r: parse_sentry_event(r, project="1", received_at=AT).events[0], events)
    } == {"disk almost full", "job nightly failed"}


def test_top_frame_prefers_a_file_and_frames_not_marked_out_of_the_app() -> None:
    # Elixir: the innermost frame is a module without a file; all frames in_app false.
    [elixir] = parse_sentry_event(
        load("incoming__elixir_error.json"), project="1", received_at=AT
    ).events
    assert elixir["file_path"] == "lib/glitchtip_error_factory_web/controllers/home_controller.ex"
    # Java: only library frames are marked in_app false; the app's are left unset.
    java = {
        "event_id": "a" * 32,
        "platform": "java",
        "exception": {
            "values": [
                {
                    "type": "NumberFormatException",
                    "module": "java.lang",
                    "value": 'For input string: "x"',
                    "stacktrace": {
                        "frames": [
                            {"filename": "Main.java", "module": "com.acme.Main", "lineno": 9},
                            {"filename": "Parser.java", "module": "com.acme.Parser", "lineno": 40},
                            {
                                "filename": "Integer.java",
                                "module": "java.lang.Integer",
                                "in_app": False,
                            },
                        ]
                    },
                }
            ]
        },
    }
    [event] = parse_sentry_event(java, project="1", received_at=AT).events
    assert event["file_path"] == "Parser.java"


@pytest.mark.parametrize(
    "extra",
    [
        {"timestamp": "9999-12-31T23:59:59-05:00"},
        {"message": "x" * 70_000},
        {"contexts": {"trace": {"trace_id": "not hex", "span_id": "x" * 300}}},
    ],
)
def test_odd_values_are_kept_or_dropped_never_a_5xx_or_a_refusal(client, extra) -> None:
    raw = {"event_id": "b" * 32, "message": "m", **extra}
    r = client.post("/api/4/store/", json=raw, headers={**KEY, "Authorization": ""})
    assert r.status_code == 200, r.text
    [event] = client.get("/v1/sessions/sentry-4-default/events").json()["events"]
    assert event["timestamp"].startswith("20") and len(event["message"]) <= 8192
    assert "trace_id" not in event or event["trace_id"] is None


def test_store_takes_envelopes_and_raven_base64_zlib(client) -> None:
    import base64
    import zlib

    raw = load("incoming__go_file_not_found.json")
    headers = {**KEY, "Authorization": "", "Content-Type": "application/x-sentry-envelope"}
    r = client.post("/api/6/store/", content=envelope(raw), headers=headers)
    assert r.status_code == 200 and r.json() == {"id": raw["event_id"]}, r.text
    js = load("incoming__js_error_with_context.json")
    body = base64.b64encode(zlib.compress(json.dumps(js).encode()))
    headers = {**KEY, "Authorization": "", "Content-Type": "application/octet-stream"}
    r = client.post("/api/6/store/", content=body, headers=headers)
    assert r.status_code == 200 and r.json() == {"id": js["event_id"]}, r.text


def test_raw_deflate_body(client) -> None:
    import zlib

    raw = load("incoming__go_file_not_found.json")
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = packer.compress(envelope(raw)) + packer.flush()
    headers = {**KEY, "Authorization": "", "Content-Encoding": "deflate"}
    r = client.post("/api/1/envelope/", content=body, headers=headers)
    assert r.status_code == 200, r.text
    zbody = zlib.compress(envelope(raw))
    assert client.post("/api/1/envelope/", content=zbody, headers=headers).status_code == 200
