"""The numbers behind each scene's claim, measured on the library's trajectories.

`measure(scene, trajs, convention)` returns a `Result`: the measured numbers (`Measure`s, each with
what the claim needs and whether it holds) in the order the page shows them. The page shows them
beside the figure; tests/test_tour.py checks the same numbers against thresholds it justifies.
Every function here is pure numpy on `optimizers.Trajectory` records.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import optimizers
import surfaces

from .scenes import COUNTERPART_LABEL, Scene


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def readable(number: str) -> str:
    """A formatted number as a student reads it: 2.01e-37 → 2.01·10⁻³⁷, 0.0e+00 → 0 (else unchanged)."""
    mantissa, e, exponent = number.partition("e")
    if not e:
        return number
    if float(mantissa) == 0:
        return "0"
    return f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"


@dataclass(frozen=True)
class Measure:
    """One measured number: `value` shown with `fmt`; `need` says what the claim asks of it ("" for
    a number shown for context), `ok` whether it holds (None for context)."""

    label: str
    value: float | None
    fmt: str = ".3g"
    need: str = ""
    ok: bool | None = None

    def shown(self) -> str:
        if self.value is None:
            return "never"
        v = float(self.value)
        if self.fmt == "%":
            return f"{100 * v:.3g} %"
        if self.fmt == "d":
            return f"{int(v):,}"
        return readable(format(v, self.fmt))

    def text(self) -> str:
        mark = "" if self.ok is None else (" ✓" if self.ok else " ✗")
        need = f"  (claim: {self.need})" if self.need else ""
        return f"{self.label}: {self.shown()}{need}{mark}"


@dataclass(frozen=True)
class Result:
    measures: tuple[Measure, ...]
    note: str = ""            # said when the claim does not hold under the chosen convention

    @property
    def holds(self) -> bool:
        return all(m.ok is not False for m in self.measures)

    def get(self, label_start: str) -> Measure:
        for m in self.measures:
            if m.label.startswith(label_start):
                return m
        raise KeyError(label_start)


# ------------------------------------------------------------------------------------ helpers
def loss_change(loss: np.ndarray, frm: int) -> float:
    """(max − min) of the loss from step `frm` on, relative to the loss at `frm`."""
    tail = loss[frm:]
    return float((tail.max() - tail.min()) / abs(loss[frm]))


def steps_of(path: np.ndarray) -> np.ndarray:
    """|θ_{t+1} − θ_t| per coordinate, (T, 2)."""
    return np.abs(np.diff(path, axis=0))


def step_lengths(path: np.ndarray) -> np.ndarray:
    """‖θ_{t+1} − θ_t‖, (T,)."""
    return np.hypot(*np.diff(path, axis=0).T)


BURST_WINDOW = 200      # steps whose median a burst step is compared with
BURST_FACTOR = 10.0     # a burst step is at least this many times that median ...
BURST_MIN = 0.05        # ... and at least this long (1 % of the bowl's height: visible on the map)


def bursts(y: np.ndarray, after: int, window: int = BURST_WINDOW, factor: float = BURST_FACTOR,
           min_size: float = BURST_MIN) -> list[int]:
    """Updates t ≥ `after` whose step |y_{t+1} − y_t| is at least `min_size` and at least `factor`
    times the median step of the `window` updates before it: a sudden eruption, not a slow drift
    (a shrinking or steady sequence of steps never qualifies)."""
    d = np.abs(np.diff(y))
    out = []
    for t in range(max(after, window), len(d)):
        if d[t] >= min_size and d[t] >= factor * np.median(d[t - window:t]):
            out.append(t)
    return out


def episodes(ts: list[int], gap: int = 50) -> list[tuple[int, int]]:
    """Group burst updates at most `gap` updates apart into (first, last) episodes."""
    out: list[list[int]] = []
    for t in ts:
        if out and t - out[-1][1] <= gap:
            out[-1][1] = t
        else:
            out.append([t, t])
    return [tuple(e) for e in out]


def sigma_lag(t: optimizers.Trajectory, coord: int, drop: float = 10.0, within: float = 2.0,
              window: int = 5) -> tuple[int | None, int | None]:
    """(t_drop, lag): t_drop is the first update where the recent slope — the RMS of |g| over the last
    `window` updates — has fallen to 1/`drop` of the first gradient; lag is how many updates later
    σ first comes within `within`× that recent slope (None: not within the run)."""
    g = np.abs(t.grad[:-1, coord])                       # the gradient used by update t
    sig = t.sigma[:, coord]
    csum = np.concatenate([[0.0], np.cumsum(g**2)])
    n = np.arange(1, len(g) + 1)
    lo = np.maximum(0, n - window)
    recent = np.sqrt((csum[n] - csum[lo]) / (n - lo))
    below = np.flatnonzero(recent <= g[0] / drop)
    if not below.size:
        return None, None
    td = int(below[0])
    ok = np.flatnonzero(sig[td:] <= within * recent[td:])
    return td, (int(ok[0]) if ok.size else None)


def movement_error(t: optimizers.Trajectory, surface, lr: float, momentum: float) -> float:
    """max |m^{t+1} − (λ m^t − η g^t)| over the run, with m^{t+1} = θ^{t+1} − θ^t, m^0 = 0 and g^t the
    gradient at θ^t: how exactly the path is 'last movement scaled by λ, minus η·gradient'."""
    mv = np.diff(t.path, axis=0)
    prev = np.vstack([np.zeros((1, 2)), mv[:-1]])
    g = surfaces.get(surface).grad(t.path[:-1])
    return float(np.max(np.abs(mv - (momentum * prev - lr * g))))


def used_gradient(t: optimizers.Trajectory, lr: float, momentum: float) -> np.ndarray:
    """The gradient each update of the book's momentum actually used, read back from the path:
    v_{t+1} = λ v_t − η g  ⇒  g = (λ v_t − v_{t+1}) / η, with v_t = θ_t − θ_{t−1}, v_0 = 0."""
    v = np.diff(t.path, axis=0)
    prev = np.vstack([np.zeros((1, 2)), v[:-1]])
    return (momentum * prev - v) / lr


def first_within(path: np.ndarray, point, tol: float) -> int | None:
    """First step from which the path stays within `tol` of `point` to the end (None: never)."""
    d = np.hypot(*(path - np.asarray(point, float)).T)
    outside = np.flatnonzero(d > tol)
    if not outside.size:
        return 0
    k = int(outside[-1]) + 1
    return k if k < len(path) else None


def max_path_difference(a: optimizers.Trajectory, b: optimizers.Trajectory) -> float:
    return float(np.max(np.abs(a.path - b.path)))


def _fmt_lag(v) -> float | None:
    return None if v is None else float(v)


# ------------------------------------------------------------------------------------ the scenes
def _scene1(scene, trajs, convention, surface):
    t = trajs[scene.runs[0].label]
    half = scene.steps // 2
    change = loss_change(t.loss, half)
    keep = float(np.min(t.grad_norm[half:]) / t.grad_norm[0])
    y = t.path[half:, 1]
    return Result((
        Measure("loss change over the last half", change, "%", "< 1 %", change < 0.01),
        Measure("smallest gradient norm in the last half, relative to the start", keep, "%", "> 10 %", keep > 0.10),
        Measure("gradient norm at the end", float(t.grad_norm[-1]), ".4g"),
        Measure("valley-floor crossings in the last half (y changes sign)",
                float(np.sum(np.sign(y[1:]) != np.sign(y[:-1]))), "d"),
    ))


def _scene2(scene, trajs, convention, surface):
    t = trajs[scene.runs[0].label]
    s = surfaces.get(surface)
    x0, xm = t.path[0, 0], s.minima[0][0]
    progress = float((t.path[-1, 0] - x0) / (xm - x0))
    y = t.path[:, 1]
    flips = int(np.sum(np.sign(y[1:]) != np.sign(y[:-1])))
    down = float((y[0] - y[-1]) / y[0])
    return Result((
        Measure("updates", float(scene.steps), "d"),
        Measure("valley-floor crossings (y changes sign)", float(flips), "d", "0", flips == 0),
        Measure("way covered along x (flat direction)", progress, "%", "0 to 2 %", 0 <= progress < 0.02),
        Measure("way covered down the steep wall (y)", down, "%"),
    ))


def _distance(path, surface) -> float:
    return float(np.hypot(*(path[-1] - np.asarray(surfaces.get(surface).minima[0], float))))


def _scene3(scene, trajs, convention, surface):
    t = trajs[scene.runs[0].label]
    dist = _distance(t.path, surface)
    early = slice(1, 101)
    ratio = float(np.median(t.step_size[early, 0] / t.step_size[early, 1]))
    note = "" if dist < 1e-3 else ("With σ from the sum of squares the flat direction is crossed "
                                   "much more slowly: the point is still on its way.")
    return Result((
        Measure("distance to the minimum at the end", dist, ".2e", "< 10⁻³", dist < 1e-3),
        Measure("effective step η/σ along x ÷ along y (first 100 updates, median)", ratio, ".3g", "> 3", ratio > 3),
        Measure("loss at the end", float(t.loss[-1]), ".3g"),
    ), note)


def _burst_measures(t, steps, with_need: bool):
    """Scene 4's numbers: bursts late in the run (in its second half), the biggest one and the recovery.
    The median step before it is shown for scale only: bursts() already requires ≥ BURST_FACTOR × it."""
    y = t.path[:, 1]
    after = steps // 2
    bs = bursts(y, after)
    eps = episodes(bs)
    d = np.abs(np.diff(y))
    out = []
    if bs:
        big = max(bs, key=lambda k: d[k])
        before = float(np.median(d[big - BURST_WINDOW:big]))
        tail = float(d[-steps // 10:].max())
        ss = t.step_size[:, 1]
        out += [
            Measure("bursts in y in the second half of the run", float(len(eps)), "d", "≥ 1" if with_need else "",
                    (len(eps) >= 1) if with_need else None),
            Measure("biggest y-step", float(d[big]), ".3g"),
            Measure("… at update", float(big), "d"),
            Measure(f"… the median y-step of the {BURST_WINDOW} updates before it (a burst is ≥ {BURST_FACTOR:g}× "
                    "that; near 0 means the point sat still)", before, ".2g"),
            Measure("largest y-step in the last 10 % ÷ biggest (recovery)", tail / float(d[big]), ".3g",
                    "< 0.25" if with_need else "", (tail / float(d[big]) < 0.25) if with_need else None),
            Measure("η/σ_y just before the biggest burst", float(ss[big - 1]), ".3g"),
            Measure("η/σ_y at the end", float(ss[-1]), ".3g"),
        ]
    else:
        out.append(Measure("bursts in y in the second half of the run", 0.0, "d", "≥ 1" if with_need else "",
                           False if with_need else None))
    return out, bool(bs)


def _scene4(scene, trajs, convention, surface):
    t = trajs[scene.runs[0].label]
    ms, any_burst = _burst_measures(t, scene.steps, with_need=True)
    note = "" if any_burst else ("With σ from the sum of squares, σ never shrinks: no bursts, but the "
                                 "flat direction is crossed far more slowly.")
    ms.append(Measure("distance to the minimum at the end", _distance(t.path, surface), ".2e"))
    return Result(tuple(ms), note)


def _scene5(scene, trajs, convention, surface):
    t = trajs[scene.runs[0].label]
    y = t.path[:, 1]
    bs = bursts(y, scene.steps // 10)
    dist = _distance(t.path, surface)
    ms = [Measure("bursts in y with the decaying η_t (after the first 10 % of the run)",
                  float(len(episodes(bs))), "d", "0", not bs)]
    ref = [r for r in scene.runs if r.reference]
    if ref:  # the same run with a constant η: there were bursts to remove
        n_const = len(episodes(bursts(trajs[ref[0].label].path[:, 1], scene.steps // 10)))
        ms.append(Measure("… with the constant η", float(n_const), "d", "≥ 1", n_const >= 1))
    ms += [Measure("distance to the minimum at the end", dist, ".2e", "< 10⁻³", dist < 1e-3),
           Measure("η_t at the end", float(t.lr[-1]), ".3g")]
    note = "" if dist < 1e-3 else ("With σ from the sum of squares there are no bursts to remove, and the decay "
                                   "slows the crawl along x even more.")
    return Result(tuple(ms), note)


TRANSFORMER = dict(d_model=512, warmup_steps=4000)
TRANSFORMER_STEPS = 20_000
RESNET = dict(warmup_steps=400, warmup_lr=0.01)
RESNET_LR = 0.1
RESNET_STEPS = 1000


def transformer_rate(steps: int = TRANSFORMER_STEPS) -> np.ndarray:
    """The Transformer's η_t (η = 1, as in the paper) from the library's schedule."""
    return optimizers.lr_at("transformer", steps, 1.0, TRANSFORMER)


def resnet_rate(steps: int = RESNET_STEPS) -> np.ndarray:
    return optimizers.lr_at("resnet_warmup", steps, RESNET_LR, RESNET)


def transformer_paper(steps: int = TRANSFORMER_STEPS) -> np.ndarray:
    """Vaswani et al. (2017), formula (3), written out again: d^-0.5 · min(n^-0.5, n · w^-1.5), n = t + 1."""
    n = np.arange(1, steps + 1, dtype=float)
    return 512 ** -0.5 * np.minimum(n ** -0.5, n * 4000 ** -1.5)


def _scene6(scene, trajs, convention, surface):
    tr = transformer_rate()
    err_t = float(np.max(np.abs(tr - transformer_paper())))
    peak = int(np.argmax(tr)) + 1
    rn = resnet_rate()
    resnet_ok = bool(np.all(rn[:400] == 0.01) and np.all(rn[400:] == 0.1))
    adam, warm, radam = (trajs[r.label] for r in scene.runs)
    lr = scene.runs[0].lr()
    first = float(np.max(steps_of(adam.path)[0]))
    first_w = float(np.max(steps_of(warm.path)[0]))
    uses_sigma = ~np.all(radam.sigma == 1.0, axis=1)
    plain = int(np.argmax(uses_sigma)) if uses_sigma.any() else len(uses_sigma)  # all plain: every update
    lengths = step_lengths(radam.path)
    plain_big = float(np.max(lengths[:plain])) if plain else 0.0
    rect_first = float(lengths[plain]) if plain < len(lengths) else float("nan")
    adam_first = float(step_lengths(adam.path)[0])
    radam_lr = scene.runs[2].lr()
    ms = (
        Measure("Transformer η_t: peak at step", float(peak), "d", "4000", peak == 4000),
        Measure("… peak value (1/√(512 · 4000) = 6.99·10⁻⁴)", float(tr.max()), ".4g"),
        Measure("… largest difference from the paper's formula", err_t, ".1e", "< 10⁻¹⁵", err_t < 1e-15),
        Measure("ResNet as drawn: η = 0.01 for iterations 0–399, then 0.1", float(resnet_ok), "d", "1 (yes)",
                resnet_ok),
        Measure("Adam's first step per coordinate ÷ η (σ from one gradient is |g|)", first / lr, ".4g"),
        Measure("… with warm-up", first_w / lr, ".4g"),
        Measure("PyTorch's RAdam: updates taken without σ (ρ_t ≤ 5)", float(plain), "d", "5", plain == 5),
        Measure("… its largest of those ÷ Adam's first step", plain_big / adam_first, ".3g", "> 1 (larger, not smaller)",
                plain_big > adam_first),
        Measure("… its first step with σ ÷ η (r_t starts near 0)", rect_first / radam_lr, ".3g", "< 0.1",
                rect_first < 0.1 * radam_lr),
        Measure("final loss: Adam", float(adam.loss[-1]), ".2e"),
        Measure("… warm-up", float(warm.loss[-1]), ".2e"),
        Measure("… RAdam", float(radam.loss[-1]), ".2e"),
    )
    return Result(ms)


def _scene7(scene, trajs, convention, surface):
    fast, slow, ada = (trajs[r.label] for r in scene.runs)
    lags = [sigma_lag(t, 0)[1] for t in (fast, slow, ada)]
    f, s, a = lags
    ms = (
        Measure(f"{scene.runs[0].label}: σ within 2× of the new slope after", _fmt_lag(f), ".0f", "≤ 5 steps",
                f is not None and f <= 5),
        Measure(f"{scene.runs[1].label}: … after", _fmt_lag(s), ".0f", "longer than α = 0.5",
                s is not None and f is not None and s > f),
        Measure(f"{scene.runs[2].label}: … after", _fmt_lag(a), ".0f", "> 100 steps (or never)",
                a is None or a > 100),
        Measure("final loss: RMSProp α = 0.9", float(slow.loss[-1]), ".3g"),
        Measure("… Adagrad", float(ada.loss[-1]), ".3g"),
    )
    return Result(ms)


CRITICAL_X = {"saddle": 0.0, "local_minimum": 0.0}


def _scene8(scene, trajs, convention, surface):
    gd, mom = (trajs[r.label] for r in scene.runs)
    xc = CRITICAL_X.get(surface, 0.0)
    stuck = float(abs(gd.path[-1, 0] - xc))
    dist = _distance(mom.path, surface)
    lr, lam = scene.runs[1].hyper_dict()["lr"], scene.runs[1].hyper_dict()["momentum"]
    err = movement_error(mom, surface, lr, lam)
    passed = int(np.argmax(mom.path[:, 0] > xc)) if (mom.path[:, 0] > xc).any() else None
    return Result((
        Measure("GD: distance of x from the critical point x = 0 at the end", stuck, ".3g", "< 0.1", stuck < 0.1),
        Measure("GD: gradient norm at the end", float(gd.grad_norm[-1]), ".2e"),
        Measure("Momentum: distance to the minimum beyond x = 0 at the end", dist, ".2e", "< 10⁻³", dist < 1e-3),
        Measure("Momentum: passes x = 0 at step", None if passed is None else float(passed), "d"),
        Measure("max |movement − (λ·last movement − η·gradient)|", err, ".1e", "< 10⁻¹²", err < 1e-12),
    ))


def _scene9(scene, trajs, convention, surface):
    classic, nest = (trajs[r.label] for r in scene.runs)
    hp = scene.runs[1].hyper_dict()
    lr, lam = hp["lr"], hp["momentum"]
    s = surfaces.get(surface)
    xm = np.asarray(s.minima[0], float)
    over_c = float(classic.path[:, 0].max() - xm[0])
    over_n = float(nest.path[:, 0].max() - xm[0])
    settle_c = first_within(classic.path, xm, 1e-2)
    settle_n = first_within(nest.path, xm, 1e-2)
    ms = []
    if scene.run_convention(scene.runs[1], convention) == "book":
        v = np.diff(nest.path, axis=0)
        prev = np.vstack([np.zeros((1, 2)), v[:-1]])
        look = float(np.max(np.abs(used_gradient(nest, lr, lam) - s.grad(nest.path[:-1] + lam * prev))))
        here = float(np.max(np.abs(used_gradient(classic, lr, lam) - s.grad(classic.path[:-1]))))
        ms += [Measure("Nesterov: |gradient used − ∇f(θ + λv)| (max)", look, ".1e", "< 10⁻⁹", look < 1e-9),
               Measure("Classical: |gradient used − ∇f(θ)| (max)", here, ".1e", "< 10⁻⁹", here < 1e-9)]
    ms += [
        Measure("overshoot past the minimum along x: classical", over_c, ".3g"),
        Measure("… Nesterov", over_n, ".3g", "< classical", over_n < over_c),
        Measure("stays within 10⁻² of the minimum from step: classical", _fmt_lag(settle_c), ".0f"),
        Measure("… Nesterov", _fmt_lag(settle_n), ".0f", "sooner",
                settle_n is not None and (settle_c is None or settle_n < settle_c)),
    ]
    return Result(tuple(ms))


def _scene10(scene, trajs, convention, surface):
    adam, plain, composed = (trajs[r.label] for r in scene.runs)
    diff = max_path_difference(plain, composed)
    lr = scene.runs[0].lr()
    hp = scene.runs[2].hyper_dict()
    b1, b2 = hp["beta1"], hp["alpha"]  # the composed run's; the Adam runs use the same defaults (0.9, 0.999)
    first = steps_of(adam.path)[0] / lr                 # (2,) per coordinate
    first_plain = steps_of(plain.path)[0] / lr
    expect = (1 - b1) / np.sqrt(1 - b2)
    err = float(np.max(np.abs(first - 1.0)))
    err_plain = float(np.max(np.abs(first_plain / expect - 1.0)))
    return Result((
        Measure("max |Adam without bias correction − EMA momentum × RMSProp's σ|", diff, ".1e", "< 10⁻¹²",
                diff < 1e-12),
        Measure("Adam's first step ÷ η: largest |… − 1| over the coordinates", err, ".1e",
                "< 10⁻⁶ (a step of η in each)", err < 1e-6),
        Measure("first step ÷ η without bias correction (smaller coordinate)", float(first_plain.min()), ".6g",
                f"(1 − β₁)/√(1 − β₂) = {expect:.6g}, to 10⁻⁶ relative", err_plain < 1e-6),
        Measure("Adam: distance to the minimum at the end", _distance(adam.path, surface), ".2e"),
        Measure("… without bias correction", _distance(plain.path, surface), ".2e"),
    ))


def _scene11(scene, trajs, convention, surface):
    free, clipped = (trajs[r.label] for r in scene.runs)
    hp = scene.runs[1].hyper_dict()
    bound = hp["lr"] * scene.runs[1].max_norm / (1.0 - hp["momentum"])
    (x0, x1), (y0, y1) = surfaces.get(surface).bounds
    width = max(x1 - x0, y1 - y0)
    big = float(step_lengths(free.path).max())
    big_c = float(step_lengths(clipped.path).max())
    dist = _distance(clipped.path, surface)
    return Result((
        Measure("longest step without clipping", big, ".3g", f"> {width:g} (the view's width)", big > width),
        Measure("largest gradient norm met without clipping", float(np.nanmax(free.grad_norm)), ".3g"),
        Measure(f"longest step with max_norm = {scene.runs[1].max_norm:g}", big_c, ".3g",
                f"≤ η·max_norm/(1−λ) = {bound:g}", big_c <= bound),
        Measure("clipped run: distance to the minimum at the end", dist, ".2e", "< 10⁻³", dist < 1e-3),
    ))


def _scene12(scene, trajs, convention, surface):
    """The composed run against its counterpart (different parts, same ratio η_t/σ_t: a real check) and
    against its named twin (the same parts: it only checks the wiring)."""
    composed = trajs[scene.runs[0].label]
    ms = []
    for run in scene.runs[1:]:
        diff = max_path_difference(composed, trajs[run.label])
        if run.label.startswith(COUNTERPART_LABEL):
            ms.insert(0, Measure(f"max |composed − {run.label.removeprefix(COUNTERPART_LABEL)}|", diff, ".1e",
                                 "< 10⁻¹²", diff < 1e-12))
        else:
            ms.append(Measure(f"max |composed − {run.label.removeprefix('named: ')}| (same parts: the wiring)",
                              diff, ".1e", "< 10⁻¹²", diff < 1e-12))
    named = any(r.label.startswith("named: ") for r in scene.runs[1:])
    note = "" if named else "This combination of parts has no named optimizer in the lectures: it is your own."
    momentum, rms = scene.runs[0].optimizer.split("+")
    if not named and momentum != "none" and rms.startswith("rmsprop"):
        note += (" Its nearest named kin is Adam, which the lecture calls RMSProp + momentum (scene 10): the parts "
                 "EMA of g and Adam's v, with bias correction.")
    ms.append(Measure("distance to the minimum at the end", _distance(composed.path, surface), ".2e"))
    return Result(tuple(ms), note)


_MEASURES = {1: _scene1, 2: _scene2, 3: _scene3, 4: _scene4, 5: _scene5, 6: _scene6, 7: _scene7, 8: _scene8,
             9: _scene9, 10: _scene10, 11: _scene11, 12: _scene12}


def measure(scene: Scene, trajs: dict, convention: str | None = None, surface: str | None = None) -> Result:
    """The measured numbers behind `scene`'s claim, from its runs `trajs` ({label: Trajectory})."""
    return _MEASURES[scene.number](scene, trajs, convention or scene.convention, surface or scene.surface)


def measure_scene(number: int, convention: str | None = None, surface: str | None = None) -> Result:
    """Run scene `number` with the library and measure it: the numbers behind its claim."""
    from .scenes import get, run_scene

    scene = get(number)
    return measure(scene, run_scene(scene, convention, surface), convention, surface)
