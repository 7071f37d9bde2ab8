"""Compilation of the per-bar loops that TA-Lib has no function for.

A Python loop over a year of 1m bars (525,600 of them) takes about a second; the same
loop compiled by numba takes a millisecond or two. :func:`jit` is the one place that
says how: nopython mode, the machine code cached on disk next to the module (so only
the first run after an install or an edit pays the compile time), no GIL held (so
indicators for several symbols can be computed on threads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

__all__ = ["jit"]

_Function = TypeVar("_Function", bound=Callable[..., Any])


def jit(function: _Function) -> _Function:
    """``function`` compiled to machine code by numba, with its signature kept for mypy.

    The function must use only what numba's nopython mode supports: numpy arrays,
    scalars, ``math`` and loops. It is compiled on its first call for the argument
    types it gets (float64 arrays and ints here).
    """
    return cast(_Function, numba.njit(cache=True, nogil=True)(function))
