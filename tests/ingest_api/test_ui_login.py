"""The dashboard's sign-in: a key in an HttpOnly, SameSite=Strict cookie, or a header."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from ingest_api.app import create_app

PAGES = ("/ui", "/ui/sessions", "/ui/clusters", "/ui/agents", "/ui/incidents")


@pytest.fixture
def anonymous(settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


@pytest.mark.parametrize("path", [*PAGES, "/ui/sessions/sample-breakfix"])
def test_pages_without_a_key_redirect_to_the_login_page(anonymous, path):
    r = anonymous.get(path)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/login?next=")
    assert anonymous.get(r.headers["location"]).status_code == 200


def test_a_wrong_cookie_is_not_a_key(anonymous):
    anonymous.cookies.set("achilles_key", "guess", path="/ui")
    assert anonymous.get("/ui").status_code == 303


def test_login_sets_an_httponly_samesite_strict_cookie(anonymous):
    r = anonymous.post("/ui/login", data={"key": "dev-key", "next": "/ui/agents"})
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/agents"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("achilles_key=dev-key;")
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/ui" in flags
    # the cookie alone now opens every page
    for path in PAGES:
        assert anonymous.get(path).status_code == 200, path


def test_a_wrong_key_is_refused_and_sets_no_cookie(anonymous):
    r = anonymous.post("/ui/login", data={"key": "nope", "next": "/ui"})
    assert r.status_code == 401
    assert "set-cookie" not in r.headers
    assert "not valid" in r.text


def test_login_never_redirects_off_the_dashboard(anonymous):
    for target in ("https://evil.example/", "//evil.example/ui", "/v1/sessions"):
        r = anonymous.post("/ui/login", data={"key": "dev-key", "next": target})
        assert r.headers["location"] == "/ui"


def test_logout_forgets_the_key(anonymous):
    anonymous.post("/ui/login", data={"key": "dev-key"})
    assert anonymous.get("/ui").status_code == 200
    r = anonymous.post("/ui/logout")
    assert r.status_code == 303
    assert anonymous.get("/ui").status_code == 303


def test_pages_accept_the_authorization_header(anonymous):
    for path in PAGES:
        r = anonymous.get(path, headers={"Authorization": "Bearer dev-key"})
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
    bad = anonymous.get("/ui", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 303


def test_the_cookie_does_not_open_the_api(anonymous):
    """The API keeps to its header: the cookie is the dashboard's only."""
    anonymous.post("/ui/login", data={"key": "dev-key"})
    assert anonymous.get("/v1/sessions").status_code == 401


def test_every_asset_is_served_by_the_package(anonymous):
    """No CDN: each script and stylesheet a page loads is a path on this server."""
    html = (
        anonymous.get("/ui/login").text
        + anonymous.get("/ui", headers={"Authorization": "Bearer dev-key"}).text
    )
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets
    plotly_src = [a for a in assets if "plotly" in a]
    assert plotly_src
    for asset in assets:
        if asset.startswith("data:"):
            continue
        assert asset.startswith("/ui/"), asset
        assert anonymous.get(asset).status_code == 200, asset
    served = anonymous.get(plotly_src[0], headers={"Accept-Encoding": "identity"}).content
    shipped = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    assert served == shipped


def test_unknown_things_are_404_pages_not_errors(anonymous):
    auth = {"Authorization": "Bearer dev-key"}
    for path in ("/ui/sessions/no-such-session", "/ui/sessions/bad%20id!"):
        r = anonymous.get(path, headers=auth)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
    assert anonymous.get("/ui/incidents/nope/export.md", headers=auth).status_code == 404
    assert anonymous.get("/ui/incidents/nope/export.md").status_code == 303
    assert anonymous.get("/ui/vendor/plotly-0.0.0.min.js").status_code == 404


def test_bad_page_parameters_are_explained_on_the_page(anonymous):
    r = anonymous.get(
        "/ui/sessions",
        params={"since": "someday", "sort": "sideways"},
        headers={"Authorization": "Bearer dev-key"},
    )
    assert r.status_code == 200
    assert "since: not a day (YYYY-MM-DD)" in r.text
    assert "sort: unknown" in r.text
    bad_cursor = anonymous.get(
        "/ui/sessions", params={"cursor": "zzz"}, headers={"Authorization": "Bearer dev-key"}
    )
    assert bad_cursor.status_code == 422


def test_a_huge_login_form_is_refused(anonymous):
    r = anonymous.post("/ui/login", content=b"key=" + b"x" * 100_000)
    assert r.status_code == 413
    assert "set-cookie" not in r.headers
