"""The fetch with the streaming month beside it: how the pipeline starts a stream.

Called by ``engine.pipeline.run_month`` between preparing the run's inputs and computing
the month: ``month_stream`` builds the :class:`MonthStream` of the run (its context comes
from ``engine.run.prepared.context_for`` once the directory is in), ``fetch_streaming``
runs the fetch with it and returns once WeCom has answered, the stream still making the
last payslips while the month is computed; ``finish_stream`` then hands back what it made.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from engine.period import Period
from engine.progress import Progress
from engine.run import chain
from engine.run.prepared import Prepared, context_for
from engine.stream.month import MonthStream, Streamed


def month_stream(run_dir: Path, prepared: Prepared, period: Period, pool, *,
                 names: str, lang: str, template_dir: Path | None, encrypt_with: str | None,
                 progress: Progress) -> MonthStream:
    """The streaming month of this run: payslips computed and made while the fetch runs."""
    pack = prepared.pack
    opening = (chain.opening_values(run_dir, prepared.source, pack.ledger, period.month,
                                    set(prepared.roster.userids()))
               if pack.ledger else None)
    return MonthStream(
        pack=pack, period=period, roster=prepared.roster, before=prepared.roster_problems,
        run_dir=run_dir, source=prepared.source, names_mode=names, executor=pool,
        file_names=prepared.file_names, passwords=prepared.passwords, progress=progress,
        opening=opening,
        make_context=lambda digest: context_for(run_dir, prepared, period, digest, lang=lang,
                                                template_dir=template_dir,
                                                encrypt_with=encrypt_with))


def fetch_streaming(settings, period: Period, run_dir: Path, userids, progress: Progress,
                    stream: MonthStream | None) -> None:
    """The fetch, with ``stream`` (when given) making payslips as batches arrive; the
    stream goes on after it (see :func:`finish_stream`). A failed fetch stops the stream
    first (its workers are freed)."""
    from engine.wecom.fetch import run_fetch

    try:
        run_fetch(settings, period, run_dir, userids, progress, watcher=stream)
    except BaseException:
        if stream is not None:
            stream.abort()
        raise


def finish_stream(stream: MonthStream | None, progress: Progress) -> Mapping[str, Streamed]:
    """Wait for the stream's last payslips; userid → what was made."""
    if stream is None:
        return {}
    made = stream.finish()
    if stream.failure:
        progress.note(f"payslips made during the fetch stopped early ({stream.failure}); "
                      "the others are made after it")
    return made
