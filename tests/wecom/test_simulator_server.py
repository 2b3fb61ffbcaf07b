"""The simulator over real HTTP on loopback: endpoints, tokens, validation, rate windows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from engine.period import midnight, parse_month
from engine.wecom.models import MonthDataAnswer
from engine.wecom.simulator import SimConfig, Simulator

OCT = parse_month("2025-10")
APR = parse_month("2026-04")
MONTHDATA = "/cgi-bin/checkin/getcheckin_monthdata"
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "monthdata_example.json"
ERRMSG = re.compile(r"^.+, hint: \[[^\]]+\], from ip: 127\.0\.0\.1, more info at "
                    r"https://open\.work\.weixin\.qq\.com/devtool/query\?e=(-?\d+)$")


class Clock:
    """A hand-driven monotonic clock: windows and token expiry without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _start(**overrides):
    clock = Clock()
    sim = Simulator(SimConfig(**overrides), clock=clock)
    sim.start()
    return sim, clock, httpx.Client(base_url=sim.url)


@pytest.fixture(scope="module")
def env():
    sim, clock, client = _start(employees=120, seed=3, invisible=2,
                                departed=("LeftLastYear",),
                                fixed_date="Sat, 01 Nov 2025 01:00:00 GMT")
    yield sim, clock, client
    client.close()
    sim.stop()


def _token(sim, client) -> str:
    answer = client.get("/cgi-bin/gettoken", params={"corpid": sim.config.corp_id,
                                                     "corpsecret": sim.config.corp_secret})
    return answer.json()["access_token"]


def _monthdata(sim, client, ids, start=OCT.starttime, end=OCT.endtime, token=None):
    body = {"starttime": start, "endtime": end, "useridlist": ids}
    return client.post(MONTHDATA, params={"access_token": token or _token(sim, client)},
                       json=body).json()


def _code(answer: dict) -> int:
    if answer["errcode"]:
        match = ERRMSG.match(answer["errmsg"])
        assert match and int(match.group(1)) == answer["errcode"], answer["errmsg"]
    return answer["errcode"]


def _visible_ids(sim, n):
    return [u.userid for u in sim.company.users if u.visible][:n]


# --- tokens ------------------------------------------------------------------------------

def test_gettoken_returns_the_same_token_while_valid(env):
    sim, _, client = env
    answer = client.get("/cgi-bin/gettoken", params={"corpid": sim.config.corp_id,
                                                     "corpsecret": sim.config.corp_secret})
    assert answer.status_code == 200
    body = answer.json()
    assert body["errcode"] == 0 and body["errmsg"] == "ok" and body["expires_in"] == 7200
    assert 0 < len(body["access_token"]) <= 512
    assert _token(sim, client) == body["access_token"]


@pytest.mark.parametrize("params, code", [
    ({"corpid": "ww00000000demo0001", "corpsecret": "wrong"}, 40001),
    ({"corpid": "wwother", "corpsecret": "demo-secret-0001"}, 40013),
    ({"corpid": "ww00000000demo0001"}, 41004),
])
def test_gettoken_errors(env, params, code):
    _, _, client = env
    assert _code(client.get("/cgi-bin/gettoken", params=params).json()) == code


def test_token_only_from_the_query(env):
    sim, _, client = env
    token = _token(sim, client)
    by_header = client.post(MONTHDATA, headers={"Authorization": f"Bearer {token}"},
                            json={"access_token": token, "starttime": OCT.starttime,
                                  "endtime": OCT.endtime, "useridlist": ["ZhangSan"]}).json()
    assert _code(by_header) == 41001 and by_header["datas"] == []
    bad = _monthdata(sim, client, ["ZhangSan"], token="not-a-token")
    assert _code(bad) == 40014 and bad["datas"] == []


def test_token_expires_and_is_renewed():
    sim, clock, client = _start(token_lifetime=100)
    with sim, client:
        token = _token(sim, client)
        clock.now += 99
        assert _code(_monthdata(sim, client, ["ZhangSan"], token=token)) == 0
        clock.now += 1
        assert _code(_monthdata(sim, client, ["ZhangSan"], token=token)) == 42001
        fresh = _token(sim, client)
        assert fresh != token
        assert _code(_monthdata(sim, client, ["ZhangSan"], token=fresh)) == 0
        assert sim.stats.snapshot()["tokens_issued"] == 2


def test_revoked_tokens_fail_until_a_new_one_is_fetched():
    sim, _, client = _start()
    with sim, client:
        token = _token(sim, client)
        sim.revoke_tokens()
        assert _code(_monthdata(sim, client, ["ZhangSan"], token=token)) in (40014, 42001)
        fresh = _token(sim, client)
        assert fresh != token
        assert _code(_monthdata(sim, client, ["ZhangSan"], token=fresh)) == 0


# --- monthdata -----------------------------------------------------------------------------

def test_zhangsan_equals_the_api_page_example(env):
    sim, _, client = env
    expected = json.loads(EXAMPLE.read_text("utf-8"))["datas"][0]
    for period in (OCT, APR):
        answer = _monthdata(sim, client, ["ZhangSan"], period.starttime, period.endtime)
        assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
        assert answer["datas"] == [expected]


def test_monthdata_answers_parse_and_reconcile(env):
    sim, _, client = env
    ids = _visible_ids(sim, 100)
    answer = _monthdata(sim, client, ids)
    parsed = MonthDataAnswer.model_validate(answer)
    assert sorted(r.userid for r in parsed.datas) == sorted(ids)
    assert [r["base_info"]["acctid"] for r in answer["datas"]] != ids  # order not kept
    again = _monthdata(sim, client, ids)
    assert again == answer  # the shuffle is seeded by the request


def test_invisible_users_are_silently_missing(env):
    sim, _, client = env
    hidden = [u.userid for u in sim.company.users if not u.visible]
    answer = _monthdata(sim, client, ["ZhangSan", *hidden])
    assert _code(answer) == 0
    assert [r["base_info"]["acctid"] for r in answer["datas"]] == ["ZhangSan"]


def test_one_departed_userid_fails_the_whole_batch(env):
    sim, _, client = env
    answer = _monthdata(sim, client, [*_visible_ids(sim, 5), "LeftLastYear"])
    assert _code(answer) == 301021 and answer["datas"] == []


@pytest.mark.parametrize("ids, code", [
    ([], 301023),
    ([f"u{i}" for i in range(101)], 301023),
    (["x" * 65], 40058),
    (["张" * 22], 40058),  # 66 bytes in UTF-8
])
def test_useridlist_validation(env, ids, code):
    sim, _, client = env
    answer = _monthdata(sim, client, ids)
    assert _code(answer) == code and answer["datas"] == []


def test_time_span_validation(env):
    sim, _, client = env
    ids = ["ZhangSan"]
    assert _code(_monthdata(sim, client, ids, OCT.endtime, OCT.starttime)) == 301024
    dec = parse_month("2025-12")  # 31 days: ending on Jan 1 asks for 32
    assert _code(_monthdata(sim, client, ids, dec.starttime, dec.endtime + 86400)) == 301024
    assert _code(_monthdata(sim, client, ids, dec.starttime, dec.endtime)) == 0


def test_utc_midnight_finds_nothing(env):
    sim, _, client = env
    answer = _monthdata(sim, client, _visible_ids(sim, 3), OCT.starttime + 8 * 3600,
                        OCT.endtime + 8 * 3600)
    assert _code(answer) == 0 and answer["datas"] == []


def test_endtime_is_inclusive(env):
    sim, _, client = env
    user = sim.company.users[5].userid
    month = _monthdata(sim, client, [user], APR.starttime, APR.endtime)["datas"][0]
    # May 1st is a statutory holiday: asking up to it adds one rest day.
    longer = _monthdata(sim, client, [user], APR.starttime, midnight(APR.last_day) + 86400)
    summary, more = month["summary_info"], longer["datas"][0]["summary_info"]
    assert int(more["rest_days"]) == int(summary["rest_days"]) + 1
    assert int(more["work_days"]) == int(summary["work_days"]) == APR.work_days
    one_day = _monthdata(sim, client, [user], APR.starttime, APR.starttime)["datas"][0]
    assert int(one_day["summary_info"]["work_days"]) == 1  # 2026-04-01 is a Wednesday


def test_bad_json_and_wrong_method(env):
    sim, _, client = env
    token = _token(sim, client)
    raw = client.post(MONTHDATA, params={"access_token": token}, content=b"{nope").json()
    assert _code(raw) == 47001
    wrong = client.get(MONTHDATA, params={"access_token": token}).json()
    assert _code(wrong) == 43002


def test_unknown_path_is_404_with_empty_body(env):
    _, _, client = env
    for path in ("/cgi-bin/checkin/nothing", "/favicon.ico"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.content == b""


def test_fixed_date_header(env):
    sim, _, client = env
    assert client.get("/cgi-bin/gettoken").headers["date"] == "Sat, 01 Nov 2025 01:00:00 GMT"
    hint = client.get("/cgi-bin/gettoken").json()["errmsg"]
    assert "hint: [1761958800_" in hint  # the hint's time is the fixed date too


def test_daydata_one_entry_per_user_and_day(env):
    sim, _, client = env
    ids = _visible_ids(sim, 3)
    answer = client.post("/cgi-bin/checkin/getcheckin_daydata",
                         params={"access_token": _token(sim, client)},
                         json={"starttime": OCT.starttime, "endtime": OCT.endtime,
                               "useridlist": ids}).json()
    assert _code(answer) == 0 and len(answer["datas"]) == 3 * 31
    oct8 = midnight(OCT.first_day.replace(day=8))
    day = next(d for d in answer["datas"] if d["base_info"]["date"] == oct8)
    assert day["base_info"]["day_type"] == 1  # a shifted rest day of National Day
    assert "workday_over_as_money" in day["ot_info"]


# --- directory, leave types --------------------------------------------------------------

def test_directory_lists_every_visible_user_under_each_department(env):
    sim, _, client = env
    token = _token(sim, client)
    depts = client.get("/cgi-bin/department/simplelist",
                       params={"access_token": token}).json()["department_id"]
    assert len(depts) == len(sim.company.departments)
    assert {"id", "parentid", "order"} == set(depts[0])
    seen: dict[str, list[int]] = {}
    for dept in depts:
        users = client.get("/cgi-bin/user/simplelist",
                           params={"access_token": token, "department_id": dept["id"]}).json()
        for user in users["userlist"]:
            assert dept["id"] in user["department"]
            seen.setdefault(user["userid"], []).append(dept["id"])
    assert set(seen) == {u.userid for u in sim.company.users if u.visible}
    assert sorted(seen["ZhangSan"]) == sorted(sim.company.user("ZhangSan").department)
    assert any(len(v) > 1 for v in seen.values())


def test_directory_errors_and_subtree(env):
    sim, _, client = env
    token = _token(sim, client)
    sub = client.get("/cgi-bin/department/simplelist",
                     params={"access_token": token, "id": 2}).json()["department_id"]
    assert sub[0]["id"] == 2 and all(d["id"] != 1 for d in sub)
    missing = client.get("/cgi-bin/user/simplelist",
                         params={"access_token": token, "department_id": 99999}).json()
    assert _code(missing) == 60003 and missing["userlist"] == []


def test_getcorpconf_lists_leave_types(env):
    sim, _, client = env
    answer = client.get("/cgi-bin/oa/vacation/getcorpconf",
                        params={"access_token": _token(sim, client)}).json()
    assert _code(answer) == 0
    names = {t["id"]: t["name"] for t in answer["lists"]}
    assert names[2] == "年假"
    assert all(t["perday_duration"] > 0 for t in answer["lists"])


# --- delivery ------------------------------------------------------------------------------

def _upload(sim, client, data: bytes, disposition: str | None = None, kind="file"):
    token = _token(sim, client)
    if disposition is None:
        return client.post("/cgi-bin/media/upload", params={"access_token": token, "type": kind},
                           files={"media": ("工资条.pdf", data, "application/pdf")}).json()
    boundary = "----sim"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; {disposition}"
            f"\r\nContent-Type: application/pdf\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    return client.post("/cgi-bin/media/upload", params={"access_token": token, "type": kind},
                       content=body,
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
                       ).json()


def test_media_upload_keeps_the_name_as_employees_see_it(env):
    sim, _, client = env
    answer = _upload(sim, client, b"%PDF-1.7 payslip")
    assert _code(answer) == 0 and answer["type"] == "file"
    assert isinstance(answer["created_at"], str) and answer["created_at"] == "1761958800"
    stored = sim.media[answer["media_id"]]
    assert stored.filename == "工资条.pdf" and stored.size == 16
    encoded = _upload(sim, client, b"%PDF-1.7 payslip",
                      "filename*=utf-8''%E5%B7%A5%E8%B5%84.pdf")
    assert sim.media[encoded["media_id"]].filename == "utf-8''%E5%B7%A5%E8%B5%84.pdf"


def test_media_upload_limits(env):
    sim, _, client = env
    assert _code(_upload(sim, client, b"1234")) == 40006
    assert _code(_upload(sim, client, b"12345")) == 0
    assert _code(_upload(sim, client, b"x" * (20 * 1024 * 1024 + 1))) == 40006
    assert _code(_upload(sim, client, b"12345", kind="pdf")) == 40004
    token = _token(sim, client)
    no_part = client.post("/cgi-bin/media/upload", params={"access_token": token, "type": "file"},
                          files={"other": ("a.pdf", b"123456")}).json()
    assert _code(no_part) == 41005


def test_message_send_reports_invalid_users_lower_cased(env):
    sim, _, client = env
    media_id = _upload(sim, client, b"%PDF-1.7 payslip")["media_id"]
    token = _token(sim, client)
    hidden = next(u.userid for u in sim.company.users if not u.visible)

    def send(touser: str) -> dict:
        return client.post("/cgi-bin/message/send", params={"access_token": token},
                           json={"touser": touser, "msgtype": "file",
                                 "agentid": sim.config.agent_id,
                                 "file": {"media_id": media_id}}).json()

    sent = send(f"ZhangSan|LeftLastYear|{hidden}")
    assert _code(sent) == 0 and sent["msgid"]
    assert sent["invaliduser"] == f"leftlastyear|{hidden.lower()}"
    assert sim.messages[-1].touser == ("ZhangSan",)
    assert sim.messages[-1].filename == "工资条.pdf"
    nobody = send("LeftLastYear")
    assert _code(nobody) == 81013 and nobody["invaliduser"] == "leftlastyear"


def test_message_send_validates_agent_and_media(env):
    sim, _, client = env
    token = _token(sim, client)
    wrong_agent = client.post("/cgi-bin/message/send", params={"access_token": token},
                              json={"touser": "ZhangSan", "msgtype": "file", "agentid": 1,
                                    "file": {"media_id": "x"}}).json()
    assert _code(wrong_agent) == 40056
    unknown_media = client.post("/cgi-bin/message/send", params={"access_token": token},
                                json={"touser": "ZhangSan", "msgtype": "file",
                                      "agentid": sim.config.agent_id,
                                      "file": {"media_id": "nope"}}).json()
    assert _code(unknown_media) == 40007


def test_messages_over_thirty_per_member_are_dropped_silently():
    sim, _, client = _start()
    with sim, client:
        token = _token(sim, client)
        for _ in range(31):
            answer = client.post("/cgi-bin/message/send", params={"access_token": token},
                                 json={"touser": "ZhangSan", "msgtype": "text",
                                       "agentid": sim.config.agent_id,
                                       "text": {"content": "工资条已发出"}}).json()
            assert _code(answer) == 0
        assert [m.touser for m in sim.messages].count(("ZhangSan",)) == 30
        assert sim.messages[-1].dropped == ("ZhangSan",)


# --- rate windows --------------------------------------------------------------------------

def test_rate_limit_blocks_the_endpoint_for_the_block_time():
    sim, clock, client = _start(window_seconds=10, block_seconds=25,
                                limits={"getcheckin_monthdata": 3})
    with sim, client:
        token = _token(sim, client)
        codes = [_code(_monthdata(sim, client, ["ZhangSan"], token=token)) for _ in range(5)]
        assert codes == [0, 0, 0, 45009, 45009]
        other = client.get("/cgi-bin/oa/vacation/getcorpconf", params={"access_token": token})
        assert _code(other.json()) == 0  # limits are per endpoint
        clock.now += 10  # a new window, but still blocked
        assert _code(_monthdata(sim, client, ["ZhangSan"], token=token)) == 45009
        clock.now += 15
        assert _code(_monthdata(sim, client, ["ZhangSan"], token=token)) == 0
        stats = sim.stats.snapshot()
        assert stats["rate_limited"] == 3
        assert (0, "checkin/getcheckin_monthdata", 5) in stats["windows"]
        assert (1, "checkin/getcheckin_monthdata", 1) in stats["windows"]
        assert stats["calls"]["checkin/getcheckin_monthdata"] == 7
        assert stats["gettoken_calls"] == 1


def test_default_monthdata_limit_is_sixty_per_window():
    sim, clock, client = _start(employees=5)
    with sim, client:
        token = _token(sim, client)
        codes = [_code(_monthdata(sim, client, ["ZhangSan"], token=token)) for _ in range(61)]
        assert codes.count(0) == 60 and codes[-1] == 45009
        clock.now += 60
        assert _code(_monthdata(sim, client, ["ZhangSan"], token=token)) == 0


def test_stop_closes_keep_alive_connections_and_port():
    sim, _, client = _start(employees=5)
    _token(sim, client)
    sim.stop()
    with pytest.raises(httpx.TransportError):
        client.get("/cgi-bin/gettoken")
    client.close()
    sim.stop()  # idempotent


def test_configured_port_in_use_is_a_config_error():
    import socket

    from engine.errors import ConfigError

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=str(port)):
            Simulator(SimConfig(employees=3, port=port)).start()


def test_concurrent_clients_are_served_and_counted():
    from concurrent.futures import ThreadPoolExecutor

    sim, _, client = _start(employees=50, limits={"getcheckin_monthdata": 1000})
    with sim, client:
        token = _token(sim, client)
        ids = _visible_ids(sim, 50)

        def worker(n: int) -> list[int]:
            with httpx.Client(base_url=sim.url) as own:
                return [len(_monthdata(sim, own, ids[n:n + 5], token=token)["datas"])
                        for _ in range(10)]

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(worker, range(6)))
        assert results == [[5] * 10] * 6
        assert sim.stats.snapshot()["calls"]["checkin/getcheckin_monthdata"] == 60
