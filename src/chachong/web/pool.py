"""Checks off the event loop: a bounded pool of worker processes, and the reuse map beside it.

Why processes, not threads: a check is CPU work in Python and numpy, and threads of one
process share one interpreter lock: on the 2-core development machine two threads checked
10-11 drafts/s of the 10M library, as one thread did, two processes 19/s. Each worker opens
the index once (`jobs`); the server process only parses requests, renders pages and keeps
results, so it stays responsive whatever the workers are doing.

Bounded: at most ``max_queued`` checks wait or run at once; more are refused at once with
"busy" (HTTP 503) instead of queueing without end. A check whose client went away before a
worker took it is dropped. If a worker dies (killed, out of memory), the pool is replaced and
the checks it held are answered with an error; the next ones run on the new pool.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import BackendError, ChachongError, IndexBusyError, IndexFileError, InputError, UsageError
from . import jobs
from .config import PAIRS_KEPT

log = logging.getLogger("chachong.serve")
_T = TypeVar("_T")


class ServerBusyError(ChachongError):
    """Every worker is busy and the queue is full."""


class WorkerLostError(ChachongError):
    """A worker process ended in the middle of a job."""


class TooSlowError(ChachongError):
    """A job on demand ran past its time limit and was stopped."""


class WorkerPool:
    """Worker processes (``spawn``: nothing of the server's state is copied into them)."""

    def __init__(self, location: str, *, workers: int, max_queued: int) -> None:
        self.location = location
        self.workers = workers
        self.max_queued = max_queued
        self.queued = 0  # checks submitted and not answered yet (touched by the event loop only)
        self._context = multiprocessing.get_context("spawn")
        self._phrase_lock = self._context.Lock()  # see jobs: one worker computes a missing phrase table
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        self._executor = ProcessPoolExecutor(
            self.workers, mp_context=self._context, initializer=jobs.warm_up,
            initargs=(self.location, self._phrase_lock),
        )
        # Start every worker now, not on the first request: the first reviewer should not wait.
        for future in [self._executor.submit(time.sleep, 0) for _ in range(self.workers)]:
            future.result()

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def run(self, func: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """``func(*args, **kwargs)`` in a worker; `ServerBusyError` when the queue is full."""
        if self.queued >= self.max_queued:
            raise ServerBusyError(f"busy: {self.queued} checks are queued; try again in a few seconds")
        executor = self._executor
        if executor is None:
            raise WorkerLostError("the server is stopping")
        self.queued += 1
        try:
            future: Future[_T] = executor.submit(func, *args, **kwargs)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._replace(executor)
            raise WorkerLostError("a check worker stopped unexpectedly; try again") from None
        finally:
            self.queued -= 1

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self._executor is broken:
            log.error("a worker process died; starting a new pool")
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=self._context, initializer=jobs.warm_up,
                initargs=(self.location, self._phrase_lock),
            )


@dataclass(frozen=True, slots=True)
class PairsMap:
    """The reuse map of one state of the index."""

    generation: str | None  # None: the index changed while it was computed (not kept)
    rows: list[dict[str, Any]]  # what `chachong pairs --json` prints, one per pair
    html: str  # what `chachong pairs --html` writes
    max_docs: int
    seconds: float


_ERRORS: dict[str, type[ChachongError]] = {
    cls.__name__: cls for cls in (InputError, UsageError, IndexFileError, IndexBusyError, BackendError)
}


class PairsRunner:
    """The reuse map on demand: one computation at a time, in a process of its own that is
    stopped after ``time_limit`` seconds; results kept per index generation."""

    def __init__(self, location: str, *, time_limit: float) -> None:
        self.location = location
        self.time_limit = time_limit
        self._context = multiprocessing.get_context("spawn")
        self._kept: dict[tuple[str, int | None], PairsMap] = {}
        self._running: dict[tuple[str, int | None], asyncio.Future[PairsMap]] = {}
        self._lock = asyncio.Lock()

    def kept(self, generation: str, max_docs: int | None) -> PairsMap | None:
        return self._kept.get((generation, max_docs))

    async def get(self, generation: str, max_docs: int | None) -> PairsMap:
        key = (generation, max_docs)
        if key in self._kept:
            return self._kept[key]
        running = self._running.get(key)
        if running is None:
            running = self._running[key] = asyncio.ensure_future(self._compute(key))
            running.add_done_callback(lambda _: self._running.pop(key, None))
        return await asyncio.shield(running)

    async def _compute(self, key: tuple[str, int | None]) -> PairsMap:
        async with self._lock:  # one at a time: each may take a core for minutes
            started = time.perf_counter()
            outcome = await asyncio.to_thread(self._run_child, key[1])
            seconds = time.perf_counter() - started
        if outcome[0] == "error":
            raise _ERRORS.get(outcome[2], ChachongError)(outcome[1])
        _, generation, rows, html, max_docs = outcome
        result = PairsMap(generation, rows, html, max_docs, seconds)
        if generation is not None:
            # Keep only the maps of the newest generation (older ones will not be asked for again),
            # and a few of them: one per --max-docs a client asked for.
            self._kept = {k: v for k, v in self._kept.items() if k[0] == generation}
            while len(self._kept) >= PAIRS_KEPT:
                del self._kept[next(iter(self._kept))]
            self._kept[(generation, key[1])] = result
        return result

    def _run_child(self, max_docs: int | None) -> tuple[Any, ...]:
        receive, send = self._context.Pipe(duplex=False)
        child = self._context.Process(target=jobs.pairs_job, args=(self.location, max_docs, send), daemon=True)
        child.start()
        send.close()
        try:
            if not receive.poll(self.time_limit):
                raise TooSlowError(
                    f"the reuse map of this index takes longer than {self.time_limit:g} s: "
                    "run `chachong pairs --html FILE` on the server instead"
                )
            outcome: tuple[Any, ...] = receive.recv()
            return outcome
        except EOFError:
            raise WorkerLostError("the reuse map's process stopped unexpectedly") from None
        finally:
            receive.close()
            if child.is_alive():
                child.kill()
            child.join()
