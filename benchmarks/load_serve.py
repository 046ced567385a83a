"""Load test of `chachong serve`: many reviewers checking drafts at once, on loopback only.

    python benchmarks/load_serve.py                  # 10M library, 20 clients, 60 s per phase
    python benchmarks/load_serve.py --size 1M --seconds 10 --clients 5   # a quick run

What it does:

1. the synthetic 素材库 library of ``--size`` characters (``chachong bench``'s generator, cached
   in ``benchmarks/out``), indexed by ``chachong index`` into a file once; each run checks
   against a fresh copy of that index (phase 3 writes to it);
2. ``chachong serve`` on a free 127.0.0.1 port, as a user starts it (its own process);
3. phases, each ``--seconds`` long, of clients (httpx2, asyncio) posting 5,000-character drafts
   (``make_draft``: copied library paragraphs between original text; one draft per client) to
   ``POST /api/check`` back to back, while a prober asks ``GET /api/status`` twice a second:
   * ``1 client``: the latency of a check with nothing else running,
   * ``N clients``: throughput, latency p50/p95/p99, errors,
   * ``N clients + index``: the same while ``chachong index`` adds ``--add-docs`` documents to
     the same index (the server must stay responsive; checks read one snapshot each);
4. the server's memory, sampled every 0.2 s: the sum over its processes (server and check
   workers) of the proportional set size (PSS: shared pages split between the processes that
   share them) and of the resident set size (RSS: shared pages counted once per process).

Every request must succeed (HTTP 200): the script exits 1 if any failed. Results are printed and
written to ``benchmarks/results/load-serve-SIZE.json`` and ``.txt``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from chachong.bench.library import generate_library, make_draft, parse_sizes

REPO = Path(__file__).resolve().parents[1]
REQUEST_TIMEOUT_S = 120.0
START_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chachong(*args: str) -> list[str]:
    return [sys.executable, "-m", "chachong", *args]


# -- memory of a process tree (Linux /proc) ----------------------------------------------------------
def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(_children(p))
    return found


def _kib(pid: int, field_name: str, filename: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{filename}").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemorySampler(threading.Thread):
    """Peak PSS and RSS summed over a process and its descendants, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_pss_mib = 0.0
        self.peak_rss_mib = 0.0
        self.processes = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.2):
            pids = _tree(self.pid)
            self.processes = max(self.processes, len(pids))
            pss = sum(_kib(p, "Pss", "smaps_rollup") for p in pids) / 1024
            rss = sum(_kib(p, "VmRSS", "status") for p in pids) / 1024
            self.peak_pss_mib = max(self.peak_pss_mib, pss)
            self.peak_rss_mib = max(self.peak_rss_mib, rss)

    def stop(self) -> None:
        self._done.set()
        self.join()


# -- the clients ----------------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # successful checks, seconds
    errors: list[str] = field(default_factory=list)
    probe_latencies: list[float] = field(default_factory=list)  # GET /api/status
    index_seconds: float | None = None
    during_index: list[float] = field(default_factory=list)  # checks that ran while the index run wrote

    def summary(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000, 1)

        return {
            "phase": self.name, "clients": self.clients, "seconds": round(self.seconds, 1),
            "checks": len(self.latencies), "errors": len(self.errors), "error_examples": self.errors[:5],
            "checks_per_s": round(len(self.latencies) / self.seconds, 2) if self.seconds else None,
            "p50_ms": pct(self.latencies, 50), "p95_ms": pct(self.latencies, 95), "p99_ms": pct(self.latencies, 99),
            "max_ms": pct(self.latencies, 100),
            "status_p50_ms": pct(self.probe_latencies, 50), "status_p95_ms": pct(self.probe_latencies, 95),
            "status_max_ms": pct(self.probe_latencies, 100),
            "index_run_s": None if self.index_seconds is None else round(self.index_seconds, 1),
            "checks_during_index": len(self.during_index),
            "p50_ms_during_index": pct(self.during_index, 50), "p95_ms_during_index": pct(self.during_index, 95),
        }


async def run_phase(
    url: str, phase: Phase, drafts: list[str], seconds: float, index_run: list[str] | None = None,
) -> Phase:
    deadline = time.monotonic() + seconds
    window: list[float | None] = [None, None]  # when the index run started and ended (monotonic)
    checks: list[tuple[float, float]] = []  # (start, end) of each successful check
    limits = httpx2.Limits(max_connections=phase.clients + 2, max_keepalive_connections=phase.clients + 2)
    async with httpx2.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:

        async def reviewer(i: int) -> None:
            body = {"text": drafts[i % len(drafts)], "file": f"draft-{i}.txt"}
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    answer = await client.post("/api/check", json=body)
                    ok = answer.status_code == 200 and "copy_ratio" in answer.json()
                    problem = f"HTTP {answer.status_code}: {answer.text[:200]}"
                except httpx2.HTTPError as exc:
                    ok, problem = False, f"{type(exc).__name__}: {exc}"
                ended = time.monotonic()
                if ok:
                    phase.latencies.append(ended - started)
                    checks.append((started, ended))
                else:
                    phase.errors.append(problem)

        async def prober() -> None:
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    answer = await client.get("/api/status")
                    if answer.status_code == 200:
                        phase.probe_latencies.append(time.monotonic() - started)
                    else:
                        phase.errors.append(f"status: HTTP {answer.status_code}")
                except httpx2.HTTPError as exc:
                    phase.errors.append(f"status: {type(exc).__name__}: {exc}")
                await asyncio.sleep(0.5)

        async def indexer(index_run: list[str]) -> None:
            await asyncio.sleep(min(5.0, seconds / 4))
            window[0] = time.monotonic()
            process = await asyncio.create_subprocess_exec(*index_run, stdout=asyncio.subprocess.DEVNULL,
                                                           stderr=asyncio.subprocess.PIPE)
            _, err = await process.communicate()
            window[1] = time.monotonic()
            phase.index_seconds = window[1] - window[0]
            if process.returncode != 0:
                phase.errors.append(f"index run failed: {err.decode(errors='replace')[-500:]}")

        started = time.monotonic()
        tasks = [reviewer(i) for i in range(phase.clients)] + [prober()]
        if index_run:
            tasks.append(indexer(index_run))
        await asyncio.gather(*tasks)
        phase.seconds = time.monotonic() - started
    if window[0] is not None and window[1] is not None:
        phase.during_index = [e - s for s, e in checks if s < window[1] and e > window[0]]
    return phase


# -- the run ---------------------------------------------------------------------------------------
def in_process_latencies(index: Path, drafts: list[str]) -> list[float]:
    from chachong.match.check import check_text
    from chachong.store import open_store

    with open_store(index) as store:
        check_text(store, drafts[0])  # warm-up: the phrase table, caches
        out = []
        for draft in drafts:
            started = time.perf_counter()
            check_text(store, draft)
            out.append(time.perf_counter() - started)
    return out


def start_server(index: Path, workers: int | None, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = chachong("serve", "--host", "127.0.0.1", "--port", str(port), "--index", str(index))
    if workers:
        args += ["--workers", str(workers)]
    with log.open("wb") as out:
        server = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"chachong serve exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx2.get(f"{url}/healthz", timeout=2).status_code == 200:
                return server, url
        except httpx2.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("chachong serve did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="10M", help="library size in characters (default 10M)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--workers", type=int, default=None, help="check workers (default: serve's own)")
    parser.add_argument("--add-docs", type=int, default=1000, help="documents the index run adds in phase 3")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    size = parse_sizes(args.size)[0]
    args.out.mkdir(parents=True, exist_ok=True)

    library = generate_library(size, args.out)
    base = args.out / f"serve-{args.size}.sqlite"
    if not base.exists():
        print(f"indexing {library.path} ({library.chars:,} characters) …", file=sys.stderr)
        subprocess.run([*chachong("index", str(library.path), "--index", str(base), "--json")], check=True,
                       stdout=subprocess.DEVNULL)
    index = args.out / f"serve-{args.size}-run.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    shutil.copy(base, index)
    added = generate_library(0, args.out, documents=args.add_docs, tag="serve-add")
    drafts = [make_draft(library.path, seed=i) for i in range(args.clients)]

    in_process = in_process_latencies(index, drafts)
    load_before = os.getloadavg()
    log = args.out / "serve-load.log"
    server, url = start_server(index, args.workers, log)
    memory = MemorySampler(server.pid)
    memory.start()
    phases: list[Phase] = []
    try:
        status = httpx2.get(f"{url}/api/status", timeout=30).json()
        workers = status["server"]["workers"]
        for i in range(2):  # each worker's first check warms it up (phrase table, caches)
            httpx2.post(f"{url}/api/check", json={"text": drafts[i]}, timeout=REQUEST_TIMEOUT_S)
        plan = [
            (Phase("1 client", 1), None, min(args.seconds, 15.0)),
            (Phase(f"{args.clients} clients", args.clients), None, args.seconds),
            (Phase(f"{args.clients} clients + index", args.clients),
             chachong("index", str(added.path), "--index", str(index)), args.seconds),
        ]
        for phase, index_run, seconds in plan:
            print(f"phase: {phase.name} ({seconds:g} s) …", file=sys.stderr, flush=True)
            phases.append(asyncio.run(run_phase(url, phase, drafts, seconds, index_run)))
        after = httpx2.get(f"{url}/api/status", timeout=30).json()
        server_cpu = cpu_seconds(server.pid)
        workers_cpu = sum(cpu_seconds(p) for p in _tree(server.pid) if p != server.pid)
    finally:
        memory.stop()
        server.terminate()
        server.wait(timeout=60)

    result = {
        "command": " ".join(["python", "benchmarks/load_serve.py", *sys.argv[1:]]),
        "library": {"chars": library.chars, "documents": library.documents, "files": library.files},
        "documents_after_index_run": after["documents"],
        "draft_chars": len(drafts[0]),
        # The same drafts checked in this process, one after another, before the server starts:
        # what a check costs without HTTP, the queue and the worker processes.
        "in_process_p50_ms": round(sorted(in_process)[len(in_process) // 2] * 1000, 1),
        "server": {"workers": workers, "peak_pss_mib": round(memory.peak_pss_mib, 1),
                   # CPU used over the whole run: the server process (HTTP, JSON, pages) and its workers
                   "server_process_cpu_s": round(server_cpu, 1), "worker_processes_cpu_s": round(workers_cpu, 1),
                   "peak_rss_mib": round(memory.peak_rss_mib, 1), "processes": memory.processes},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform(),
                    # other work on the machine: the 1-minute load average before the run and at its end
                    "load_before": round(load_before[0], 2), "load_after": round(os.getloadavg()[0], 2)},
        "phases": [p.summary() for p in phases],
    }
    table = render(result)
    print(table)
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"load-serve-{args.size}"
    stem.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    stem.with_suffix(".txt").write_text(table + "\n", encoding="utf-8")
    return 1 if any(p["errors"] for p in result["phases"]) else 0


def render(result: dict[str, Any]) -> str:
    lib = result["library"]
    server = result["server"]
    lines = [
        f"chachong serve under load: {lib['chars'] / 1e6:.1f}M-character library ({lib['documents']:,} documents), "
        f"{result['draft_chars']:,}-character drafts, {server['workers']} check workers, loopback; the same "
        f"drafts checked in-process without the server: p50 {result['in_process_p50_ms']} ms",
        f"server memory (all {server['processes']} processes): peak PSS {server['peak_pss_mib']:.0f} MiB, "
        f"peak RSS sum {server['peak_rss_mib']:.0f} MiB; CPU used: server process {server['server_process_cpu_s']} s, "
        f"check workers {server['worker_processes_cpu_s']} s; machine: {result['machine']['cpus']} cores, load average "
        f"{result['machine']['load_before']} before the run, {result['machine']['load_after']} at its end",
        "",
        "| phase | checks | checks/s | p50 | p95 | p99 | max | errors | GET /api/status p50 / max |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in result["phases"]:
        lines.append(
            f"| {p['phase']} | {p['checks']} | {p['checks_per_s']} | {p['p50_ms']} ms | {p['p95_ms']} ms | "
            f"{p['p99_ms']} ms | {p['max_ms']} ms | {p['errors']} | {p['status_p50_ms']} / {p['status_max_ms']} ms |"
        )
    for p in result["phases"]:
        if p["index_run_s"] is not None:
            lines.append("")
            lines.append(
                f"`chachong index` adding documents ({result['documents_after_index_run'] - lib['documents']:,}) "
                f"to the served index ran {p['index_run_s']} s during '{p['phase']}'; {p['checks_during_index']} "
                f"checks overlapped it: p50 {p['p50_ms_during_index']} ms, p95 {p['p95_ms_during_index']} ms."
            )
    lines.append("")
    lines.append(f"command: {result['command']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
