"""A small HTTP client for the Achilles API (used by the demo, tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx


class AchillesClient:
    def __init__(self, url: str, api_key: str, timeout: float = 30.0):
        self.http = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    def __enter__(self) -> AchillesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise RuntimeError(
                f"{response.request.method} {response.request.url.path} -> "
                f"{response.status_code}: {response.text}"
            )
        return response.json()

    def start_session(self, **fields: Any) -> str:
        return self._ok(self.http.post("/v1/sessions/start", json=fields))["session_id"]

    def end_session(
        self, session_id: str, outcome: str = "completed", ended_at: str | None = None
    ) -> dict[str, Any]:
        body = {"session_id": session_id, "outcome": outcome}
        if ended_at is not None:
            body["ended_at"] = ended_at
        return self._ok(self.http.post("/v1/sessions/end", json=body))

    def send_batch(self, events: list[dict[str, Any]], session_id: str | None = None) -> dict:
        body: dict[str, Any] = {"events": events}
        if session_id:
            body["session_id"] = session_id
        response = self.http.post("/v1/events/batch", json=body)
        # 422 with per-event results: every event was rejected; the caller reads why.
        if response.status_code == 422 and "results" in response.json():
            return response.json()
        return self._ok(response)

    def get(self, path: str, **params: Any) -> Any:
        return self._ok(self.http.get(path, params=params))

    def session(self, session_id: str) -> dict[str, Any]:
        return self.get(f"/v1/sessions/{session_id}")

    def iter_events(self, session_id: str, page_size: int = 500) -> Iterator[dict[str, Any]]:
        offset: int | None = 0
        while offset is not None:
            page = self.get(f"/v1/sessions/{session_id}/events", limit=page_size, offset=offset)
            yield from page["events"]
            offset = page["next_offset"]
