"""Who is asking: the one dependency the list endpoints and the dashboard resolve the
caller with (a key from `Authorization: Bearer` or the dashboard's cookie)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ingest_api.guard import key_problem

# The dashboard's cookie: the key itself, HttpOnly and SameSite=Strict, path /ui.
COOKIE = "achilles_key"


@dataclass(frozen=True)
class Caller:
    key: str
    project_id: str | None  # None = every project (an admin key)


class NotSignedIn(Exception):
    """No key, or not a configured one: pages redirect to the login page, data 401s."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def resolve_caller(request: Request) -> Caller:
    """The caller, from the Authorization header or else the dashboard cookie."""
    keys: list[str] = request.app.state.settings.effective_api_keys
    header = request.headers.get("authorization")
    if header is None and request.cookies.get(COOKIE):
        header = f"Bearer {request.cookies[COOKIE]}"
    problem = key_problem(header, keys)
    if problem is not None:
        raise NotSignedIn(problem)
    key = (header or "").partition(" ")[2].strip()
    # TODO(tenancy #10): map the key to its project; every key sees all projects until then.
    return Caller(key=key, project_id=None)


CallerDep = Annotated[Caller, Depends(resolve_caller)]
