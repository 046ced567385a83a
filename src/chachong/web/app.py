"""The web application: the reviewer's pages and the HTTP API over one index (FastAPI).

Pages, Chinese first with English beside them: check a draft (`/`, its result `/check/ID`),
the library (`/library`), stock phrases (`/phrases`), the reuse map (`/pairs`), the status
(`/status`); the API under `/api/`, described at `/openapi.json` and readable at `/docs`.
Nothing here computes a finding: checks run in worker processes (`pool`, `jobs`), reports
are the report package's (`render_check_html`, the same file ``check --html`` writes), JSON is
the results' own ``to_json`` (what ``check --json`` prints).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPBearer
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import BackendError, ChachongError, IndexFileError, InputError, UsageError, one_line
from ..model import CheckResult
from ..phrases import PhraseTable, phrase_table
from ..report.html import render_check_html
from ..report.jsonl import json_text
from ..store import open_store
from ..text.reading import MAX_DRAFT_BYTES, MAX_FILE_BYTES
from . import jobs
from .config import (
    CHECK_BODY_BYTES,
    PAIRS_TIME_LIMIT_S,
    RESULTS_KEPT,
    RESULTS_KEPT_BYTES,
    RESULTS_KEPT_S,
    ServeConfig,
)
from .guard import SESSION_COOKIE, SESSION_SECONDS, Guard, redirect_target, session_value
from .library import Changes, Status, read_status, thresholds
from .pool import PairsRunner, ServerBusyError, TooSlowError, WorkerLostError, WorkerPool
from .results import Kept, ResultStore
from .schemas import (
    CheckOut,
    CheckRequest,
    DocsOut,
    ErrorOut,
    IndexOut,
    PairsOut,
    PhrasesOut,
    StatusOut,
)
from .uploads import clean_name, label, temporary_files

log = logging.getLogger("chachong.serve")

PAGE_SIZE = 100  # documents per library page
FORM_FIELD_BYTES = 64 * 1024  # a form field that is not the draft (names, numbers)
MAX_TOP = 1000  # stock phrases one request may ask for
DEFAULT_NAME = "<draft>"  # a pasted draft's name in results, as check_text calls it
_MIB = 1024 * 1024


class NotFoundError(ChachongError):
    """No such result (it expired, or the server restarted) or page."""


class ReadOnlyError(ChachongError):
    """The server was started without --allow-index."""


# The HTTP status and error kind of each problem (the CLI exits 2 for all of them), most specific first.
_STATUS: tuple[tuple[type[ChachongError], int, str], ...] = (
    (UsageError, 400, "bad_input"),
    (ReadOnlyError, 403, "read_only"),
    (NotFoundError, 404, "not_found"),
    (ServerBusyError, 503, "busy"),
    (TooSlowError, 503, "too_slow"),
    (WorkerLostError, 503, "worker_lost"),
    (IndexFileError, 503, "index_unavailable"),
    (BackendError, 503, "index_unavailable"),
)


def status_of(exc: ChachongError) -> tuple[int, str]:
    if isinstance(exc, InputError):
        # The reader's own message says when a file or text is over its limit.
        return (413, "too_large") if "too large" in exc.problem else (400, "bad_input")
    return next(((status, kind) for cls, status, kind in _STATUS if isinstance(exc, cls)), (500, "internal"))


@dataclass(frozen=True, slots=True)
class Draft:
    name: str
    text: str | None = None
    upload: bytes | None = None
    common_docs: int | None = None


@dataclass(slots=True)
class State:
    pool: WorkerPool
    pairs: PairsRunner
    results: ResultStore = field(default_factory=lambda: ResultStore(
        keep=RESULTS_KEPT, seconds=RESULTS_KEPT_S, max_bytes=RESULTS_KEPT_BYTES))
    changes: Changes = field(default_factory=Changes)
    session_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))


# -- static files: a fixed list, read from the installed packages (no request path is a file path)
_STATIC: dict[str, tuple[str, str, str]] = {
    "web.css": ("chachong.web", "static/web.css", "text/css; charset=utf-8"),
    "web.js": ("chachong.web", "static/web.js", "text/javascript; charset=utf-8"),
    "docs.js": ("chachong.web", "static/docs.js", "text/javascript; charset=utf-8"),
    "report.css": ("chachong.report", "assets/report.css", "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": ("fastapi_offline", "static/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("fastapi_offline", "static/swagger-ui.css", "text/css; charset=utf-8"),
    "favicon.png": ("fastapi_offline", "static/favicon.png", "image/png"),
}
_static_cache: dict[str, bytes] = {}


def _static_bytes(name: str) -> bytes | None:
    if name not in _STATIC:
        return None
    if name not in _static_cache:
        package, path, _ = _STATIC[name]
        node = resources.files(package)
        for part in path.split("/"):
            node = node / part
        _static_cache[name] = node.read_bytes()
    return _static_cache[name]


_REPORT_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def _report_response(page: str, *, download: str | None) -> HTMLResponse:
    """A report the report package wrote, served with the policy it declares for itself (its
    own script by hash, nothing fetched), which may be framed by our own pages only."""
    found = _REPORT_CSP.search(page)
    policy = found.group(1) if found else "default-src 'none'"
    headers = {"content-security-policy": f"{policy}; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
               "x-frame-options": "SAMEORIGIN"}
    if download:
        headers["content-disposition"] = _attachment(download)
    return HTMLResponse(page, headers=headers)


def _attachment(filename: str) -> str:
    """A download's name: the draft's (RFC 6266 ``filename*``), with a plain ASCII fallback."""
    fallback = "chachong-report" + filename[filename.rfind(".") :]
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _download_name(result_file: str, suffix: str) -> str:
    stem = label(result_file, default="draft")
    stem = stem.rsplit(".", 1)[0] if "." in stem.lstrip(".") else stem
    stem = stem.strip("<>") or "draft"
    return f"{stem}-查重报告{suffix}"


class _JsonResponse(JSONResponse):
    """JSON as the CLI's ``--json`` writes it (`report.jsonl.json_text`): Chinese as itself, C1
    controls, bidi overrides and line separators as ``\\uXXXX`` escapes."""

    def render(self, content: Any) -> bytes:
        return json_text(content).encode("utf-8")


def _json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return _JsonResponse(data, status_code=status, headers=headers)


def _error_json(exc: ChachongError) -> JSONResponse:
    status, kind = status_of(exc)
    headers = {"retry-after": "5"} if kind == "busy" else None
    return _json_response({"error": str(exc), "kind": kind}, status, headers)


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad input: the one-line message the CLI prints."},
    401: {"model": ErrorOut, "description": "The server has a token and the request did not carry it."},
    413: {"model": ErrorOut, "description": "The draft (or the request) is over the size limit."},
    503: {"model": ErrorOut, "description": "The index or Redis is unavailable, or the server is busy."},
}


def create_app(config: ServeConfig) -> FastAPI:  # noqa: PLR0915 - the routes, one after another
    state = State(WorkerPool(config.location, workers=config.workers, max_queued=config.max_queued),
                  PairsRunner(config.location, time_limit=PAIRS_TIME_LIMIT_S))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(state.pool.start)
        with contextlib.suppress(ChachongError):  # an index unavailable now is reported per request
            await status_now()  # the state at start: a later change is seen as one
        try:
            yield
        finally:
            await run_in_threadpool(state.pool.stop)

    app = FastAPI(
        title="chachong 查重 API",
        version=__version__,
        summary="Check drafts for copied passages and stock phrases against an index of documents.",
        description=(
            "The JSON the API returns is what the CLI's `--json` prints (README, \"JSON\"). "
            "When the server was started with a token, send `Authorization: Bearer TOKEN`."
        ),
        docs_url=None, redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan,
    )
    app.add_middleware(Guard, config=config, session_key=state.session_key)
    # Documents the token in the OpenAPI schema (and gives /docs its "Authorize" button); the
    # check itself is the guard's, before any route runs.
    api_auth = [Depends(HTTPBearer(auto_error=False, description="The server's token, when it was started with one."))]
    env = Environment(loader=PackageLoader("chachong.web", "templates"), autoescape=select_autoescape(default=True))
    env.filters["pct"] = lambda x: f"{100 * x:.1f}%"
    env.filters["thousands"] = lambda n: f"{n:,}"

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.update(
            request=request, version=__version__, token_required=config.token is not None,
            allow_index=config.allow_index, path=request.url.path,
        )
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def wants_json(request: Request) -> bool:
        path = request.url.path
        return path.startswith("/api/") or path.endswith(".json")

    def error_page(request: Request, exc: ChachongError) -> Response:
        if wants_json(request):
            return _error_json(exc)
        status, kind = status_of(exc)
        return page(request, "error.html", status, message=str(exc), kind=kind)

    @app.exception_handler(ChachongError)
    async def on_chachong_error(request: Request, exc: ChachongError) -> Response:
        return error_page(request, exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_page(request, UsageError(_validation_message(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_page(request, NotFoundError("no such page"))
        problem = one_line(str(exc.detail))
        kind = "too_large" if exc.status_code == 413 else "bad_input"
        if wants_json(request):
            return _json_response({"error": problem, "kind": kind}, exc.status_code)
        return page(request, "error.html", exc.status_code, message=problem, kind=kind)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_page(request, ChachongError("internal error (the server's log has the details)"))

    # -- reading the index (threads of this process; cheap reads, cached per generation) ---------
    async def status_now() -> Status:
        status = await run_in_threadpool(read_status, config.location)
        state.changes.seen(status.generation)
        return status

    def status_json(status: Status) -> dict[str, Any]:
        return {
            "location": status.location, "backend": status.backend, "generation": status.generation,
            **{k: status.counts[k] for k in ("files", "documents", "sentences", "chars")},
            "last_change": state.changes.last_change(status),
            "thresholds": thresholds(status.counts["documents"]),
            "lsh": status.lsh,
            "server": {
                "version": __version__, "workers": config.workers, "queued": state.pool.queued,
                "max_queued": config.max_queued, "allow_index": config.allow_index,
                "token_required": config.token is not None, "pairs_time_limit_s": PAIRS_TIME_LIMIT_S,
                "max_draft_bytes": MAX_DRAFT_BYTES,
            },
        }

    def read_phrases(min_docs: int | None) -> PhraseTable:
        with open_store(config.location) as store, store.snapshot() as view:
            return phrase_table(view, min_docs=min_docs)

    # -- checking --------------------------------------------------------------------------------
    async def run_check(draft: Draft) -> CheckResult:
        if draft.upload is None:
            return await state.pool.run(jobs.check_job, config.location, text=draft.text, upload=None,
                                         name=draft.name, common_docs=draft.common_docs)
        with temporary_files([draft.upload]) as [path]:
            return await state.pool.run(
                jobs.check_job, config.location, text=None, upload=jobs.Upload(str(path), draft.name),
                name=draft.name, common_docs=draft.common_docs,
            )

    # == API ======================================================================================
    @app.post(
        "/api/check", tags=["check"], summary="Check a draft",
        response_model=None, dependencies=api_auth, responses={200: {"model": CheckOut}, **_ERRORS},
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": CheckRequest.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": "The draft as a file (.txt, .docx …: the formats `check` reads; "
                                            "the type is read from the content). At most 1 MiB."},
                    "text": {"type": "string", "description": "Or the draft as text."},
                    "common_docs": {"type": "integer", "minimum": 2},
                },
            }},
        }}},
    )
    async def api_check(request: Request) -> Response:
        """Check one draft against the index. The answer is exactly the object `chachong check --json`
        prints for it: offsets into the draft, passages with their sources, ratios."""
        draft = await read_draft(request)
        result = await run_check(draft)
        return _json_response(result.to_json())

    @app.get("/api/docs", dependencies=api_auth, tags=["library"], summary="Indexed documents", response_model=DocsOut,
             responses=_ERRORS)
    async def api_docs(
        q: Annotated[str | None, Query(description="Only documents whose title (or id) contains this.")] = None,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int | None, Query(ge=1, description="At most this many (default: all).")] = None,
    ) -> Response:
        """The indexed documents (each as a line of `chachong docs --json`) and their files."""
        status = await status_now()
        library = await run_in_threadpool(state.changes.library, config.location, status.generation)
        found = _search(library.documents, q)
        shown = found[offset : None if limit is None else offset + limit]
        return _json_response({
            "generation": library.generation, "total": len(found),
            "documents": [d.to_json() for d in shown],
            "files": [_file_json(f) for f in library.files],
        })

    @app.get("/api/phrases", dependencies=api_auth, tags=["library"], summary="Stock phrases",
             response_model=PhrasesOut,
             responses=_ERRORS)
    async def api_phrases(
        top: Annotated[int, Query(ge=1, le=MAX_TOP, description="How many phrases.")] = 50,
        min_docs: Annotated[int | None, Query(
            ge=2, description="Only phrases in at least this many documents (default as check: √documents/2, ≥3)."
        )] = None,
    ) -> Response:
        """The most common stock phrases (套话) of the library, as `chachong phrases --json`."""
        table = await run_in_threadpool(read_phrases, min_docs)
        return _json_response({"min_docs": table.min_docs, "documents": table.documents, "sampled": table.sampled,
                               "phrases": [p.to_json() for p in table.phrases[:top]]})

    @app.get("/api/pairs", dependencies=api_auth, tags=["library"], summary="Reuse map", response_model=PairsOut,
             responses={**_ERRORS, 503: {"model": ErrorOut, "description":
                                         f"Also: the map takes longer than {PAIRS_TIME_LIMIT_S:g} s."}})
    async def api_pairs(
        max_docs: Annotated[int | None, Query(ge=1, description="Text in more documents than this is stock "
                                                                "phrasing (as `pairs --max-docs`).")] = None,
    ) -> Response:
        """Which documents share text with which (as `chachong pairs --json`), computed on demand
        (at most the time limit) and kept until the index changes."""
        status = await status_now()
        found = await state.pairs.get(status.generation, max_docs)
        return _json_response({"generation": status.generation, "max_docs": found.max_docs,
                               "seconds": round(found.seconds, 2), "pairs": found.rows})

    @app.get("/api/status", dependencies=api_auth, tags=["library"], summary="Index status", response_model=StatusOut,
             responses=_ERRORS)
    async def api_status() -> Response:
        """Where the index is, what it holds, when it changed, the thresholds checks use."""
        return _json_response(status_json(await status_now()))

    @app.post(
        "/api/index", dependencies=api_auth, tags=["library"],
        summary="Add files to the index (only with --allow-index)",
        response_model=IndexOut, responses={**_ERRORS, 403: {"model": ErrorOut}},
        openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                                    "description": "Up to 4 library files, each at most 8 MiB; indexed as "
                                                   "upload/NAME (a new upload of the same name replaces it)."}},
        }}}}},
    )
    async def api_index(request: Request) -> Response:
        """Add files to the index in one run, as `chachong index` does; its `--json` summary."""
        return _json_response(await add_to_index(request))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return _json_response({"status": "ok"})

    # == pages ====================================================================================
    @app.get("/", include_in_schema=False)
    async def index_page(request: Request) -> Response:
        return page(request, "check.html", max_mib=MAX_DRAFT_BYTES / _MIB)

    @app.post("/check", include_in_schema=False)
    async def check_form(request: Request) -> Response:
        text = ""
        try:
            draft = await read_draft(request)
            text = draft.text or ""
            result = await run_check(draft)
        except ChachongError as exc:
            status, _ = status_of(exc)
            if not text:  # the form was read before the problem was found: give the text back
                with contextlib.suppress(Exception):
                    text = _form_str((await request.form()).get("text")) or ""
            return page(request, "check.html", status, error=str(exc), text=text, max_mib=MAX_DRAFT_BYTES / _MIB)
        key = state.results.add(result)
        return RedirectResponse(f"/check/{key}", status_code=303)

    def kept(key: str) -> Kept:
        found = state.results.get(key)
        if found is None:
            raise NotFoundError(
                "no such result: results are kept for a few hours and forgotten when the server restarts")
        return found

    @app.get("/check/{key}", include_in_schema=False)
    async def result_page(request: Request, key: str) -> Response:
        found = kept(key)
        return page(request, "result.html", key=key, result=found.result)

    @app.get("/check/{key}/report.html", include_in_schema=False)
    async def result_report(key: str, download: bool = False) -> Response:
        found = kept(key)
        if found.report_html is None:
            found.report_html = await run_in_threadpool(render_check_html, [found.result])
        return _report_response(found.report_html,
                                download=_download_name(found.result.file, ".html") if download else None)

    @app.get("/check/{key}/result.json", include_in_schema=False)
    async def result_json(key: str, download: bool = False) -> Response:
        found = kept(key)
        headers = {"content-disposition": _attachment(_download_name(found.result.file, ".json"))} if download else None
        return _json_response(found.result.to_json(), headers=headers)

    @app.get("/library", include_in_schema=False)
    async def library_page(request: Request, q: str = "", file: str = "", page_no: Annotated[int, Query(
            alias="page", ge=1)] = 1) -> Response:
        status = await status_now()
        library = await run_in_threadpool(state.changes.library, config.location, status.generation)
        found = _search(library.documents, q or None)
        if file:
            found = [d for d in found if d.file == file]
        pages = max(1, -(-len(found) // PAGE_SIZE))
        page_no = min(page_no, pages)
        first = (page_no - 1) * PAGE_SIZE
        return page(request, "library.html", q=q, file=file, docs=found[first : first + PAGE_SIZE],
                    total=len(found), all_docs=len(library.documents), files=library.files, page_no=page_no,
                    pages=pages, first=first)

    @app.get("/library/upload", include_in_schema=False)
    async def upload_page(request: Request) -> Response:
        if not config.allow_index:
            raise ReadOnlyError("this server does not change the index (it was started without --allow-index)")
        return page(request, "upload.html", max_mib=MAX_FILE_BYTES / _MIB)

    @app.post("/library/upload", include_in_schema=False)
    async def upload_form(request: Request) -> Response:
        try:
            report = await add_to_index(request)
        except ChachongError as exc:
            if isinstance(exc, ReadOnlyError):
                raise
            status, _ = status_of(exc)
            return page(request, "upload.html", status, error=str(exc), max_mib=MAX_FILE_BYTES / _MIB)
        return page(request, "upload.html", report=report, max_mib=MAX_FILE_BYTES / _MIB)

    @app.get("/phrases", include_in_schema=False)
    async def phrases_page(request: Request, top: Annotated[int, Query(ge=1, le=MAX_TOP)] = 50) -> Response:
        table = await run_in_threadpool(read_phrases, None)
        return page(request, "phrases.html", table=table, phrases=table.phrases[:top], top=top)

    @app.get("/pairs", include_in_schema=False)
    async def pairs_page(request: Request) -> Response:
        status = await status_now()
        found = state.pairs.kept(status.generation, None)
        return page(request, "pairs.html", found=found, documents=status.counts["documents"],
                    limit=PAIRS_TIME_LIMIT_S)

    @app.post("/pairs", include_in_schema=False)
    async def pairs_compute(request: Request) -> Response:
        status = await status_now()
        try:
            await state.pairs.get(status.generation, None)
        except ChachongError as exc:
            code, _ = status_of(exc)
            return page(request, "pairs.html", code, found=None, documents=status.counts["documents"],
                        limit=PAIRS_TIME_LIMIT_S, error=str(exc))
        return RedirectResponse("/pairs", status_code=303)

    @app.get("/pairs/report.html", include_in_schema=False)
    async def pairs_report(download: bool = False) -> Response:
        status = await status_now()
        found = state.pairs.kept(status.generation, None)
        if found is None:
            raise NotFoundError("the reuse map of the index as it is now has not been computed: open /pairs")
        return _report_response(found.html, download="chachong-pairs.html" if download else None)

    @app.get("/status", include_in_schema=False)
    async def status_page(request: Request) -> Response:
        return page(request, "status.html", s=status_json(await status_now()))

    @app.get("/docs", include_in_schema=False)
    async def api_docs_page(request: Request) -> Response:
        response = page(request, "docs.html")
        # Swagger UI styles its elements inline; it loads only our own files (script-src 'self').
        response.headers["content-security-policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
        )
        return response

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        data = _static_bytes(name)
        if data is None:
            raise NotFoundError("no such file")
        return Response(data, media_type=_STATIC[name][2], headers={"cache-control": "public, max-age=3600"})

    # -- login (only when the server has a token) -------------------------------------------------
    @app.get("/login", include_in_schema=False)
    async def login_page(request: Request, next: str = "/") -> Response:
        return page(request, "login.html", next=redirect_target(next))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4)
        given, target = form.get("token"), redirect_target(form.get("next"))
        token = config.token
        if token is None:
            return RedirectResponse(target, status_code=303)
        if not isinstance(given, str) or not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
            await asyncio.sleep(1.0)  # slows guessing; the token's length does the rest
            return page(request, "login.html", 401, next=target, error=True)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, session_value(state.session_key, token), max_age=SESSION_SECONDS,
                            httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    # -- request bodies --------------------------------------------------------------------------
    async def read_draft(request: Request) -> Draft:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            try:
                body = CheckRequest.model_validate_json(await request.body())
            except ValidationError as exc:
                raise InputError(_validation_message(exc.errors())) from None
            return _text_draft(body.text, clean_name(body.file, default=DEFAULT_NAME), body.common_docs)
        if kind not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise InputError("send the draft as JSON {\"text\": …} or as a form with a 'file' or 'text' field")
        async with parsed_form(request, max_files=1, max_fields=8, max_part_size=CHECK_BODY_BYTES) as form:
            text = form.get("text")
            upload = form.get("file")
            common_docs = _optional_int(form.get("common_docs"), "common_docs", minimum=2)
            if isinstance(upload, UploadFile) and (upload.filename or upload.size):
                if isinstance(text, str) and text.strip():
                    raise InputError("give the draft as text or as a file, not both")
                data = await upload.read()
                name = label(upload.filename, default="draft")
                if not data:
                    raise InputError("file is empty", path=name)
                return Draft(name=name, upload=data, common_docs=common_docs)
            if isinstance(text, str) and text:
                return _text_draft(text, clean_name(_form_str(form.get("name")), default=DEFAULT_NAME), common_docs)
        raise InputError("no draft: paste the text or choose a file")

    @asynccontextmanager
    async def parsed_form(request: Request, **limits: int) -> AsyncIterator[FormData]:
        """The request's form; its uploaded files (spooled to disk past 1 MiB) closed afterwards."""
        form = await request.form(**limits)
        try:
            yield form
        finally:
            await form.close()

    async def add_to_index(request: Request) -> dict[str, Any]:
        if not config.allow_index:
            raise ReadOnlyError("this server does not change the index (it was started without --allow-index)")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "multipart/form-data":
            raise InputError("send the files as a multipart form with one or more 'file' fields")
        async with parsed_form(request, max_files=4, max_fields=4, max_part_size=FORM_FIELD_BYTES) as form:
            uploads = [u for u in form.getlist("file") if isinstance(u, UploadFile) and (u.filename or u.size)]
            if not uploads:
                raise InputError("no file: choose one or more files to add")
            # Each file is held to the library file limit by the reader, as `chachong index` does.
            contents = [await u.read() for u in uploads]
            names = [f"upload/{label(u.filename, default='upload.txt')}" for u in uploads]
        with temporary_files(contents) as paths:
            report = await state.pool.run(jobs.index_job, config.location,
                                          [jobs.Upload(str(p), n) for p, n in zip(paths, names)])
        await status_now()  # note when the index changed
        return report

    return app


def _text_draft(text: str, name: str, common_docs: int | None) -> Draft:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DRAFT_BYTES:
        raise InputError(f"text too large ({size / _MIB:.1f} MiB; the limit is {MAX_DRAFT_BYTES / _MIB:g} MiB): "
                         "split it into smaller drafts", path=name)
    if not text:
        raise InputError("no draft: the text is empty")
    return Draft(name=name, text=text, common_docs=common_docs)


def _form_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _optional_int(value: object, field_name: str, *, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.strip().isdigit() or int(value) < minimum:
        raise InputError(f"{field_name} takes a whole number of at least {minimum}")
    return int(value)


def _validation_message(errors: Any) -> str:
    """FastAPI/pydantic's list of problems as one line: ``query top: Input should be …``."""
    parts = []
    for err in list(errors)[:3]:
        where = " ".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return one_line("; ".join(parts) or "invalid request")


def _search(documents: Any, q: str | None) -> list[Any]:
    if not q:
        return list(documents)
    needle = q.strip().casefold()
    return [d for d in documents if needle in d.title.casefold() or needle in d.name.casefold()]


def _file_json(f: Any) -> dict[str, Any]:
    return {"file": f.path, "chars": f.chars, "documents": f.documents, "encoding": f.encoding,
            "declared_count": f.declared_count, "warnings": list(f.warnings), "set_aside": list(f.set_aside)}

