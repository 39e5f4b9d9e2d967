"""surfaces/vmath.py against numpy (the C library), in units in the last place, and its special values;
and that a loop calling them really is SIMD code (the reason they exist)."""
import numba
import numpy as np
import pytest

from surfaces import vmath


@numba.njit(error_model="numpy")
def _apply(which, a, out):
    for i in range(a.shape[0]):
        if which == 0:
            out[i] = vmath.exp(a[i])
        elif which == 1:
            out[i] = vmath.expm1(a[i])
        elif which == 2:
            out[i] = vmath.tanh(a[i])
        elif which == 3:
            out[i] = vmath.log1p01(a[i])
        elif which == 4:
            out[i] = vmath.log(a[i])
        elif which == 5:
            out[i] = vmath.sincos(a[i])[0]
        elif which == 6:
            out[i] = vmath.sincos(a[i])[1]
        elif which == 7:
            out[i] = vmath.sinhcosh(a[i])[0]
        else:
            out[i] = vmath.sinhcosh(a[i])[1]


@numba.njit(error_model="numpy")
def _exp_loop(a, out):
    for i in range(a.shape[0]):
        out[i] = vmath.exp(a[i]) + vmath.log1p01(a[i])


@numba.njit(error_model="numpy")
def _log_trig_loop(a, out):
    for i in range(a.shape[0]):
        s, c = vmath.sincos(a[i])
        sh, ch = vmath.sinhcosh(a[i])
        out[i] = vmath.log(a[i]) + s * c + sh * ch


def ulps(got, want):
    tiny = np.finfo(float).tiny
    with np.errstate(all="ignore"):
        err = np.abs(got - want) / np.spacing(np.maximum(np.abs(want), tiny))
    return np.where(got == want, 0.0, err)


def inputs(lo, hi, n=200_000, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(lo, hi, n), rng.normal(0, 1e-3, 5000), rng.normal(0, 1e-9, 5000)])


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -1e-300, 5e-324, 1.0, -1.0, 709.78, 709.79,
                    -745.13, -745.14, -708.5, 20.0, -20.0, 40.0, -40.0, 1000.0, -1000.0])


@pytest.mark.parametrize("which,fn,lo,hi,bound", [
    (0, np.exp, -745.0, 709.7, 1.0),
    (1, np.expm1, -50.0, 709.7, 4.0),
    (2, np.tanh, -25.0, 25.0, 3.0),
    (3, np.log1p, 0.0, 1.0, 2.0),
])
def test_accuracy_and_special_values(which, fn, lo, hi, bound):
    a = inputs(lo, hi)
    if which == 3:
        a = np.concatenate([np.abs(a[a <= 1.0]), [0.0, 1.0, vmath.SQRT2_M1, np.nextafter(vmath.SQRT2_M1, 1.0)]])
    out = np.empty_like(a)
    _apply(which, a, out)
    with np.errstate(all="ignore"):
        want = fn(a)
    assert ulps(out, want).max() <= bound
    if which == 3:
        return
    out = np.empty_like(SPECIAL)
    _apply(which, SPECIAL, out)
    with np.errstate(all="ignore"):
        want = fn(SPECIAL)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(want))
    finite = ~np.isnan(want)
    assert np.all(ulps(out[finite], want[finite]) <= bound), (SPECIAL, out, want)
    np.testing.assert_array_equal(np.signbit(out[3:5]), np.signbit(want[3:5]))  # ±0 keep their sign


def test_log_over_every_magnitude_and_its_special_values():
    rng = np.random.default_rng(1)
    a = np.concatenate([np.exp(rng.uniform(-744.0, 709.7, 200_000)), rng.uniform(0.5, 2.0, 100_000),
                        1.0 + rng.normal(0, 1e-9, 5000), [np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 2.0)],
                        [5e-324, 1e-310, np.finfo(float).tiny, np.finfo(float).max, 1.0]])
    out = np.empty_like(a)
    _apply(4, a, out)
    assert ulps(out, np.log(a)).max() <= 2.0
    special = np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan])
    out = np.empty_like(special)
    _apply(4, special, out)
    np.testing.assert_array_equal(out, [-np.inf, -np.inf, np.nan, np.nan, np.inf, np.nan])


def test_sin_and_cos_up_to_the_bound_and_near_multiples_of_half_pi():
    rng = np.random.default_rng(2)
    k = np.arange(-60_000, 60_001, 7, dtype=float)
    a = np.concatenate([rng.uniform(-10.0, 10.0, 200_000), rng.uniform(-vmath.TRIG_BOUND, vmath.TRIG_BOUND, 200_000),
                        rng.normal(0, 1e-6, 5000), k * (np.pi / 2), np.nextafter(k * (np.pi / 2), np.inf),
                        [0.0, -0.0, 5e-324, vmath.TRIG_BOUND, -vmath.TRIG_BOUND]])
    a = a[np.abs(a) <= vmath.TRIG_BOUND]
    for which, fn in ((5, np.sin), (6, np.cos)):
        out = np.empty_like(a)
        _apply(which, a, out)
        # near the zeros (x close to a multiple of π/2) the reduction keeps its digits: still 1 ulp
        assert ulps(out, fn(a)).max() <= 1.0, fn
    out = np.empty(2)
    _apply(5, np.array([0.0, -0.0]), out)
    np.testing.assert_array_equal(np.signbit(out), [False, True])


def test_sinh_and_cosh_up_to_overflow_and_their_special_values():
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.uniform(-711.0, 711.0, 200_000), rng.uniform(-25.0, 25.0, 200_000),
                        rng.normal(0, 1e-3, 5000), rng.normal(0, 1e-12, 5000),
                        [vmath.HALF_EXP_FROM, np.nextafter(vmath.HALF_EXP_FROM, 0), 0.5 * np.log(2), 709.78, 710.47, 1.0]])
    special = np.array([0.0, -0.0, 5e-324, 710.48, -710.48, np.inf, -np.inf, np.nan])
    for which, fn in ((7, np.sinh), (8, np.cosh)):
        out = np.empty_like(a)
        _apply(which, a, out)
        with np.errstate(over="ignore"):
            assert ulps(out, fn(a)).max() <= 3.0, fn   # e^(|x|/2) squared past |x| = 22: up to 3 ulp
            want = fn(special)
        out = np.empty_like(special)
        _apply(which, special, out)
        np.testing.assert_array_equal(out, want)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(want))


def test_subnormal_results():
    a = np.array([-740.0, -744.0, -744.4, -730.5])
    out = np.empty_like(a)
    _apply(0, a, out)
    np.testing.assert_array_equal(out, np.exp(a))


def test_a_loop_over_them_is_simd():
    a = np.linspace(-1.0, 1.0, 16)
    for loop, names in ((_exp_loop, ("@exp(", "@log1p(")),
                        (_log_trig_loop, ("@log(", "@sin(", "@cos(", "@sinh(", "@cosh(", "@exp("))):
        loop(a, np.empty_like(a))
        ir_text = next(iter(loop.inspect_llvm().values()))
        assert "x double>" in ir_text, "the loop was not vectorized"
        assert not any(n in ir_text for n in names)
