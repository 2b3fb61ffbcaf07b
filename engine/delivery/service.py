"""``payroll send`` and ``payroll send --status`` as library functions.

The edge of delivery: checks the approval and the files, opens the journal (which locks
the run against a second sender), builds the WeCom client from the settings and runs the
``Sender``. ``status`` reads only the journal and the manifest, so the review page and
the command line show the same counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from engine.delivery import journal as journal_mod
from engine.delivery.journal import State
from engine.delivery.plan import Delivery, deliveries, require_unchanged, select
from engine.delivery.sender import Options, SendReport, Sender, require_agent
from engine.progress import Progress, Silent


@dataclass
class DeliveryStatus:
    total: int = 0
    sent: int = 0
    pending: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # userid → reason
    in_doubt: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"total": self.total, "sent": self.sent, "pending": self.pending,
                "failed": self.failed, "in_doubt": self.in_doubt}

    def __str__(self) -> str:
        lines = [f"sent {self.sent}, failed {len(self.failed)}, in doubt {len(self.in_doubt)}, "
                 f"pending {self.pending} (of {self.total} payslips)"]
        lines += [f"  failed {u}: {why}" for u, why in sorted(self.failed.items())]
        lines += [f"  in doubt {u}: {why}" for u, why in sorted(self.in_doubt.items())]
        return "\n".join(lines)


def status(run_dir: Path) -> DeliveryStatus:
    """Sent / failed (with reason) / in doubt / pending, from the journal."""
    plan = deliveries(run_dir)
    entries = journal_mod.load(run_dir)
    out = DeliveryStatus(total=len(plan))
    for d in plan:
        entry = entries.get(d.userid)
        state = entry.state if entry else State.PENDING
        if state is State.SENT:
            out.sent += 1
        elif state is State.FAILED:
            out.failed[d.userid] = entry.reason
        elif state is State.IN_DOUBT:
            out.in_doubt[d.userid] = entry.reason
        else:
            out.pending += 1
    return out


def plan_for(run_dir: Path, *, only: Sequence[str] = (), encrypted: bool = False
             ) -> list[Delivery]:
    """The approved, unchanged payslips to consider; refuses an unapproved or changed run."""
    from engine.review import approval

    approval.require(run_dir)
    plan = select(deliveries(run_dir, encrypted=encrypted), only)
    require_unchanged(run_dir, plan)
    return plan


def unsent(run_dir: Path, plan: Sequence[Delivery]) -> list[str]:
    """The employees of ``plan`` that may be sent now: sendable and not yet confirmed."""
    entries = journal_mod.load(run_dir)
    return [d.userid for d in plan if not d.problem and not (
        d.userid in entries and entries[d.userid].state is State.SENT)]


def send_run(run_dir: Path, settings, *, only: Sequence[str] = (), encrypted: bool = False,
             options: Options | None = None, progress: Progress | None = None,
             http=None, templates: Path | None = None,
             workers: int | None = None) -> SendReport:
    """Deliver the approved run: every payslip without a confirmed outcome, once, after
    ``verify --render`` of what is about to be sent (``engine.audit.require_rendered``)."""
    import httpx

    from engine.audit import require_rendered
    from engine.wecom.client import WeComClient

    require_agent(settings)
    plan = plan_for(run_dir, only=only, encrypted=encrypted)
    options = options or Options(duplicate_check_seconds=settings.duplicate_check_seconds)
    progress = progress or Silent()
    todo = unsent(run_dir, plan)
    if todo:  # a rerun with everything delivered renders nothing
        require_rendered(run_dir, todo, templates=templates, workers=workers,
                         progress=progress)
    with journal_mod.Journal(run_dir) as journal:
        entries = journal_mod.load(run_dir)  # read under the lock: nobody else is writing
        client = WeComClient(settings, http or httpx.Client(), progress=progress)
        try:
            journal.append("run", time=time.time(), payslips=len(plan),
                           options={"retry_failed": options.retry_failed,
                                    "resend_in_doubt": options.resend_in_doubt,
                                    "encrypted": encrypted, "safe": options.safe})
            sender = Sender(run_dir, client, journal, options=options,
                            member_limit=settings.member_limit, progress=progress)
            return sender.run(plan, entries)
        finally:
            client.close()
