"""sqrt, exp, expm1, tanh and log1p written in arithmetic (or as one instruction), so that numba vectorizes loops that call them.

Why: the fast engine (optimizers/fast.py) runs K trajectories in lock-step, one loop over the K
lanes per operation. LLVM turns such a loop into SIMD code (8 lanes per AVX-512 instruction) only
if every call in it is arithmetic: a call to the C library's `exp` runs once per lane, and this
llvmlite has no vector math library (no SVML). These are the textbook algorithms (Cody–Waite range
reduction and a Taylor polynomial; log1p through 2·atanh(f/(2+f))), accurate to a few units in the
last place (tests/test_vmath.py measures them against numpy over the whole range, with the special
values). Each is `inline="always"`, so a loop that calls it becomes one vectorizable loop body.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def _bits_to_float(typingctx, i):
    """The float64 whose IEEE-754 bits are the int64 `i` (a bitcast: free, and it vectorizes)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def sqrt(typingctx, x):
    """√x as LLVM's sqrt instruction (NaN below 0). numba's math.sqrt calls the C library's, which
    may set errno, and a loop with such a call is never vectorized."""
    def codegen(context, builder, signature, args):
        return builder.call(builder.module.declare_intrinsic("llvm.sqrt", [ir.DoubleType()]), args)
    return types.float64(types.float64), codegen


LOG2E = 1.4426950408889634
LN2 = 0.6931471805599453
LN2_HI = 6.93147180369123816490e-01  # ln 2 split as in fdlibm: n·LN2_HI is exact for |n| < 2**20
LN2_LO = 1.90821492927058770002e-10
SQRT2_M1 = 0.41421356237309503
EXP_OVERFLOW = 709.782712893384      # exp(x) = inf above
EXP_UNDERFLOW = -745.1332191019412   # exp(x) = 0 below (the smallest subnormal is exp(-744.44))
_F = [1.0 / math.factorial(k) for k in range(15)]
F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, F13, F14 = _F[2:]
_O = [1.0 / (2 * k + 1) for k in range(12)]
O1, O2, O3, O4, O5, O6, O7, O8, O9, O10, O11 = _O[1:]

_inline = numba.njit(inline="always", error_model="numpy")


@_inline
def _expm1_small(r):
    """e^r − 1 for |r| ≤ 0.35 by its Taylor series to r¹⁴ (the rest is < 1e-17 of the result)."""
    p = F14 * r + F13
    p = p * r + F12
    p = p * r + F11
    p = p * r + F10
    p = p * r + F9
    p = p * r + F8
    p = p * r + F7
    p = p * r + F6
    p = p * r + F5
    p = p * r + F4
    p = p * r + F3
    p = p * r + F2
    return r + r * r * p


@_inline
def _reduce(x):
    """x = n·ln 2 + r with |r| ≤ ln 2 / 2; returns (r, a, b) with a·b = 2ⁿ (two factors, so that
    subnormal and near-overflow results scale without an intermediate overflow)."""
    xc = x if x > -746.0 else -746.0  # also maps NaN to a finite number (float → int of NaN is undefined)
    xc = xc if xc < 710.0 else 710.0
    n = math.floor(xc * LOG2E + 0.5)
    r = (xc - n * LN2_HI) - n * LN2_LO
    ni = np.int64(n)
    h = ni >> 1
    return r, _bits_to_float((h + 1023) << 52), _bits_to_float((ni - h + 1023) << 52)


@_inline
def exp(x):
    r, a, b = _reduce(x)
    y = ((1.0 + _expm1_small(r)) * a) * b
    y = math.inf if x > EXP_OVERFLOW else y
    y = 0.0 if x < EXP_UNDERFLOW else y
    return x if x != x else y


@_inline
def expm1(x):
    """e^x − 1, accurate near 0 (where exp(x) − 1 would lose the digits)."""
    r, a, b = _reduce(x)
    e = _expm1_small(r)
    y = (e * a) * b + (a * b - 1.0)  # 2ⁿ(e^r − 1) + (2ⁿ − 1)
    y = ((1.0 + e) * a) * b - 1.0 if x > 36.0 else y  # there 2ⁿ alone may overflow; e^x − 1 is exact enough
    y = _expm1_small(x) if abs(x) < 0.34 else y
    y = math.inf if x > EXP_OVERFLOW else y
    y = -1.0 if x < -40.0 else y
    return x if (x != x or x == 0.0) else y  # NaN, and ±0 with its sign


@_inline
def tanh(x):
    t = expm1(-2.0 * abs(x))
    return math.copysign(-t / (2.0 + t), x)


@_inline
def log1p01(e):
    """log(1 + e) for 0 ≤ e ≤ 1 (what log cosh needs: e = exp(−2|z|)).

    1 + e = 2ᵏ(1 + f) with k = 0 or 1 and −0.29 < f ≤ 0.41; log(1 + f) = 2·atanh(s) with
    s = f/(2 + f), |s| < 0.172, whose odd series to s²³ leaves less than 1e-18."""
    big = e > SQRT2_M1
    f = (e - 1.0) * 0.5 if big else e
    s = f / (2.0 + f)
    z = s * s
    p = O11 * z + O10
    p = p * z + O9
    p = p * z + O8
    p = p * z + O7
    p = p * z + O6
    p = p * z + O5
    p = p * z + O4
    p = p * z + O3
    p = p * z + O2
    p = p * z + O1
    r = 2.0 * s + 2.0 * s * (z * p)
    return r + LN2 if big else r
