"""``chachong serve``: the reviewer's pages and an HTTP API over one index (extra ``serve``).

`app` builds the FastAPI application (pages and API), `guard` the rules every request passes
(host, origin, token, size, security headers), `pool` and `jobs` the worker processes checks
run in, `library` the reads behind the library pages, `uploads` how an uploaded file is
typed and named, `results` the finished checks kept for their pages, `server` uvicorn. Like the
report package, nothing here computes a finding.
"""
