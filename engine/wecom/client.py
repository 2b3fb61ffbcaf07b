"""The WeCom HTTP client: one place where requests leave and answers come back.

Stage 1 (fetch) calls it; it knows nothing of batches or snapshots. It adds the access
token (query string only), keeps each endpoint under its rate ceiling, turns every
``errcode != 0`` into a typed exception, retries what is transient with backoff and
jitter, refreshes a rejected token once, waits out a 45009 block and then goes slower,
and hands back each answer verbatim (secrets removed) as an :class:`Exchange` ready for
the snapshot. HTTP, clocks and sleep are injected.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from engine.errors import WeComError
from engine.files import human_size, size_limit
from engine.period import Period
from engine.wecom.auth import TokenCache, app_key
from engine.wecom.errors import (RETRYABLE, RateLimitError, RetriesExhausted, TokenError,
                                 WeComApiError, WeComHttpError, WeComTransportError, api_error)
from engine.wecom.limits import RateLimiter
from engine.wecom.redact import Redactor, shared_redactor
from engine.wecom.settings import WeComSettings

log = logging.getLogger("engine.wecom")

MONTHDATA = "checkin/getcheckin_monthdata"
MEDIA_UPLOAD = "media/upload"
MESSAGE_SEND = "message/send"
MAX_BATCH = 100
MAX_USERID_BYTES = 64
MAX_SPAN_DAYS = 31


class Listener(Protocol):
    """What the client tells its caller while it works (progress output)."""

    def wait(self, endpoint: str, seconds: float, reason: str) -> None: ...

    def note(self, message: str) -> None: ...


class _Quiet:
    def wait(self, endpoint: str, seconds: float, reason: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


class _Notes:
    """A listener for a progress object that only takes notes: waits become notes."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress

    def wait(self, endpoint: str, seconds: float, reason: str) -> None:
        self.progress.note(f"WAIT {endpoint}: {reason}")

    def note(self, message: str) -> None:
        self.progress.note(message)


def listener_for(progress: Any) -> Listener:
    """A listener from any progress object (``engine.progress``) or none."""
    if progress is None:
        return _Quiet()
    if callable(getattr(progress, "wait", None)):
        return progress
    return _Notes(progress)


@dataclass(frozen=True)
class Exchange:
    """One request and the answer as received (secrets removed)."""

    endpoint: str
    method: str
    query: dict[str, str]
    body: Any
    time: str
    raw: str
    sha256: str
    data: dict[str, Any] = field(compare=False, repr=False, default_factory=dict)

    @property
    def errcode(self) -> int:
        return _int(self.data.get("errcode", 0))

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "method": self.method, "query": self.query,
                "body": self.body, "time": self.time, "raw": self.raw, "sha256": self.sha256}

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Exchange:
        """Rebuild from the snapshot; the raw text is parsed again, never trusted twice."""
        raw = str(item.get("raw", ""))
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            data = {}
        return cls(endpoint=str(item.get("endpoint", "")), method=str(item.get("method", "")),
                   query=dict(item.get("query") or {}), body=item.get("body"),
                   time=str(item.get("time", "")), raw=raw, sha256=str(item.get("sha256", "")),
                   data=data if isinstance(data, dict) else {})


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -999999  # an unreadable errcode is an error, never success


def _read_capped(endpoint: str, response: httpx.Response) -> bytes:
    """The body, refused once it passes the answer cap (a hostile or broken server could
    otherwise fill the memory); raise it with ``payroll --max-file-size answer=SIZE``."""
    limit, chunks, size = size_limit("answer"), [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise WeComError(f"{endpoint}: the answer is larger than its cap "
                             f"({human_size(limit)}); raise it with `payroll "
                             f"--max-file-size answer=SIZE` if WeCom really sends that much")
        chunks.append(chunk)
    return b"".join(chunks)


def validate_batch(userids: list[str]) -> None:
    """Refuse what the API would refuse: empty or oversized lists, bad userids."""
    if not 1 <= len(userids) <= MAX_BATCH:
        raise WeComError(f"a batch must hold 1 to {MAX_BATCH} userids, got {len(userids)}")
    for uid in userids:
        if not 1 <= len(uid.encode("utf-8")) <= MAX_USERID_BYTES:
            raise WeComError(f"userid {uid!r} must be 1 to {MAX_USERID_BYTES} bytes")


def multipart_media(filename: str, data: bytes) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with one ``media`` part and its content type.

    Built by hand because WeCom shows ``filename="…"`` to the recipient byte for byte and
    needs it as raw UTF-8: an RFC 2231 ``filename*=`` or a percent-encoded name (what
    HTTP libraries may produce) reaches the employee garbled."""
    if not filename or any(c in filename for c in '"\\\r\n') or len(filename) > 255:
        raise WeComError(f"file name {filename!r} cannot be sent: it must be 1 to 255 "
                         "characters without quotes, backslashes or line breaks")
    boundary = "----wecom-payroll-" + hashlib.sha256(data).hexdigest()[:32]
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; "
            f"filename=\"{filename}\"; filelength={len(data)}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode("utf-8")
    body = head + data + f"\r\n--{boundary}--\r\n".encode("ascii")
    return body, f"multipart/form-data; boundary={boundary}"


def validate_period(period: Period) -> None:
    if period.endtime < period.starttime or period.calendar_days > MAX_SPAN_DAYS:
        raise WeComError(f"period {period.month}: time span out of range")


class WeComClient:
    """Calls the WeCom API for one app over an injected ``httpx.Client``."""

    def __init__(self, settings: WeComSettings, http: httpx.Client, *,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 limiter: RateLimiter | None = None, tokens: TokenCache | None = None,
                 redactor: Redactor | None = None, progress: Any = None) -> None:
        self.settings, self.http = settings, http
        self._clock, self._sleep = clock, sleep
        secret = settings.corp_secret.get_secret_value()
        self.redact = redactor or shared_redactor()
        self.redact.add(secret)
        self.limiter = limiter or RateLimiter(settings.limits, settings.window_seconds,
                                              clock=monotonic, sleep=sleep)
        self.tokens = tokens or TokenCache(app_key(settings.corp_id, secret), self._gettoken,
                                           clock=clock, path=settings.token_cache,
                                           on_token=self.redact.add)
        self.listener: Listener = listener_for(progress)
        self.calls: dict[str, int] = {}
        self._count_lock = threading.Lock()

    def close(self) -> None:
        """Close the injected ``httpx.Client`` (the client owns it once given)."""
        self.http.close()

    # -- endpoints -------------------------------------------------------------------

    def monthdata(self, period: Period, userids: list[str]) -> Exchange:
        validate_period(period)
        validate_batch(userids)
        body = {"starttime": period.starttime, "endtime": period.endtime,
                "useridlist": list(userids)}
        return self.call(MONTHDATA, method="POST", body=body)

    def departments(self) -> Exchange:
        return self.call("department/simplelist")

    def users(self, department_id: int) -> Exchange:
        return self.call("user/simplelist", params={"department_id": str(department_id)})

    def leave_types(self) -> Exchange:
        return self.call("oa/vacation/getcorpconf")

    def upload_media(self, filename: str, data: bytes, kind: str = "file") -> Exchange:
        """``media/upload``: the file under the name its recipient will see (raw UTF-8)."""
        content, content_type = multipart_media(filename, data)
        described = {"filename": filename, "size": len(data),
                     "sha256": hashlib.sha256(data).hexdigest()}
        return self.call(MEDIA_UPLOAD, method="POST", params={"type": kind}, body=described,
                         content=(content, content_type))

    def send_message(self, message: dict[str, Any]) -> Exchange:
        """``message/send`` with the app's agent id. An errcode 0 answer may still name
        recipients it did not reach (``invaliduser``, ``unlicenseduser``): the caller
        must read them."""
        body = {**message, "agentid": _int(self.settings.agent_id)}
        return self.call(MESSAGE_SEND, method="POST", body=body)

    # -- machinery -------------------------------------------------------------------

    def call(self, endpoint: str, *, method: str = "GET", params: dict[str, str] | None = None,
             body: Any = None, content: tuple[bytes, str] | None = None) -> Exchange:
        """One logical call: retried, token-refreshed, blocks waited out; or a typed error.

        ``content`` is a raw request body and its content type (the multipart upload);
        ``body`` is then only the description kept with the answer."""
        for blocks in range(self.settings.max_blocks + 1):
            try:
                return self._retrying(endpoint, lambda: self._with_token(
                    endpoint, method, params or {}, body, content))
            except RateLimitError as exc:
                if blocks == self.settings.max_blocks:
                    raise
                self._wait_block(endpoint, exc)
        raise AssertionError("unreachable")

    def _wait_block(self, endpoint: str, exc: RateLimitError) -> None:
        seconds = self.settings.block_wait
        limit = self.limiter.block(endpoint, seconds)
        if limit is None:  # another thread already reported this block; just wait it out
            return
        reason = f"errcode 45009 (rate limit): waiting {seconds:g}s, then {limit} calls/window"
        log.warning("%s: %s", endpoint, reason)
        self.listener.wait(endpoint, seconds, reason)

    def _retrying(self, endpoint: str, attempt: Callable[[], Exchange]) -> Exchange:
        s = self.settings
        retryer = Retrying(
            stop=stop_after_attempt(s.retry_attempts),
            wait=wait_exponential_jitter(multiplier=s.retry_initial_seconds,
                                         max=s.retry_max_seconds,
                                         jitter=s.retry_initial_seconds),
            retry=retry_if_exception_type(RETRYABLE), sleep=self._sleep, reraise=True,
            before_sleep=lambda state: self._note_retry(endpoint, state))
        try:
            return retryer(attempt)
        except RETRYABLE as exc:
            raise RetriesExhausted(endpoint, s.retry_attempts, exc) from exc

    def _note_retry(self, endpoint: str, state: Any) -> None:
        exc = state.outcome.exception() if state.outcome else None
        message = f"{endpoint}: retry {state.attempt_number} after {exc}"
        log.info("%s", self.redact(message))
        self.listener.note(self.redact(message))

    def _with_token(self, endpoint: str, method: str, params: dict[str, str],
                    body: Any, content: tuple[bytes, str] | None = None) -> Exchange:
        token = self.tokens.get()
        self.redact.add(token)  # whatever cache it came from, it is masked from now on
        try:
            return self._send(endpoint, method, params, body, token, content)
        except TokenError as exc:
            # Evict, refresh once, retry once: a second rejection is not looped on.
            log.info("%s: token rejected (errcode %s), refreshing once", endpoint, exc.errcode)
            self.tokens.invalidate(token)
            token = self.tokens.get()
            self.redact.add(token)
            return self._send(endpoint, method, params, body, token, content)

    def _gettoken(self) -> tuple[str, int]:
        secret = self.settings.corp_secret.get_secret_value()
        params = {"corpid": self.settings.corp_id, "corpsecret": secret}
        exchange = self._retrying("gettoken", lambda: self._send(
            "gettoken", "GET", params, None, None))
        token = str(exchange.data.get("access_token") or "")
        if not token:
            raise WeComApiError("gettoken", 0, "answer without access_token")
        self.redact.add(token)
        return token, _int(exchange.data.get("expires_in", 0))

    def _send(self, endpoint: str, method: str, params: dict[str, str], body: Any,
              token: str | None, content: tuple[bytes, str] | None = None) -> Exchange:
        query = dict(params) if token is None else {**params, "access_token": token}
        payload: dict[str, Any] = {"json": body} if content is None else {
            "content": content[0], "headers": {"Content-Type": content[1]}}
        self.limiter.acquire(endpoint)
        try:
            with self.http.stream(method, f"{self.settings.api_base}/cgi-bin/{endpoint}",
                                  params=query, timeout=self.settings.timeout_seconds,
                                  **payload) as response:
                raw = _read_capped(endpoint, response)
        except httpx.TimeoutException as exc:
            raise WeComTransportError(endpoint, f"timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            reason = self.redact(f"{type(exc).__name__}: {exc}")
            raise WeComTransportError(endpoint, f"connection failed: {reason}") from None
        finally:
            self.limiter.release(endpoint)
            with self._count_lock:
                self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
        return self._answer(endpoint, method, params, body, response, raw)

    def _answer(self, endpoint: str, method: str, params: dict[str, str], body: Any,
                response: httpx.Response, raw: bytes) -> Exchange:
        if response.status_code >= 500:
            raise WeComTransportError(endpoint, f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise WeComHttpError(endpoint, response.status_code)
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested beyond any answer
            data = None
        if not isinstance(data, dict):
            raise WeComTransportError(endpoint, f"unparsable answer ({len(raw)} bytes)")
        if endpoint == "gettoken" and isinstance(data.get("access_token"), str):
            self.redact.add(data["access_token"])  # masked before the answer is kept
        text, clean = self.redact.clean_json_text(raw.decode("utf-8", "replace"), data)
        exchange = Exchange(
            endpoint=endpoint, method=method, body=body,
            query={k: v for k, v in params.items() if k != "corpsecret"},
            time=self._answer_time(response), raw=text,
            sha256=hashlib.sha256(raw).hexdigest(),
            # gettoken's caller needs the token itself; every other answer is kept clean
            data=data if endpoint == "gettoken" else clean)
        errcode = exchange.errcode
        if errcode != 0:
            errmsg = self.redact(str(clean.get("errmsg", "")))
            raise api_error(endpoint, errcode, errmsg, answer=exchange)
        return exchange

    def _answer_time(self, response: httpx.Response) -> str:
        """Server time from the ``Date`` header; the injected clock when absent."""
        stamp: datetime | None = None
        header = response.headers.get("date")
        if header:
            try:
                stamp = parsedate_to_datetime(header)
            except (TypeError, ValueError):
                stamp = None
        if stamp is None or stamp.tzinfo is None:
            stamp = datetime.fromtimestamp(self._clock(), tz=timezone.utc)
        return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
