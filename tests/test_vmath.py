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
        else:
            out[i] = vmath.log1p01(a[i])


@numba.njit(error_model="numpy")
def _exp_loop(a, out):
    for i in range(a.shape[0]):
        out[i] = vmath.exp(a[i]) + vmath.log1p01(a[i])


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


def test_subnormal_results():
    a = np.array([-740.0, -744.0, -744.4, -730.5])
    out = np.empty_like(a)
    _apply(0, a, out)
    np.testing.assert_array_equal(out, np.exp(a))


def test_a_loop_over_them_is_simd():
    a = np.linspace(-1.0, 1.0, 16)
    _exp_loop(a, np.empty_like(a))
    ir_text = next(iter(_exp_loop.inspect_llvm().values()))
    assert "x double>" in ir_text, "the loop was not vectorized"
    assert "@exp(" not in ir_text and "@log1p(" not in ir_text
