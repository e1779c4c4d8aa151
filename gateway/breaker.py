"""A circuit breaker per peer: after N consecutive failures it refuses calls for a while, then lets one
trial call through (half-open); success closes it again."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class CircuitBreaker:
    """Consecutive-failure breaker with a fixed open interval (monotonic clock)."""

    failure_threshold: int = 3
    open_seconds: float = 2.0
    failures: int = 0
    opened_at: float | None = None
    trial_in_flight: bool = False

    def allow(self, now: float | None = None) -> bool:
        """Whether a call may go out now (an open circuit admits one trial after its interval)."""
        if self.opened_at is None:
            return True
        current = time.monotonic() if now is None else now
        if current - self.opened_at < self.open_seconds or self.trial_in_flight:
            return False
        self.trial_in_flight = True
        return True

    def open_for(self, now: float | None = None) -> float:
        """Seconds until an open circuit admits a trial (0 when closed)."""
        if self.opened_at is None:
            return 0.0
        current = time.monotonic() if now is None else now
        return max(0.0, self.open_seconds - (current - self.opened_at))

    def record(self, success: bool, now: float | None = None) -> None:
        """Counts one call's outcome."""
        self.trial_in_flight = False
        if success:
            self.failures, self.opened_at = 0, None
            return
        self.failures += 1
        if self.failures >= self.failure_threshold or self.opened_at is not None:
            self.opened_at = time.monotonic() if now is None else now

    @property
    def is_open(self) -> bool:
        """True while failures keep the circuit open."""
        return self.opened_at is not None
