"""The worker pool: bounded, and whole again after a worker dies."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from chachong.web.pool import ServerBusyError, WorkerPool

from ..conftest import REPO
from .conftest import client_for

SAMPLE = REPO / "examples" / "sample_draft.txt"


def test_a_full_queue_is_refused_at_once_not_queued(corpus_index_path):
    pool = WorkerPool(str(corpus_index_path), workers=1, max_queued=2)
    pool.start()

    async def three_at_once():
        return await asyncio.gather(*(pool.run(time.sleep, 0.5) for _ in range(3)), return_exceptions=True)

    try:
        started = time.monotonic()
        outcomes = asyncio.run(three_at_once())
        assert outcomes[:2] == [None, None]
        assert isinstance(outcomes[2], ServerBusyError)
        assert str(outcomes[2]) == "busy: 2 checks are queued; try again in a few seconds"
        assert pool.queued == 0
        assert time.monotonic() - started >= 1.0  # the two accepted ran, one after the other
    finally:
        pool.stop()


def _workers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find the worker")
def test_a_dead_worker_is_replaced(corpus_index_path):
    from chachong.web.config import ServeConfig

    others = set(_workers_of(os.getpid()))  # the workers of other tests' servers: left alone
    with client_for(ServeConfig(location=str(corpus_index_path), workers=1)) as client:
        assert client.post("/api/check", json={"text": "总结。"}).status_code == 200
        workers = set(_workers_of(os.getpid())) - others
        assert len(workers) == 1
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        lost = client.post("/api/check", json={"text": SAMPLE.read_text(encoding="utf-8")})
        assert lost.status_code == 503
        assert lost.json() == {"error": "a check worker stopped unexpectedly; try again", "kind": "worker_lost"}
        again = client.post("/api/check", json={"text": SAMPLE.read_text(encoding="utf-8")})
        assert again.status_code == 200 and again.json()["copy_ratio"] == 0.7614


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find the workers")
def test_workers_end_with_a_killed_server(corpus_index_path, tmp_path):
    from .live import LiveServer

    server = LiveServer(tmp_path, "--index", str(corpus_index_path), "--workers", "2").start()
    assert server.process is not None
    children = _children(server.process.pid)
    assert len(children) >= 2
    server.process.kill()  # SIGKILL: the server cannot stop its workers itself
    server.process.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() for c in children):
        time.sleep(0.2)
    assert not [c for c in children if Path(f"/proc/{c}").exists()]


@pytest.mark.parametrize(("signum", "code", "line"), [
    (signal.SIGINT, 130, "chachong: interrupted"), (signal.SIGTERM, 143, "chachong: terminated"),
])
def test_ctrl_c_or_sigterm_to_the_process_group_ends_serve_with_one_line(corpus_index_path, tmp_path, signum,
                                                                         code, line):
    """Ctrl-C in a terminal (SIGINT) and a service manager's stop (SIGTERM) reach the server and
    every worker: the workers end without a traceback of their own, the server after a graceful
    shutdown with the one line every command ends with."""
    import subprocess
    import sys

    import httpx2

    from ..redis_server import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chachong", "serve", "--port", str(port), "--index", str(corpus_index_path),
         "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            try:
                if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.2)
        os.killpg(proc.pid, signum)  # the whole group, as a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == code, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    ours = [row for row in err.splitlines() if not row.startswith("INFO:")]
    assert ours[0].startswith("chachong: serving ") and ours[1:] == [line], err
    deadline = time.monotonic() + 10
    while True:  # no worker left behind
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "a worker outlived the server"
        time.sleep(0.1)
