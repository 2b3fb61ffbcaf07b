"""The review page in a real headless Chromium: served with its token, and offline."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from engine.audit import approve_run, verify_run
from engine.review.server import ReviewServer
from engine.review.site import write_site
from tests.review.conftest import screenshot
from tests.delivery.conftest import APPROVED_AT

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reviewed(demo_run, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("reviewed") / "run"
    shutil.copytree(demo_run, run_dir)
    approve_run(run_dir, by="财务 王芳", now=APPROVED_AT)
    write_site(run_dir)
    return run_dir


def test_the_site_is_part_of_the_verified_run(reviewed, tmp_path):
    assert verify_run(reviewed).ok
    copy = tmp_path / "run"
    shutil.copytree(reviewed, copy)
    (copy / "review" / "data" / "summary.js").write_text("PAYROLL.chunk('summary',0,{});")
    (copy / "review" / "extra.html").write_text("<p>")
    kinds = {(d.kind, d.file) for d in verify_run(copy).differences}
    assert kinds == {("changed_file", "review/data/summary.js"), ("extra_file", "review/extra.html")}


def test_the_server_needs_the_token_and_serves_nothing_else(reviewed):
    with ReviewServer(reviewed) as server:
        base = server.url.rsplit("/review/", 1)[0]
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url) as answer:
            assert answer.status == 200 and b"Payroll review" in answer.read()
        port_root = base.rsplit("/", 1)[0]
        for bad in (f"{port_root}/review/index.html", f"{port_root}/wrongtoken/review/index.html",
                    f"{base}/manifest.json", f"{base}/snapshot/index.json",
                    f"{base}/review/../manifest.json", f"{base}/review/%2e%2e/manifest.json",
                    f"{base}/review/"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(bad)
            assert refused.value.code == 404, bad


def test_search_open_a_payslip_filter_problems(reviewed, page):
    with ReviewServer(reviewed) as server:
        page.goto(server.url)
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator("#delivery-status").inner_text().startswith("delivery")
        assert "approved by 财务 王芳" in page.locator("#badges").inner_text()
        rows = page.locator("#employees tbody tr")
        assert rows.count() == 12
        page.fill("#search", "张三")
        expect(rows).to_have_count(1)
        assert rows.first.get_attribute("data-userid") == "ZhangSan"
        rows.first.click()
        page.wait_for_selector("body[data-detail='ZhangSan']")
        assert page.locator("#lines tbody tr").count() > 0
        page.locator("#lines details summary").first.click()
        assert "formula" in page.locator("#lines pre").first.inner_text()
        src = page.locator("#payslip").get_attribute("src")
        assert src.startswith("../payslips/") and src.endswith(".pdf")
        pdf = page.request.get(server.url.rsplit("/", 1)[0] + "/" + src)
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        page.select_option("#severity-filter", index=1)
        severity = page.locator("#severity-filter").input_value()
        cells = page.locator("#problems tbody tr td:first-child").all_inner_texts()
        assert cells and set(cells) == {severity}
        screenshot(page, "review-page.png")
    assert not page.errors


def test_the_static_copy_opens_offline(reviewed, page):
    page.goto((reviewed / "review" / "index.html").as_uri())
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#employees tbody tr").count() == 12
    assert not page.errors


def test_the_page_shows_the_delivery_status_live(reviewed, tmp_path, page):
    from engine.delivery import service
    from tests.delivery.conftest import settings_for, sim_for

    run_dir = tmp_path / "run"
    shutil.copytree(reviewed, run_dir)
    with sim_for(run_dir, left=("ZhangSan",)) as sim:
        report = service.send_run(run_dir, settings_for(sim))
    with ReviewServer(run_dir) as server:  # the site was written before the delivery
        page.goto(server.url)
        page.wait_for_selector("body[data-ready='1']")
        text = page.locator("#delivery-status").inner_text()
    assert text == f"delivery: sent {len(report.sent)} · failed 1 · in doubt 0 · pending 0"
    assert not page.errors


def test_the_diff_against_the_previous_month(reviewed, demo_run, tmp_path, page):
    run_dir = tmp_path / "run"
    shutil.copytree(reviewed, run_dir)
    write_site(run_dir, previous=demo_run)
    page.goto((run_dir / "review" / "index.html").as_uri())
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#diff-section").is_visible()
    assert page.locator("#diff-count").inner_text() == "(0 changes)"
