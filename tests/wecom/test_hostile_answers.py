"""Answers no client should choke on, served over real loopback HTTP.

A tiny hostile server answers every request with a fixed body: one too large for the
answer cap (refused with a message naming the cap and the flag), one nested a hundred
thousand levels deep (a retried transport error, never a RecursionError), one with a
secret hidden behind JSON escapes in the errmsg (masked in the exception).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from engine.errors import WeComError
from engine.files import size_limits
from engine.wecom.client import WeComClient
from engine.wecom.errors import RetriesExhausted
from wecom_fake import SECRET, settings


class _Hostile(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serve():
    servers = []

    def start(body: bytes) -> str:
        handler = type("H", (_Hostile,), {"body": body})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def client(url: str) -> WeComClient:
    return WeComClient(settings(api_base=url, retry_attempts=2), httpx.Client(),
                       sleep=lambda s: None)


def test_an_answer_over_the_cap_is_refused_with_the_flag_named(serve):
    url = serve(json.dumps({"errcode": 0, "access_token": "t" * 20, "expires_in": 7200,
                            "pad": "x" * 50_000}).encode())
    with size_limits(answer=10_000), pytest.raises(WeComError) as caught:
        client(url).departments()
    assert "larger than its cap" in str(caught.value)
    assert "--max-file-size answer=" in str(caught.value)
    client(url).departments()  # the default cap takes it


def test_deeply_nested_answer_is_a_transport_error(serve):
    url = serve(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(RetriesExhausted, match="unparsable answer"):
        client(url).departments()


@pytest.mark.corpus("echoed secrets")
def test_a_secret_behind_json_escapes_is_masked_in_the_error(serve):
    escaped = "".join(f"\\u{ord(c):04x}" for c in SECRET)
    url = serve(('{"errcode": 40013, "errmsg": "bad corp, secret ' + escaped + '"}').encode())
    with pytest.raises(WeComError) as caught:
        client(url).departments()
    assert SECRET not in str(caught.value) and "***" in str(caught.value)
