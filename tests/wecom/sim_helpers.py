"""Helpers to run the real client against the simulator over loopback HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from engine.wecom.client import WeComClient
from engine.wecom.settings import WeComSettings, load_settings
from engine.wecom.simulator import Simulator


def sim_settings(sim: Simulator, **over: Any) -> WeComSettings:
    """Settings pointing at ``sim``, with its window and short retry backoff."""
    values: dict[str, Any] = dict(corp_id=sim.config.corp_id,
                                  corp_secret=sim.config.corp_secret, api_base=sim.url,
                                  window_seconds=sim.config.window_seconds,
                                  retry_initial_seconds=0.02, retry_max_seconds=0.1)
    values.update(over)
    return load_settings(environ={}, **values)


class TokenSpy:
    """Collects every access token the client sent (to prove none leaked)."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()

    def __call__(self, request: httpx.Request) -> None:
        token = request.url.params.get("access_token")
        if token:
            self.tokens.add(token)


def sim_client(sim: Simulator, spy: TokenSpy | None = None, **over: Any) -> WeComClient:
    hooks = {"request": [spy]} if spy else {}
    return WeComClient(sim_settings(sim, **over), httpx.Client(event_hooks=hooks))


class Recorder:
    """A progress object (``engine.progress.Progress`` plus ``wait``) that remembers what
    it was told; ``stop_after`` raises from the n-th ``advance`` like a killed process."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.stop_after = stop_after
        self.started: list[tuple[str, int]] = []
        self.advanced: list[int] = []
        self.waits: list[tuple[str, float, str]] = []
        self.notes: list[str] = []
        self.finished = False

    def start(self, stage: str, total: int) -> None:
        self.started.append((stage, total))

    def advance(self, n: int = 1) -> None:
        self.advanced.append(n)
        if self.stop_after is not None and len(self.advanced) >= self.stop_after:
            raise KeyboardInterrupt("simulated kill")

    def wait(self, endpoint: str, seconds: float, reason: str) -> None:
        self.waits.append((endpoint, seconds, reason))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def finish(self) -> None:
        self.finished = True
