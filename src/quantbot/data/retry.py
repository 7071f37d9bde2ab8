"""Back-off for requests to outside services (exchanges, market-cap providers).

One policy for every client, so "retry transient errors with exponential back-off,
honouring Retry-After" means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient errors are retried.

    ``attempts`` tries in all; the waits double from ``base_delay_s`` up to
    ``max_delay_s``; a ``Retry-After`` from the server wins when it asks for longer.

    Raises:
        ValueError: when ``attempts`` is below 1 or a delay is negative.
    """

    attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError(f"invalid retry policy {self}: attempts >= 1, delays >= 0")

    def delay_s(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        backoff = min(self.base_delay_s * 2.0 ** (attempt - 1), self.max_delay_s)
        return max(backoff, retry_after_s or 0.0)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in its delta-seconds form (dates are ignored)."""
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
