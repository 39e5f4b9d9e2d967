"""The fast CPU backend: the engine's update rule for K trajectories as one numba loop.

`optimizers/parts.py` is the definition (torch, any device, batched — the reference); this file is
its scalar transcription, for one point at a time, compiled once by numba (cached on disk). It
runs each trajectory's whole loop in machine code, so an update costs tens of nanoseconds instead
of the ~2 µs per torch operation that dominates small eager runs. tests/test_fast.py checks that
both backends agree on every preset, convention, schedule and option.
"""
from __future__ import annotations

import math

import numba
import numpy as np
import torch

from . import parts as P
from surfaces.expr import value_and_grad

# momentum kinds
M_NONE, M_HEAVY, M_MOVE, M_EMA, M_NADAM = range(5)
# RMS kinds
R_NONE, R_ADA_SUM, R_ADA_MEAN, R_RMS, R_RMS_LECTURE, R_RMS_BOOK, R_ADAM, R_RADAM = range(8)
# per-trajectory hyperparameter columns
H = {name: i for i, name in enumerate(
    ("momentum", "dampening", "beta1", "beta2", "eps", "alpha", "weight_decay", "init_acc", "momentum_decay"))}

_MOMENTUM = {P.Identity: M_NONE, P.HeavyBall: M_HEAVY, P.Movement: M_MOVE, P.EMA: M_EMA, P.NAdamMomentum: M_NADAM}
_RMS = {P.NoRMS: R_NONE, P.AdagradSum: R_ADA_SUM, P.AdagradMean: R_ADA_MEAN, P.RMSEma: R_RMS,
        P.RMSEmaLecture: R_RMS_LECTURE, P.RMSEmaBook: R_RMS_BOOK, P.AdamRMS: R_ADAM, P.RAdamRMS: R_RADAM}


def supports(surface, opt) -> bool:
    """Whether this backend can run `opt` on `surface` (a formula surface, known parts)."""
    return surface.program is not None and type(opt.momentum) in _MOMENTUM and type(opt.rms) in _RMS


def _column(v, K):
    if torch.is_tensor(v):
        v = v.detach().cpu().numpy().reshape(-1)
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (K,))


def run_fast(surface, opt, theta0: np.ndarray, lr: np.ndarray, noise: np.ndarray | None, max_norm,
             lo: np.ndarray, hi: np.ndarray, final_only: bool = False, loss_history: bool = False) -> dict:
    """Run the rule; theta0 (K, 2), lr (T, K) η_t, noise (T, K, 2) or None. Returns the records
    (before the engine blanks what follows a divergence): every step, or with `final_only` the
    start and the last point (and the last update's m, σ) — with `loss_history` the loss at every step."""
    K, T = theta0.shape[0], lr.shape[0]
    mom, rms = opt.momentum, opt.rms
    hp = np.zeros((K, len(H)))
    for name, attr, part in (("momentum", "momentum", mom), ("dampening", "dampening", mom), ("beta1", "beta1", mom),
                             ("momentum_decay", "momentum_decay", mom), ("beta2", "beta2", rms), ("eps", "eps", rms),
                             ("alpha", "alpha", rms), ("init_acc", "initial_accumulator_value", rms)):
        if hasattr(part, attr):
            hp[:, H[name]] = _column(getattr(part, attr), K)
    hp[:, H["weight_decay"]] = _column(opt.weight_decay, K)
    flags = np.array([
        bool(getattr(mom, "nesterov", False)), bool(getattr(mom, "lookahead", False)),
        bool(getattr(mom, "bias_correction", True)), bool(getattr(rms, "bias_correction", True)),
        bool(getattr(rms, "amsgrad", False)), bool(getattr(rms, "centered", False)),
        bool(opt.precondition_first), bool(opt.decoupled_weight_decay),
    ], dtype=np.bool_)
    prog = surface.program
    R = 2 if final_only else T + 1
    path = np.empty((R, K, 2)); loss = np.empty((T + 1 if loss_history else R, K)); grad = np.empty((R, K, 2))
    m_out = np.empty((R - 1, K, 2)); s_out = np.empty((R - 1, K, 2)); div = np.full(K, -1, dtype=np.int64)
    nz = noise if noise is not None else np.zeros((0, K, 2))
    kernel = _kernel_parallel if K >= PARALLEL_FROM else _kernel
    kernel(prog.code, prog.consts, max(prog.depth, 1), np.ascontiguousarray(theta0, dtype=np.float64),
            np.ascontiguousarray(lr, dtype=np.float64), np.ascontiguousarray(nz), noise is not None,
            -1.0 if max_norm is None else float(max_norm), _MOMENTUM[type(mom)], _RMS[type(rms)], flags, hp,
            lo, hi, path, loss, grad, m_out, s_out, div)
    return {"path": path, "loss": loss, "grad": grad, "m": m_out, "sigma": s_out, "diverged_at": div}


def _kernel_py(code, consts, depth, theta0, lr, noise, use_noise, max_norm, mk, rk, flags, hp, lo, hi,
            path, loss, grad, m_out, s_out, div):
    nesterov, lookahead, bc1, bc2_on, amsgrad, centered, pre_first, decoupled = (
        flags[0], flags[1], flags[2], flags[3], flags[4], flags[5], flags[6], flags[7])
    K, T = theta0.shape[0], lr.shape[0]
    full = path.shape[0] == T + 1  # else record="final"/"loss": rows 0 (start) and 1 (last) only
    full_loss = loss.shape[0] == T + 1
    for k in numba.prange(K):  # trajectories are independent: one per thread
        sv = np.empty(depth); sx = np.empty(depth); sy = np.empty(depth)
        mu, damp, b1, b2 = hp[k, 0], hp[k, 1], hp[k, 2], hp[k, 3]
        eps, alpha, wd, init_acc, psi = hp[k, 4], hp[k, 5], hp[k, 6], hp[k, 7], hp[k, 8]
        th = np.array([theta0[k, 0], theta0[k, 1]])
        # per-coordinate state of the parts (see parts.py for each formula)
        buf = np.zeros(2); v = np.zeros(2); vmax = np.zeros(2); gbar = np.zeros(2)
        if rk == 1:
            v[:] = init_acc
        mu_product = 1.0
        f, gx, gy = value_and_grad(code, consts, th[0], th[1], sv, sx, sy)
        path[0, k, 0] = th[0]; path[0, k, 1] = th[1]
        loss[0, k] = f; grad[0, k, 0] = gx; grad[0, k, 1] = gy
        g = np.empty(2); new = np.empty(2); m = np.empty(2); sig = np.empty(2)
        dead_from = T + 1
        for t in range(T):
            n = t + 1
            eta = lr[t, k]
            g[0] = gx; g[1] = gy
            if lookahead:  # the book's Nesterov: the gradient at θ + λM
                _, g[0], g[1] = value_and_grad(code, consts, th[0] + mu * buf[0], th[1] + mu * buf[1], sv, sx, sy)
            if use_noise:
                g[0] += noise[t, k, 0]; g[1] += noise[t, k, 1]
            if max_norm > 0.0:
                norm = math.sqrt(g[0] * g[0] + g[1] * g[1])
                coef = min(max_norm / (norm + 1e-6), 1.0)
                g[0] *= coef; g[1] *= coef
            if wd != 0.0 and not decoupled:
                g[0] += wd * th[0]; g[1] += wd * th[1]
            # NAdam's μ_t (shared by both coordinates)
            if mk == 4:
                mu_t = b1 * (1.0 - 0.5 * 0.96 ** (n * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((n + 1) * psi))
                mu_product = mu_product * mu_t
            rect_ok = True
            if rk == 7:
                bc2r = 1.0 - b2**n
                rho_inf = 2.0 / (1.0 - b2) - 1.0
                rho_t = rho_inf - 2.0 * n * b2**n / bc2r
                rect_ok = rho_t > 5.0
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) if rect_ok else 1.0
            for c in range(2):
                gc = g[c]
                # σ_t
                if rk == 0:
                    s = 1.0
                elif rk == 1:
                    v[c] = v[c] + gc * gc
                    s = math.sqrt(v[c]) + eps
                elif rk == 2:
                    v[c] = v[c] + gc * gc
                    s = math.sqrt(v[c] / n)
                elif rk == 3:
                    v[c] = alpha * v[c] + (1.0 - alpha) * gc * gc
                    if centered:
                        gbar[c] = alpha * gbar[c] + (1.0 - alpha) * gc
                        s = math.sqrt(v[c] - gbar[c] * gbar[c]) + eps
                    else:
                        s = math.sqrt(v[c]) + eps
                elif rk == 4:
                    v[c] = gc * gc if n == 1 else alpha * v[c] + (1.0 - alpha) * gc * gc
                    s = math.sqrt(v[c])
                elif rk == 5:
                    v[c] = alpha * v[c] + (1.0 - alpha) * gc * gc
                    s = math.sqrt(eps + v[c])
                elif rk == 6:
                    v[c] = b2 * v[c] + (1.0 - b2) * gc * gc
                    if amsgrad:
                        vmax[c] = max(vmax[c], v[c])
                    root = math.sqrt(vmax[c] if amsgrad else v[c])
                    if bc2_on:
                        root = root / math.sqrt(1.0 - b2**n)
                    s = root + eps
                else:
                    v[c] = b2 * v[c] + (1.0 - b2) * gc * gc
                    s = (math.sqrt(v[c]) + eps) / (math.sqrt(bc2r) * rect) if rect_ok else 1.0
                ratio = gc / s
                if (rk == 2 or rk == 4) and not s > 0.0:  # the lecture's σ has no ε
                    ratio = 0.0
                # m_t and the rule θ_{t+1} = θ_t − (η_t/σ_t)·m_t
                if mk == 2:    # the lecture's movement, η inside; m_t recorded as −M·σ/η (the engine's rule)
                    buf[c] = mu * buf[c] - eta * ratio
                    new[c] = th[c] + buf[c]
                    mc = -buf[c] * s / eta if eta != 0.0 else math.nan
                else:
                    u = ratio if pre_first else gc
                    if mk == 0:
                        mc = u
                    elif mk == 1:
                        buf[c] = u if n == 1 else mu * buf[c] + (1.0 - damp) * u
                        mc = u + mu * buf[c] if nesterov else buf[c]
                    elif mk == 3:
                        buf[c] = b1 * buf[c] + (1.0 - b1) * u
                        mc = buf[c] / (1.0 - b1**n) if bc1 else buf[c]
                    else:
                        buf[c] = b1 * buf[c] + (1.0 - b1) * u
                        mc = (1.0 - mu_t) / (1.0 - mu_product) * u + mu_next / (1.0 - mu_product * mu_next) * buf[c]
                    if pre_first:
                        new[c] = th[c] - eta * mc
                        mc = mc * s
                    else:
                        step = mc / s
                        if (rk == 2 or rk == 4) and not s > 0.0:
                            step = 0.0
                        new[c] = th[c] - eta * step
                if decoupled and wd != 0.0:
                    new[c] = new[c] - eta * wd * th[c]
                m[c] = mc
                sig[c] = s
            fn, gxn, gyn = value_and_grad(code, consts, new[0], new[1], sv, sx, sy)
            ok = (math.isfinite(new[0]) and math.isfinite(new[1]) and math.isfinite(fn)
                  and lo[0] <= new[0] <= hi[0] and lo[1] <= new[1] <= hi[1])
            mr = t if full else 0
            m_out[mr, k, 0] = m[0]; m_out[mr, k, 1] = m[1]
            s_out[mr, k, 0] = sig[0]; s_out[mr, k, 1] = sig[1]
            if not ok:
                div[k] = n
                dead_from = t + 1
                break
            th[0] = new[0]; th[1] = new[1]
            f, gx, gy = fn, gxn, gyn
            r = n if full else 1
            path[r, k, 0] = th[0]; path[r, k, 1] = th[1]
            loss[n if full_loss else 1, k] = f; grad[r, k, 0] = gx; grad[r, k, 1] = gy
        # a diverged trajectory stays at its last finite point (the engine blanks its records)
        if not full:
            if dead_from <= T:
                path[1, k, 0] = th[0]; path[1, k, 1] = th[1]
                grad[1, k, 0] = gx; grad[1, k, 1] = gy
                for r in range(dead_from if full_loss else 1, T + 1 if full_loss else 2):
                    loss[r, k] = f
            continue
        for r in range(dead_from, T + 1):
            path[r, k, 0] = th[0]; path[r, k, 1] = th[1]
            loss[r, k] = f; grad[r, k, 0] = gx; grad[r, k, 1] = gy
            if r - 1 >= dead_from:
                m_out[r - 1, k, 0] = math.nan; m_out[r - 1, k, 1] = math.nan
                s_out[r - 1, k, 0] = math.nan; s_out[r - 1, k, 1] = math.nan


PARALLEL_FROM = 256  # below this, starting threads costs more than it saves
_kernel = numba.njit(cache=True, nogil=True, error_model="numpy")(_kernel_py)
_kernel_parallel = numba.njit(cache=True, nogil=True, parallel=True, error_model="numpy")(_kernel_py)
