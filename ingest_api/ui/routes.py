"""The dashboard's pages, its login, and plotly.js served from the plotly package."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import orjson
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from achilles_core.contract import SESSION_ID_PATTERN
from achilles_core.vocab import INSIGHT_KINDS
from ingest_api import incident_reads, list_reads
from ingest_api.caller import COOKIE, CallerDep
from ingest_api.deps import Warehouse
from ingest_api.list_reads import Order, SessionFilter, SessionSort
from ingest_api.routers.lists import decode_cursor
from ingest_api.ui import charts

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/ui", include_in_schema=False)

# The key stays a year unless the user signs out (it is a key, not a session).
COOKIE_MAX_AGE_S = 365 * 24 * 3600
MAX_LOGIN_BODY = 8192
PAGE_SIZE = 50
_SESSION_ID_RE = re.compile(SESSION_ID_PATTERN)


# --- Formatting ----------------------------------------------------------------------


def _fmt_time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _fmt_usd(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:,.4f}"


def _fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _fmt_secs(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 120:
        return f"{value:.0f} s"
    return f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.1f} h"


def _figure_json(fig: dict[str, Any]) -> str:
    """JSON safe inside <script>: '<' never appears outside a string, so escaping it
    everywhere keeps '</script>' in a message from closing the tag."""
    raw = orjson.dumps(fig, option=orjson.OPT_NON_STR_KEYS, default=str).decode()
    return raw.replace("<", "\\u003c")


templates.env.filters.update(
    time=_fmt_time,
    num=_fmt_num,
    usd=_fmt_usd,
    pct=_fmt_pct,
    secs=_fmt_secs,
    figure=_figure_json,
)


@lru_cache(maxsize=1)
def plotly_version() -> str:
    return metadata.version("plotly")


templates.env.globals["plotly_js"] = lambda: f"/ui/vendor/plotly-{plotly_version()}.min.js"


# Rows of a session page's "Attributed failures" table (a long session has thousands;
# rendering them all cost more than the rest of the page).
LINKS_LISTED = 100


def page(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=code)


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/ui/login?" + urlencode({"next": target})


def _safe_next(target: str | None) -> str:
    """Only a dashboard path: never another site (an open redirect)."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return "/ui"


# --- plotly.js from the installed package --------------------------------------------


@lru_cache(maxsize=2)
def _plotly_bytes(gzipped: bool) -> bytes:
    raw = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    return gzip.compress(raw, 6) if gzipped else raw


@router.get("/vendor/plotly-{version}.min.js")
async def plotly_js(version: str, request: Request) -> Response:
    if version != plotly_version():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such plotly.js version")
    gz = "gzip" in request.headers.get("accept-encoding", "")
    body = await run_in_threadpool(_plotly_bytes, gz)
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if gz:
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


# --- Login ---------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    # /ui is outside the /v1 guard, so the form's size is bounded here, as it arrives.
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_LOGIN_BODY:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "login form too large")
    form = parse_qs(body.decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    target = _safe_next((form.get("next") or [""])[0])
    if not key or request.app.state.keys.resolve(key) is None:
        return page(request, "login.html", 401, next=target, error="That key is not valid.")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        key,
        max_age=COOKIE_MAX_AGE_S,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")
    return response


# --- Pages ---------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def overview_page(request: Request, warehouse: Warehouse, caller: CallerDep) -> Response:
    def load() -> dict[str, Any]:
        pid = caller.project_id
        top = list_reads.list_clusters(warehouse, pid, 5)
        return {
            "overview": list_reads.overview(warehouse, pid),
            "clusters": top.rows,
            "insights": list_reads.list_insights(warehouse, pid, status="open", limit=10),
            "incidents": list_reads.list_incidents(warehouse, pid, status="open", limit=10),
        }

    data = await run_in_threadpool(load)
    return page(
        request,
        "overview.html",
        nav="overview",
        figures=charts.daily_figures(data["overview"]["days"]),
        sparks={c["cluster_id"]: charts.spark(c["trend"]) for c in data["clusters"]},
        **data,
    )


def _opt(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _day(value: str | None, field: str, errors: list[str]) -> datetime | None:
    if not _opt(value):
        return None
    try:
        return datetime.combine(date.fromisoformat(str(value)), time(), UTC)
    except ValueError:
        errors.append(f"{field}: not a day (YYYY-MM-DD)")
        return None


@router.get("/sessions", response_class=HTMLResponse)
async def sessions_page(
    request: Request,
    warehouse: Warehouse,
    caller: CallerDep,
    agent: str | None = None,
    project: str | None = None,
    model: str | None = None,
    since: str | None = None,
    until: str | None = None,
    failures: str | None = None,
    sort: str = "started",
    order: str = "desc",
    cursor: str | None = None,
) -> Response:
    errors: list[str] = []
    until_day = _day(until, "until", errors)
    try:
        sort_by, direction = SessionSort(sort), Order(order)
    except ValueError:
        sort_by, direction = SessionSort.started, Order.desc
        errors.append("sort: unknown; showing newest first")
    filters = SessionFilter(
        agent=_opt(agent),
        project=_opt(project),
        model=_opt(model),
        since=_day(since, "since", errors),
        until=until_day + timedelta(days=1) if until_day else None,
        has_failures={"yes": True, "no": False}.get(failures or ""),
        sort=sort_by,
        order=direction,
    )
    after = decode_cursor(list_reads.session_keyset(sort_by, direction), _opt(cursor))

    def load() -> tuple[list_reads.Page, dict[str, list[str]]]:
        return (
            list_reads.list_sessions(warehouse, caller.project_id, filters, PAGE_SIZE, after),
            list_reads.session_facets(warehouse, caller.project_id),
        )

    result, facets = await run_in_threadpool(load)
    params = {
        k: v
        for k, v in {
            "agent": agent,
            "project": project,
            "model": model,
            "since": since,
            "until": until,
            "failures": failures,
        }.items()
        if _opt(v)
    }

    def sort_link(column: str) -> str:
        flip = "asc" if sort == column and order == "desc" else "desc"
        return "/ui/sessions?" + urlencode({**params, "sort": column, "order": flip})

    next_link = (
        "/ui/sessions?"
        + urlencode(
            {
                **params,
                "sort": sort_by.value,
                "order": direction.value,
                "cursor": result.next_cursor,
            }
        )
        if result.next_cursor
        else None
    )
    return page(
        request,
        "sessions.html",
        nav="sessions",
        page=result,
        facets=facets,
        params=params,
        sort=sort_by.value,
        order=direction.value,
        sort_link=sort_link,
        next_link=next_link,
        first_link="/ui/sessions?" + urlencode(params) if after else None,
        errors=errors,
    )


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
async def session_page(
    request: Request, session_id: str, warehouse: Warehouse, caller: CallerDep
) -> Response:
    found = None
    if _SESSION_ID_RE.fullmatch(session_id):
        found = await run_in_threadpool(
            list_reads.session_timeline, warehouse, caller.project_id, session_id
        )
    if found is None:
        return page(
            request,
            "not_found.html",
            404,
            nav="sessions",
            what=f"No session {session_id!r} in the published warehouse.",
        )
    fig, counts = charts.timeline(found["events"], found["links"])
    return page(
        request,
        "session.html",
        nav="sessions",
        s=found["summary"],
        timeline=fig,
        counts=counts,
        usage=charts.usage_figure(found["usage"]) if found["usage"] else None,
        # the table lists the first ones; the timeline draws every arrow
        links=found["links"][:LINKS_LISTED],
        links_total=len(found["links"]),
        insights=found["insights"],
        truncated=found["truncated"],
        max_events=list_reads.TIMELINE_MAX_EVENTS,
    )


@router.get("/clusters", response_class=HTMLResponse)
async def clusters_page(
    request: Request,
    warehouse: Warehouse,
    caller: CallerDep,
    error_type: str | None = None,
    cursor: str | None = None,
) -> Response:
    after = decode_cursor(list_reads.CLUSTERS, _opt(cursor))
    result = await run_in_threadpool(
        list_reads.list_clusters,
        warehouse,
        caller.project_id,
        PAGE_SIZE,
        after,
        _opt(error_type),
    )
    base = {"error_type": error_type} if _opt(error_type) else {}
    return page(
        request,
        "clusters.html",
        nav="clusters",
        page=result,
        error_type=_opt(error_type) or "",
        sparks={c["cluster_id"]: charts.spark(c["trend"]) for c in result.rows},
        next_link="/ui/clusters?" + urlencode({**base, "cursor": result.next_cursor})
        if result.next_cursor
        else None,
    )


@router.get("/agents", response_class=HTMLResponse)
async def agents_page(request: Request, warehouse: Warehouse, caller: CallerDep) -> Response:
    agents, computed_at = await run_in_threadpool(
        list_reads.list_agents, warehouse, caller.project_id
    )
    return page(
        request,
        "agents.html",
        nav="agents",
        agents=agents,
        computed_at=computed_at,
        figure=charts.agents_figure(agents) if agents else None,
    )


@router.get("/incidents", response_class=HTMLResponse)
async def incidents_page(
    request: Request,
    warehouse: Warehouse,
    caller: CallerDep,
    incident_status: str | None = None,
    insight_status: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
) -> Response:
    pid = caller.project_id

    def load() -> tuple[list_reads.Records, list_reads.Records]:
        return (
            list_reads.list_incidents(warehouse, pid, status=_opt(incident_status), limit=100),
            list_reads.list_insights(
                warehouse,
                pid,
                kind=_opt(kind),
                severity=_opt(severity),
                status=_opt(insight_status),
                limit=100,
            ),
        )

    incidents, insights = await run_in_threadpool(load)
    return page(
        request,
        "incidents.html",
        nav="incidents",
        incidents=incidents,
        insights=insights,
        incident_status=_opt(incident_status) or "",
        insight_status=_opt(insight_status) or "",
        kind=_opt(kind) or "",
        severity=_opt(severity) or "",
        kinds=INSIGHT_KINDS,
    )


@router.get("/incidents/{incident_id}/export.md")
async def incident_export(incident_id: str, warehouse: Warehouse, caller: CallerDep) -> Response:
    """The incident's Markdown report (the same as /v1/incidents/{id}/export)."""
    report = await run_in_threadpool(
        incident_reads.incident_report, warehouse, caller.as_project_caller(), incident_id
    )
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id!r}")
    return PlainTextResponse(
        incident_reads.report_markdown(report),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{quote(incident_id)}.md"'},
    )
