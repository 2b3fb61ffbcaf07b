"""Typed WeCom exceptions: the boundary where an ``errcode`` becomes a Python error.

Every answer with ``errcode != 0`` leaves the client as one of these, carrying the
errcode, the (redacted) errmsg, the endpoint and a hint that says what to change. The
fetch stage decides per class: configuration errors stop the run at once, token errors
are refreshed once, transient ones are retried with backoff, batch errors are split.
"""

from __future__ import annotations

from typing import Any

from engine.errors import WeComError

# What to fix in the WeCom admin console (管理后台) for each configuration error.
HINTS: dict[int, str] = {
    -1: "WeCom is busy; retried with backoff",
    40001: "the secret is invalid or the app is disabled: copy the app's Secret again from "
           "管理后台 → 应用管理 → the app → Secret and check the app is enabled",
    40013: "the corp id is invalid: use the 企业ID shown under 管理后台 → 我的企业 → 企业信息",
    40014: "the access token is invalid; it is refreshed once",
    40058: "a parameter is invalid (a userid longer than 64 bytes or a list too long)",
    40091: "the secret belongs to another corp: corp id and secret must come from the same 企业",
    41001: "the access token was not sent: this is a client bug",
    41004: "the secret is missing: set WECOM_CORP_SECRET or corp_secret in the config file",
    42001: "the access token expired; it is refreshed once",
    42007: "the access token was invalidated; it is refreshed once",
    42009: "the access token expired; it is refreshed once",
    45009: "the API rate limit was exceeded: the endpoint is blocked for a while",
    45033: "too many concurrent calls; retried with backoff",
    48002: "the app may not call this API: add it under 管理后台 → 应用管理 → 打卡 → API → "
           "可调用接口的应用 (and 审批 → API for leave types)",
    60020: "the caller's IP is not trusted: add this machine's public IP to 管理后台 → 应用管理 → "
           "the app → 企业可信IP",
    301002: "the token belongs to another app: WECOM_AGENT_ID and WECOM_CORP_SECRET must be "
            "of the same self-built app",
    301021: "at least one userid is not in the directory: the whole batch failed",
    301022: "the check-in system failed; retried with backoff",
    301023: "the userid list was empty or longer than 100",
    301024: "the time span is out of range or ends before it starts",
    301070: "the check-in system failed; retried with backoff",
}

CONFIG_CODES = frozenset({40001, 40013, 40091, 41001, 41004, 48002, 60020, 301002})
TOKEN_CODES = frozenset({40014, 42001, 42007, 42009})
TRANSIENT_CODES = frozenset({-1, 45033, 301022, 301070})


class WeComApiError(WeComError):
    """An answer with ``errcode != 0``."""

    def __init__(self, endpoint: str, errcode: int, errmsg: str, hint: str = "",
                 answer: Any = None) -> None:
        self.endpoint, self.errcode, self.errmsg = endpoint, errcode, errmsg
        self.hint = hint or HINTS.get(errcode, "")
        self.answer = answer  # the client's Exchange, kept for the snapshot
        text = f"{endpoint}: errcode {errcode}: {errmsg}"
        super().__init__(f"{text} — {self.hint}" if self.hint else text)


class WeComConfigError(WeComApiError):
    """Settings or console configuration is wrong: fail fast, never retry."""

    exit_code = 2


class TokenError(WeComApiError):
    """The access token was rejected (expired, revoked)."""


class RateLimitError(WeComApiError):
    """45009: the endpoint is blocked; wait the block out."""


class TransientApiError(WeComApiError):
    """A busy or failing service answer worth retrying."""


class BatchUserError(WeComApiError):
    """301021: one of the userids is unknown and sank the whole batch."""


class BatchSizeError(WeComApiError):
    """301023: the list was empty or too long."""


class WeComTransportError(WeComError):
    """No usable answer: timeout, connection failure, HTTP 5xx or an unparsable body."""

    def __init__(self, endpoint: str, reason: str) -> None:
        self.endpoint, self.reason = endpoint, reason
        super().__init__(f"{endpoint}: {reason}")


class WeComHttpError(WeComError):
    """An HTTP status that retrying will not fix (404 unknown path, 4xx)."""

    def __init__(self, endpoint: str, status: int) -> None:
        self.endpoint, self.status = endpoint, status
        super().__init__(f"{endpoint}: HTTP {status} (check WECOM_API_BASE)")


class RetriesExhausted(WeComError):
    """A retryable failure that did not go away within the retry budget."""

    def __init__(self, endpoint: str, attempts: int, last: Exception) -> None:
        self.endpoint, self.attempts, self.last = endpoint, attempts, last
        super().__init__(f"{endpoint}: gave up after {attempts} attempts: {last}")


RETRYABLE = (TransientApiError, WeComTransportError)

_BY_CODE: dict[int, type[WeComApiError]] = {
    **{code: WeComConfigError for code in CONFIG_CODES},
    **{code: TokenError for code in TOKEN_CODES},
    **{code: TransientApiError for code in TRANSIENT_CODES},
    45009: RateLimitError, 301021: BatchUserError, 301023: BatchSizeError,
}


def api_error(endpoint: str, errcode: int, errmsg: str, answer: Any = None) -> WeComApiError:
    """The typed exception for one error answer."""
    cls = _BY_CODE.get(errcode, WeComApiError)
    return cls(endpoint, errcode, errmsg, answer=answer)
