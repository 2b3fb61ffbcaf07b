"""``payroll doctor``: is this company folder ready, and may the WeCom app do its job?

Checks the folder offline (settings, roster, rule pack and its cases, the secret in the
environment), then the app against the API with one call each: a token, the directory
(and whether the roster's people are in the app's visible range), one employee's month
report, and the leave types. Every failure says what to change, in the folder or in the
WeCom admin console (管理后台). The checks return values; the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import httpx

from engine.errors import PayrollError, WeComError
from engine.period import parse_month
from engine.wecom.errors import WeComApiError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False  # passed, but something deserves a look

    @property
    def status(self) -> str:
        return "fail" if not self.ok else ("warn" if self.warning else "ok")


class Finding(PayrollError):
    """A probe found something to fix (not an error of the engine)."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


def _attempt(name: str, probe: Callable[[], str]) -> Check:
    """Run one probe; a PayrollError becomes a failed check saying what to change."""
    try:
        return Check(name, True, probe())
    except WeComApiError as exc:
        return Check(name, False, f"errcode {exc.errcode}: {exc.errmsg.split(',')[0]}",
                     fix=exc.hint)
    except WeComError as exc:
        return Check(name, False, str(exc), fix="check WECOM_API_BASE and that this machine "
                                                "reaches it")
    except Finding as exc:
        return Check(name, False, str(exc), fix=exc.fix)
    except PayrollError as exc:
        return Check(name, False, str(exc))


def folder_checks(folder) -> tuple[list[Check], list[str]]:
    """Offline checks of a :class:`CompanyFolder`; also the roster's userids."""
    from engine.roster import load_roster
    from engine.rules.cases import run_cases
    from engine.rules.loader import load_pack

    checks, userids = [], []

    def roster() -> str:
        loaded, problems = load_roster(folder.roster)
        userids.extend(loaded.userids())
        errors = [p for p in problems if p.severity.value == "error"]
        if errors:
            raise Finding(f"{len(errors)} bad row(s), first: {errors[0]}",
                          fix=f"correct {folder.payroll.roster} (see the line named)")
        return f"{folder.payroll.roster}: {len(userids)} employees"

    def rules() -> str:
        pack = load_pack(folder.rules)
        report = run_cases(pack)
        if report.failed:
            raise Finding(f"{report.failed} of the pack's test cases fail",
                          fix=f"run `payroll rules test {folder.payroll.rules}` and correct them")
        return f"{folder.payroll.rules}: {pack.info.name} {pack.info.version}, {report.passed} cases pass"

    checks.append(_attempt("roster", roster))
    checks.append(_attempt("rules", rules))
    return checks, userids


def settings_check(load: Callable[[], object]) -> tuple[Check, object | None]:
    """The WeCom settings (file + environment), with what to set when they fail."""
    found: list[object] = []

    def probe() -> str:
        settings = load()
        found.append(settings)
        return f"corp {settings.corp_id}, agent {settings.agent_id or '-'}, {settings.api_base}"

    check = _attempt("settings", probe)
    if not check.ok:
        check = Check("settings", False, check.detail,
                      fix="set WECOM_CORP_SECRET (the app's Secret) in the environment and "
                          "corp_id/agent_id in payroll.toml [wecom]")
    return check, (found[0] if found else None)


def _visible_range(roster: Sequence[str], directory: set[str]) -> Check | None:
    outside = [u for u in roster if u not in directory]
    if not outside:
        return None
    return Check("visible range", True, f"{len(outside)} roster userid(s) not in the app's "
                 f"directory: {', '.join(outside[:5])}{' …' if len(outside) > 5 else ''}",
                 fix="add them (or their department) to the app's 可见范围 under 管理后台 → "
                     "应用管理 → the app, or correct the userid in the roster", warning=True)


def api_checks(settings, roster: Sequence[str], month: str,
               transport: httpx.BaseTransport | None = None) -> list[Check]:
    """One call per permission the month needs; later checks are skipped once the token fails."""
    from engine.wecom.client import WeComClient

    # a diagnosis answers quickly: one retry at most, no waiting out rate-limit blocks
    settings = settings.model_copy(update={"retry_attempts": 2, "max_blocks": 0,
                                           "retry_initial_seconds": 0.2, "token_cache": None})
    client = WeComClient(settings, httpx.Client(transport=transport,
                                                timeout=settings.timeout_seconds))
    try:
        token = _attempt("token", lambda: (client.tokens.get(), "access token issued")[1])
        if not token.ok:
            return [token]
        directory: set[str] = set()
        checks = [token, _attempt("directory", lambda: _directory(client, directory))]
        near = _visible_range(roster, directory) if checks[-1].ok else None
        checks += [near] if near else []
        sample = next((u for u in roster if u in directory), roster[0] if roster else "")
        checks.append(_attempt("monthdata", lambda: _monthdata(client, month, sample, settings.tz)))
        checks.append(_attempt("leave types", lambda: _leave_types(client)))
        return checks
    finally:
        client.close()


def _directory(client, found: set[str]) -> str:
    answer = client.call("user/simplelist", params={"department_id": "1", "fetch_child": "1"})
    found.update(u.get("userid", "") for u in answer.data.get("userlist") or []
                 if isinstance(u, dict))
    return f"{len(found)} members visible to the app"


def _monthdata(client, month: str, userid: str, tz: str) -> str:
    if not userid:
        raise Finding("no roster userid to ask for", fix="add your employees to the roster")
    answer = client.monthdata(parse_month(month, tz), [userid])
    if not answer.data.get("datas"):
        raise Finding(f"no {month} report for {userid}",
                      fix="the member is outside the app's 可见范围 or has no 打卡规则 "
                          "(管理后台 → 应用管理 → 打卡 → 规则)")
    return f"{month} report of {userid} received"


def _leave_types(client) -> str:
    answer = client.leave_types()
    return f"{len(answer.data.get('lists') or [])} leave types"


def doctor(folder, month: str, load_settings: Callable[[], object],
           transport: httpx.BaseTransport | None = None) -> list[Check]:
    """Every check, folder first; the API is asked only when the settings are usable."""
    checks, roster = folder_checks(folder) if folder else ([], [])
    settings_ok, settings = settings_check(load_settings)
    checks.append(settings_ok)
    if settings is not None:
        checks += api_checks(settings, roster, month, transport)
    return checks
