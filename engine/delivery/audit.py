"""``payroll verify`` on ``delivery/``: the journal only ever sent approved bytes, once.

Called by ``engine.audit``. The journal is written after the manifest, so it is not in
it; instead every file it uploaded must hash to the manifest's sha256 of that file,
every employee it sent to must have a payslip in the run, and no employee may have two
confirmed deliveries. Only the last line may be torn (a crash mid-write).
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.delivery.journal import JOURNAL, LOCK
from engine.run.compare import Difference, difference
from engine.run.folder import DELIVERY, MANIFEST

KNOWN = {JOURNAL, LOCK}


def _lines(path: Path) -> tuple[list[dict], list[Difference]]:
    out, problems = [], []
    lines = path.read_text("utf-8", "replace").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            if number != len(lines):
                problems.append(difference("delivery", JOURNAL, f"line {number} is not JSON"))
            continue
        out.append(event if isinstance(event, dict) else {})
    return out, problems


def _foreign(run_dir: Path) -> list[Difference]:
    root = run_dir / DELIVERY
    return [difference("extra_file", p.relative_to(run_dir).as_posix(),
                       "not a file delivery writes")
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(run_dir).as_posix() not in KNOWN]


def check(run_dir: Path) -> list[Difference]:
    path = run_dir / JOURNAL
    if not (run_dir / DELIVERY).exists():
        return []
    out = _foreign(run_dir)
    if not path.is_file():
        return out
    manifest = json.loads((run_dir / MANIFEST).read_text("utf-8"))
    hashes = {e["path"]: e["sha256"] for e in manifest.get("files", [])}
    events, out2 = _lines(path)
    out += out2
    sent: dict[str, int] = {}
    for event in events:
        kind, userid = event.get("event"), str(event.get("userid", ""))
        if kind in ("uploaded", "intent"):
            file = str(event.get("file", ""))
            if hashes.get(file) != event.get("sha256"):
                out.append(difference("delivery", JOURNAL, f"{kind} of a file whose sha256 is "
                                      "not the approved one", userid=userid, code=file,
                                      expected=hashes.get(file, "(not in manifest)"),
                                      found=event.get("sha256", "")))
        elif kind == "sent":
            sent[userid] = sent.get(userid, 0) + 1
    out += [difference("delivery", JOURNAL, f"confirmed {n} times: delivered more than once",
                       userid=u) for u, n in sorted(sent.items()) if n > 1]
    return out
