"""sqrt, exp, expm1, tanh, sinh, cosh, log, log1p, sin and cos in arithmetic (or as one instruction): numba vectorizes loops that call them.

Why: the fast engine (optimizers/fast.py) runs K trajectories in lock-step, one loop over the K
lanes per operation. LLVM turns such a loop into SIMD code (8 lanes per AVX-512 instruction) only
if every call in it is arithmetic: a call to the C library's `exp` runs once per lane, and this
llvmlite has no vector math library (no SVML). These are the textbook algorithms (Cody–Waite range
reduction and a Taylor polynomial; log and log1p through 2·atanh(f/(2+f)); sinh and cosh from
expm1 and exp as fdlibm does; sin and cos through fdlibm's reduction by π/2 and its kernel
polynomials), accurate to a few units in the last place (tests/test_vmath.py measures them against
numpy over the whole range, with the special values). Each is `inline="always"`, so a loop that
calls it becomes one vectorizable loop body.
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
def _float_to_bits(typingctx, x):
    """The int64 holding the IEEE-754 bits of the float64 `x` (a bitcast)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


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
SQRT2 = 1.4142135623730951
TINY = 2.2250738585072014e-308       # the smallest normal float64
TWO54 = 18014398509481984.0           # 2**54: scales a subnormal into the normal range
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


HALF_EXP_FROM = 22.0  # from |x| = 22, e^-|x| is below half an ulp of e^|x|: sinh|x| = cosh x = e^|x| / 2


@_inline
def _half_exp(a):
    """e^a / 2 as (e^(a/2) / 2)·e^(a/2): finite up to a = 710.47, where e^a alone overflows at 709.78."""
    w = exp(0.5 * a)
    return (0.5 * w) * w


@_inline
def sinhcosh(x):
    """(sinh x, cosh x) as fdlibm's e_sinh.c and e_cosh.c compute them, sharing t = e^|x| − 1:
    sinh|x| = (t + t/(t + 1))/2 (accurate near 0), cosh x = 1 + t²/(2(1 + t)) below ln 2 / 2, else
    (e + 1/e)/2; both e^|x| / 2 from |x| = 22."""
    a = abs(x)
    t = expm1(a)
    e = exp(a)
    sh = 0.5 * (2.0 * t - t * t / (t + 1.0)) if a < 1.0 else 0.5 * (t + t / (t + 1.0))
    ch = 1.0 + (t * t) / (2.0 + 2.0 * t) if a < 0.5 * LN2 else 0.5 * e + 0.5 / e
    big = _half_exp(a)
    sh = big if a >= HALF_EXP_FROM else sh
    ch = big if a >= HALF_EXP_FROM else ch
    return (x if x != x else math.copysign(sh, x)), (a if a != a else ch)


@_inline
def _log1p_small(f):
    """log(1 + f) for −0.29 < f ≤ 0.42: 2·atanh(s) with s = f/(2 + f), |s| < 0.173, whose odd
    series to s²³ leaves less than 1e-18."""
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
    return 2.0 * s + 2.0 * s * (z * p)


@_inline
def log1p01(e):
    """log(1 + e) for 0 ≤ e ≤ 1 (what log cosh needs: e = exp(−2|z|)): 1 + e = 2ᵏ(1 + f) with k = 0
    or 1 and −0.29 < f ≤ 0.41."""
    big = e > SQRT2_M1
    r = _log1p_small((e - 1.0) * 0.5 if big else e)
    return r + LN2 if big else r


@_inline
def log(x):
    """log x for every float64: x = 2ᵏ·m with √½ < m ≤ √2 read from its bits (a subnormal x scaled
    by 2⁵⁴ first), log x = k·ln 2 + log(1 + (m − 1)). 0 → −inf, below 0 → NaN, inf and NaN as given."""
    sub = x < TINY
    bits = _float_to_bits(x * TWO54 if sub else x)
    k = ((bits >> 52) & 0x7FF) - (1023 + 54 if sub else 1023)
    m = _bits_to_float((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    big = m > SQRT2
    m = m * 0.5 if big else m
    kf = np.float64(k + 1 if big else k)
    y = kf * LN2_HI + (_log1p_small(m - 1.0) + kf * LN2_LO)
    y = -math.inf if x == 0.0 else y
    y = math.nan if x < 0.0 else y
    return x if (x != x or x == math.inf) else y


# sin and cos: the reduction and kernel polynomials of fdlibm's e_rem_pio2.c, k_sin.c and k_cos.c,
# whose notice reads: "Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at
# SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and distribute this
# software is freely granted, provided that this notice is preserved."
TRIG_BOUND = 1e5  # |x| up to this (|n| < 2¹⁷): x − n·π/2 with π/2 in three parts of 33 bits is exact to ~150 bits
INVPIO2 = 6.36619772367581382433e-01
PIO2_1 = 1.57079632673412561417e+00  # π/2 = PIO2_1 + PIO2_2 + PIO2_3 + PIO2_3T, each of 33 bits
PIO2_2, PIO2_2T = 6.07710050630396597660e-11, 2.02226624879595063154e-21  # PIO2_2T: π/2 − PIO2_1 − PIO2_2
PIO2_3, PIO2_3T = 2.02226624871116645580e-21, 8.47842766036889956997e-32  # PIO2_3T: PIO2_2T − PIO2_3
S1, S2, S3, S4, S5, S6 = (-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
                          2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10)
C1, C2, C3, C4, C5, C6 = (4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
                          -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11)


@_inline
def sincos(x):
    """(sin x, cos x) for |x| ≤ TRIG_BOUND (beyond it, and for inf and NaN, call the C library):
    x = n·π/2 + (r + y) with |r| ≤ π/4 and y the rounding of r (fdlibm's __ieee754_rem_pio2, its
    three rounds always taken, so that x near a multiple of π/2 keeps its digits), then fdlibm's
    kernels, which take y into account, and the quadrant n mod 4."""
    xc = x if abs(x) <= TRIG_BOUND else 0.0
    n = math.floor(xc * INVPIO2 + 0.5)
    t = xc - n * PIO2_1
    w = n * PIO2_2
    r = t - w
    w = n * PIO2_2T - ((t - r) - w)
    t = r
    w = n * PIO2_3
    r = t - w
    w = n * PIO2_3T - ((t - r) - w)
    reduced = r - w
    y = (r - reduced) - w  # what rounding the reduced argument lost
    r = reduced
    z = r * r
    v = z * r
    p = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)))
    s = r - ((z * (0.5 * y - v * p) - y) - v * S1)
    q = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))))
    hz = 0.5 * z
    w = 1.0 - hz
    c = w + (((1.0 - w) - hz) + (z * q - r * y))
    quadrant = np.int64(n)  # mod 4: odd ones swap sin and cos, and the signs follow (arithmetic and
    odd = (quadrant & 1) == 1  # two selects: a chain of selects on the quadrant becomes a switch,
    sign_s = np.float64(1 - 2 * ((quadrant >> 1) & 1))  # which LLVM does not vectorize)
    sign_c = np.float64(1 - 2 * (((quadrant + 1) >> 1) & 1))
    return sign_s * (c if odd else s), sign_c * (s if odd else c)
