"""Secret removal: query strings, JSON bodies, literal values and log records."""

from __future__ import annotations

import logging

import httpx
import pytest
from hypothesis import given, strategies as st

from engine.wecom.redact import MASK, Redactor, RedactingFilter, install_filter


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
