"""Sending: upload each approved payslip, send it as a file message, journal every step.

Runs after ``plan``; the only part of delivery that talks to WeCom, through the same
``WeComClient`` as the fetch (token cache, retries with backoff, 45009 handling and the
per-app rate limits of ``media/upload`` and ``message/send``), plus a per-member limiter
(30 messages per member per window: WeCom drops the rest without an error).

Exactly once: before ``message/send`` an ``intent`` is fsync'd, after it the outcome.
Messages go out with WeCom's ``enable_duplicate_check``, so the same file message to the
same member within the interval (at most 4 hours) is not delivered twice. An employee
whose intent has no outcome (a crash, a lost answer) is therefore sent again only with
the same ``media_id`` and only inside that interval, where WeCom itself swallows a
repeat; after it the employee stays *in doubt* and is sent again only when the operator
says so (``--resend-in-doubt``, after checking with the employee). A confirmed ``sent``
is never sent again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from engine.delivery.journal import Entry, Journal, State
from engine.delivery.plan import Delivery
from engine.errors import ConfigError, VerifyError, WeComError
from engine.progress import Progress, Silent
from engine.wecom.errors import (RateLimitError, RetriesExhausted, TokenError, WeComApiError,
                                 WeComConfigError)
from engine.wecom.limits import RateLimiter

MEDIA_LIFETIME = 3 * 86400
MEDIA_MARGIN = 3600  # never send a media_id in its last hour
DOUBT_MARGIN = 300  # resend an in-doubt message only this long before its check ends
EXPIRED_MEDIA = 40007


@dataclass
class Options:
    retry_failed: bool = False
    resend_in_doubt: bool = False  # operator confirmed the in-doubt employees got nothing
    safe: int = 0  # 1: watermarked, cannot be forwarded
    duplicate_check_seconds: int = 4 * 3600


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    in_doubt: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # already sent, failed, …

    def __str__(self) -> str:
        return (f"sent {len(self.sent)}, failed {len(self.failed)}, in doubt "
                f"{len(self.in_doubt)}, skipped {len(self.skipped)}")


def recipient_failure(data: dict[str, Any], userid: str) -> str:
    """Why an errcode-0 ``message/send`` answer did not reach ``userid`` ('' if it did)."""
    for key, why in (("invaliduser", "not a member the app can reach (left, or outside "
                                     "the app's visible range)"),
                     ("unlicenseduser", "has no WeCom licence for the app")):
        value = data.get(key) or ""
        names = value if isinstance(value, list) else str(value).split("|")
        if userid.lower() in {str(n).lower() for n in names if n}:
            return f"{key}: {why}"
    return ""


class Sender:
    """Delivers a plan through ``client`` (a ``WeComClient``), journaling every step."""

    def __init__(self, run_dir: Path, client: Any, journal: Journal, *, options: Options,
                 member_limit: int = 30, clock: Callable[[], float] = time.time,
                 progress: Progress | None = None) -> None:
        self.run_dir, self.client, self.journal = run_dir, client, journal
        self.options, self._clock = options, clock
        self.progress = progress or Silent()
        self.members = RateLimiter({}, client.settings.window_seconds, default=member_limit)
        self._doubted: dict[str, bool] = {}

    # -- decisions ---------------------------------------------------------------------

    def decide(self, d: Delivery, entry: Entry | None) -> str:
        """'' to send now, otherwise why not."""
        if d.problem:
            return d.problem
        if entry is None or entry.state is State.PENDING:
            return ""
        if entry.state is State.SENT:
            return f"already sent (msgid {entry.msgid})"
        if entry.state is State.FAILED:
            return "" if self.options.retry_failed else f"failed earlier: {entry.reason}"
        if self.options.resend_in_doubt or self._safe_to_repeat(entry, d):
            return ""
        return ("in doubt: sent before a crash or a lost answer, and WeCom's duplicate "
                "check no longer covers it; ask the employee, then --resend-in-doubt")

    def _safe_to_repeat(self, entry: Entry, d: Delivery) -> bool:
        """An in-doubt message WeCom would swallow if it was delivered: the same file and
        media_id, still inside the duplicate-check interval."""
        if entry.sha256 != d.sha256:  # e.g. the master then, the encrypted copy now
            return False
        now = self._clock()
        inside = now < entry.intent_time + self.options.duplicate_check_seconds - DOUBT_MARGIN
        return inside and self._media_usable(entry, entry.sha256)

    def _media_usable(self, entry: Entry | None, sha256: str) -> bool:
        return (entry is not None and bool(entry.media_id) and entry.media_sha256 == sha256
                and self._clock() < entry.media_created + MEDIA_LIFETIME - MEDIA_MARGIN)

    # -- the loop ----------------------------------------------------------------------

    def run(self, plan: Sequence[Delivery], entries: dict[str, Entry]) -> SendReport:
        report = SendReport()
        todo = []
        for d in plan:
            why = self.decide(d, entries.get(d.userid))
            if why and d.problem:
                report.failed[d.userid] = why
            elif why:
                target = report.in_doubt if "in doubt" in why else report.skipped
                target[d.userid] = why
            else:
                todo.append(d)
        self.progress.start("send payslips", len(todo))
        for d in todo:
            self._one(d, entries.get(d.userid), report)
            self.progress.advance(1)
        self.progress.finish()
        return report

    def _one(self, d: Delivery, entry: Entry | None, report: SendReport) -> None:
        data = (self.run_dir / d.file).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != d.sha256:  # changed while we were sending: never send it
            raise VerifyError(f"refusing to send {d.file}: it changed since the approval")
        # an in-doubt message is repeated with its own media_id, so WeCom can recognise it
        reuse = entry is not None and entry.state is State.IN_DOUBT and entry.sha256 == digest
        self._doubted[d.userid] = reuse
        try:
            media_id = entry.media_id if (reuse or self._media_usable(entry, digest)) \
                else self._upload(d, data, digest)
            outcome = self._send(d, media_id, digest)
            if outcome == "expired":  # media_id older than WeCom keeps it: upload again
                outcome = self._send(d, self._upload(d, data, digest), digest)
        except WeComConfigError:
            raise  # settings or console: nothing else will work either
        except WeComError as exc:
            self.journal.append("error", userid=d.userid, reason=str(exc), time=self._clock())
            report.in_doubt.pop(d.userid, None)
            report.skipped[d.userid] = f"upload failed: {exc}"
            return
        self._record(d, outcome, report)

    def _record(self, d: Delivery, outcome: str, report: SendReport) -> None:
        kind, _, detail = outcome.partition(":")
        if kind == "sent":
            report.sent.append(d.userid)
        elif kind == "failed":
            report.failed[d.userid] = detail
        elif kind == "pending":
            report.skipped[d.userid] = f"not sent, try again: {detail}"
        else:
            report.in_doubt[d.userid] = detail

    def _was_in_doubt(self, d: Delivery) -> bool:
        return self._doubted.get(d.userid, False)

    def _upload(self, d: Delivery, data: bytes, digest: str) -> str:
        exchange = self.client.upload_media(d.shown_name, data)
        media_id = str(exchange.data.get("media_id", ""))
        if not media_id:
            raise WeComError(f"media/upload for {d.userid}: answer without media_id")
        created = int(str(exchange.data.get("created_at") or 0) or 0) or int(self._clock())
        self.journal.append("uploaded", userid=d.userid, file=d.file, filename=d.shown_name,
                            sha256=digest, media_id=media_id, created_at=created,
                            time=self._clock())
        return media_id

    def _send(self, d: Delivery, media_id: str, digest: str) -> str:
        """'sent', 'failed:<reason>', 'doubt:<reason>' or 'expired'; journaled."""
        o = self.options
        message = {"touser": d.userid, "msgtype": "file", "file": {"media_id": media_id},
                   "safe": o.safe, "enable_duplicate_check": 1 if o.duplicate_check_seconds else 0,
                   "duplicate_check_interval": max(1, o.duplicate_check_seconds)}
        self.members.acquire(f"member:{d.userid}")
        self.journal.append("intent", userid=d.userid, file=d.file, sha256=digest,
                            media_id=media_id, time=self._clock())
        try:
            exchange = self.client.send_message(message)
        except WeComConfigError:
            raise
        except (RateLimitError, TokenError) as exc:  # refused before it was processed
            self.journal.append("error", userid=d.userid, reason=str(exc), time=self._clock())
            return f"doubt:{exc}" if self._was_in_doubt(d) else f"pending:{exc}"
        except RetriesExhausted as exc:  # the message may have gone out: do not guess
            self.journal.append("in_doubt", userid=d.userid, reason=str(exc), time=self._clock())
            return f"doubt:{exc}"
        except WeComApiError as exc:
            if exc.errcode == EXPIRED_MEDIA:
                self.journal.append("error", userid=d.userid, reason=str(exc), time=self._clock())
                return "expired"
            reason = f"errcode {exc.errcode}: {exc.errmsg.split(', hint:')[0]}"
            self.journal.append("failed", userid=d.userid, sha256=digest, errcode=exc.errcode,
                                reason=reason, time=self._clock())
            return f"failed:{reason}"
        finally:
            self.members.release(f"member:{d.userid}")
        return self._answer(d, exchange.data, media_id, digest)

    def _answer(self, d: Delivery, data: dict[str, Any], media_id: str, digest: str) -> str:
        why = recipient_failure(data, d.userid)
        if why:
            self.journal.append("failed", userid=d.userid, sha256=digest, errcode=0,
                                reason=why, time=self._clock())
            return f"failed:{why}"
        self.journal.append("sent", userid=d.userid, sha256=digest, media_id=media_id,
                            msgid=str(data.get("msgid", "")), time=self._clock())
        return "sent"


def require_agent(settings: Any) -> None:
    if not str(settings.agent_id).strip().isdigit():
        raise ConfigError("delivery needs the app's agent id: set WECOM_AGENT_ID (or agent_id "
                          "in the config file) to the AgentId shown under 管理后台 → 应用管理")
