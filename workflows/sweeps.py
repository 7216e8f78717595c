"""Periodic checks the timer dispatcher runs beside viewflow's timers.

viewflow's timers fire at one instant on one task; some duties are rules over
many records (remind whoever can decide a case a day before its deadline).
Procedures register such sweeps from their AppConfig.ready(); each returns how
many records it acted on and must be safe to run from two dispatchers at once.
"""

from __future__ import annotations

from collections.abc import Callable

_SWEEPS: list[Callable[[], int]] = []


def register_sweep(sweep: Callable[[], int]) -> None:
    if sweep not in _SWEEPS:
        _SWEEPS.append(sweep)


def sweeps_run() -> int:
    return sum(sweep() for sweep in _SWEEPS)
