"""Who is asking: the one dependency the list endpoints and the dashboard resolve the
caller with (a key from `Authorization: Bearer` or the dashboard's cookie)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import Headers

from achilles_core.projects import DEFAULT_PROJECT
from achilles_core.projects import Caller as ProjectCaller
from ingest_api import guard
from ingest_api.guard import PROJECT_HEADER

# The dashboard's cookie: the key itself, HttpOnly and SameSite=Strict, path /ui.
COOKIE = "achilles_key"


@dataclass(frozen=True)
class Caller:
    key: str
    project_id: str | None  # None = every project (an admin key)

    def as_project_caller(self) -> ProjectCaller:
        """The API's own caller (achilles_core.projects) for reads shared with /v1."""
        if self.project_id is None:
            return ProjectCaller(DEFAULT_PROJECT, is_admin=True)
        return ProjectCaller(self.project_id)


class NotSignedIn(Exception):
    """No key, or not a configured one: pages redirect to the login page, data 401s."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def resolve_caller(request: Request) -> Caller:
    """The caller, from the Authorization header or else the dashboard cookie, resolved
    by the same key table (and project header) as the `/v1/` guard."""
    header = request.headers.get("authorization")
    if header is None and request.cookies.get(COOKIE):
        header = f"Bearer {request.cookies[COOKIE]}"
    headers = Headers({"authorization": header or ""})
    wanted = request.headers.get(PROJECT_HEADER)
    if wanted is not None:
        headers = Headers({"authorization": header or "", PROJECT_HEADER: wanted})
    found, _, problem = guard.resolve_caller(headers, request.app.state.keys)
    if found is None:
        raise NotSignedIn(problem)
    key = (header or "").partition(" ")[2].strip()
    # An admin sees every project unless it picked one with the project header.
    every = found.is_admin and wanted is None
    return Caller(key=key, project_id=None if every else found.project_id)


CallerDep = Annotated[Caller, Depends(resolve_caller)]
