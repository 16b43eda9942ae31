"""Alertmanager webhook (version 4) -> `alert` events (source_type external).

One event per alert per state: a firing notification lands the alert at its
`startsAt`, a resolved one lands its resolution at `endsAt`. Ids come from the
alert's fingerprint, start and state, so Alertmanager's retries and its repeat
notifications of a still-firing alert are duplicates, not new alerts.

The session: `alertmanager-<receiver>-<day the alert started>`. Alerts belong to
no agent session; grouping them by receiver and day keeps each session bounded,
and a resolution lands in the same session as its firing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import orjson

from ingest_api.sources.base import ParseResult, iso

# Alertmanager's "no end yet" value.
_ZERO_TIME = "0001-01-01T00:00:00Z"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
# Prometheus rules name their severities freely; these cover the common ladders.
SEVERITIES = {
    "critical": "critical",
    "crit": "critical",
    "page": "critical",
    "fatal": "fatal",
    "high": "error",
    "major": "error",
    "error": "error",
    "warning": "warning",
    "warn": "warning",
    "minor": "warning",
    "medium": "warning",
    "low": "info",
    "info": "info",
    "informational": "info",
    "none": "info",
    # Why: PagerDuty/Opsgenie-style priorities and Zabbix's ladder were left unranked.
    "p1": "critical",
    "sev1": "critical",
    "disaster": "critical",
    "emergency": "fatal",
    "p2": "error",
    "sev2": "error",
    "p3": "warning",
    "sev3": "warning",
    "average": "warning",
    "p4": "info",
    "sev4": "info",
    "p5": "info",
    "notice": "info",
    "debug": "debug",
}
# Why: a long description (log lines, a query) or many labels pushed the event past
# the contract's 16 KiB attributes limit and the whole alert was refused.
ATTRIBUTES_BUDGET = 12 * 1024
VALUE_MAX = 1024
MESSAGE_MAX = 8192


class AlertmanagerError(ValueError):
    """The body is not an Alertmanager webhook payload."""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    try:
        ts = datetime.fromisoformat(text)
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except (ValueError, OverflowError):  # why: year 9999 with a negative offset overflows
        return None


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's own fingerprint when sent; else a stable hash of the label set."""
    canonical = orjson.dumps(labels, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:16]


def _fit(attributes: dict[str, Any]) -> None:
    """Shrink attributes below the contract's size limit: long annotation values
    first, then long label values (alertname and severity stay whole)."""
    for key in ("annotations", "labels"):
        if len(orjson.dumps(attributes)) <= ATTRIBUTES_BUDGET:
            return
        values = attributes.get(key) or {}
        for name, value in values.items():
            if len(value) > VALUE_MAX and name not in ("alertname", "severity"):
                values[name] = value[:VALUE_MAX] + "…"
                attributes["truncated"] = True
    if len(orjson.dumps(attributes)) > ATTRIBUTES_BUDGET:
        attributes["annotations"] = None
        attributes["labels"] = {
            k: v[:VALUE_MAX] for k, v in list(attributes["labels"].items())[:64]
        }
        attributes["truncated"] = True


def _slug(value: str) -> str:
    return _UNSAFE.sub("-", value).strip("-.")[:48] or "default"


def parse_webhook(payload: Any, *, received_at: datetime) -> ParseResult:
    """Every alert of one notification as an `alert` event.

    Raises `AlertmanagerError` when the payload is not a webhook body at all;
    an alert without labels or a start time is counted in `bad_lines`.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise AlertmanagerError("body must be an Alertmanager webhook: an object with 'alerts'")
    result = ParseResult()
    receiver = payload.get("receiver") if isinstance(payload.get("receiver"), str) else ""
    group_status = payload.get("status")
    for n, alert in enumerate(payload["alerts"], start=1):
        result.lines += 1
        if not isinstance(alert, dict):
            result.bad_lines.append((n, "alert must be an object"))
            continue
        labels = _str_map(alert.get("labels"))
        annotations = _str_map(alert.get("annotations"))
        starts = _time(alert.get("startsAt")) or received_at
        ends = _time(alert.get("endsAt"))
        state = alert.get("status") or group_status
        if state not in ("firing", "resolved"):
            # v4 always states it; an older sender gives endsAt in the past for resolved.
            state = "resolved" if ends is not None and ends <= received_at else "firing"
        if not labels:
            result.bad_lines.append((n, "alert has no labels"))
            continue
        fp = alert.get("fingerprint")
        fp = fp if isinstance(fp, str) and re.fullmatch(r"[0-9a-fA-F]{1,32}", fp) else None
        fp = fp or fingerprint(labels)
        at = (ends or received_at) if state == "resolved" else starts
        severity_label = labels.get("severity", "")
        session_id = f"alertmanager-{_slug(receiver or 'default')}-{starts:%Y-%m-%d}"
        name = labels.get("alertname")
        attributes = {
            "labels": labels,
            "annotations": annotations or None,
            "fingerprint": fp,
            "starts_at": iso(starts),
            "ends_at": iso(ends) if ends else None,
            "receiver": receiver or None,
            "group_key": payload.get("groupKey"),
            "generator_url": alert.get("generatorURL"),
            "external_url": payload.get("externalURL"),
            # Alerts Alertmanager left out of this notification (webhook max_alerts).
            "truncated_alerts": payload.get("truncatedAlerts") or None,
        }
        _fit(attributes)
        message = (
            annotations.get("summary")
            or annotations.get("description")
            or labels.get("summary")
            or name
        )
        event: dict[str, Any] = {
            "session_id": session_id,
            "event_id": f"am-{fp}-{starts:%Y%m%dT%H%M%S%f}-{state}",
            "event_type": "alert",
            "source_type": "external",
            "timestamp": iso(at),
            "actor": "alertmanager",
            "status": state,
            "severity": SEVERITIES.get(severity_label.lower()),
            "error_type": name[:256] if name else None,
            "message": message[:MESSAGE_MAX] if message else None,
            "attributes": {k: v for k, v in attributes.items() if v is not None},
        }
        result.events.append({k: v for k, v in event.items() if v is not None})
    return result
