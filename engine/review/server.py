"""``payroll review``'s local server: the review site on loopback, behind a random token.

Serves the run folder's ``review/`` and ``payslips/`` read-only on 127.0.0.1 at a random
port; every path starts with a random access token (``/<token>/review/index.html``), so
other local users and web pages cannot read payslips by guessing the port. Only GET and
HEAD; no directory listings; paths are resolved and must stay inside those two folders.
``/<token>/live-status.js`` gives the page the current approval and delivery status.
"""

from __future__ import annotations

import json
import mimetypes
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from engine.errors import ConfigError
from engine.run.folder import PAYSLIPS, REVIEW

SERVED = (REVIEW, PAYSLIPS)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                               "style-src 'self'; frame-src 'self'; object-src 'self'; "
                               "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
}


def live_status(run_dir: Path) -> bytes:
    """The approval and delivery status now, as a chunk the page understands."""
    from engine.delivery.service import status
    from engine.review import approval

    record = approval.read(run_dir)
    data = {"approval": {k: record.get(k) for k in ("approved_by", "approved_at", "note")}
            if record else None,
            "approval_valid": bool(record) and not approval.check(run_dir),
            "delivery": status(run_dir).to_json() if (run_dir / "delivery").exists() else None}
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'PAYROLL.chunk("live",0,{text});\n'.encode()


class ReviewServer:
    """The site of one run folder; use as a context manager or start()/stop()."""

    def __init__(self, run_dir: Path, *, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None) -> None:
        self.run_dir = run_dir.resolve()
        self.host, self.port = host, port
        self.token = token or secrets.token_urlsafe(24)
        self.url = ""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Listen and return the page's URL (token included)."""
        try:
            server = ThreadingHTTPServer((self.host, self.port), _Handler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {self.host}:{self.port}: {exc}") from exc
        server.daemon_threads = True
        server.review = self  # type: ignore[attr-defined]
        self._server = server
        port = server.server_address[1]
        self.url = f"http://{self.host}:{port}/{self.token}/{REVIEW}/index.html"
        self._thread = threading.Thread(target=server.serve_forever, name="review-server",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ReviewServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def resolve(self, path: str) -> Path | None:
        """The file a request path names, or None (wrong token, outside, not a file)."""
        parts = unquote(urlsplit(path).path).split("/")
        if len(parts) < 3 or parts[0] != "" or not secrets.compare_digest(parts[1], self.token):
            return None
        rel = [p for p in parts[2:]]
        if not rel or rel[0] not in SERVED or any(p in ("", ".", "..") for p in rel):
            return None
        target = self.run_dir.joinpath(*rel).resolve()
        root = (self.run_dir / rel[0]).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return target

    def is_live(self, path: str) -> bool:
        parts = unquote(urlsplit(path).path).split("/")
        return len(parts) == 3 and secrets.compare_digest(parts[1], self.token) \
            and parts[2] == "live-status.js"


class _Handler(BaseHTTPRequestHandler):
    server_version = "payroll-review"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(body=False)

    def _refuse(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802 - read-only
        self._refuse(405)

    do_PUT = do_DELETE = do_PATCH = do_POST  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the URL holds the token: never log it

    def _serve(self, body: bool) -> None:
        review: ReviewServer = self.server.review  # type: ignore[attr-defined]
        if review.is_live(self.path):
            data, kind = live_status(review.run_dir), "text/javascript; charset=utf-8"
        else:
            target = review.resolve(self.path)
            if target is None:
                return self._refuse(404)
            data = target.read_bytes()
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)
