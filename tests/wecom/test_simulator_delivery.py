"""The simulator's delivery rules, which the sender's tests rely on."""

from __future__ import annotations

import json
import urllib.request

import httpx

from engine.wecom.client import multipart_media
from engine.wecom.simulator import SimConfig, Simulator
from tests.wecom.sim_helpers import sim_client


class Wall:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


def _send(client, media_id: str, touser: str, **extra) -> dict:
    return client.send_message({"touser": touser, "msgtype": "file",
                                "file": {"media_id": media_id}, **extra}).data


def test_multipart_header_is_raw_utf8():
    body, content_type = multipart_media("工资条-2026-10-张三.pdf", b"%PDF-1.7 x")
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert body.startswith(b"--" + boundary + b"\r\nContent-Disposition: form-data; "
                           b'name="media"; filename="\xe5\xb7\xa5\xe8\xb5\x84\xe6\x9d\xa1-2026-10-'
                           b'\xe5\xbc\xa0\xe4\xb8\x89.pdf"; filelength=10\r\n'
                           b"Content-Type: application/octet-stream\r\n\r\n%PDF-1.7 x\r\n")
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")


def test_unlicensed_expired_media_duplicates_and_the_inbox():
    wall = Wall()
    sim = Simulator(SimConfig(employees=5, unlicensed=("ZhangSan",)), wall=wall)
    with sim:
        client = sim_client(sim, agent_id=str(sim.config.agent_id))
        users = [u.userid for u in sim.company.users]
        media = client.upload_media("工资条.pdf", b"%PDF-1.7 payslip").data["media_id"]
        answer = _send(client, media, "ZhangSan")
        assert answer["errcode"] == 0 and answer["unlicenseduser"] == "ZhangSan"
        first = _send(client, media, users[1], enable_duplicate_check=1,
                      duplicate_check_interval=600)
        again = _send(client, media, users[1], enable_duplicate_check=1,
                      duplicate_check_interval=600)
        assert first["errcode"] == again["errcode"] == 0
        assert sim.messages[-1].duplicates == (users[1],)
        wall.now += 3 * 86400  # three days later the media_id is gone
        expired = httpx.post(f"{sim.url}/cgi-bin/message/send",
                             params={"access_token": client.tokens.get()},
                             json={"touser": users[2], "msgtype": "file", "agentid": 1000002,
                                   "file": {"media_id": media}}).json()
        assert expired["errcode"] == 40007
        with urllib.request.urlopen(f"{sim.url}/sim/delivered") as raw:
            inbox = json.loads(raw.read())
        client.close()
    assert list(inbox) == [users[1]] and len(inbox[users[1]]) == 1
    assert inbox[users[1]][0]["filename"] == "工资条.pdf"
