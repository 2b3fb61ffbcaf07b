"""Settings of the WeCom connection, read at the edge (environment or a config file).

The CLI builds one :class:`WeComSettings` and hands it to the client; nothing below
reads the environment. Values come from ``WECOM_*`` environment variables or from a
TOML or ``.env`` file named by path or by ``WECOM_CONFIG``. The secret is a
``SecretStr`` and has no command-line option on purpose.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict,
                               TomlConfigSettingsSource)

from engine.errors import ConfigError
from engine.keys import closest, unknown_keys
from engine.period import DEFAULT_TZ

DEFAULT_BASE = "https://qyapi.weixin.qq.com"

# Calls per window the service allows each app (the documented per-minute limits).
DEFAULT_LIMITS: dict[str, int] = {
    "checkin/getcheckin_monthdata": 60,
    "checkin/getcheckin_daydata": 100,
    "checkin/getcheckindata": 600,
    "oa/vacation/getcorpconf": 600,
    "media/upload": 600,
    "message/send": 600,
}
MEMBER_MESSAGES = 30  # messages per member per app per window; WeCom drops the rest silently


class WeComSettings(BaseSettings):
    """Credentials and knobs of one WeCom self-built app."""

    model_config = SettingsConfigDict(env_prefix="WECOM_", extra="ignore", frozen=True)

    corp_id: str = Field(min_length=1)
    corp_secret: SecretStr
    agent_id: str = ""
    api_base: str = DEFAULT_BASE
    tz: str = DEFAULT_TZ
    window_seconds: float = Field(default=60.0, gt=0)
    block_seconds: float | None = Field(default=None, gt=0)
    limits: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_LIMITS))
    timeout_seconds: float = Field(default=15.0, gt=0)
    retry_attempts: int = Field(default=4, ge=1, le=10)
    retry_initial_seconds: float = Field(default=1.0, ge=0)
    retry_max_seconds: float = Field(default=8.0, ge=0)
    max_blocks: int = Field(default=3, ge=0, le=20)
    concurrency: int = Field(default=3, ge=1, le=8)
    member_limit: int = Field(default=MEMBER_MESSAGES, ge=1, le=MEMBER_MESSAGES)
    duplicate_check_seconds: int = Field(default=4 * 3600, ge=0, le=4 * 3600)
    token_cache: Path | None = None

    @field_validator("api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("limits")
    @classmethod
    def _merge_limits(cls, value: dict[str, int]) -> dict[str, int]:
        return {**DEFAULT_LIMITS, **value}

    @field_validator("corp_secret")
    @classmethod
    def _non_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("the secret is empty")
        return value

    @property
    def block_wait(self) -> float:
        """How long a 45009 block lasts: one window unless configured."""
        return self.block_seconds if self.block_seconds is not None else self.window_seconds

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings merges environment and file itself, so an injected environment
        # is the whole truth (tests, the CLI) and os.environ never leaks in behind it.
        return (init_settings,)


def _toml_values(path: Path) -> dict[str, Any]:
    values = TomlConfigSettingsSource(WeComSettings, toml_file=path)()
    section = values.get("wecom")
    if not isinstance(section, dict):  # a flat file: the keys are the settings
        return {k: v for k, v in values.items() if not isinstance(v, dict)}
    section = dict(section)
    company = values.get("company")
    # a company folder's payroll.toml states its time zone once, under [company]
    if isinstance(company, dict) and "tz" in company:
        section.setdefault("tz", company["tz"])
    return section


def _file_values(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    if path.suffix.lower() == ".toml":
        values, where = _toml_values(path), f"[wecom] of {path}"
    else:
        from dotenv import dotenv_values  # a dependency of pydantic-settings

        prefix = "WECOM_"
        values = {k[len(prefix):].lower(): v for k, v in dotenv_values(path).items()
                  if v is not None and k.upper().startswith(prefix)}
        values.pop("config", None)
        where = str(path)
    problems = unknown_keys(where, values, WeComSettings.model_fields)
    if problems:
        raise ConfigError("; ".join(problems))
    return values


def load_settings(config: Path | str | None = None,
                  environ: Mapping[str, str] | None = None, **overrides: Any) -> WeComSettings:
    """Settings from the environment, a config file (``config`` or ``WECOM_CONFIG``) and overrides.

    Precedence: explicit overrides, then environment, then the file.
    """
    env = os.environ if environ is None else environ
    path = config or env.get("WECOM_CONFIG")
    values = _file_values(Path(path)) if path else {}
    prefix = "WECOM_"
    values.update({k[len(prefix):].lower(): v for k, v in env.items()
                   if k.upper().startswith(prefix) and k.upper() != "WECOM_CONFIG"})
    values.update(overrides)
    if isinstance(values.get("limits"), str):  # environment: a JSON object
        try:
            values["limits"] = json.loads(values["limits"])
        except ValueError as exc:
            raise ConfigError(f"WECOM_LIMITS must be a JSON object: {exc}") from None
    try:
        # model_validate skips the settings sources: the merge above is the whole truth
        return WeComSettings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, set(values) - set(WeComSettings.model_fields))) from None


def _explain(exc: ValidationError, strays: set[str]) -> str:
    """One part per invalid setting; a missing one names a stray key that looks like it
    (``WECOM_CORP_SECERT`` set, ``WECOM_CORP_SECRET`` missing)."""
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "settings"
        text = f"WECOM_{name.upper()}: {err['msg']}"
        if err["type"] == "missing":
            near = closest(name, sorted(strays))
            if near:
                text += f" (WECOM_{near.upper()} is set instead: a typo?)"
        parts.append(text)
    return "invalid WeCom settings: " + "; ".join(parts)
