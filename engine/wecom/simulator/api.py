"""The simulated WeCom endpoints: from a parsed HTTP request to the JSON answer.

Between the HTTP plumbing of ``server.py`` and the company of ``company.py``. Every call
goes through the same gate as on WeCom: token (query parameter only), method, rate
window, injected transient errors, then the endpoint's own validation. Every answer is an
``errcode``/``errmsg`` dict; error answers keep the endpoint's empty list fields.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from engine.wecom.simulator import month
from engine.wecom.simulator.delivery import Mailroom, Message, duplicate_interval
from engine.wecom.simulator.faults import Roll
from engine.wecom.simulator.state import errmsg
from engine.wecom.simulator.upload import MediaFile, media_part

__all__ = ["Api", "Message", "Rejected", "Request"]

if TYPE_CHECKING:
    from engine.wecom.simulator.server import Simulator

Answer = dict[str, Any]
MAX_USERS = 100
MAX_DAYS = 31
MEDIA_MIN, MEDIA_MAX = 5, 20 * 1024 * 1024
MEDIA_TYPES = ("image", "voice", "video", "file")


class Rejected(Exception):
    """An endpoint refuses the call with this errcode."""

    def __init__(self, code: int, **fields: Any) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields


@dataclass(frozen=True)
class Request:
    method: str
    endpoint: str  # path under /cgi-bin/, e.g. "checkin/getcheckin_monthdata"
    query: Mapping[str, str]
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    ip: str = "127.0.0.1"

    def json(self) -> dict:
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Rejected(47001) from exc
        if not isinstance(data, dict):
            raise Rejected(47001)
        return data


@dataclass(frozen=True)
class _Spec:
    method: str
    handler: str
    empty: Mapping[str, Any]
    data_call: bool = True


ENDPOINTS: dict[str, _Spec] = {
    "gettoken": _Spec("GET", "_gettoken", {}, data_call=False),
    "checkin/getcheckin_monthdata": _Spec("POST", "_monthdata", {"datas": []}),
    "checkin/getcheckin_daydata": _Spec("POST", "_daydata", {"datas": []}),
    "department/simplelist": _Spec("GET", "_departments", {"department_id": []}),
    "user/simplelist": _Spec("GET", "_users", {"userlist": []}),
    "oa/vacation/getcorpconf": _Spec("GET", "_corpconf", {"lists": []}),
    "media/upload": _Spec("POST", "_upload", {}),
    "message/send": _Spec("POST", "_send", {"invaliduser": "", "invalidparty": "",
                                            "invalidtag": "", "unlicenseduser": ""}),
}


ESCAPE_MARK = "\u0000echo\u0000"  # the server writes what is between two marks as \\uXXXX


class Api:
    """Endpoint handlers over one simulator's company, tokens and windows."""

    def __init__(self, sim: Simulator, wall: Callable[[], float]) -> None:
        self.sim = sim
        self._wall = wall
        self._lock = threading.Lock()
        self._serial = 0
        self.mail = Mailroom(wall, sim.windows.window_index)

    @property
    def media(self) -> dict[str, MediaFile]:
        return self.mail.media

    @property
    def messages(self) -> list[Message]:
        return self.mail.messages

    def answer(self, req: Request, roll: Roll) -> Answer | None:
        """The JSON answer, or None for an unknown path (HTTP 404)."""
        spec = ENDPOINTS.get(req.endpoint)
        if spec is None:
            return None
        self.sim.stats.call(req.endpoint)
        try:
            body = self._gate(req, spec, roll)
            code = 0
        except Rejected as exc:
            code = exc.code
            body = {**spec.empty, **exc.fields}
        self.sim.stats.answer(req.endpoint, code)
        if spec.data_call and code not in (41001, 40014, 42001) \
                and self.sim.dice.data_call_done():
            self.sim.revoke_tokens()
        answer = {"errcode": code, "errmsg": self._errmsg(code, req.ip), **body}
        return self._echo(answer, req) if self.sim.dice.faults.echo_secrets else answer

    def _echo(self, answer: dict, req: Request) -> dict:
        """The ``echo_secrets`` fault: the token and the secret repeated in the errmsg and,
        in month records, in the name, the departments and (JSON-escaped) the rule group."""
        token = req.query.get("access_token") or self.sim.tokens.get()
        secret = self.sim.config.corp_secret
        answer["errmsg"] = f"{answer['errmsg']} (request {token} for {secret})"
        for record in answer.get("datas") or []:
            base = record.get("base_info")
            if isinstance(base, dict):
                base["name"] = f"{base.get('name', '')} {token}"
                base["departs_name"] = f"{base.get('departs_name', '')};{secret}"
                base["groupname"] = f"{ESCAPE_MARK}{token}{ESCAPE_MARK}"
        return answer

    def _errmsg(self, code: int, ip: str) -> str:
        with self._lock:
            self._serial += 1
            serial = self._serial
        now = int(self._wall())
        tag = hashlib.md5(f"{self.sim.config.seed}|{serial}".encode()).hexdigest()
        return errmsg(code, ip, f"{now}_{serial % 97}_{tag}")

    def _gate(self, req: Request, spec: _Spec, roll: Roll) -> Answer:
        if spec.data_call:
            token = req.query.get("access_token")
            if not token:
                raise Rejected(41001)
            status = self.sim.tokens.check(token)
            if status:
                raise Rejected(status)
        if req.method != spec.method:
            raise Rejected(43001 if spec.method == "GET" else 43002)
        if spec.data_call and self.sim.config.untrusted_ip:
            raise Rejected(60020)
        if req.endpoint in self.sim.config.denied:
            raise Rejected(48002)
        if not self.sim.windows.admit(req.endpoint):
            raise Rejected(45009)
        if spec.data_call and roll.error:
            raise Rejected(roll.error)
        return getattr(self, spec.handler)(req)

    # --- endpoints -------------------------------------------------------------

    def _gettoken(self, req: Request) -> Answer:
        config = self.sim.config
        if req.query.get("corpid", "") != config.corp_id:
            raise Rejected(40013)
        secret = req.query.get("corpsecret", "")
        if not secret:
            raise Rejected(41004)
        if secret != config.corp_secret:
            raise Rejected(40001)
        return {"access_token": self.sim.tokens.get(), "expires_in": config.token_lifetime}

    def _checkin_batch(self, req: Request) -> tuple[list[str], int, int, bool]:
        """Validated (userids, starttime, endtime, aligned) of a checkin request."""
        data = req.json()
        start, end, ids = data.get("starttime"), data.get("endtime"), data.get("useridlist")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                   for v in (start, end)):
            raise Rejected(40058)
        if end < start or (end - start) // month.DAY + 1 > MAX_DAYS:
            raise Rejected(301024)
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_USERS:
            raise Rejected(301023)
        if not all(isinstance(u, str) and 1 <= len(u.encode("utf-8")) <= 64 for u in ids):
            raise Rejected(40058)
        if any(self.sim.company.user(u) is None for u in ids):
            raise Rejected(301021)  # one unknown userid fails the whole batch
        # Only 00:00 in the company's zone selects days; UTC midnight finds nothing.
        offset = month.utc_offset(self.sim.config.tz)
        aligned = (start + offset) % month.DAY == 0 and (end + offset) % month.DAY == 0
        return list(dict.fromkeys(ids)), start, end, aligned

    def _visible(self, ids: list[str]) -> list:
        users = (self.sim.company.user(u) for u in ids)
        return [u for u in users if u is not None and u.visible]

    def _monthdata(self, req: Request) -> Answer:
        ids, start, end, aligned = self._checkin_batch(req)
        company, tz = self.sim.company, self.sim.config.tz
        datas = [company.month_record(u.userid, start, end, tz)
                 for u in self._visible(ids)] if aligned else []
        # WeCom promises no order: shuffle, reproducibly for the same request.
        random.Random(f"{company.seed}|{start}|{end}|{'|'.join(ids)}").shuffle(datas)
        return {"datas": datas}

    def _daydata(self, req: Request) -> Answer:
        ids, start, end, aligned = self._checkin_batch(req)
        company, tz = self.sim.company, self.sim.config.tz
        datas = []
        for user in self._visible(ids) if aligned else []:
            datas += month.day_records(company.seed, user, company.departs_name(user),
                                       start, end, tz)
        return {"datas": datas}

    def _departments(self, req: Request) -> Answer:
        company = self.sim.company
        raw = req.query.get("id", "")
        root = _int(raw) if raw else 1
        if company.department(root) is None:
            raise Rejected(60003)
        ids = company.subtree(root)
        return {"department_id": [{"id": d.id, "parentid": d.parentid, "order": d.order}
                                  for d in map(company.department, ids)]}

    def _users(self, req: Request) -> Answer:
        company = self.sim.company
        dept = _int(req.query.get("department_id", ""))
        if company.department(dept) is None:
            raise Rejected(60003)
        depts = company.subtree(dept) if req.query.get("fetch_child") == "1" else [dept]
        seen: list = []
        for d in depts:
            seen += [u for u in company.members(d) if u.visible]
        return {"userlist": [{"userid": u.userid, "name": u.name,
                              "department": list(u.department)} for u in seen]}

    def _corpconf(self, req: Request) -> Answer:
        return {"lists": self.sim.company.leave_types}

    def _upload(self, req: Request) -> Answer:
        kind = req.query.get("type", "")
        if kind not in MEDIA_TYPES:
            raise Rejected(40004)
        part = media_part(req.body, req.headers.get("content-type", ""))
        if part is None:
            raise Rejected(41005)
        filename, data, disposition = part
        if not data:
            raise Rejected(44001)
        if not MEDIA_MIN <= len(data) <= MEDIA_MAX:
            raise Rejected(40006)
        media = self.mail.store(kind, filename, data, disposition)
        return {"type": kind, "media_id": media.media_id, "created_at": str(media.created_at)}

    def _send(self, req: Request) -> Answer:
        data = req.json()
        if _int(str(data.get("agentid", ""))) != self.sim.config.agent_id:
            raise Rejected(40056)
        msgtype = str(data.get("msgtype", ""))
        media_id = str((data.get("file") or {}).get("media_id", "")) if msgtype == "file" else ""
        if msgtype == "file" and not self.mail.usable(media_id):
            raise Rejected(40007)  # unknown, or older than three days
        valid, invalid, unlicensed = self._recipients(str(data.get("touser", "")))
        if not valid and not unlicensed:
            raise Rejected(81013, invaliduser="|".join(invalid))
        message = self.mail.deliver(msgtype, valid, invalid, unlicensed, media_id,
                                    str((data.get("text") or {}).get("content", "")),
                                    duplicate_interval(data))
        return {"invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "",
                "unlicenseduser": "|".join(unlicensed), "msgid": message.msgid}

    def _recipients(self, touser: str) -> tuple[list[str], list[str], list[str]]:
        """(valid, invalid lower-cased, unlicensed) recipients of a message."""
        company, config = self.sim.company, self.sim.config
        gone = {u.lower() for u in config.left}
        unlicensed_ids = {u.lower() for u in config.unlicensed}
        if touser == "@all":
            return [u.userid for u in company.users if u.visible], [], []
        valid, invalid, unlicensed = [], [], []
        for name in filter(None, touser.split("|")):
            user = company.user_nocase(name)
            if user is None or not user.visible or name.lower() in gone:
                invalid.append(name.lower())  # WeCom lower-cases the ids it rejects
            elif name.lower() in unlicensed_ids:
                unlicensed.append(user.userid)
            else:
                valid.append(user.userid)
        return valid, invalid, unlicensed


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise Rejected(40058) from exc
