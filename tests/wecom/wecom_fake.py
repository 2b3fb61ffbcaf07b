"""A tiny scripted WeCom for narrow unit tests of the client and the fetch (MockTransport)."""

from __future__ import annotations

import json
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from engine.wecom.settings import WeComSettings

SECRET = "unit-secret-0123456789"
CORP = "ww-unit-corp"


def settings(**over: Any) -> WeComSettings:
    values = dict(corp_id=CORP, corp_secret=SECRET, api_base="http://wecom.test",
                  retry_initial_seconds=0.0, retry_max_seconds=0.0, window_seconds=60.0)
    values.update(over)
    return WeComSettings.model_validate(values)


def record(uid: str, **extra: Any) -> dict[str, Any]:
    return {"base_info": {"acctid": uid, "name": f"name-{uid}"},
            "summary_info": {"work_days": 21}, **extra}


@dataclass
class FakeWeCom:
    """Answers from a directory; ``script`` pops scripted answers per endpoint first."""

    directory: set[str] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)
    script: dict[str, deque] = field(default_factory=dict)
    tokens_issued: int = 0
    calls: Counter = field(default_factory=Counter)
    requests: list[httpx.Request] = field(default_factory=list)
    date: str | None = "Sun, 01 Nov 2026 02:00:00 GMT"
    extra_records: list[dict] = field(default_factory=list)

    def queue(self, endpoint: str, *answers: Any) -> None:
        self.script.setdefault(endpoint, deque()).extend(answers)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        endpoint = request.url.path.removeprefix("/cgi-bin/")
        self.calls[endpoint] += 1
        queued = self.script.get(endpoint)
        answer = queued.popleft() if queued else self.default(endpoint, request)
        if isinstance(answer, httpx.Response):
            return answer
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            answer = {"errcode": answer, "errmsg": f"err {answer}, hint: [x], from ip: 1.2.3.4"}
        headers = {"Date": self.date} if self.date else {}
        return httpx.Response(200, content=json.dumps(answer, ensure_ascii=False).encode(),
                              headers=headers)

    def default(self, endpoint: str, request: httpx.Request) -> Any:
        if endpoint == "gettoken":
            self.tokens_issued += 1
            return {"errcode": 0, "errmsg": "ok", "expires_in": 7200,
                    "access_token": f"tok{self.tokens_issued:04d}-ABCDEFGHIJ"}
        if endpoint == "department/simplelist":
            return {"errcode": 0, "errmsg": "ok",
                    "department_id": [{"id": 1, "parentid": 0, "order": 1},
                                      {"id": 2, "parentid": 1, "order": 2}]}
        if endpoint == "user/simplelist":
            dept = int(request.url.params["department_id"])
            ids = sorted(self.directory)
            users = [{"userid": u, "name": u, "department": [dept]} for u in ids
                     if u not in self.hidden and (len(u) % 2 + 1 == dept or dept == 1)]
            return {"errcode": 0, "errmsg": "ok", "userlist": users}
        if endpoint == "oa/vacation/getcorpconf":
            return {"errcode": 0, "errmsg": "ok",
                    "lists": [{"id": 1, "name": "年假", "time_attr": 0},
                              {"id": 2, "name": "事假", "time_attr": 1}]}
        if endpoint == "checkin/getcheckin_monthdata":
            return self.monthdata(json.loads(request.content))
        return httpx.Response(404)

    def monthdata(self, body: dict) -> Any:
        ids = body["useridlist"]
        if not 1 <= len(ids) <= 100:
            return 301023
        if any(u not in self.directory for u in ids):
            return {"errcode": 301021, "errmsg": "userid not in directory", "datas": []}
        datas = [record(u) for u in reversed(ids) if u not in self.hidden]
        return {"errcode": 0, "errmsg": "ok", "datas": datas + self.extra_records}
