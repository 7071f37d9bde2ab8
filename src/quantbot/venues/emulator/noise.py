"""Deterministic noise for the derived market views (trades, order books).

The emulator derives trades and book levels from candles on every request instead of
storing them, so the same request must give the same answer on every call, in every
process and on every machine. A counter-based hash (SplitMix64's finaliser) over
integer keys gives that: ``uniform(keys, stream)`` is a pure function, vectorised over
numpy arrays, with no generator state to carry between requests.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["stream_key", "uniform"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL_1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL_2 = np.uint64(0x94D049BB133111EB)
_UNIT = 2.0**-53


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection on uint64 whose outputs look independent."""
    z = values + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MUL_1
    z = (z ^ (z >> np.uint64(27))) * _MUL_2
    return z ^ (z >> np.uint64(31))


def stream_key(*parts: str | int) -> int:
    """A 64-bit key naming one noise stream, e.g. ``stream_key(seed, "BTCUSDT", "book")``.

    Built with CRC-32 over the parts' text, which (unlike ``hash()``) does not change
    between Python processes.
    """
    text = "\x1f".join(str(part) for part in parts).encode()
    return (zlib.crc32(text) << 32) | zlib.crc32(text[::-1])


def uniform(keys: np.ndarray, stream: int) -> np.ndarray:
    """One float in ``[0, 1)`` per integer key, fixed for a given ``stream``.

    Args:
        keys: non-negative integers (trade ids, minute numbers, level indices).
        stream: a key from :func:`stream_key` separating independent uses.
    """
    mixed = _mix(np.asarray(keys, dtype=np.uint64) ^ _mix(np.array([stream], dtype=np.uint64)))
    return (mixed >> np.uint64(11)).astype(np.float64) * _UNIT
