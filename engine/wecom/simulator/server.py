"""The simulator's HTTP server: a WeCom look-alike on loopback, in a background thread.

Outermost layer of the simulator, used by the API client's tests, the benchmarks and
the ``payroll demo``/``payroll simulator`` commands. It turns HTTP requests into
``api.Request`` values, applies the network faults (latency, dropped connections,
gateway errors, truncated bodies) and writes the answers the way WeCom does: HTTP 200
with a JSON body for every API outcome, HTTP 404 with an empty body for unknown paths.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from engine.errors import ConfigError
from engine.period import DEFAULT_TZ
from engine.wecom.simulator.api import ESCAPE_MARK, Api, Request
from engine.wecom.simulator.delivery import Message
from engine.wecom.simulator.company import Company, make_company
from engine.wecom.simulator.faults import FaultDice, Faults, RateWindows
from engine.wecom.simulator.state import SimStats, TokenStore
from engine.wecom.simulator.upload import MediaFile

PREFIX = "/cgi-bin/"
SIM_DELIVERED = "/sim/delivered"  # not a WeCom path: what each member received
MAX_BODY = 21 * 1024 * 1024  # a little above the 20 MB media limit

DEFAULT_LIMITS: dict[str, int] = {
    "gettoken": 1000,
    "checkin/getcheckin_monthdata": 60,
    "checkin/getcheckin_daydata": 100,
    "oa/vacation/getcorpconf": 600,
    "department/simplelist": 600,
    "user/simplelist": 600,
    "media/upload": 600,
    "message/send": 600,
}


@dataclass(frozen=True)
class SimConfig:
    employees: int = 60
    seed: int = 1
    corp_id: str = "ww00000000demo0001"
    corp_secret: str = "demo-secret-0001"  # the only secret gettoken accepts
    agent_id: int = 1000002
    token_lifetime: int = 7200  # seconds (expires_in)
    window_seconds: float = 60.0  # length of a rate-limit window
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    block_seconds: float | None = None  # how long a 45009 block lasts; None: one window
    invisible: int = 0  # directory users outside the app's visible range
    departed: tuple[str, ...] = ()  # on the roster but not in the directory (→ 301021)
    # console misconfigurations: endpoints the app may not call (→ 48002, e.g. the app is
    # not in 打卡's API list) and a caller outside 企业可信IP (→ 60020 on every data call)
    denied: tuple[str, ...] = ()
    untrusted_ip: bool = False
    left: tuple[str, ...] = ()  # left after the month was fetched: invalid message recipients
    unlicensed: tuple[str, ...] = ()  # members without a licence (message/send unlicenseduser)
    fixed_date: str | None = None  # RFC 1123 value for every HTTP Date header
    faults: Faults = Faults()
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    tz: str = DEFAULT_TZ
    log_requests: bool = False

    def limit_for(self, endpoint: str) -> int | None:
        """Calls per window; keys may be the path under /cgi-bin/ or its last segment."""
        for key in (endpoint, endpoint.rsplit("/", 1)[-1]):
            if key in self.limits:
                return self.limits[key]
        return DEFAULT_LIMITS.get(endpoint)


class Simulator:
    """A running WeCom look-alike; use as a context manager or call start()/stop()."""

    def __init__(self, config: SimConfig | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] | None = None) -> None:
        self.config = config = config or SimConfig()
        self.company: Company = make_company(config.employees, config.seed,
                                             departed=config.departed,
                                             invisible=config.invisible)
        fixed = parsedate_to_datetime(config.fixed_date).timestamp() \
            if config.fixed_date else None
        self._wall = wall or ((lambda: fixed) if fixed is not None else time.time)
        self.tokens = TokenStore(config.token_lifetime, clock, config.seed)
        block = config.window_seconds if config.block_seconds is None else config.block_seconds
        self.windows = RateWindows(config.window_seconds, block, config.limit_for, clock)
        self.stats = SimStats(self.windows.windows, lambda: self.tokens.issued)
        self.dice = FaultDice(config.faults)
        self.api = Api(self, self._wall)
        self.url = ""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def media(self) -> dict[str, MediaFile]:
        """media_id → what was uploaded, with the filename as employees would see it."""
        return self.api.media

    @property
    def messages(self) -> list[Message]:
        """Every accepted message/send, in order."""
        return self.api.messages

    def delivered(self) -> dict[str, list[dict]]:
        """What each member received (msgid, media_id, filename, sha256, size)."""
        return self.api.mail.delivered()

    def start(self) -> str:
        if self._server is not None:
            return self.url
        try:
            server = _Server((self.config.host, self.config.port), _Handler)
        except OSError as exc:
            raise ConfigError(f"simulator cannot listen on {self.config.host}:"
                              f"{self.config.port}: {exc}") from exc
        server.sim = self
        self._server = server
        self.url = f"http://{self.config.host}:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="wecom-simulator",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def revoke_tokens(self) -> None:
        self.tokens.revoke_all()

    def set_faults(self, faults: Faults) -> None:
        self.dice = FaultDice(faults)

    def http_date(self) -> str:
        return self.config.fixed_date or formatdate(self._wall(), usegmt=True)


def _escape_marked(data: bytes) -> bytes:
    """Text between two ``ESCAPE_MARK`` is written as JSON ``\\uXXXX`` escapes: the same
    string for a JSON reader, other bytes for a search of the raw answer."""
    mark = json.dumps(ESCAPE_MARK)[1:-1].encode()
    parts = data.split(mark)
    for i in range(1, len(parts), 2):
        parts[i] = "".join(f"\\u{ord(c):04x}" for c in parts[i].decode()).encode()
    return b"".join(parts)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sim: Simulator

    def __init__(self, address: tuple[str, int], handler: type) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._open_lock:
            (self._open.add if add else self._open.discard)(conn)

    def close_connections(self) -> None:
        """Wake handlers idling on keep-alive connections so they end now."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the peer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are dropped after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and
        # delayed ACKs add about 40 ms to every answer on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.server.sim.config.log_requests:
            super().log_message(format, *args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        return self.server.sim.http_date()

    def _serve(self) -> None:
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b"", "text/html")
            self.close_connection = True
            return
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        if split.path == SIM_DELIVERED:  # the simulator's own count, for tests
            data = json.dumps(sim.delivered(), ensure_ascii=False).encode("utf-8")
            return self._send(200, data, "application/json; charset=UTF-8")
        endpoint = split.path[len(PREFIX):] if split.path.startswith(PREFIX) else ""
        roll = sim.dice.roll(endpoint)
        if roll.reset:
            sim.stats.fault("reset")
            return self._reset()
        if roll.http5xx:
            sim.stats.fault("http5xx")
            page = f"<html><body><h1>{roll.http5xx} Bad Gateway</h1></body></html>"
            return self._send(roll.http5xx, page.encode(), "text/html")
        if sim.dice.faults.latency > 0:
            time.sleep(sim.dice.faults.latency)
        request = Request(self.command, endpoint, dict(parse_qsl(split.query)), body,
                          {k.lower(): v for k, v in self.headers.items()},
                          self.client_address[0])
        answer = sim.api.answer(request, roll) if endpoint else None
        if answer is None:
            return self._send(404, b"", "text/html")
        data = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if sim.dice.faults.echo_secrets:
            data = _escape_marked(data)
        if roll.truncate:
            sim.stats.fault("truncate")
            data = data[: len(data) // 2]
        self._send(200, data, "application/json; charset=UTF-8")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        # Linger 0: closing sends a TCP reset, the client gets no answer at all.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True


def serve(config, *, roster_out: Path | None = None, say=print,
                    stop=None) -> None:
    """``payroll simulator``: serve ``config`` (a ``SimConfig``) until Ctrl-C or ``stop``
    (a ``threading.Event``) is set."""
    stop = stop or threading.Event()
    with Simulator(config) as sim:
        if roster_out:
            sim.company.write_roster(roster_out)
            say(f"roster written to {roster_out}")
        say(f"WeCom simulator on {sim.url}; point the engine at it with the simulator's "
            "fixed test credentials:")
        say(f"  export WECOM_API_BASE={sim.url} WECOM_CORP_ID={config.corp_id} "
            f"WECOM_CORP_SECRET={config.corp_secret}")
        try:
            while not stop.wait(3600):
                pass
        except KeyboardInterrupt:
            say("stopped")
