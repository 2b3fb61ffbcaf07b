"""The executor room: --executor parsed once, and the local pool behind the interface."""

import hashlib

import pytest

from engine.errors import ConfigError
from engine.executor import ExecutorSpec, open_executor, parse_executor, render_all
from engine.executor.local import LocalExecutor
from engine.payslip.context import DEFAULT_TEMPLATES
from engine.payslip.sample import context, zhangsan
from engine.payslip.workers import plan


def test_specs():
    assert parse_executor(None) == ExecutorSpec(kind="local", workers=None)
    assert parse_executor("local:3") == ExecutorSpec(kind="local", workers=3)
    assert parse_executor("local", workers=2) == ExecutorSpec(kind="local", workers=2)
    assert parse_executor("dask://10.0.0.5:8786").address == "tcp://10.0.0.5:8786"
    assert parse_executor("tcp://scheduler:8786") == ExecutorSpec(
        kind="dask", address="tcp://scheduler:8786")
    spec = parse_executor("local:2")
    assert parse_executor(spec) is spec


@pytest.mark.parametrize("text", ["local:0", "dask://host", "dask://h:p", "ray://x:1",
                                  "local:two", "dask://a b:1"])
def test_bad_specs_are_config_errors(text):
    with pytest.raises(ConfigError, match="executor"):
        parse_executor(text)


def test_workers_and_executor_must_agree():
    with pytest.raises(ConfigError, match="contradicts"):
        parse_executor("local:2", workers=3)
    with pytest.raises(ConfigError, match="local executor"):
        parse_executor("dask://h:1", workers=3)


def test_an_unreachable_scheduler_is_a_clear_error():
    from engine.executor.cluster import DaskExecutor

    with pytest.raises(ConfigError, match="cannot reach a Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", DEFAULT_TEMPLATES, timeout=2).close()


def _people(n: int):
    return [zhangsan(userid=f"u{i:03d}", name=f"张{i}") for i in range(n)]


def test_local_pool_hands_results_back_in_task_order():
    tasks = plan(_people(7))
    with LocalExecutor(DEFAULT_TEMPLATES, "zh", 2) as pool:
        rendered = list(pool.render(tasks, context()))
    assert [r[0] for r in rendered] == list(range(7))
    assert all(r[1].startswith(b"%PDF") and r[3] == [] for r in rendered)


def test_the_same_bytes_from_one_process_and_from_the_pool(tmp_path):
    people = _people(5)
    one, _ = render_all(people, context(), tmp_path / "a" / "payslips", workers=1)
    with open_executor("local:2", DEFAULT_TEMPLATES) as pool:
        two, _ = render_all(people, context(), tmp_path / "b" / "payslips", executor=pool)
    assert [(f.path, f.sha256) for f in one] == [(f.path, f.sha256) for f in two]
    for f in two:
        data = (tmp_path / "b" / f.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f.sha256


def _retired(workers, wait: float) -> bool:
    """Whether one of ``workers`` (processes) has exited, waiting up to ``wait`` seconds
    (a worker leaves after its last task is handed back, a moment later)."""
    import time

    deadline = time.monotonic() + wait
    while True:
        if any(not w.is_alive() for w in workers):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


@pytest.mark.parametrize("recycle_after, replaced", [(4, True), (400, False)])
def test_a_worker_is_replaced_after_recycle_after_payslips(monkeypatch, recycle_after,
                                                           replaced):
    """The pool counts the messages it sends: the limit is in payslips whatever their
    chunking (8 streamed payslips, 2 workers: with a limit of 4 a worker retires after its
    second message of two payslips; with 400 none does)."""
    from engine.executor import local

    monkeypatch.setattr(local, "RECYCLE_AFTER", recycle_after)
    with LocalExecutor(DEFAULT_TEMPLATES, "zh", 2) as pool:
        workers = list(pool._pool._pool)
        rendered = list(pool.render(iter(plan(_people(8))), context()))
        assert _retired(workers, 60 if replaced else 0) is replaced
    assert len(rendered) == 8
