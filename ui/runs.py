"""Cached runs of the optimizer engine, keyed on plain values, returning numpy.

`run_spec(setup, opt, start)` is the one entry point pages use: a process-wide cache (RUNS) keyed on
strings, numbers and tuples (never tensors or lambdas), so dragging a slider back is instant and many
students with the same setup share the work. RUN_CACHE_ENTRIES bounds memory: a 100,000-step run
holds about 7 MB of records (η_t/σ_t is not stored: `step_size(r)` gives it).

`trajectories_csv` / `trajectories_json` turn results into export files (pure functions); `sweep`
and the Batch page's `train_minibatch`, `escape_results`, `sharp_flat_result` are the other pages'
cached runs.
"""
from __future__ import annotations

import csv
import io
import json
import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import streamlit as st

import optimizers
import surfaces
from optimizers import minibatch, noise
from optimizers import sweep as sw
from surfaces import data as sdata

from viz.spec import FigureSpec

from .share import COMPOSE, COMPOSE_USES, OptSpec, Setup, torch_only

RUN_CACHE_ENTRIES = 64
RECORDS = ("path", "loss", "grad_norm", "lr", "m", "sigma")  # step_size = lr / sigma: not stored twice


def engine_args(opt: OptSpec, convention: str) -> tuple[Any, dict]:
    """(optimizer argument for optimizers.run, hyperparameters) for one OptSpec."""
    p = opt.p
    if opt.name == COMPOSE:
        keys = ("lr",) + COMPOSE_USES[p["mom"]] + COMPOSE_USES[p["rms"]]
        hp = {k: p[k] for k in dict.fromkeys(keys)}
        return optimizers.compose(p["mom"], p["rms"], **hp), {}
    hp = {}
    for k, v in p.items():
        if torch_only(opt.name, k, convention):
            continue
        hp[k] = v
    if "beta1" in hp:
        hp["betas"] = (hp.pop("beta1"), hp.pop("beta2"))
    return opt.name, hp


def run_records(surface: str, opt_name: str, params: tuple, start: tuple, steps: int, convention: str,
               schedule: str, schedule_args: tuple, noise: float, seed: int, clip: float | None,
               device: str) -> dict:
    """One optimizers.run as a dict of numpy arrays plus diverged_at, latex, notes, convention,
    device. Raises ValueError (not cached) for a bad combination, with the engine's message."""
    s = surfaces.get(surface)
    opt, hp = engine_args(OptSpec(opt_name, params), convention)
    t = optimizers.run(s, opt, steps=int(steps), start=tuple(start), schedule=schedule,
                       schedule_args=dict(schedule_args), convention=convention, device=device,
                       noise=float(noise), seed=int(seed), max_norm=clip, **hp)
    out = {k: np.ascontiguousarray(getattr(t, k)) for k in RECORDS}
    out["lr"] = np.asarray(out["lr"], float).reshape(-1)
    out.update(diverged_at=t.diverged_at, latex=t.latex, notes=tuple(t.notes), convention=t.convention,
               device=t.device, optimizer=t.optimizer)
    return out


def step_size(r: dict) -> np.ndarray:
    """η_t/σ_t per coordinate (T, 2), as the engine's Trajectory.step_size."""
    with np.errstate(all="ignore"):
        return r["lr"][:, None] / r["sigma"]


def run_spec(setup: Setup, opt: OptSpec, start: tuple[float, float]) -> dict:
    """The run of `opt` in `setup` from `start`, from one process-wide cache that every session reads
    (RUNS; its arrays read-only). st.cache_data hashed the arguments and unpickled a fresh copy of the
    records on every rerun: 25 ms for four runs of 100,000 steps, against 0.01 ms here."""
    args = (setup.surface, opt.name, opt.params, (float(start[0]), float(start[1])), int(setup.steps),
            setup.convention, setup.schedule, setup.schedule_args, float(setup.noise), setup.run_seed,
            None if setup.clip is None else float(setup.clip), setup.device)
    return RUNS.get(args, lambda: _read_only(run_records(*args)))


def _read_only(r: dict) -> dict:
    """`r` with its arrays made read-only: it is shared by every session that shows the run."""
    for v in r.values():
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    return r


# --------------------------------------------------------------------------- export
EXPORT_MAX_STEPS = 20_000  # runs up to this long are exported whole; longer ones one step in k (said on the page)


def export_stride(n_points: int, max_steps: int = EXPORT_MAX_STEPS) -> int:
    """k: a run of n_points points (steps + 1) is exported one step in k (1: every step)."""
    return max(1, math.ceil((n_points - 1) / max_steps))


def export_indices(n_points: int, max_steps: int = EXPORT_MAX_STEPS) -> np.ndarray:
    """Every step of a run of up to max_steps steps; of a longer one every k-th step and the last
    (at most max_steps + 2 rows)."""
    k = export_stride(n_points, max_steps)
    return np.unique(np.append(np.arange(0, n_points, k), n_points - 1))


def _rows(label: str, r: dict):
    T1 = len(r["path"])
    div = r["diverged_at"]
    for i in export_indices(T1):
        upd = i < T1 - 1  # records of the update leaving point i
        yield [label, int(i), *r["path"][i], r["loss"][i], r["grad_norm"][i],
               r["lr"][i] if upd else math.nan,
               *(r["m"][i] if upd else (math.nan, math.nan)),
               *(r["sigma"][i] if upd else (math.nan, math.nan)),
               int(div is not None and i >= div)]


# diverged: 1 from the step the run diverged at on, where x, y stay at its last finite point
CSV_COLUMNS = ["optimizer", "step", "x", "y", "loss", "grad_norm", "eta_t", "m_x", "m_y", "sigma_x", "sigma_y",
               "diverged"]
BOM = "\ufeff"  # a UTF-8 byte-order mark: without it Excel reads "GD η=0.01" as "GD Î·=0.01"


def trajectories_csv(results: list[tuple[str, dict]]) -> str:
    """CSV, one row per (optimizer, step): the point θ_t, f, ‖g_t‖, and η_t, m_t, σ_t of the update
    that leaves θ_t (empty on the last point), and whether the run had diverged by then. Runs longer
    than EXPORT_MAX_STEPS steps are thinned (export_indices). UTF-8 with a byte-order mark (BOM), for Excel."""
    buf = io.StringIO()
    buf.write(BOM)
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for label, r in results:
        for row in _rows(label, r):
            w.writerow(["" if isinstance(v, float) and math.isnan(v) else (repr(float(v)) if isinstance(v, (float, np.floating)) else v)
                        for v in row])
    return buf.getvalue()


def trajectories_json(results: list[tuple[str, dict]], setup_query: dict | None = None) -> str:
    """JSON: the setup (its query parameters) and per optimizer its records (thinned like the CSV)."""
    def clean(a):
        a = np.asarray(a, float)
        return [None if not math.isfinite(v) else v for v in a.ravel().tolist()] if a.ndim == 1 else \
            [[None if not math.isfinite(v) else v for v in row] for row in a.tolist()]

    out = {"setup": setup_query or {}, "trajectories": []}
    for label, r in results:
        idx = export_indices(len(r["path"]))
        upd = idx[idx < len(r["path"]) - 1]
        out["trajectories"].append({
            "label": label, "optimizer": r["optimizer"], "convention": r["convention"],
            "diverged_at": r["diverged_at"], "update_rule_latex": r["latex"], "notes": list(r["notes"]),
            "steps": idx.tolist(), "path": clean(r["path"][idx]), "loss": clean(r["loss"][idx]),
            "grad_norm": clean(r["grad_norm"][idx]), "eta_t": clean(r["lr"][upd]), "m_t": clean(r["m"][upd]),
            "sigma_t": clean(r["sigma"][upd]),
        })
    return json.dumps(out, allow_nan=False)


# --------------------------------------------------------------------------- figures
FIGURE_CACHE_ENTRIES = 48


class SharedCache:
    """A process-wide least-recently-used store of results that all sessions share, for work that
    reports its progress to the page while it runs. st.cache_data records the elements a cached
    function draws and replays them on a hit, so a progress bar created outside it fails there
    (CacheReplayClosureError: a long sweep crashed the page when the same sweep was asked for
    again). Values are shared, never copied: callers only read them. Two sessions that ask for the
    same missing key at once both compute it; the second result replaces the first."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, compute):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()  # outside the lock: other sessions' hits do not wait for it
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value


# the Sweep page's results (here, not in the page: a page script runs afresh on every rerun)
SWEEPS = SharedCache(16)
RUNS = SharedCache(RUN_CACHE_ENTRIES)  # the Playground's runs (run_spec)


def sweep(surface: str, optimizer: str, param: str, lrs: tuple, value_range: tuple, n_values: int, steps: int,
          convention: str, tol: float, chunk: int | None, progress=None):
    """optimizers.sweep.sweep, shared by every session that asks for the same one (SWEEPS; not
    st.cache_data, which would replay this run's progress bar on a hit)."""
    key = (surface, optimizer, param, lrs, value_range, n_values, steps, convention, tol, chunk)
    return SWEEPS.get(key, lambda: sw.sweep(surface, optimizer, param=param, lrs=lrs, value_range=value_range,
                                          n_values=n_values, steps=steps, convention=convention, tol=tol,
                                          device="auto", chunk=chunk, progress=progress))


@st.cache_resource(max_entries=FIGURE_CACHE_ENTRIES, show_spinner=False)
def _cached_figure(key: tuple, _build):
    return _build()


def cached_figure(key: tuple, build):
    """`build()` (a plotly figure), cached on the plain `key` (it must determine the figure: e.g.
    the setup's query string, the start, the view options). Sessions with the same setup share it,
    and dragging a slider back is instant. The shared figure is only read, never changed: a
    FigureSpec (viz/spec.py) refuses changes, and st.plotly_chart encodes it without copying."""
    return _cached_figure(key, build)


def cached_spec(key: tuple, build):
    """cached_figure for a builder of a plotly go.Figure: kept as the FigureSpec of its dict. A
    go.Figure is copied and checked by plotly on every rerun that shows it; the Batch page's eight
    figures cost ~120 ms of the server's CPU a rerun that way, ~30 ms cached like this."""
    return _cached_figure(("spec",) + key, lambda: FigureSpec(build().to_dict()))


# --------------------------------------------------------------------------- the Batch page's runs
@st.cache_data(max_entries=64, show_spinner=False)
def train_minibatch(normalize: bool, optimizer: str, lr: float, convention: str, batch_size: int, epochs: int,
                    shuffle: bool, seed: int) -> dict:
    """Minibatch training on the N_DEFAULT-example regression (raw or normalised feature), as plain values."""
    s = sdata.regression(sdata.N_DEFAULT, 0, normalize)
    t = minibatch.run(s, optimizer, batch_size=batch_size, epochs=epochs, shuffle=shuffle, seed=seed,
                      convention=convention, lr=lr)
    return {"path": t.path, "loss": t.loss, "epoch_starts": t.epoch_starts, "upe": t.updates_per_epoch,
            "diverged_at": t.diverged_at, "notes": t.notes,
            "first_batches": [t.batch(u).tolist() for u in range(min(3, len(t.path) - 1))]}


@st.cache_data(max_entries=8, show_spinner=False)
def escape_results(surface: str, runs: int, seed: int):
    """noise.escape with the page's settings (cached: the same for every student)."""
    return noise.escape(surface, runs=runs, seed=seed)


@st.cache_data(max_entries=4, show_spinner=False)
def sharp_flat_result(batch_sizes: tuple, runs: int, seed: int):
    """noise.sharp_vs_flat with the page's settings (cached: the same for every student)."""
    return noise.sharp_vs_flat(batch_sizes, runs=runs, seed=seed)
