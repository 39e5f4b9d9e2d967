"""Surfaces defined by a small data set: the loss over two parameters is the mean of per-example
losses, so a minibatch gradient is an exact mean of per-example gradients (optimizers/minibatch.py).

- `regression(n, seed, normalize)`: the lecture's N = 20 examples of linear regression y ≈ w·x + b;
  the loss over (w, b) is the mean squared error  L(w, b) = 1/N Σ_i (w x_i + b − y_i)².
  Its Hessian is 2/N [[Σx², Σx], [Σx, N]]: an input feature far from 0 makes an elongated,
  tilted bowl; `normalize=True` standardises x (mean 0, standard deviation 1), the Hessian becomes
  2·I and the bowl is round (condition number 1).
- `sharp_flat(n, seed)`: a 1-D training loss with a flat and a sharp minimum, built from N examples
  that all share the wide basin while only some see the narrow canyon; the testing
  loss is the training loss shifted by `TEST_SHIFT` (the lecture's picture of a train/test mismatch).
  The second parameter b only adds ½b², so the surface is 2-D like every other.

Pure library: no streamlit. Everything here is float64 and deterministic for a given seed.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from .base import Surface

N_DEFAULT = 20           # the lecture's example: 20 training examples
MAX_EXAMPLES = 10_000


def _const(values: np.ndarray, like, xp):
    """The data as an array of the namespace (and device, dtype) of `like`."""
    if xp is torch:
        return torch.as_tensor(values, dtype=like.dtype if torch.is_tensor(like) else torch.float64,
                               device=like.device if torch.is_tensor(like) else None)
    return values


def mean_of(losses, weights):
    """Σ_i weights_i · losses_i over the last axis: the mean over a batch when the weights are 1/|batch|
    on the batch and 0 elsewhere; the full loss when every weight is 1/N. Written once so that a
    full batch and the surface itself compute bit-identical numbers."""
    return (losses * weights).sum(-1)


@dataclass(frozen=True)
class DataSurface(Surface):
    """A `Surface` whose loss is the mean of N per-example losses.

    `per_example(w, b, xp)` returns the N losses (..., N) at parameters (w, b) of shape (...);
    `s(xy)` (the engine's loss) is their mean. `data` holds the examples for display."""

    per_example: Callable[[Any, Any, Any], Any] | None = field(default=None, compare=False)
    data: dict = field(default_factory=dict, compare=False, hash=False)
    n_examples: int = 0

    def example_losses(self, xy: torch.Tensor) -> torch.Tensor:
        """Per-example losses (..., N) at points xy (..., 2) (torch, differentiable)."""
        return self.per_example(xy[..., 0], xy[..., 1], torch)

    def hessian(self, xy, h: float = 1e-4) -> np.ndarray:
        """The 2×2 Hessian of the full loss at xy by central differences of the autograd gradient."""
        xy = np.asarray(xy, float)
        H = np.empty((2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = h
            H[:, j] = (self.grad(xy + e) - self.grad(xy - e)) / (2 * h)
        return 0.5 * (H + H.T)


def _check_n(n) -> int:
    try:
        n_int = int(n)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(±inf)
        raise ValueError(f"Invalid number of examples: {n!r} (expected an integer in [2, {MAX_EXAMPLES}])") from None
    if n_int != n or not 2 <= n_int <= MAX_EXAMPLES:
        raise ValueError(f"Invalid number of examples: {n!r} (expected an integer in [2, {MAX_EXAMPLES}])")
    return n_int


# ---------------------------------------------------------------- linear regression, N examples
FEATURE_MEAN, FEATURE_STD = 3.0, 1.5   # x far from 0: the unnormalised bowl is long and tilted
TRUE_W, TRUE_B, LABEL_NOISE = 1.5, 2.0, 1.0


def _regression_losses(w, b, xp, x, y):
    # ℓ_i(w, b) = (w x_i + b − y_i)²   (..., N)
    r = w[..., None] * _const(x, w, xp) + b[..., None] - _const(y, w, xp)
    return r * r


def _mean_loss(x, y, xp, per_example, n):
    return mean_of(per_example(x, y, xp), 1.0 / n)


def regression_data(n: int = N_DEFAULT, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of n seeded examples: x ~ N(3, 1.5²), y = 1.5·x + 2 + N(0, 1)."""
    n = _check_n(n)
    rng = np.random.default_rng(int(seed))
    x = rng.normal(FEATURE_MEAN, FEATURE_STD, n)
    y = TRUE_W * x + TRUE_B + rng.normal(0.0, LABEL_NOISE, n)
    return x, y


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The exact minimum (w*, b*) of the mean squared error."""
    A = np.stack([x, np.ones_like(x)], 1)
    (w, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(w), float(b)


@functools.lru_cache(maxsize=64)
def regression(n: int = N_DEFAULT, seed: int = 0, normalize: bool = False) -> DataSurface:
    """Linear regression y ≈ w·x + b on n seeded examples; the loss over (w, b) is the mean squared
    error. With `normalize` the input feature is standardised, x ← (x − mean x) / std x (std with
    1/N, as batch normalisation computes it), which makes the Hessian exactly 2·I."""
    n = _check_n(n)
    x_raw, y = regression_data(n, seed)
    mu, sd = float(x_raw.mean()), float(x_raw.std())
    x = (x_raw - mu) / sd if normalize else x_raw
    per_example = functools.partial(_regression_losses, x=x, y=y)
    w_star, b_star = least_squares(x, y)
    # the same view size and the same start offset from the minimum, before and after normalising
    half_w, half_b = 4.0, 8.0
    start = (w_star - 3.0, b_star - 6.0)
    feature = "(x − x̄)/s" if normalize else "x"
    return DataSurface(
        name="regression_normalized" if normalize else "regression",
        formula=functools.partial(_mean_loss, per_example=per_example, n=n),
        bounds=((w_star - half_w, w_star + half_w), (b_star - half_b, b_star + half_b)),
        starts=(start,),
        minima=((w_star, b_star),),
        description=f"Mean squared error of y ≈ w·{feature} + b over {n} examples"
                    + (" (input standardised: a round bowl)" if normalize else " (raw input: a long, tilted bowl)"),
        latex=(r"L(w,b)=\frac1N\sum_{i=1}^{N}\left(w\,\frac{x_i-\bar x}{s}+b-y_i\right)^2" if normalize
               else r"L(w,b)=\frac1N\sum_{i=1}^{N}\left(w\,x_i+b-y_i\right)^2"),
        log_scale=True,
        per_example=per_example,
        data={"x": x, "y": y, "x_raw": x_raw, "mean": mu, "std": sd, "seed": int(seed), "normalize": bool(normalize)},
        n_examples=n,
    )


def regression_hessian(s: DataSurface) -> np.ndarray:
    """The exact (constant) Hessian of the mean squared error: 2/N [[Σx², Σx], [Σx, N]]."""
    x = s.data["x"]
    n = len(x)
    return 2.0 / n * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), n]])


def condition_number(H: np.ndarray) -> float:
    """λ_max / λ_min of a symmetric positive-definite matrix (the lecture's ill-conditioning)."""
    ev = np.linalg.eigvalsh(np.asarray(H, float))
    return float(ev[-1] / ev[0]) if ev[0] > 0 else math.inf


# ---------------------------------------------------------------- sharp vs flat minima (1-D)
FLAT_CENTER, FLAT_WIDTH, FLAT_DEPTH = -1.5, 0.8, 1.0
SHARP_CENTER, SHARP_WIDTH, SHARP_DEPTH = 1.5, 0.12, 1.0
SLOPE = 0.1               # ½·SLOPE·w² keeps the far ends rising, towards the minima
SHARP_SHARE = 4           # one example in 4 sees the canyon (4× as deep), the others do not
TEST_SHIFT = 0.25         # testing loss = training loss shifted right by this much


def _flat_part(w, xp):
    return FLAT_DEPTH * xp.exp(-((w - FLAT_CENTER) ** 2) / (2 * FLAT_WIDTH**2))


def _sharp_part(w, xp):
    return SHARP_DEPTH * xp.exp(-((w - SHARP_CENTER) ** 2) / (2 * SHARP_WIDTH**2))


def shape_loss(w, xp=np):
    """ℓ(w) = 1 − D_f·exp(−(w−c_f)²/(2s_f²)) − D_s·exp(−(w−c_s)²/(2s_s²)) + ½·0.1·w²:
    a wide basin (s_f = 0.8) at −1.5 and a narrow canyon (s_s = 0.12) at 1.5, equally deep."""
    return 1.0 - _flat_part(w, xp) - _sharp_part(w, xp) + 0.5 * SLOPE * w**2


def _sharp_flat_losses(w, b, xp, weight):
    # ℓ_i(w, b) = 1 − flat(w) − a_i·sharp(w) + ½·0.1·w² + ½b²   (..., N); mean a_i = 1
    a = _const(weight, w, xp)
    common = 1.0 - _flat_part(w, xp) + 0.5 * SLOPE * w**2 + 0.5 * b * b
    return common[..., None] - a * _sharp_part(w, xp)[..., None]


def sharp_flat_weights(n: int = N_DEFAULT, seed: int = 0) -> np.ndarray:
    """a_i: a seeded quarter of the examples (at least one) carry the canyon with weight N/#those,
    the rest 0 — mean exactly 1 (for N = 20: five examples with a = 4)."""
    n = _check_n(n)
    k = max(1, n // SHARP_SHARE)
    a = np.zeros(n)
    a[np.random.default_rng(int(seed)).choice(n, size=k, replace=False)] = n / k
    return a


@functools.lru_cache(maxsize=16)
def sharp_flat(n: int = N_DEFAULT, seed: int = 0) -> DataSurface:
    """N examples that share the wide basin but not the canyon: ℓ_i = 1 − flat(w) − a_i·sharp(w)
    + ½·0.1·w² + ½b² with mean a_i = 1, so the training loss is L(w, b) = ℓ(w) + ½b² (see
    `shape_loss`; only w matters). In the wide basin every example agrees; in the canyon they do not
    (a quarter of them see it 4× as steep, the rest not at all): a small batch gets thrown out of
    the canyon (a step on a steep example overshoots: η·4·L'' > 2) while the full batch (η·L'' < 2)
    settles there — Wu, Ma & E (2018), "How SGD selects the global minima". The testing loss is L
    shifted right by TEST_SHIFT."""
    n = _check_n(n)
    weight = sharp_flat_weights(n, seed)
    per_example = functools.partial(_sharp_flat_losses, weight=weight)
    s = DataSurface(
        name="sharp_flat",
        formula=functools.partial(_mean_loss, per_example=per_example, n=n),
        bounds=((-4.0, 4.0), (-1.0, 1.0)),
        starts=((0.0, 0.0),),
        minima=(),
        description="A training loss with a wide (flat) minimum and a narrow (sharp) one",
        latex=(r"L(w)=1-e^{-(w+1.5)^2/(2\cdot0.8^2)}-e^{-(w-1.5)^2/(2\cdot0.12^2)}+0.05\,w^2"),
        log_scale=False,
        per_example=per_example,
        data={"weight": weight, "seed": int(seed)},
        n_examples=n,
    )
    flat, sharp = _refine(s, FLAT_CENTER), _refine(s, SHARP_CENTER)
    object.__setattr__(s, "minima", ((flat, 0.0), (sharp, 0.0)))
    s.data.update(flat=flat, sharp=sharp, barrier=_barrier(s, flat, sharp))
    return s


def train_loss_1d(s: DataSurface, w) -> np.ndarray:
    """The training loss along w (b = 0)."""
    w = np.asarray(w, float)
    return s.numpy(w, np.zeros_like(w))


def test_loss_1d(s: DataSurface, w) -> np.ndarray:
    """The testing loss: the training loss shifted right by TEST_SHIFT."""
    return train_loss_1d(s, np.asarray(w, float) - TEST_SHIFT)


def _refine(s: DataSurface, w0: float) -> float:
    """The local minimum of the training loss nearest w0 (a fine grid, then Newton on the gradient)."""
    ws = np.linspace(w0 - 0.5, w0 + 0.5, 20001)
    w = float(ws[np.argmin(train_loss_1d(s, ws))])
    for _ in range(20):
        h = 1e-5
        g = lambda v: float(s.grad(np.array([v, 0.0]))[0])
        d2 = (g(w + h) - g(w - h)) / (2 * h)
        if d2 <= 0:
            break
        w -= g(w) / d2
    return w


def _barrier(s: DataSurface, flat: float, sharp: float) -> float:
    """The w of the top of the ridge between the two minima."""
    ws = np.linspace(flat, sharp, 20001)
    return float(ws[np.argmax(train_loss_1d(s, ws))])


def sharp_flat_summary(s: DataSurface) -> dict:
    """Training loss, testing loss and their gap at each minimum, and each minimum's curvature."""
    out = {}
    for key in ("flat", "sharp"):
        w = s.data[key]
        tr, te = float(train_loss_1d(s, w)), float(test_loss_1d(s, w))
        out[key] = {"w": w, "train": tr, "test": te, "gap": te - tr, "curvature": float(s.hessian((w, 0.0))[0, 0])}
    return out
