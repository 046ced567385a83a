"""Running the web application with uvicorn (``chachong serve``)."""

from __future__ import annotations

import sys

import uvicorn

from .app import create_app
from .config import ServeConfig

# Concurrent connections uvicorn accepts before answering 503 itself; the check queue
# (ServeConfig.max_queued) is the finer limit behind it.
MAX_CONNECTIONS = 512


def run_server(config: ServeConfig, *, host: str, port: int, shown_location: str) -> int:
    """Serve until interrupted (Ctrl+C, SIGTERM); ``shown_location``: the index, password blanked."""
    app = create_app(config)
    where = f"[{host}]" if ":" in host else host
    print(
        f"chachong: serving {shown_location} at http://{where}:{port}/ with {config.workers} check worker(s)"
        + ("; the index may be changed (--allow-index)" if config.allow_index else "; read-only")
        + ("; a token is required" if config.token else ""),
        file=sys.stderr, flush=True,
    )
    uvicorn.run(
        app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False,
        limit_concurrency=MAX_CONNECTIONS, timeout_graceful_shutdown=10,
    )
    return 0
