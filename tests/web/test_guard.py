"""What every request passes: the token, the host, the origin, and the headers of every answer."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from chachong.errors import UsageError
from chachong.web.config import ServeConfig, config_for, is_loopback
from chachong.web.guard import SESSION_COOKIE

from .conftest import ORIGIN, TOKEN


# -- where the server may listen --------------------------------------------------------------------
@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("server.example", False),  # noqa: S104
])
def test_only_loopback_addresses_count_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_listening_beyond_loopback_needs_a_token():
    with pytest.raises(UsageError, match="listening beyond this machine needs a token: set CHACHONG_TOKEN"):
        config_for(host="0.0.0.0", location="x.sqlite", token=None, allow_index=False, workers=1)  # noqa: S104
    with pytest.raises(UsageError, match="the token must be at least 16 characters"):
        config_for(host="0.0.0.0", location="x.sqlite", token="short", allow_index=False, workers=1)  # noqa: S104, S106 - a token too short on purpose
    config = config_for(host="0.0.0.0", location="x.sqlite", token=TOKEN, allow_index=False, workers=1)  # noqa: S104
    assert config.loopback is False and config.token == TOKEN


def test_serve_refuses_a_public_address_without_a_token(cli, corpus_index_path):
    out = cli("serve", "--host", "0.0.0.0", "--index", corpus_index_path)  # noqa: S104
    assert out.code == 2
    assert out.stderr == ("chachong: error: listening beyond this machine needs a token: set CHACHONG_TOKEN "
                          "(or --token); every request must then carry it\n")


def test_serve_reports_a_missing_extra_or_bad_index_in_one_line(cli, tmp_path):
    damaged = tmp_path / "x.sqlite"
    damaged.write_bytes(b"not an index" * 100)
    out = cli("serve", "--index", damaged, "--port", "1")
    assert out.code == 2
    assert out.stderr.startswith(f"chachong: error: {damaged}: ") and out.stderr.count("\n") == 1


# -- the token --------------------------------------------------------------------------------------
def test_without_the_token_the_api_answers_401(token_api):
    for r in (token_api.get("/api/status"), token_api.get("/openapi.json"),
              token_api.post("/api/check", json={"text": "总结。"}),
              token_api.get("/api/status", headers={"authorization": "Bearer wrong-token-of-some-length"}),
              token_api.get("/api/status", headers={"authorization": f"Basic {TOKEN}"})):
        assert r.status_code == 401
        assert r.json() == {"error": "a token is required: send 'Authorization: Bearer TOKEN'", "kind": "unauthorized"}
        assert r.headers["www-authenticate"] == 'Bearer realm="chachong"'
        assert TOKEN not in r.text


def test_with_the_token_the_api_answers(token_api):
    r = token_api.get("/api/status", headers={"authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    assert r.json()["server"]["token_required"] is True
    assert TOKEN not in r.text


def test_a_browser_is_sent_to_the_login_page_and_back(token_api):
    r = token_api.get("/library?q=总结", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303
    asked = "/library?q=%E6%80%BB%E7%BB%93"  # as the browser sent it
    assert r.headers["location"] == "/login?next=" + quote(asked, safe="")
    login = token_api.get(r.headers["location"])
    assert login.status_code == 200
    assert f'name="next" value="{asked}"' in login.text
    wrong = token_api.post("/login", data={"token": "wrong-token-guess-0123", "next": "/library"},
                           follow_redirects=False)
    assert wrong.status_code == 401
    assert "令牌不正确" in wrong.text and "wrong-token-guess" not in wrong.text
    right = token_api.post("/login", data={"token": TOKEN, "next": asked}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == asked
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie  # the cookie proves the token was given without holding it
    token_api.cookies.clear()  # sent by hand below
    value = cookie.split(";")[0].split("=", 1)[1]
    session = {"cookie": f"{SESSION_COOKIE}={value}"}
    page = token_api.get("/library", headers=session)
    assert page.status_code == 200 and "文献库" in page.text
    assert token_api.get("/api/status", headers=session).status_code == 200
    forged = {"cookie": f"{SESSION_COOKIE}={value[:-1]}{'1' if value[-1] == '0' else '0'}"}
    assert token_api.get("/api/status", headers=forged).status_code == 401
    out = token_api.post("/logout", headers=session, follow_redirects=False)
    assert out.status_code == 303 and f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
    token_api.cookies.clear()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_the_login_page_sends_nowhere_but_this_server(token_api, target):
    r = token_api.post("/login", data={"token": TOKEN, "next": target}, follow_redirects=False)
    assert r.headers["location"] == "/"
    token_api.cookies.clear()


def test_the_login_page_and_its_files_need_no_token(token_api):
    assert token_api.get("/login").status_code == 200
    assert token_api.get("/static/web.css").status_code == 200
    assert token_api.get("/healthz").json() == {"status": "ok"}


# -- host and origin ---------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "127.0.0.1"])
def test_a_loopback_server_answers_its_own_names(sqlite_api, host):
    assert sqlite_api.get("/healthz", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "192.168.1.5:8000", "", "[::1"])
def test_a_loopback_server_refuses_other_host_names(sqlite_api, host):
    """A page elsewhere could point a DNS name at 127.0.0.1 (DNS rebinding): such requests name it."""
    r = sqlite_api.get("/api/status", headers={"host": host})
    assert r.status_code == 400
    assert r.json()["kind"] == "bad_host"


def test_a_server_with_a_token_answers_any_host_name(corpus_index_path):
    from .conftest import client_for

    config = ServeConfig(location=str(corpus_index_path), token=TOKEN, loopback=False)
    with client_for(config) as client:
        r = client.get("/api/status", headers={"host": "chachong.office.example", "authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200


@pytest.mark.parametrize("headers", [
    {"origin": "http://evil.example"},
    {"origin": "http://127.0.0.1:9999"},  # another port is another origin
    {"origin": "null"},
    {"origin": ORIGIN, "sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},
])
def test_posts_from_another_sites_page_are_refused(sqlite_api, headers):
    r = sqlite_api.post("/api/check", json={"text": "总结。"}, headers=headers)
    assert r.status_code == 403
    assert r.json() == {"error": "refused: the request came from another site's page", "kind": "cross_site"}
    r = sqlite_api.post("/check", data={"text": "总结。"}, headers=headers, follow_redirects=False)
    assert r.status_code == 403


def test_posts_from_our_own_pages_and_from_scripts_pass(sqlite_api):
    own = {"origin": ORIGIN, "sec-fetch-site": "same-origin"}
    assert sqlite_api.post("/api/check", json={"text": "总结。"}, headers=own).status_code == 200
    assert sqlite_api.post("/api/check", json={"text": "总结。"}).status_code == 200  # curl sends neither


# -- headers on every answer -------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/library"), ("GET", "/api/status"), ("GET", "/no/such/page"), ("GET", "/openapi.json"),
    ("POST", "/api/check"),
])
def test_every_answer_carries_the_security_headers(sqlite_api, method, path):
    r = sqlite_api.request(method, path)
    csp = r.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "base-uri 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"
    assert "server" not in r.headers


def test_no_page_has_an_inline_script(sqlite_api):
    for path in ("/", "/library", "/phrases", "/status", "/pairs", "/docs", "/login"):
        page = sqlite_api.get(path).text
        assert page.count("<script") == page.count("<script src=\"/static/"), path


@pytest.mark.parametrize("name", ["../app.py", "..%2Fapp.py", "%2e%2e/cli.py", "web.css/..", "WEB.CSS", "templates"])
def test_static_files_come_from_a_fixed_list(sqlite_api, name):
    r = sqlite_api.get(f"/static/{name}")
    assert r.status_code == 404


def test_static_files_are_the_packages_own(sqlite_api):
    from importlib import resources

    css = sqlite_api.get("/static/report.css")
    assert css.content == (resources.files("chachong.report") / "assets" / "report.css").read_bytes()
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    swagger = sqlite_api.get("/static/swagger-ui-bundle.js")
    assert swagger.status_code == 200 and b"SwaggerUIBundle" in swagger.content


def test_serve_without_the_extra_says_how_to_install_it(cli, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "chachong.web.server", None)  # as if FastAPI were not installed
    out = cli("serve")
    assert out.code == 2
    assert out.stderr.startswith("chachong: error: chachong serve needs the serve extra: pip install 'chachong[serve]'")
