"""The dashboard: server-rendered pages under `/ui` on `achilles serve` (issue #14).

Pages read the published snapshot through ingest_api/list_reads.py, the module the
list endpoints use. Charts are plotly.js, served from the installed plotly package:
no CDN, nothing fetched at run time.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ingest_api.caller import NotSignedIn
from ingest_api.ui.routes import STATIC_DIR, login_url, router


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    """Pages go to the login page; data calls get a 401."""
    assert isinstance(exc, NotSignedIn)
    if request.url.path.startswith("/ui") and request.method in ("GET", "HEAD"):
        return RedirectResponse(login_url(request), status_code=303)
    return JSONResponse(
        {"detail": exc.problem}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    app.add_exception_handler(NotSignedIn, _not_signed_in)
