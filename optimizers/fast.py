"""The fast CPU backend: the engine's update rule for K trajectories in lock-step, compiled by numba.

`optimizers/parts.py` is the definition (torch, any device, batched — the reference); this file is
its transcription into loops over the trajectories ("lanes"), compiled once by numba (cached on
disk). Every step is a fixed sequence of lane loops — the surface's program (surfaces/expr.py:
`values_and_grads`), then σ_t, m_t and the update — each branch on the optimizer's kind taken once
per step, not once per trajectory, and each loop simple enough for LLVM to make SIMD code of it. So
an update of one trajectory costs about a hundred nanoseconds instead of the ~2 µs per torch
operation of small eager runs, and 64 trajectories share that fixed cost. Large batches are cut
into chunks of lanes. With more than one thread (numba.get_num_threads(): NUMBA_NUM_THREADS),
contiguous ranges of lanes run on threads of their own, since the kernel releases the GIL (not
numba's prange: compiled with cache=True, this kernel's prange ran every chunk on one thread).
tests/test_fast.py checks that both backends agree on every preset, convention, schedule and option.

What keeps a lane loop SIMD (LLVM's remarks say why one is not: run with NUMBA_DEBUGINFO=1 after
`llvmlite.binding.set_option("", "--pass-remarks-missed=loop-vectorize")`):
- no branch on the optimizer's kind inside it: branch outside, one loop per case;
- selects (`a if c else b`), not `if` statements, min() or max(), and no call into the C library
  (surfaces/vmath.py has the math);
- index the caller's arrays with j from range(L) on a view of this chunk (`lr[t, ka:kb][j]`), never
  with `ka + j`: numba cannot know that `ka + j` ≥ 0, wraps negative indices with a select, and LLVM
  then cannot identify the array's bounds;
- records written through flat rows (x, y at 2j, 2j + 1), a loop touching few of the caller's arrays
  (each pair needs a runtime alias check).
"""
from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import torch

from . import parts as P
from surfaces import expr, jitcache, vmath
from surfaces.expr import values_and_grads

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
CHUNK = 256  # lanes per chunk: its state (about 40 arrays of CHUNK floats) stays in the core's cache


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
    start and the last point (and the last update's m, σ) — with `loss_history` the loss at every step.
    The records include |∇f| and η_t/σ_t (NaN where σ = 0)."""
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
    path, loss, grad, gnorm, m_out, s_out, step_out = _records(
        ((R, K, 2), (T + 1 if loss_history else R, K), (R, K, 2), (R, K), (R - 1, K, 2), (R - 1, K, 2), (R - 1, K, 2)))
    div = np.full(K, -1, dtype=np.int64)
    nz = noise if noise is not None else np.zeros((0, K, 2))
    args = (prog.code, prog.consts, max(prog.depth, 1), np.ascontiguousarray(theta0, dtype=np.float64),
            np.ascontiguousarray(lr, dtype=np.float64), np.ascontiguousarray(nz), noise is not None,
            -1.0 if max_norm is None else float(max_norm), _MOMENTUM[type(mom)], _RMS[type(rms)], flags, hp,
            lo, hi, path, loss, grad, gnorm, m_out, s_out, step_out, div)
    ranges = lane_ranges(K, numba.get_num_threads())  # 1 thread in the image (NUMBA_NUM_THREADS): sessions share the cores
    if len(ranges) == 1:
        _kernel(*args, 0, K)
    else:  # the kernel releases the GIL: the other ranges run on worker threads, the first on this one
        pending = [_pool(len(ranges) - 1).submit(_kernel, *args, ka, kb) for ka, kb in ranges[1:]]
        _kernel(*args, *ranges[0])
        for f in pending:
            f.result()
    return {"path": path, "loss": loss, "grad": grad, "grad_norm": gnorm, "m": m_out, "sigma": s_out,
            "step_size": step_out, "diverged_at": div}


def _records(shapes) -> list[np.ndarray]:
    """Arrays of these shapes, carved from one allocation. One large block instead of seven: numpy
    asks the kernel for transparent huge pages on blocks of 4 MB and more, so the records of a batch
    fault in a few 2 MB pages instead of thousands of 4 kB ones (with separate arrays, every other
    run paid ~4 ms of page faults for 64 trajectories × 2,000 steps as the allocator gave the freed
    memory back)."""
    sizes = [math.prod(sh) for sh in shapes]
    block = np.empty(sum(sizes))
    out, at = [], 0
    for sh, n in zip(shapes, sizes):
        out.append(block[at:at + n].reshape(sh))
        at += n
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _kernel(code, consts, depth, theta0, lr, noise, use_noise, max_norm, mk, rk, flags, hp, lo, hi,
            path, loss, grad, gnorm, m_out, s_out, step_out, div, k0, k1):
    """Trajectories k0..k1-1, in chunks of at most CHUNK lanes (chunks are independent)."""
    for ka in range(k0, k1, CHUNK):
        _lanes(code, consts, depth, theta0, lr, noise, use_noise, max_norm, mk, rk, flags, hp, lo, hi,
               path, loss, grad, gnorm, m_out, s_out, step_out, div, ka, min(k1, ka + CHUNK))


PARALLEL_FROM = 32  # lanes per thread at least: below this, handing work to a thread costs more than it saves


def lane_ranges(K: int, threads: int) -> list[tuple[int, int]]:
    """How K trajectories are split over `threads` threads: contiguous ranges of about K / threads
    lanes, PARALLEL_FROM or more (give or take the cut), cut at multiples of 8 lanes so that each
    range keeps whole SIMD vectors."""
    n = max(1, min(threads, K // PARALLEL_FROM))
    cuts = [0] + [8 * round(K * i / n / 8) for i in range(1, n)] + [K]
    return list(zip(cuts[:-1], cuts[1:]))


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool of `workers` threads for the kernel (made on first use, then kept)."""
    with _POOLS_LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="optimizers-fast")
        return _POOLS[workers]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _powers(base, same, n, out):
    """out[j] = base[j] ** n: computed once when every lane has the same base (`same`: the usual
    case, a scalar hyperparameter), else per lane."""
    if same:
        v = base[0] ** n
        for j in range(base.shape[0]):
            out[j] = v
    else:
        for j in range(base.shape[0]):
            out[j] = base[j] ** n


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _lanes(code, consts, depth, theta0, lr, noise, use_noise, max_norm, mk, rk, flags, hp, lo, hi,
           path, loss, grad, gnorm, m_out, s_out, step_out, div, ka, kb):
    """Trajectories ka..kb-1, every step. Lane j is trajectory ka + j; arrays (2, L) hold x and y."""
    nesterov, lookahead, bc1, bc2_on, amsgrad, centered, pre_first, decoupled = (
        flags[0], flags[1], flags[2], flags[3], flags[4], flags[5], flags[6], flags[7])
    L, T = kb - ka, lr.shape[0]
    full = path.shape[0] == T + 1  # else record="final"/"loss": rows 0 (start) and 1 (last) only
    full_loss = loss.shape[0] == T + 1
    sv = np.empty((depth, L)); sx = np.empty((depth, L)); sy = np.empty((depth, L))
    h = np.ascontiguousarray(hp[ka:kb].T)  # (columns, L)
    mu, damp, b1, b2, eps, alpha, wd, psi = h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[8]
    b1_same, b2_same = np.all(b1 == b1[0]), np.all(b2 == b2[0])  # fixed for the run: checked once
    th = np.ascontiguousarray(theta0[ka:kb].T)
    # per-coordinate state of the parts (see parts.py for each formula)
    buf = np.zeros((2, L)); v = np.zeros((2, L)); vmax = np.zeros((2, L)); gbar = np.zeros((2, L))
    if rk == R_ADA_SUM:
        for j in range(L):
            v[0, j] = h[7, j]; v[1, j] = h[7, j]
    f = np.empty(L); gx = np.empty(L); gy = np.empty(L)      # at θ_t
    fn = np.empty(L); gxn = np.empty(L); gyn = np.empty(L)   # at θ_{t+1}
    g = np.empty((2, L)); new = np.empty((2, L)); m = np.empty((2, L)); sig = np.empty((2, L))
    ratio = np.empty(L); look = np.empty((2, L)); scratch = np.empty(L)
    b1n = np.empty(L); b2n = np.empty(L); mu_t = np.empty(L); mu_next = np.empty(L); mu_product = np.ones(L)
    rect = np.ones(L); rect_ok = np.ones(L, dtype=np.bool_); bc2r = np.empty(L)
    live = np.ones(L, dtype=np.bool_); moved = np.empty(L, dtype=np.bool_)  # live: not frozen yet
    any_wd = np.any(wd != 0.0)
    need_ratio = pre_first or mk == M_MOVE
    bc2s = np.empty(L)
    lo0, lo1, hi0, hi1 = lo[0], lo[1], hi[0], hi[1]
    K2 = 2 * path.shape[1]  # the records as rows of x, y pairs (flat views; see the record loops)
    path2, grad2 = path.reshape((path.shape[0], K2)), grad.reshape((grad.shape[0], K2))
    m2, s2, step2 = (m_out.reshape((m_out.shape[0], K2)), s_out.reshape((s_out.shape[0], K2)),
                     step_out.reshape((step_out.shape[0], K2)))
    values_and_grads(code, consts, th[0], th[1], L, sv, sx, sy, f, gx, gy)
    for j in range(L):
        k = ka + j
        path[0, k, 0] = th[0, j]; path[0, k, 1] = th[1, j]
        loss[0, k] = f[j]; grad[0, k, 0] = gx[j]; grad[0, k, 1] = gy[j]
        gnorm[0, k] = vmath.sqrt(gx[j] * gx[j] + gy[j] * gy[j])
    alive = L
    for t in range(T):
        n = t + 1
        # this chunk's columns of the step's arrays, as views: an index j from range(L) is known to be
        # non-negative, so numba emits no wraparound select and LLVM can vectorize the loops (with
        # lr[t, ka + j] it cannot even identify the array bounds)
        eta_t = lr[t, ka:kb]
        if lookahead:  # the book's Nesterov: the gradient at θ + λM
            for j in range(L):
                look[0, j] = th[0, j] + mu[j] * buf[0, j]; look[1, j] = th[1, j] + mu[j] * buf[1, j]
            values_and_grads(code, consts, look[0], look[1], L, sv, sx, sy, scratch, g[0], g[1])
        else:
            for j in range(L):
                g[0, j] = gx[j]; g[1, j] = gy[j]
        if use_noise:
            nz_t = noise[t, ka:kb]
            for j in range(L):
                g[0, j] += nz_t[j, 0]; g[1, j] += nz_t[j, 1]
        if max_norm > 0.0:
            for j in range(L):
                coef = max_norm / (vmath.sqrt(g[0, j] * g[0, j] + g[1, j] * g[1, j]) + 1e-6)
                coef = coef if coef < 1.0 else 1.0  # min(coef, 1) as a select (min() is a branch)
                g[0, j] *= coef; g[1, j] *= coef
        if not decoupled and any_wd:
            for j in range(L):
                d0, d1 = g[0, j] + wd[j] * th[0, j], g[1, j] + wd[j] * th[1, j]
                g[0, j] = d0 if wd[j] != 0.0 else g[0, j]
                g[1, j] = d1 if wd[j] != 0.0 else g[1, j]
        if mk == M_EMA and bc1:
            _powers(b1, b1_same, n, b1n)
        if rk == R_ADAM and bc2_on:
            _powers(b2, b2_same, n, b2n)
            for j in range(L):  # √(1 − β₂ⁿ), once per lane for both coordinates
                bc2s[j] = vmath.sqrt(1.0 - b2n[j])
        if mk == M_NADAM:  # NAdam's μ_t (shared by both coordinates)
            for j in range(L):
                mu_t[j] = b1[j] * (1.0 - 0.5 * 0.96 ** (n * psi[j]))
                mu_next[j] = b1[j] * (1.0 - 0.5 * 0.96 ** ((n + 1) * psi[j]))
                mu_product[j] = mu_product[j] * mu_t[j]
        if rk == R_RADAM:
            _powers(b2, b2_same, n, b2n)
            for j in range(L):
                bc2r[j] = 1.0 - b2n[j]
                rho_inf = 2.0 / (1.0 - b2[j]) - 1.0
                rho_t = rho_inf - 2.0 * n * b2n[j] / bc2r[j]
                rect_ok[j] = rho_t > 5.0
                rect[j] = vmath.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) \
                    if rho_t > 5.0 else 1.0
        for c in range(2):
            gc, sc, vc, bc, mc, nc, tc = g[c], sig[c], v[c], buf[c], m[c], new[c], th[c]  # this coordinate's rows
            # σ_t (each branch one loop over the lanes; the branches are taken once per step)
            if rk == R_NONE:
                for j in range(L):
                    sc[j] = 1.0
            elif rk == R_ADA_SUM:
                for j in range(L):
                    vc[j] = vc[j] + gc[j] * gc[j]
                    sc[j] = vmath.sqrt(vc[j]) + eps[j]
            elif rk == R_ADA_MEAN:
                for j in range(L):
                    vc[j] = vc[j] + gc[j] * gc[j]
                    sc[j] = vmath.sqrt(vc[j] / n)
            elif rk == R_RMS and centered:
                gb = gbar[c]
                for j in range(L):
                    vc[j] = alpha[j] * vc[j] + (1.0 - alpha[j]) * gc[j] * gc[j]
                    gb[j] = alpha[j] * gb[j] + (1.0 - alpha[j]) * gc[j]
                    sc[j] = vmath.sqrt(vc[j] - gb[j] * gb[j]) + eps[j]
            elif rk == R_RMS:
                for j in range(L):
                    vc[j] = alpha[j] * vc[j] + (1.0 - alpha[j]) * gc[j] * gc[j]
                    sc[j] = vmath.sqrt(vc[j]) + eps[j]
            elif rk == R_RMS_LECTURE:
                if n == 1:
                    for j in range(L):
                        vc[j] = gc[j] * gc[j]
                        sc[j] = vmath.sqrt(vc[j])
                else:
                    for j in range(L):
                        vc[j] = alpha[j] * vc[j] + (1.0 - alpha[j]) * gc[j] * gc[j]
                        sc[j] = vmath.sqrt(vc[j])
            elif rk == R_RMS_BOOK:
                for j in range(L):
                    vc[j] = alpha[j] * vc[j] + (1.0 - alpha[j]) * gc[j] * gc[j]
                    sc[j] = vmath.sqrt(eps[j] + vc[j])
            elif rk == R_ADAM:
                for j in range(L):
                    vc[j] = b2[j] * vc[j] + (1.0 - b2[j]) * gc[j] * gc[j]
                src = vc
                if amsgrad:
                    vm = vmax[c]
                    for j in range(L):
                        vm[j] = vc[j] if vc[j] > vm[j] else vm[j]  # max(), as a select
                    src = vm
                if bc2_on:
                    for j in range(L):
                        sc[j] = vmath.sqrt(src[j]) / bc2s[j] + eps[j]
                else:
                    for j in range(L):
                        sc[j] = vmath.sqrt(src[j]) + eps[j]
            else:
                for j in range(L):
                    vc[j] = b2[j] * vc[j] + (1.0 - b2[j]) * gc[j] * gc[j]
                    s = (vmath.sqrt(vc[j]) + eps[j]) / (vmath.sqrt(bc2r[j]) * rect[j])
                    sc[j] = s if rect_ok[j] else 1.0
            no_eps = rk == R_ADA_MEAN or rk == R_RMS_LECTURE  # the lecture's σ has no ε: σ = 0 takes no step
            # g/σ: used only by the lecture's movement and by preconditioning first
            if need_ratio and no_eps:
                for j in range(L):
                    q = gc[j] / sc[j]
                    ratio[j] = q if sc[j] > 0.0 else 0.0
            elif need_ratio:
                for j in range(L):
                    ratio[j] = gc[j] / sc[j]
            # m_t and the rule θ_{t+1} = θ_t − (η_t/σ_t)·m_t
            if mk == M_MOVE:  # the lecture's movement, η inside; m_t recorded as −M·σ/η (the engine's rule)
                for j in range(L):
                    eta = eta_t[j]
                    bc[j] = mu[j] * bc[j] - eta * ratio[j]
                    nc[j] = tc[j] + bc[j]
                    mc[j] = -bc[j] * sc[j] / eta if eta != 0.0 else math.nan
            else:
                u = ratio if pre_first else gc
                if mk == M_NONE:
                    for j in range(L):
                        mc[j] = u[j]
                elif mk == M_HEAVY:
                    if n == 1:
                        for j in range(L):
                            bc[j] = u[j]
                    else:
                        for j in range(L):  # τ counts only where μ ≠ 0 (torch.optim.SGD: no buffer at μ = 0)
                            bc[j] = mu[j] * bc[j] + (1.0 - (damp[j] if mu[j] != 0.0 else 0.0)) * u[j]
                    if nesterov:
                        for j in range(L):
                            mc[j] = u[j] + mu[j] * bc[j]
                    else:
                        for j in range(L):
                            mc[j] = bc[j]
                elif mk == M_EMA:
                    for j in range(L):
                        bc[j] = b1[j] * bc[j] + (1.0 - b1[j]) * u[j]
                    if bc1:
                        for j in range(L):
                            mc[j] = bc[j] / (1.0 - b1n[j])
                    else:
                        for j in range(L):
                            mc[j] = bc[j]
                else:
                    for j in range(L):
                        bc[j] = b1[j] * bc[j] + (1.0 - b1[j]) * u[j]
                        mc[j] = (1.0 - mu_t[j]) / (1.0 - mu_product[j]) * u[j] \
                            + mu_next[j] / (1.0 - mu_product[j] * mu_next[j]) * bc[j]
                if pre_first:
                    for j in range(L):
                        nc[j] = tc[j] - eta_t[j] * mc[j]
                        mc[j] = mc[j] * sc[j]
                elif no_eps:
                    for j in range(L):
                        step = mc[j] / sc[j]
                        nc[j] = tc[j] - eta_t[j] * (step if sc[j] > 0.0 else 0.0)
                else:
                    for j in range(L):
                        nc[j] = tc[j] - eta_t[j] * (mc[j] / sc[j])
            if decoupled and any_wd:
                for j in range(L):
                    d = nc[j] - eta_t[j] * wd[j] * tc[j]
                    nc[j] = d if wd[j] != 0.0 else nc[j]
        values_and_grads(code, consts, new[0], new[1], L, sv, sx, sy, fn, gxn, gyn)
        mr = t if full else 0
        r = n if full else 1
        rl = n if full_loss else 1
        # this update's records (row mr): m_t, σ_t, η_t/σ_t — NaN for lanes frozen before it (the
        # engine blanks those anyway). They are written through flat views of this chunk's part of
        # each row (x, y interleaved at 2j, 2j + 1), whose layout LLVM can see; with 3-D indices into
        # the caller's arrays it cannot bound the stores and keeps the loop scalar.
        m_row, s_row, step_row = m2[mr, 2 * ka:2 * kb], s2[mr, 2 * ka:2 * kb], step2[mr, 2 * ka:2 * kb]
        for j in range(L):
            keep, s0, s1, eta = live[j], sig[0, j], sig[1, j], eta_t[j]
            m_row[2 * j] = m[0, j] if keep else math.nan
            m_row[2 * j + 1] = m[1, j] if keep else math.nan
            s_row[2 * j] = s0 if keep else math.nan
            s_row[2 * j + 1] = s1 if keep else math.nan
            e0 = eta / s0 if s0 != 0.0 else math.nan
            e1 = eta / s1 if s1 != 0.0 else math.nan
            step_row[2 * j] = e0 if keep else math.nan
            step_row[2 * j + 1] = e1 if keep else math.nan
        # commit the lanes whose new point is finite and inside the box (lo, hi are finite); freeze the
        # others. Selects, not branches, so that the loop is SIMD; the rare lane that just fell is
        # recorded by a second loop.
        fell = 0
        for j in range(L):
            x1, y1 = new[0, j], new[1, j]
            ok = live[j] & (lo0 <= x1) & (x1 <= hi0) & (lo1 <= y1) & (y1 <= hi1) & (abs(fn[j]) < math.inf)
            fell += np.int64(live[j]) - np.int64(ok)
            moved[j] = ok
            th[0, j] = x1 if ok else th[0, j]
            th[1, j] = y1 if ok else th[1, j]
            f[j] = fn[j] if ok else f[j]
            gx[j] = gxn[j] if ok else gx[j]
            gy[j] = gyn[j] if ok else gy[j]
        if fell:
            for j in range(L):
                if live[j] and not moved[j]:
                    div[ka + j] = n
                    live[j] = False
                    alive -= 1
        path_r, grad_r = path2[r, 2 * ka:2 * kb], grad2[r, 2 * ka:2 * kb]
        loss_r, gnorm_r = loss[rl, ka:kb], gnorm[r, ka:kb]
        for j in range(L):
            x, y, dx, dy = th[0, j], th[1, j], gx[j], gy[j]
            path_r[2 * j] = x
            path_r[2 * j + 1] = y
            loss_r[j] = f[j]
            grad_r[2 * j] = dx
            grad_r[2 * j + 1] = dy
            gnorm_r[j] = vmath.sqrt(dx * dx + dy * dy)
        if alive == 0:  # every lane is frozen: repeat their last points to the end
            for t2 in range(t + 1, T):
                for j in range(L):
                    k = ka + j
                    if full:
                        path[t2 + 1, k, 0] = th[0, j]; path[t2 + 1, k, 1] = th[1, j]
                        grad[t2 + 1, k, 0] = gx[j]; grad[t2 + 1, k, 1] = gy[j]
                        gnorm[t2 + 1, k] = gnorm[n, k]
                        for c in range(2):
                            m_out[t2, k, c] = math.nan; s_out[t2, k, c] = math.nan; step_out[t2, k, c] = math.nan
                    if full_loss:
                        loss[t2 + 1, k] = f[j]
            break


jitcache.depends_on([_kernel, _lanes], expr, vmath)  # they compile in the interpreter and vmath
