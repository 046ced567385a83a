"""A Redis password never reaches any output (issue 21 item 2): every command, JSON and
terminal, reports and error messages, whether the password is in the URL's user-info, in
``?password=`` or in the environment (CHACHONG_INDEX)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chachong.errors import BackendError
from chachong.store.redis import redact

from ..conftest import CORPUS, REPO
from ..redis_server import RedisServer, require_redis

PASSWORD = "S3cr3t-pw-4711"  # noqa: S105 - the test's own throwaway server
SAMPLE = REPO / "examples" / "sample_draft.txt"


@pytest.fixture(scope="module")
def locked_redis(tmp_path_factory):
    require_redis()
    server = RedisServer(tmp_path_factory.mktemp("redis-auth"), password=PASSWORD).start()
    yield server
    server.stop()


def _chachong(*args: object, env: dict[str, str], cwd) -> str:
    proc = subprocess.run([sys.executable, "-m", "chachong", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=180)
    return f"[exit {proc.returncode}]\n{proc.stdout}\n{proc.stderr}"


def test_redact_blanks_every_form_of_credential():
    assert redact(f"redis://:{PASSWORD}@h:1/0") == "redis://:***@h:1/0"
    assert redact(f"redis://alice:{PASSWORD}@h:1/0?prefix=x") == "redis://alice:***@h:1/0?prefix=x"
    assert redact(f"rediss://h:1/0?prefix=x&password={PASSWORD}") == "rediss://h:1/0?prefix=x&password=***"
    assert redact(f"redis://h/0?Pass={PASSWORD}&token={PASSWORD}") == "redis://h/0?Pass=***&token=***"
    assert redact(f"redis://{PASSWORD}@h/0") == "redis://***@h/0"
    assert PASSWORD not in redact(f"redis://[::1:6379/0?password={PASSWORD}")  # not even a valid URL


def test_no_output_of_any_command_contains_the_password(locked_redis, tmp_path, cli, monkeypatch):
    base = f"redis://127.0.0.1:{locked_redis.port}/0"
    forms = {
        "user-info": f"redis://:{PASSWORD}@127.0.0.1:{locked_redis.port}/0?prefix=ui",
        "query": f"{base}?prefix=qs&password={PASSWORD}",
        "environment": None,  # CHACHONG_INDEX
    }
    outputs: list[str] = []
    for name, url in forms.items():
        if url is None:
            monkeypatch.setenv("CHACHONG_INDEX", f"redis://default:{PASSWORD}@127.0.0.1:{locked_redis.port}/0?prefix=env")
        index = ["--index", url] if url else []
        run = [
            ["index", CORPUS / "003_ec39d6286021c7d9.txt", CORPUS / "000_8b880e3bb4cd86c7.txt", *index, "--json"],
            ["index", CORPUS / "002_5c485a01b3fa9e27.txt", *index],
            ["index", CORPUS / "002_5c485a01b3fa9e27.txt", *index, "--json"],
            ["docs", *index], ["docs", *index, "--json"],
            ["check", SAMPLE, *index], ["check", SAMPLE, *index, "--json", "--html", tmp_path / f"{name}.html"],
            ["phrases", *index], ["phrases", *index, "--json"], ["phrases", *index, "--csv"],
            ["pairs", *index], ["pairs", *index, "--json", "--html", tmp_path / f"{name}-pairs.html"],
            ["check", tmp_path / "missing.txt", *index],  # an error about a draft
            # The library layer's commands and options.
            ["index", CORPUS / "001_e5cfe61341d97502.txt", *index, "--collection", "own", "--json"],
            ["check", SAMPLE, *index, "--exclude", "own"], ["check", SAMPLE, *index, "--exclude", "own", "--json"],
            ["remove", "001_e5cfe61341d97502.txt#2", *index], ["remove", "001_e5cfe61341d97502.txt#3", *index, "--json"],
            ["remove", "nothing.txt#1", *index],  # an error about a target
            ["index", "--prune", *index], ["index", "--prune", *index, "--json"],
        ]
        for args in run:
            out = cli(*args)
            outputs.append(f"{out.stdout}\n{out.stderr}")
            assert out.code == (2 if {"missing.txt", "nothing.txt#1"} & {Path(str(a)).name for a in args} else 0), \
                out.stderr
        assert "000_8b880e3bb4cd86c7.txt#1" in outputs[-17]  # the run worked against the server
        assert "removed 1 document(s)" in outputs[-5]
        # The same, as whole processes (what the user runs): the summary, a terminal list.
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
        outputs.append(_chachong("index", CORPUS / "004_3442f27f9ba37306.txt", *index, "--json", env=env, cwd=tmp_path))
        outputs.append(_chachong("docs", *index, env=env, cwd=tmp_path))
        assert outputs[-2].startswith("[exit 0]") and outputs[-1].startswith("[exit 0]"), outputs[-2:]
    monkeypatch.delenv("CHACHONG_INDEX")
    # Errors that name the index: a wrong password, a server that is not there, bad options.
    for url in (
        f"redis://:{PASSWORD}x@127.0.0.1:{locked_redis.port}/0",
        f"{base}?password={PASSWORD}x",
        f"redis://:{PASSWORD}@127.0.0.1:1/0",
        f"redis://127.0.0.1:1/0?password={PASSWORD}",
        f"redis://:{PASSWORD}@127.0.0.1:{locked_redis.port}/0?prefix=bad!prefix",
        f"redis://:{PASSWORD}@127.0.0.1:{locked_redis.port}/0?bucket_bits=99",
        f"{base}?password={PASSWORD}&socket_timeout=notanumber",
    ):
        for args in (["docs", "--index", url], ["index", SAMPLE, "--index", url, "--json"]):
            out = cli(*args)
            assert out.code == 2 and out.stderr.startswith("chachong: error: "), (url, out.stdout, out.stderr)
            outputs.append(f"{out.stdout}\n{out.stderr}")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    wrong = _chachong("docs", "--index", f"{base}?password={PASSWORD}x", env=env, cwd=tmp_path)
    assert wrong.startswith("[exit 2]") and "Redis refused the credentials" in wrong, wrong
    outputs.append(wrong)
    reports = [p.read_text(encoding="utf-8") for p in tmp_path.glob("*.html")]
    assert len(reports) == 6
    everything = "\n".join(outputs + reports)
    assert PASSWORD not in everything
    assert "***" in everything  # the location is still named, blanked


def test_a_secret_in_a_library_message_is_blanked_too():
    """Whatever an exception quotes (redis-py's own text included), the password goes."""
    redact(f"redis://:{PASSWORD}@h/0")  # parsing a location registers its credentials
    from chachong.store.redis import parse_location

    parse_location(f"redis://:{PASSWORD}@h/0")
    err = BackendError(f"Redis answered with an error (AUTH {PASSWORD} failed)", path=f"redis://:{PASSWORD}@h/0")
    assert PASSWORD not in str(err) and "AUTH *** failed" in str(err)
