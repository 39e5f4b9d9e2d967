"""Formula trees: one definition of a surface, evaluated three ways.

A tree is nested tuples — ("num", 1.5), ("var", "x"), ("neg", a), ("add"|"sub"|"mul"|"div"|"pow", a, b),
(fn, a) for fn in UNARY, ("min"|"max", a, b) — the same format the user-formula parser
(surfaces/formula.py) produces. Built-in surfaces write theirs in Python syntax with `X`, `Y` and
the functions below (operators build the tree); then

- `evaluate(tree, x, y, xp)` interprets it on torch tensors (autograd gives ∇f) or numpy arrays
  (the plotted grid);
- `compile_program(tree)` flattens it into postfix code that `values_and_grads` — a numba stack
  machine with forward-mode derivatives — runs on many points at once, for the fast CPU engine.

Nothing here evaluates text: trees are data, interpreted by a fixed set of operations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np

from . import jitcache, vmath

UNARY = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh", "logcosh", "sigmoid")
BINARY = ("add", "sub", "mul", "div", "pow", "min", "max")
LOG2 = math.log(2.0)


class E:
    """A formula under construction: arithmetic on E (and numbers) builds a tree."""

    __slots__ = ("tree",)

    def __init__(self, tree):
        self.tree = tree

    @staticmethod
    def wrap(v) -> "E":
        return v if isinstance(v, E) else E(("num", float(v)))

    def _bin(self, op, other, swap=False):
        a, b = self.tree, E.wrap(other).tree
        return E((op, b, a) if swap else (op, a, b))

    def __add__(self, o): return self._bin("add", o)
    def __radd__(self, o): return self._bin("add", o, True)
    def __sub__(self, o): return self._bin("sub", o)
    def __rsub__(self, o): return self._bin("sub", o, True)
    def __mul__(self, o): return self._bin("mul", o)
    def __rmul__(self, o): return self._bin("mul", o, True)
    def __truediv__(self, o): return self._bin("div", o)
    def __rtruediv__(self, o): return self._bin("div", o, True)
    def __pow__(self, o): return self._bin("pow", o)
    def __rpow__(self, o): return self._bin("pow", o, True)
    def __neg__(self): return E(("neg", self.tree))


X, Y = E(("var", "x")), E(("var", "y"))


def _fn(name):
    def f(a):
        return E((name, E.wrap(a).tree))
    f.__name__ = name
    return f


sin, cos, tan, exp, log, sqrt = (_fn(n) for n in ("sin", "cos", "tan", "exp", "log", "sqrt"))
tanh, sinh, cosh, logcosh, sigmoid = (_fn(n) for n in ("tanh", "sinh", "cosh", "logcosh", "sigmoid"))


# ------------------------------------------------------------------ evaluation on arrays
@dataclass(frozen=True)
class TreeFormula:
    """`Surface.formula(x, y, xp)` for a tree: the tree, interpreted (equal trees compare equal)."""

    tree: tuple

    def __call__(self, x, y, xp):
        return evaluate(self.tree, x, y, xp)


def evaluate(tree, x, y, xp):
    """f(x, y) on torch tensors or numpy arrays (`xp` is the module: torch or numpy)."""
    op = tree[0]
    if op == "num":
        return tree[1]
    if op == "var":
        return x if tree[1] == "x" else y
    a = evaluate(tree[1], x, y, xp)
    if op == "neg":
        return -a
    if len(tree) == 3:
        b = evaluate(tree[2], x, y, xp)
        if isinstance(a, float) and isinstance(b, float):  # a constant part: IEEE results (1/0 = inf), no exception
            a, b = np.float64(a), np.float64(b)
            with np.errstate(all="ignore"):
                return float(_constant(op, a, b))
        if op == "add":
            return a + b
        if op == "sub":
            return a - b
        if op == "mul":
            return a * b
        if op == "div":
            return a / b
        if op == "pow":
            return a**b
        if op in ("min", "max"):
            a, b = _as_array(a, b, xp), _as_array(b, a, xp)
            return xp.minimum(a, b) if op == "min" else xp.maximum(a, b)
    if isinstance(a, float):  # a function of a constant
        a = np.asarray(a) if xp is np else xp.tensor(a, dtype=xp.float64)
    if op == "abs":
        return abs(a)
    if op == "logcosh":
        # log cosh z, without overflow (past |z| = 20 it is |z| − log 2 to the last bit) and with an
        # exact gradient near 0: the two branches are selected, not added, so autograd sees no
        # cancellation (1 − 1 + tanh z would lose tanh z's digits).
        z = abs(a)
        c = np.minimum(z, 20.0) if xp is np else xp.clamp(z, max=20.0)
        return xp.where(z > 20.0, z - LOG2, xp.log(xp.cosh(c)))
    if op == "sigmoid":
        return 0.5 * (1.0 + xp.tanh(0.5 * a))
    if op in UNARY:
        return getattr(xp, op)(a)
    raise ValueError(f"unknown operation {op!r}")


def _constant(op, a, b):
    return {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
            "min": np.minimum, "max": np.maximum}[op](a, b)


def _as_array(a, like, xp):
    if not isinstance(a, float):
        return a
    if xp is np:
        return np.asarray(a)
    return xp.full_like(like, a) if hasattr(like, "shape") else xp.tensor(a, dtype=xp.float64)


# ------------------------------------------------------------------ the numba stack machine
OPS = ("num", "x", "y", "neg", "add", "sub", "mul", "div", "pow", "powc") + UNARY[:-2] + ("min", "max", "logcosh", "sigmoid",
                                                                                  "mulc", "addc", "rsubc", "divc")
OP = {name: i for i, name in enumerate(OPS)}


class Program(NamedTuple):
    code: np.ndarray    # (n,) int64 opcodes, postfix
    consts: np.ndarray  # (n,) float64: the number for "num"/"powc", else 0
    depth: int          # the stack depth it needs


def _folded(t):
    """The value of a constant subtree of numbers and binary operations (as evaluate() folds them:
    IEEE, no exception), else None."""
    if t[0] == "num":
        return float(t[1])
    if t[0] == "neg":
        a = _folded(t[1])
        return None if a is None else -a
    if len(t) == 3 and t[0] in BINARY:
        a, b = _folded(t[1]), _folded(t[2])
        if a is None or b is None:
            return None
        with np.errstate(all="ignore"):
            return float(_constant(t[0], np.float64(a), np.float64(b)))
    return None


def compile_program(tree) -> Program:
    code, consts = [], []
    depth = [0, 0]

    def emit(op, c=0.0, delta=0):
        code.append(OP[op])
        consts.append(c)
        depth[0] += delta
        depth[1] = max(depth[1], depth[0])

    def walk(t):
        op = t[0]
        c = _folded(t)
        if c is not None:  # a constant part, computed here as evaluate() computes it
            emit("num", c, 1)
            return
        a, b = (_folded(t[1]), _folded(t[2])) if len(t) == 3 else (None, None)
        if op == "var":
            emit(t[1], 0.0, 1)
        elif op == "pow" and b is not None:
            walk(t[1])
            emit("powc", b)
        elif op in ("mul", "add", "sub", "div") and b is not None:
            # a constant operand goes into the operation: one loop over the lanes instead of a push
            # and a binary operation (the same IEEE results: a − c = a + (−c), c·a = a·c, c + a = a + c)
            walk(t[1])
            emit({"mul": "mulc", "add": "addc", "sub": "addc", "div": "divc"}[op], -b if op == "sub" else b)
        elif op in ("mul", "add", "sub") and a is not None:  # c / a keeps the quotient rule
            walk(t[2])
            emit({"mul": "mulc", "add": "addc", "sub": "rsubc"}[op], a)
        elif len(t) == 3:
            walk(t[1])
            walk(t[2])
            emit(op, 0.0, -1)
        else:
            walk(t[1])
            emit(op)

    walk(tree)
    return Program(np.asarray(code, dtype=np.int64), np.asarray(consts, dtype=np.float64), depth[1])


@numba.njit(inline="always", error_model="numpy")
def _chain(sv, sx, sy, top, j, v, d):
    sv[top, j] = v; sx[top, j] = d * sx[top, j]; sy[top, j] = d * sy[top, j]


@numba.njit(inline="always", error_model="numpy")
def _within_trig_bound(sv, top, n):
    """Whether every lane's argument is a number within vmath.TRIG_BOUND (not inf, not NaN)."""
    outside = 0
    for j in range(n):
        outside += 0 if abs(sv[top, j]) <= vmath.TRIG_BOUND else 1
    return outside == 0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def values_and_grads(code, consts, x, y, n, sv, sx, sy, f, gx, gy):
    """f, ∂f/∂x, ∂f/∂y at n points at once (x[:n], y[:n] → f[:n], gx[:n], gy[:n]), by forward-mode
    differentiation over the postfix program. Each operation is one loop over the n lanes, so its
    decoding is paid once per call, not once per point, and LLVM turns the arithmetic into SIMD
    code (every function comes from surfaces/vmath.py for that reason; only sin, cos and tan of
    arguments past vmath.TRIG_BOUND, ±inf or NaN call the C library). Where f is differentiable this
    is torch's gradient; where a derivative is infinite or undefined (√|x| at x = 0, x**y at x < 0)
    forward mode may make the other coordinate NaN too (∞ · 0) where torch's reverse mode keeps it
    finite: the point's gradient is not finite either way, so the trajectory diverges at the same step.
    sv, sx, sy are scratch stacks of shape (>= the program's depth, >= n)."""
    top = -1
    for i in range(code.shape[0]):
        op = code[i]
        if op <= 2:    # push a number, x or y
            top += 1
            if op == 0:
                c = consts[i]
                for j in range(n):
                    sv[top, j] = c; sx[top, j] = 0.0; sy[top, j] = 0.0
            elif op == 1:
                for j in range(n):
                    sv[top, j] = x[j]; sx[top, j] = 1.0; sy[top, j] = 0.0
            else:
                for j in range(n):
                    sv[top, j] = y[j]; sx[top, j] = 0.0; sy[top, j] = 1.0
        elif op == 3:  # neg
            for j in range(n):
                sv[top, j] = -sv[top, j]; sx[top, j] = -sx[top, j]; sy[top, j] = -sy[top, j]
        elif op <= 8 or op == 20 or op == 21:  # binary
            top -= 1
            p, q = top, top + 1
            if op == 4:
                for j in range(n):
                    sv[p, j] += sv[q, j]; sx[p, j] += sx[q, j]; sy[p, j] += sy[q, j]
            elif op == 5:
                for j in range(n):
                    sv[p, j] -= sv[q, j]; sx[p, j] -= sx[q, j]; sy[p, j] -= sy[q, j]
            elif op == 6:
                for j in range(n):
                    a, b = sv[p, j], sv[q, j]
                    sx[p, j] = sx[p, j] * b + a * sx[q, j]
                    sy[p, j] = sy[p, j] * b + a * sy[q, j]
                    sv[p, j] = a * b
            elif op == 7:
                for j in range(n):
                    b = sv[q, j]
                    v = sv[p, j] / b
                    sx[p, j] = (sx[p, j] - v * sx[q, j]) / b
                    sy[p, j] = (sy[p, j] - v * sy[q, j]) / b
                    sv[p, j] = v
            elif op == 8:  # a ** b, b not constant: ∂/∂a = b a^(b−1), ∂/∂b = a^b log a, as torch's pow backward
                for j in range(n):  # (∂/∂a = 0 where b = 0; ∂/∂b = 0 where a = 0 and b ≥ 0; log a < 0 is NaN)
                    a, b = sv[p, j], sv[q, j]
                    v = a**b
                    da = b * a ** (b - 1.0) if b != 0.0 else 0.0
                    db = v * math.log(a) if a > 0.0 else (0.0 if a == 0.0 and b >= 0.0 else math.nan)
                    sx[p, j] = da * sx[p, j] + db * sx[q, j]
                    sy[p, j] = da * sy[p, j] + db * sy[q, j]
                    sv[p, j] = v
            else:          # min, max: the gradient of the chosen side; at a tie half of each, as torch
                for j in range(n):
                    a, b = sv[p, j], sv[q, j]
                    pick_b = (b < a) if op == 20 else (b > a)
                    tie = a == b
                    sv[p, j] = b if pick_b else a
                    sx[p, j] = 0.5 * (sx[p, j] + sx[q, j]) if tie else (sx[q, j] if pick_b else sx[p, j])
                    sy[p, j] = 0.5 * (sy[p, j] + sy[q, j]) if tie else (sy[q, j] if pick_b else sy[p, j])
        else:          # one argument: v = f(a), d = f'(a), then the chain rule (one loop per case)
            c = consts[i]
            if op == 24:    # a · c
                for j in range(n):
                    sv[top, j] = sv[top, j] * c; sx[top, j] = sx[top, j] * c; sy[top, j] = sy[top, j] * c
            elif op == 25:  # a + c
                for j in range(n):
                    sv[top, j] = sv[top, j] + c
            elif op == 26:  # c − a
                for j in range(n):
                    sv[top, j] = c - sv[top, j]; sx[top, j] = -sx[top, j]; sy[top, j] = -sy[top, j]
            elif op == 27:  # a / c
                for j in range(n):
                    sv[top, j] = sv[top, j] / c; sx[top, j] = sx[top, j] / c; sy[top, j] = sy[top, j] / c
            elif op == 9 and c == 2.0:  # a ** c, c constant: small integer powers by multiplication, as torch does
                for j in range(n):
                    a = sv[top, j]
                    _chain(sv, sx, sy, top, j, a * a, 2.0 * a)
            elif op == 9 and c == 3.0:
                for j in range(n):
                    a = sv[top, j]
                    _chain(sv, sx, sy, top, j, a * a * a, 3.0 * (a * a))
            elif op == 9 and c == 4.0:
                for j in range(n):
                    a2 = sv[top, j] * sv[top, j]
                    _chain(sv, sx, sy, top, j, a2 * a2, 4.0 * (a2 * sv[top, j]))
            elif op == 9:
                for j in range(n):
                    a = sv[top, j]
                    _chain(sv, sx, sy, top, j, a**c, c * a ** (c - 1.0) if c != 0.0 else 0.0)
            elif op == 13:
                for j in range(n):
                    v = vmath.exp(sv[top, j])
                    _chain(sv, sx, sy, top, j, v, v)
            elif op == 15:
                for j in range(n):
                    a = sv[top, j]
                    v = vmath.sqrt(a)
                    _chain(sv, sx, sy, top, j, v, 0.5 / v)
            elif op == 16:
                for j in range(n):
                    a = sv[top, j]
                    _chain(sv, sx, sy, top, j, abs(a), 1.0 if a > 0 else (-1.0 if a < 0 else 0.0))
            elif op == 17:
                for j in range(n):
                    v = vmath.tanh(sv[top, j])
                    _chain(sv, sx, sy, top, j, v, 1.0 - v * v)
            elif op == 22:  # log cosh a = |a| + log(1 + e^{-2|a|}) − log 2; its derivative tanh a
                for j in range(n):  # below |a| = 1 that sum cancels (to ±1e-16 where the value is a²/2):
                    a = sv[top, j]  # there log1p(cosh a − 1), cosh a − 1 = u²/(2(1 + u)). One expm1:
                    z = abs(a)      # u = e^{-|a|} − 1, and e^{-2|a|} − 1 = u(2 + u), e^{-2|a|} = (1 + u)²
                    u = vmath.expm1(-z)
                    t = u * (2.0 + u)
                    small = vmath.log1p01(u * u / (2.0 + 2.0 * u))
                    v = small if z < 1.0 else z + vmath.log1p01((1.0 + u) * (1.0 + u)) - LOG2
                    _chain(sv, sx, sy, top, j, v, math.copysign(-t / (2.0 + t), a))
            elif op == 23:  # sigmoid
                for j in range(n):
                    v = 0.5 * (1.0 + vmath.tanh(0.5 * sv[top, j]))
                    _chain(sv, sx, sy, top, j, v, v * (1.0 - v))
            elif op == 14:
                for j in range(n):
                    a = sv[top, j]
                    _chain(sv, sx, sy, top, j, vmath.log(a), 1.0 / a)
            elif op == 18:
                for j in range(n):
                    v, d = vmath.sinhcosh(sv[top, j])
                    _chain(sv, sx, sy, top, j, v, d)
            elif op == 19:
                for j in range(n):
                    d, v = vmath.sinhcosh(sv[top, j])
                    _chain(sv, sx, sy, top, j, v, d)
            elif _within_trig_bound(sv, top, n):  # sin, cos, tan
                if op == 10:
                    for j in range(n):
                        v, d = vmath.sincos(sv[top, j])
                        _chain(sv, sx, sy, top, j, v, d)
                elif op == 11:
                    for j in range(n):
                        d, v = vmath.sincos(sv[top, j])
                        _chain(sv, sx, sy, top, j, v, -d)
                else:
                    for j in range(n):
                        sn, cs = vmath.sincos(sv[top, j])
                        v = sn / cs
                        _chain(sv, sx, sy, top, j, v, 1.0 + v * v)
            else:  # sin, cos, tan of far arguments, inf or NaN: the C library, one lane at a time
                for j in range(n):
                    a = sv[top, j]
                    if op == 10:
                        v, d = math.sin(a), math.cos(a)
                    elif op == 11:
                        v, d = math.cos(a), -math.sin(a)
                    else:
                        v = math.tan(a); d = 1.0 + v * v
                    _chain(sv, sx, sy, top, j, v, d)
    for j in range(n):
        f[j] = sv[0, j]; gx[j] = sx[0, j]; gy[j] = sy[0, j]


jitcache.depends_on([values_and_grads], vmath)  # it compiles vmath's code in
