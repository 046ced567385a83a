"""A private redis-server for the test session: free loopback port, no persistence, own dir."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

START_TIMEOUT_S = 10.0


def missing_reason() -> str | None:
    """Why Redis tests cannot run here, or None when they can."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (Debian: apt-get install redis-server)"
    return None


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def require_redis() -> None:
    """Skip the calling test without redis-server; in CI (``$CI`` set) fail instead."""
    import pytest

    reason = missing_reason()
    if reason:
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so the Redis backend tests must run")
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """One redis-server process; `url` points at database 0."""

    def __init__(self, workdir: Path, *, cluster: bool = False, args: tuple[str, ...] = (),
                 password: str | None = None) -> None:
        self.workdir = workdir
        self.cluster = cluster
        self.args = args + (("--requirepass", password) if password else ())
        self.password = password
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.bus_port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password)

    def start(self) -> RedisServer:
        last_error = ""
        for _ in range(3):  # the free port can be taken between our probe and the server's bind
            self.port = free_port()
            self.bus_port = free_port()  # the cluster bus; port + 10000 may not exist
            with open(self.workdir / "redis.log", "ab") as log:  # the server keeps its own copy of the fd
                self.process = subprocess.Popen(
                    [
                        shutil.which("redis-server") or "redis-server",
                        "--port", str(self.port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
                        *(["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{self.port}.conf",
                           "--cluster-node-timeout", "1000", "--cluster-port", str(self.bus_port)]
                          if self.cluster else []),
                        *self.args,
                    ],
                    stdout=log, stderr=subprocess.STDOUT,
                )
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    with self.client() as c:
                        if c.ping():
                            return self
                except redis.ConnectionError as exc:
                    last_error = str(exc)
                    time.sleep(0.05)
            self.stop()
        log_text = (self.workdir / "redis.log").read_text(errors="replace")[-500:]
        raise RuntimeError(f"redis-server did not start ({last_error}): {log_text}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class RedisClusterServers:
    """A small Redis Cluster (three primaries, no replicas), set up without redis-cli."""

    def __init__(self, workdir: Path, nodes: int = 3) -> None:
        self.nodes = [RedisServer(workdir, cluster=True) for _ in range(nodes)]

    @property
    def url(self) -> str:
        return f"{self.nodes[0].url}?cluster=1"

    def start(self) -> RedisClusterServers:
        try:
            return self._start()
        except BaseException:
            self.stop()  # never leave servers behind
            raise

    def _start(self) -> RedisClusterServers:
        for node in self.nodes:
            node.start()
        per = 16384 // len(self.nodes)
        for i, node in enumerate(self.nodes):
            last = 16383 if i == len(self.nodes) - 1 else (i + 1) * per - 1
            with node.client() as c:
                c.execute_command("CLUSTER ADDSLOTSRANGE", i * per, last)
        with self.nodes[0].client() as c:
            for node in self.nodes[1:]:
                c.execute_command("CLUSTER MEET", "127.0.0.1", node.port, node.bus_port)
        # A node serves once it has seen every slot covered (>= 2 s after its start).
        deadline = time.monotonic() + 3 * START_TIMEOUT_S
        while time.monotonic() < deadline:
            infos = []
            for node in self.nodes:
                with node.client() as c:
                    infos.append(c.execute_command("CLUSTER INFO"))
            if all(str(i.get("cluster_state")) == "ok"
                   and int(i.get("cluster_known_nodes", 0)) == len(self.nodes) for i in infos):
                return self
            time.sleep(0.05)
        raise RuntimeError("the Redis Cluster did not come up")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
