"""Reconciliation of month answers by acctid: order, extras, duplicates, absences."""

from __future__ import annotations

import json

from engine.wecom.client import Exchange
from engine.wecom.reconcile import (NOT_IN_DIRECTORY, NOT_RETURNED, merge, reconcile_batch,
                                    record_userid)
from wecom_fake import record


def exchange(ids, answer) -> Exchange:
    raw = json.dumps(answer)
    return Exchange.from_json({"endpoint": "checkin/getcheckin_monthdata", "method": "POST",
                               "query": {}, "body": {"useridlist": ids}, "time": "",
                               "raw": raw, "sha256": ""})


def ok(*records) -> dict:
    return {"errcode": 0, "errmsg": "ok", "datas": list(records)}


def test_records_are_matched_by_acctid_not_order():
    result = reconcile_batch(["a", "b", "c"], [exchange(["a", "b", "c"],
                                                        ok(record("c"), record("a"), record("b")))])
    assert sorted(result.records) == ["a", "b", "c"]
    assert result.records["c"]["base_info"]["acctid"] == "c"
    assert not result.missing and not result.problems


def test_absent_ids_are_reported_not_dropped():
    result = reconcile_batch(["a", "b"], [exchange(["a", "b"], ok(record("a")))])
    assert result.missing == {"b": NOT_RETURNED}
    assert [(p.code, p.userid) for p in result.problems] == [("missing", "b")]


def test_unasked_and_duplicate_and_anonymous_records_are_reported_and_ignored():
    first = record("a", summary_info={"work_days": 1})
    result = reconcile_batch(["a"], [exchange(["a"], ok(first, record("a"), record("zz"),
                                                       {"base_info": {}}, "junk"))])
    assert result.records == {"a": first}
    assert sorted(p.code for p in result.problems) == ["duplicate", "no_acctid", "no_acctid",
                                                       "unexpected"]


def test_bisected_answers_settle_the_batch():
    exchanges = [exchange(["a", "b", "x"], {"errcode": 301021, "datas": []}),
                 exchange(["a"], ok(record("a"))),
                 exchange(["b", "x"], {"errcode": 301021, "datas": []}),
                 exchange(["b"], ok(record("b"))),
                 exchange(["x"], {"errcode": 301021, "datas": []})]
    result = reconcile_batch(["a", "b", "x"], exchanges)
    assert sorted(result.records) == ["a", "b"]
    assert result.missing == {"x": NOT_IN_DIRECTORY}


def test_merge_keeps_the_first_of_a_cross_batch_duplicate():
    one = reconcile_batch(["a"], [exchange(["a"], ok(record("a")))])
    two = reconcile_batch(["a"], [exchange(["a"], ok(record("a", extra=1)))])
    merged = merge([one, two])
    assert "extra" not in merged.records["a"]
    assert [p.code for p in merged.problems] == ["duplicate"]


def test_record_userid_tolerates_drift():
    assert record_userid({"base_info": {"acctid": 5}}) == ""
    assert record_userid(None) == "" and record_userid({"base_info": None}) == ""
