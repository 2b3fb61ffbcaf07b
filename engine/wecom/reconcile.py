"""Reconciliation: which employee each stored month answer belongs to, and who is missing.

Pure functions shared by the fetch (as answers arrive) and the snapshot loader (when a
month is recomputed offline): both derive records and the missing report from the same
stored exchanges, so they cannot disagree. The API promises neither order nor
completeness, so records are matched by ``base_info.acctid`` against the ids each call
asked for; nobody asked for is ever dropped without a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.problems import Problem, warning
from engine.wecom.client import Exchange

STAGE = "fetch"
NOT_RETURNED = "not returned: outside the app's visible range or no data"
NOT_IN_DIRECTORY = "not in the directory (errcode 301021): departed or mistyped userid"
REJECTED = "rejected by the API (errcode {code})"
INVALID_ID = "invalid userid: must be 1 to 64 bytes"


class BatchResult(BaseModel):
    """Raw records by userid, the ids with no record and why, and what looked wrong."""

    model_config = ConfigDict(frozen=True)

    records: dict[str, dict[str, Any]] = Field(default_factory=dict)
    missing: dict[str, str] = Field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def record_userid(record: Any) -> str:
    """``base_info.acctid`` of a raw record, "" when absent or not a string."""
    base = record.get("base_info") if isinstance(record, dict) else None
    acctid = base.get("acctid") if isinstance(base, dict) else None
    return acctid if isinstance(acctid, str) else ""


def asked_ids(exchange: Exchange) -> list[str]:
    body = exchange.body if isinstance(exchange.body, dict) else {}
    ids = body.get("useridlist")
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def reconcile_batch(asked: Iterable[str], exchanges: Iterable[Exchange],
                    source: str = "") -> BatchResult:
    """Records of one planned batch from its answers (including bisected sub-calls)."""
    records: dict[str, dict[str, Any]] = {}
    missing: dict[str, str] = {}
    problems: list[Problem] = []
    for exchange in exchanges:
        ids = asked_ids(exchange)
        if exchange.errcode != 0:
            if len(ids) == 1 and exchange.errcode in (301021, 301023):
                reason = NOT_IN_DIRECTORY if exchange.errcode == 301021 else REJECTED.format(
                    code=exchange.errcode)
                missing[ids[0]] = reason
            continue
        _take(exchange, set(ids), records, problems, source)
    for uid in asked:
        if uid not in records and uid not in missing:
            missing[uid] = NOT_RETURNED
    problems += [warning(STAGE, "missing", reason, userid=uid, source=source)
                 for uid, reason in sorted(missing.items())]
    return BatchResult(records=records, missing=missing, problems=tuple(problems))


def _take(exchange: Exchange, asked: set[str], records: dict[str, dict[str, Any]],
          problems: list[Problem], source: str) -> None:
    datas = exchange.data.get("datas")
    if not isinstance(datas, list):
        datas = []
        if "datas" in exchange.data:
            problems.append(warning(STAGE, "bad_answer", "datas is not a list", source=source,
                                    field="datas"))
    for record in datas:
        uid = record_userid(record)
        if not uid:
            problems.append(warning(STAGE, "no_acctid", "record without base_info.acctid "
                                    "ignored", field="base_info.acctid", source=source))
        elif uid not in asked:
            problems.append(warning(STAGE, "unexpected", "record for a userid that was not "
                                    "asked for ignored", userid=uid, source=source))
        elif uid in records:
            problems.append(warning(STAGE, "duplicate", "duplicate record ignored (the "
                                    "first one is kept)", userid=uid, source=source))
        else:
            records[uid] = record


def merge(results: Iterable[BatchResult]) -> BatchResult:
    """All batches together; a userid in two batches keeps its first record."""
    records: dict[str, dict[str, Any]] = {}
    missing: dict[str, str] = {}
    problems: list[Problem] = []
    for result in results:
        problems += result.problems
        for uid, record in result.records.items():
            if uid in records:
                problems.append(warning(STAGE, "duplicate", "record returned by two batches;"
                                        " the first one is kept", userid=uid))
                continue
            records[uid] = record
        missing.update({u: r for u, r in result.missing.items() if u not in records})
    return BatchResult(records=records, missing=missing, problems=tuple(problems))
