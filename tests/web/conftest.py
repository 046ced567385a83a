"""Fixtures of the web tests: the app behind an HTTP client (on both backends), and a real
``chachong serve`` process for the browser tests."""

from __future__ import annotations

import secrets

import pytest
from starlette.testclient import TestClient

from chachong.web.app import create_app
from chachong.web.config import ServeConfig

ORIGIN = "http://127.0.0.1:8000"  # what the client says it talks to: the server's own address
TOKEN = secrets.token_urlsafe(24)  # made per session, as an operator would


def client_for(config: ServeConfig) -> TestClient:
    """A client of an app on ``config`` (its lifespan started: a worker process is up)."""
    return TestClient(create_app(config), base_url=ORIGIN)


@pytest.fixture(scope="session")
def api(corpus_location):
    """The bundled corpus served read-only, on each backend (one worker process per session)."""
    with client_for(ServeConfig(location=corpus_location, workers=1)) as client:
        yield client


@pytest.fixture(scope="session")
def sqlite_api(corpus_index_path):
    """The bundled corpus served from the SQLite file only (for what does not depend on the backend)."""
    with client_for(ServeConfig(location=str(corpus_index_path), workers=1)) as client:
        yield client


@pytest.fixture(scope="session")
def token_api(corpus_index_path):
    """A server with a token."""
    with client_for(ServeConfig(location=str(corpus_index_path), workers=1, token=TOKEN)) as client:
        yield client
