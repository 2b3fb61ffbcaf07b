"""Secret removal: query strings, JSON bodies, literal values and log records."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest
from hypothesis import given, strategies as st

from engine.wecom.auth import TokenCache
from engine.wecom.redact import (MASK, RedactingFilter, RedactingStream, Redactor,
                                 install_filter, install_record_factory)


def test_query_parameters_are_masked():
    text = "GET /cgi-bin/gettoken?corpid=ww1&corpsecret=s3cr3t-value&x=1 and ?access_token=AbC-_9"
    clean = Redactor()(text)
    assert "s3cr3t-value" not in clean and "AbC-_9" not in clean
    assert f"corpsecret={MASK}&x=1" in clean and f"access_token={MASK}" in clean
    assert "corpid=ww1" in clean


def test_json_fields_are_masked():
    text = '{"access_token": "tok\\"en-value", "expires_in": 7200, "CorpSecret":"zz"}'
    clean = Redactor()(text)
    assert "en-value" not in clean and '"expires_in": 7200' in clean
    assert f'"CorpSecret":"{MASK}"' in clean


def test_literal_values_are_masked_anywhere():
    redact = Redactor("the-secret-123")
    redact.add("tok-ABCDEFG")
    assert redact("error: the-secret-123 / tok-ABCDEFG!") == f"error: {MASK} / {MASK}!"
    assert redact.__call__("abc") == "abc"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="*"),
               min_size=6, max_size=40),
       st.text(max_size=30), st.text(max_size=30))
def test_a_known_secret_never_survives(secret, before, after):
    redact = Redactor(secret)
    assert secret not in redact(before + secret + after + secret)


def test_log_filter_rewrites_formatted_records(caplog):
    logger = logging.getLogger("test.redact.leaky")
    logger.addFilter(RedactingFilter(Redactor("password-xyz")))
    with caplog.at_level(logging.DEBUG, logger="test.redact.leaky"):
        logger.info("url %s secret %s", "https://x/?access_token=abcdef123", "password-xyz")
    assert caplog.records[0].getMessage() == f"url https://x/?access_token={MASK} secret {MASK}"


def test_httpx_request_log_lines_are_redacted(caplog):
    redact = Redactor()
    filt = install_filter(redact, ("httpx",))
    try:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
        with caplog.at_level(logging.DEBUG), httpx.Client(transport=transport) as http:
            http.get("http://wecom.test/cgi-bin/gettoken",
                     params={"corpid": "c", "corpsecret": "very-secret-1"})
        lines = [r.getMessage() for r in caplog.records]
        assert any("gettoken" in line for line in lines)
        assert not any("very-secret-1" in line for line in lines)
    finally:
        logging.getLogger("httpx").removeFilter(filt)


@pytest.mark.parametrize("bad", ["%s %s", "%d"])
def test_broken_format_strings_do_not_raise(bad):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, bad, ("only-one",), None)
    assert RedactingFilter(Redactor()).filter(record)


# --- by value, in every form -----------------------------------------------------------


TOKEN = "tok/en+with=odd-chars_0123456789"


@pytest.mark.parametrize("written", [
    TOKEN, "prefix" + TOKEN + "suffix", "tok%2Fen%2Bwith%3Dodd-chars_0123456789",
    json.dumps(TOKEN)[1:-1], "echo: " + TOKEN.replace("/", "\\/")])
def test_every_written_form_of_a_value_is_masked(written):
    redactor = Redactor(TOKEN)
    clean = redactor(f"errmsg: {written} end")
    assert "0123456789" not in clean and MASK in clean


def test_escaped_values_in_a_parsed_answer_are_found_and_the_text_rebuilt():
    redactor = Redactor(TOKEN)
    escaped = "".join(f"\\u{ord(c):04x}" for c in TOKEN)
    raw = '{"errcode":0,"datas":[{"name":"张三 ' + TOKEN + '","group":"' + escaped + '"}]}'
    data = json.loads(raw)
    text, clean = redactor.clean_json_text(raw, data)
    assert clean["datas"][0]["group"] == MASK and clean["datas"][0]["name"] == f"张三 {MASK}"
    assert TOKEN not in text and escaped not in text and json.loads(text) == clean
    # an answer without any secret stays byte for byte what was received
    plain = '{"errcode":0,"errmsg":"ok","datas":[{"name":"\\u5f20"}]}'
    assert redactor.clean_json_text(plain, json.loads(plain))[0] == plain


def test_every_log_record_of_any_logger_is_redacted(caplog):
    redactor = Redactor()
    install_record_factory(redactor)
    redactor.add("value-of-the-secret")
    with caplog.at_level(logging.INFO):
        logging.getLogger("engine.wecom.fetch.child").info("saw %s", "value-of-the-secret")
        logging.getLogger("somewhere.else").warning("value-of-the-secret in msg")
    assert "value-of-the-secret" not in caplog.text and caplog.text.count(MASK) == 2


def test_terminal_stream_masks_and_delegates():
    inner = io.StringIO()
    stream = RedactingStream(inner, Redactor("the-secret-value"))
    assert stream.write("x the-secret-value y") == len("x the-secret-value y")
    assert inner.getvalue() == f"x {MASK} y" and stream.isatty() is False


def test_a_token_read_from_the_cache_file_is_announced(tmp_path):
    cache = tmp_path / "tokens.json"
    first = TokenCache("app", lambda: ("fetched-token-1", 7200), path=cache)
    assert first.get() == "fetched-token-1"
    seen: list[str] = []
    TokenCache("app", lambda: ("never", 7200), path=cache, on_token=seen.append)
    assert seen == ["fetched-token-1"]  # known before any answer is processed
