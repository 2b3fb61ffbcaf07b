"""The WeCom client: typed errors, retries, token handling, rate-limit blocks, answer time."""

from __future__ import annotations

import io
import threading

import httpx
import pytest

from engine.period import parse_month
from engine.progress import Lines
from engine.wecom.client import MONTHDATA, WeComClient, validate_batch
from engine.wecom.errors import (BatchUserError, RateLimitError, RetriesExhausted, TokenError,
                                 TransientApiError, WeComApiError, WeComConfigError,
                                 WeComHttpError)
from engine.errors import WeComError
from wecom_fake import SECRET, FakeWeCom, settings

PERIOD = parse_month("2026-10")


class FakeTime:
    """Wall clock, monotonic clock and sleep in one: sleeping advances both clocks."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Recorder:
    def __init__(self) -> None:
        self.waits: list[tuple[str, float, str]] = []
        self.notes: list[str] = []

    def wait(self, endpoint: str, seconds: float, reason: str) -> None:
        self.waits.append((endpoint, seconds, reason))

    def note(self, message: str) -> None:
        self.notes.append(message)


def make(fake: FakeWeCom, time: FakeTime | None = None, **over) -> WeComClient:
    time = time or FakeTime()
    return WeComClient(settings(**over), httpx.Client(transport=fake.transport()),
                       clock=time.clock, monotonic=time.clock, sleep=time.sleep)


@pytest.mark.parametrize("code", [40001, 40013, 40091, 41004, 48002, 60020, 301002])
def test_configuration_errors_fail_fast_with_a_console_hint(code):
    fake = FakeWeCom()
    fake.queue("gettoken", code,
               {"errcode": 0, "access_token": "never-used-1234", "expires_in": 7200})
    with pytest.raises(WeComConfigError) as caught:
        make(fake).departments()
    exc = caught.value
    assert (exc.errcode, exc.endpoint) == (code, "gettoken")
    assert exc.hint and exc.hint in str(exc) and f"errcode {code}" in str(exc)
    assert fake.calls["gettoken"] == 1  # never looped on gettoken


def test_api_error_on_a_data_call_names_endpoint_and_code():
    fake = FakeWeCom()
    fake.queue("department/simplelist", 48002)
    with pytest.raises(WeComConfigError) as caught:
        make(fake).departments()
    assert caught.value.endpoint == "department/simplelist"
    assert "应用管理" in caught.value.hint


def test_unknown_errcode_is_a_plain_api_error():
    fake = FakeWeCom()
    fake.queue("department/simplelist", 60003)
    with pytest.raises(WeComApiError) as caught:
        make(fake).departments()
    assert type(caught.value) is WeComApiError and caught.value.errcode == 60003


@pytest.mark.parametrize("code", [40014, 42001, 42007, 42009])
def test_rejected_token_is_refreshed_once_and_the_call_retried(code):
    fake = FakeWeCom()
    fake.queue("department/simplelist", code)
    answer = make(fake).departments()
    assert answer.errcode == 0
    assert fake.tokens_issued == 2 and fake.calls["department/simplelist"] == 2
    tokens = [r.url.params["access_token"] for r in fake.requests if "simplelist" in r.url.path]
    assert tokens[0] != tokens[1]


def test_token_rejected_twice_is_not_looped_on():
    fake = FakeWeCom()
    fake.queue("department/simplelist", 42001, 40014, 42001)
    with pytest.raises(TokenError):
        make(fake).departments()
    assert fake.tokens_issued == 2 and fake.calls["department/simplelist"] == 2


def test_token_travels_only_in_the_query_string():
    fake = FakeWeCom(directory={"a"})
    make(fake).monthdata(PERIOD, ["a"])
    request = fake.requests[-1]
    token = request.url.params["access_token"]
    assert token.startswith("tok")
    assert token not in request.content.decode()
    assert all(token not in v for v in request.headers.values())


def test_token_is_refreshed_ahead_of_expiry():
    fake, time = FakeWeCom(), FakeTime()
    client = make(fake, time)
    client.departments()
    time.now += 7200 - 301
    client.departments()
    assert fake.tokens_issued == 1
    time.now += 2  # now inside the last five minutes
    client.departments()
    assert fake.tokens_issued == 2


def test_a_short_lived_token_is_not_fetched_on_every_call():
    fake, time = FakeWeCom(), FakeTime()
    fake.queue("gettoken", {"errcode": 0, "access_token": "short-lived-token", "expires_in": 120})
    client = make(fake, time)
    client.departments()
    time.now += 59
    client.departments()
    assert fake.tokens_issued == 0 and fake.calls["gettoken"] == 1
    time.now += 2
    client.departments()
    assert fake.calls["gettoken"] == 2


def test_token_refresh_is_single_flight():
    fake = FakeWeCom()
    gate = threading.Event()
    original = fake.default

    def slow(endpoint, request):
        if endpoint == "gettoken":
            gate.wait(5)
        return original(endpoint, request)

    fake.default = slow
    client = WeComClient(settings(), httpx.Client(transport=fake.transport()))
    threads = [threading.Thread(target=client.tokens.get) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert fake.tokens_issued == 1


def test_token_file_cache_is_private_and_reused(tmp_path):
    path = tmp_path / "cache" / "tokens.json"
    fake = FakeWeCom()
    make(fake, token_cache=path).departments()
    assert path.stat().st_mode & 0o777 == 0o600
    assert SECRET not in path.read_text()
    make(fake, token_cache=path).departments()
    assert fake.tokens_issued == 1


@pytest.mark.parametrize("transient", [
    -1, 301022, 301070, 45033,
    httpx.Response(502), httpx.Response(200, content=b'{"errcode": 0, "datas": ['),
    httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
])
def test_transient_failures_are_retried_with_backoff(transient):
    fake, time = FakeWeCom(directory={"a"}), FakeTime()
    fake.queue(MONTHDATA, transient, transient)
    client = make(fake, time, retry_initial_seconds=1.0, retry_max_seconds=8.0)
    assert client.monthdata(PERIOD, ["a"]).errcode == 0
    assert fake.calls[MONTHDATA] == 3
    assert len(time.slept) == 2 and 1.0 <= time.slept[0] <= 2.0 and 2.0 <= time.slept[1] <= 3.0


def test_retries_are_bounded_then_fail_clearly():
    fake, time = FakeWeCom(directory={"a"}), FakeTime()
    fake.queue(MONTHDATA, *([-1] * 10))
    with pytest.raises(RetriesExhausted) as caught:
        make(fake, time, retry_attempts=4).monthdata(PERIOD, ["a"])
    assert fake.calls[MONTHDATA] == 4
    assert isinstance(caught.value.last, TransientApiError)
    assert "gave up after 4 attempts" in str(caught.value)


def test_unknown_path_is_not_retried():
    fake = FakeWeCom()
    fake.queue("department/simplelist", httpx.Response(404))
    with pytest.raises(WeComHttpError):
        make(fake).departments()
    assert fake.calls["department/simplelist"] == 1


def test_batch_error_carries_its_answer_for_the_snapshot():
    fake = FakeWeCom(directory={"a"})
    with pytest.raises(BatchUserError) as caught:
        make(fake).monthdata(PERIOD, ["a", "gone"])
    assert caught.value.answer.errcode == 301021
    assert caught.value.answer.body["useridlist"] == ["a", "gone"]


def test_rate_limit_block_is_waited_out_visibly_and_then_slower():
    fake, time, seen = FakeWeCom(directory={"a"}), FakeTime(), Recorder()
    client = make(fake, time, window_seconds=60.0)
    for _ in range(5):
        client.monthdata(PERIOD, ["a"])
    fake.queue(MONTHDATA, 45009)
    client.listener = seen
    before = time.now
    assert client.monthdata(PERIOD, ["a"]).errcode == 0
    assert time.now - before >= 60.0
    assert seen.waits and seen.waits[0][0] == MONTHDATA and "45009" in seen.waits[0][2]
    assert client.limiter.limits[MONTHDATA] < 60


def test_a_block_shows_as_a_line_in_plain_progress_output():
    fake, time, out = FakeWeCom(directory={"a"}), FakeTime(), io.StringIO()
    fake.queue(MONTHDATA, 45009)
    client = WeComClient(settings(), httpx.Client(transport=fake.transport()), clock=time.clock,
                         monotonic=time.clock, sleep=time.sleep, progress=Lines(out))
    client.monthdata(PERIOD, ["a"])
    assert out.getvalue().startswith(f"WAIT {MONTHDATA}: errcode 45009 (rate limit): waiting 60s")


def test_close_closes_the_injected_http_client():
    http = httpx.Client(transport=FakeWeCom().transport())
    WeComClient(settings(), http).close()
    assert http.is_closed


def test_persistent_rate_limit_fails_after_bounded_waits():
    fake, time = FakeWeCom(directory={"a"}), FakeTime()
    fake.queue(MONTHDATA, *([45009] * 10))
    with pytest.raises(RateLimitError):
        make(fake, time, max_blocks=2).monthdata(PERIOD, ["a"])
    assert fake.calls[MONTHDATA] == 3


def test_answer_time_comes_from_the_date_header_else_the_clock():
    fake, time = FakeWeCom(directory={"a"}), FakeTime(1_800_000_000.0)
    assert make(fake, time).monthdata(PERIOD, ["a"]).time == "2026-11-01T02:00:00Z"
    fake.date = None
    assert make(fake, time).monthdata(PERIOD, ["a"]).time == "2027-01-15T08:00:00Z"


def test_answer_is_kept_verbatim_with_its_digest():
    import hashlib
    fake = FakeWeCom(directory={"a"})
    exchange = make(fake).monthdata(PERIOD, ["a"])
    assert exchange.sha256 == hashlib.sha256(exchange.raw.encode()).hexdigest()
    assert exchange.body == {"starttime": PERIOD.starttime, "endtime": PERIOD.endtime,
                             "useridlist": ["a"]}
    assert "access_token" not in exchange.query


@pytest.mark.parametrize("ids", [[], ["x"] * 101, [""], ["é" * 33]])
def test_invalid_batches_are_never_sent(ids):
    with pytest.raises(WeComError):
        validate_batch(ids)


def test_the_period_window_is_sent_as_given():
    fake = FakeWeCom(directory={"a"})
    make(fake).monthdata(parse_month("2026-02"), ["a"])
    import json
    body = json.loads(fake.requests[-1].content)
    assert body["endtime"] - body["starttime"] == 27 * 86400
