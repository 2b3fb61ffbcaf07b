"""The Dask executor on a real local cluster of two worker processes (not a mock)."""

import os
import signal
from decimal import Decimal as D

import pytest

distributed = pytest.importorskip("distributed")

from engine.errors import ConfigError  # noqa: E402
from engine.executor import render_all  # noqa: E402
from engine.executor.cluster import DaskExecutor, RendererCheck, TemplateBundle  # noqa: E402
from engine.payslip.context import DEFAULT_TEMPLATES  # noqa: E402
from engine.payslip.sample import context, zhangsan  # noqa: E402
from engine.rules.lines import Status, Totals  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        yield cluster


def _people(n: int):
    people = [zhangsan(userid=f"u{i:03d}", name=f"李{'一二三四五六七八九'[i % 9]}{i}",
                       roster={"pdf_password": f"pw{i}"}) for i in range(n)]
    # totals that are not the sum of the lines: the render check fails this one alone
    people[3] = zhangsan(userid="broken", totals=Totals(earnings=D("1"), net=D("1")),
                         roster={"pdf_password": "pw3"})
    people[4] = zhangsan(userid="skipped", status=Status.ERROR)  # no payslip
    return people


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "payslips"
    return render_all(_people(20), context(encrypt_with="pdf_password"), out, workers=2)


def test_payslips_from_the_cluster_are_byte_identical_to_the_local_pool(cluster, local_run,
                                                                        tmp_path):
    seen = []
    with DaskExecutor(cluster.scheduler_address, DEFAULT_TEMPLATES, "zh", chunk=3) as dask:
        assert dask.workers == 2
        files, problems = render_all(_people(20), context(encrypt_with="pdf_password"),
                                     tmp_path / "payslips", executor=dask,
                                     progress=lambda done, total: seen.append(done))
    local_files, local_problems = local_run
    assert [(f.path, f.sha256, f.size) for f in files] == \
        [(f.path, f.sha256, f.size) for f in local_files]
    assert [(p.userid, p.code) for p in problems] == [(p.userid, p.code) for p in local_problems]
    assert ("broken", "render_failed") in [(p.userid, p.code) for p in problems]
    assert seen == list(range(1, 20))  # 19 tasks: the status=error employee gets none
    assert sorted(p.name for p in (tmp_path / "payslips" / "secure").iterdir()) == \
        sorted(f.path.split("/")[-1] for f in files)


def test_a_worker_killed_mid_run_costs_no_payslip(cluster, local_run, tmp_path):
    killed = []

    def kill_one(done, total):
        if done == 2 and not killed:
            pids = dask.client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with DaskExecutor(cluster.scheduler_address, DEFAULT_TEMPLATES, "zh", chunk=2) as dask:
        files, _ = render_all(_people(20), context(encrypt_with="pdf_password"),
                              tmp_path / "payslips", executor=dask, progress=kill_one)
    assert killed
    assert [(f.path, f.sha256) for f in files] == [(f.path, f.sha256) for f in local_run[0]]


def test_a_worker_with_other_fonts_refuses_rather_than_printing_other_bytes():
    here = RendererCheck.here()
    other = here.model_copy(update={"fonts": (("WenQuanYi Micro Hei", "0" * 64),)
                                    + here.fonts[1:]})
    assert here.differences(here) == []
    assert any("WenQuanYi Micro Hei" in d for d in here.differences(other))
    from engine.executor.cluster import render_chunk

    with pytest.raises(ConfigError, match="different payslip bytes"):
        render_chunk(TemplateBundle.of(DEFAULT_TEMPLATES), other, context(), [])


def test_the_bundle_carries_the_template_folder_and_nothing_outside(tmp_path):
    bundle = TemplateBundle.of(DEFAULT_TEMPLATES)
    assert {"payslip.html.j2", "payslip.css", "labels.yaml", "page.css.j2"} <= set(bundle.files)
    folder = bundle.materialise(tmp_path)
    assert folder.parent == tmp_path and bundle.materialise(tmp_path) == folder
    assert (folder / "payslip.css").read_bytes() == (DEFAULT_TEMPLATES / "payslip.css").read_bytes()
    evil = TemplateBundle(files={"../x": b"no"}, sha256="e" * 64)
    with pytest.raises(ConfigError, match="unsafe path"):
        evil.materialise(tmp_path)


def test_a_month_streamed_to_the_cluster_is_the_local_sequential_month(cluster, tmp_path):
    """The streaming month feeds the cluster while the fetch runs: same run folder."""
    import hashlib

    from engine.pipeline import demo_month
    from tests.conftest import DEMO_MONTH

    def tree(folder):
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    demo_month(tmp_path / "local", employees=120, month=DEMO_MONTH, workers=2,
               window_seconds=1.0, stream_payslips=False)
    demo_month(tmp_path / "dask", employees=120, month=DEMO_MONTH, window_seconds=1.0,
               executor=f"dask://{cluster.scheduler_address.split('://')[1]}")
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")
