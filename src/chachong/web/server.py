"""Running the web application with uvicorn (``chachong serve``)."""

from __future__ import annotations

import copy
import logging
import sys
from collections.abc import Mapping
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from ..errors import without_secrets
from ..report.format import visible
from .app import create_app
from .config import ServeConfig

# Concurrent connections uvicorn accepts before answering 503 itself; the check queue
# (ServeConfig.max_queued) is the finer limit behind it.
MAX_CONNECTIONS = 512


def _safe(value: object) -> object:
    return visible(without_secrets(value)) if isinstance(value, str) else value


class VisibleRecords(logging.Filter):
    """What uvicorn logs passes through the one sanitizer (`format.visible`, no credentials):
    a request line quotes the path as the client sent it (``%1b`` decoded to ESC), and an
    error's traceback may quote anything. Each argument is cleaned where it stands, so the
    formatters (colours, the access line's fields) work as before."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _safe(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_safe(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _safe(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            trace = logging.Formatter().formatException(record.exc_info)
            record.exc_text = visible(without_secrets(trace), keep_breaks=True)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, every handler behind `VisibleRecords`."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"visible": {"()": VisibleRecords}}
    for handler in config["handlers"].values():
        handler["filters"] = ["visible"]
    return config


def run_server(config: ServeConfig, *, host: str, port: int, shown_location: str) -> int:
    """Serve until interrupted (Ctrl+C, SIGTERM); ``shown_location``: the index, password blanked."""
    app = create_app(config)
    where = f"[{host}]" if ":" in host else host
    print(
        f"chachong: serving {visible(shown_location)} at http://{visible(where)}:{port}/ with {config.workers} "
        "check worker(s)"
        + ("; the index may be changed (--allow-index)" if config.allow_index else "; read-only")
        + ("; a token is required" if config.token else ""),
        file=sys.stderr, flush=True,
    )
    uvicorn.run(
        app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False,
        limit_concurrency=MAX_CONNECTIONS, timeout_graceful_shutdown=10, log_config=log_config(),
    )
    return 0
