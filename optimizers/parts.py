"""The three parts of every optimizer in the lectures' summary rule

    θ_{t+1} = θ_t − (η_t / σ_t) · m_t

a schedule gives η_t (optimizers/schedules.py), a momentum part gives m_t, an RMS part gives σ_t.

Each part is a small frozen dataclass with `init(theta)` → state and `update(state, g, n)` →
(value, new state), where `g` is the gradient (K, 2) and n = 1, 2, … counts updates. Hyperparameters
are floats, or (K, 1) tensors when each trajectory has its own value (a sweep). Everything is plain
elementwise torch, so K trajectories run as one batch on any device.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

Hyper = Any  # float, or a (K, 1) tensor: one value per trajectory


def _zeros(theta):
    return torch.zeros_like(theta)


def _sqrt(x):
    return x.sqrt() if torch.is_tensor(x) else math.sqrt(x)


# ---------------------------------------------------------------- momentum parts: m_t from g_t
@dataclass(frozen=True)
class Identity:
    """m_t = g_t (no momentum)."""

    latex = r"m_t = g_t"

    def init(self, theta):
        return ()

    def update(self, state, g, n):
        return g, state


@dataclass(frozen=True)
class HeavyBall:
    """PyTorch SGD momentum: b_1 = g_1, b_t = μ b_{t−1} + (1 − τ) g_t; m_t = b_t, or with Nesterov
    m_t = g_t + μ b_t. (The buffer starts at g, not 0: the first step equals plain GD.) Where μ = 0
    there is no buffer in torch.optim.SGD and the dampening τ is ignored: m_t = g_t."""

    momentum: Hyper = 0.9
    dampening: Hyper = 0.0
    nesterov: bool = False

    @property
    def latex(self):
        # t = 0, 1, …: the first update's b is g; the dampening τ shown only where it is set
        damped = torch.is_tensor(self.dampening) or self.dampening != 0
        b = r"b_t = \mu\, b_{t-1} + " + (r"(1-\tau)\, g_t" if damped else "g_t") + r",\ b_0 = g_0"
        return b + (r",\quad m_t = g_t + \mu\, b_t" if self.nesterov else r",\quad m_t = b_t")

    def init(self, theta):
        return (_zeros(theta),)

    def update(self, state, g, n):
        (b,) = state
        keep = 1.0 - self.dampening
        if torch.is_tensor(self.momentum):  # per trajectory: τ counts only where μ ≠ 0
            keep = torch.where(self.momentum != 0, keep, torch.ones_like(self.momentum))
        elif self.momentum == 0:
            keep = 1.0
        b = g.clone() if n == 1 else self.momentum * b + keep * g
        m = g + self.momentum * b if self.nesterov else b
        return m, (b,)


@dataclass(frozen=True)
class Movement:
    """The lecture's and the book's momentum: the movement itself is accumulated, η inside it:
    M_{t+1} = λ M_t − η_t g_t / σ_t,  θ_{t+1} = θ_t + M_{t+1},  M_0 = 0.
    With a constant η this equals PyTorch's heavy ball (b_t = −M_{t+1}/η); with a schedule it does
    not: here each past gradient keeps the η of its own step, in PyTorch all take today's η_t.
    `lookahead` (the book's Nesterov, algorithm 8.3) takes the gradient at θ_t + λ M_t."""

    momentum: Hyper = 0.9
    lookahead: bool = False
    carries_lr = True

    @property
    def latex(self):
        at = r"g(\theta_t + \lambda M_t)" if self.lookahead else r"g_t"
        return rf"M_{{t+1}} = \lambda M_t - \frac{{\eta_t}}{{\sigma_t}}\, {at}"  # θ's line is the Optimizer's rule

    def init(self, theta):
        return (_zeros(theta),)

    def update(self, state, u, n):  # u = η_t g / σ_t
        (M,) = state
        M = self.momentum * M - u
        return M, (M,)


@dataclass(frozen=True)
class EMA:
    """Adam's first moment: s_t = β₁ s_{t−1} + (1 − β₁) g_t, s_0 = 0; m_t = s_t / (1 − β₁^t)
    (bias correction; without it m_t = s_t)."""

    beta1: Hyper = 0.9
    bias_correction: bool = True

    @property
    def latex(self):
        s = r"s_t = \beta_1 s_{t-1} + (1-\beta_1)\, g_t"
        # displayed with t = 0, 1, … (the first update is t = 0), so the n-th update's β^n is β^{t+1}
        return s + (r",\quad m_t = \frac{s_t}{1-\beta_1^{t+1}}" if self.bias_correction else r",\quad m_t = s_t")

    def init(self, theta):
        return (_zeros(theta),)

    def update(self, state, g, n):
        (s,) = state
        s = self.beta1 * s + (1.0 - self.beta1) * g
        return (s / (1.0 - self.beta1**n) if self.bias_correction else s), (s,)


@dataclass(frozen=True)
class NAdamMomentum:
    """PyTorch NAdam's momentum (Dozat 2016, with momentum decay ψ):
    μ_t = β₁ (1 − ½·0.96^{tψ}),  s_t = β₁ s_{t−1} + (1 − β₁) g_t,
    m_t = (1 − μ_t) / (1 − Π_{i≤t} μ_i) · g_t + μ_{t+1} / (1 − Π_{i≤t+1} μ_i) · s_t."""

    beta1: Hyper = 0.9
    momentum_decay: Hyper = 4e-3
    # two lines (the display joins lines with \\): on one it was the widest formula on a phone (525 px)
    latex = (r"m_t = \frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\, g_t + \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\, s_t"
             r" \\ s_t = \beta_1 s_{t-1} + (1-\beta_1)\, g_t,\quad \mu_t = \beta_1\left(1-\tfrac12\, 0.96^{(t+1)\psi}\right)")

    def init(self, theta):
        return (_zeros(theta), torch.ones_like(theta[..., :1]))

    def update(self, state, g, n):
        s, mu_product = state
        mu = self.beta1 * (1.0 - 0.5 * 0.96 ** (n * self.momentum_decay))
        mu_next = self.beta1 * (1.0 - 0.5 * 0.96 ** ((n + 1) * self.momentum_decay))
        mu_product = mu_product * mu
        s = self.beta1 * s + (1.0 - self.beta1) * g
        m = (1.0 - mu) / (1.0 - mu_product) * g + mu_next / (1.0 - mu_product * mu_next) * s
        return m, (s, mu_product)


# ---------------------------------------------------------------- RMS parts: σ_t from g_t
@dataclass(frozen=True)
class NoRMS:
    """σ_t = 1 (no per-parameter scaling)."""

    latex = r"\sigma_t = 1"
    may_be_zero = False

    def init(self, theta):
        return ()

    def update(self, state, g, n):
        return 1.0, state


@dataclass(frozen=True)
class AdagradSum:
    """Adagrad as PyTorch and the book (algorithm 8.4) write it: r_t = r_{t−1} + g_t², r_0 = r_init;
    σ_t = √r_t + ε. (PyTorch's default ε is 1e-10; the book's δ is 1e-7.)"""

    eps: Hyper = 1e-10
    initial_accumulator_value: Hyper = 0.0
    book: bool = False  # only the symbol: the book calls ε δ
    may_be_zero = False

    @property
    def latex(self):
        return r"r_t = r_{t-1} + g_t^2,\quad \sigma_t = \sqrt{r_t} + " + (r"\delta" if self.book else r"\epsilon")

    def init(self, theta):
        return (_zeros(theta) + self.initial_accumulator_value,)

    def update(self, state, g, n):
        (r,) = state
        r = r + g * g
        return r.sqrt() + self.eps, (r,)


@dataclass(frozen=True)
class AdagradMean:
    """Adagrad as the lecture writes it: the root mean square of all past gradients,
    σ_t = √( 1/(t+1) Σ_{k=0..t} g_k² ) (0-based t), no ε. It differs from PyTorch's by the factor
    √(t+1) (an implicit 1/√(t+1) decay is absent) and by ε; σ = 0 only where every past gradient
    was 0, and then the step is 0."""

    latex = r"\sigma_t = \sqrt{\tfrac{1}{t+1}\textstyle\sum_{k=0}^{t} g_k^2}"
    may_be_zero = True

    def init(self, theta):
        return (_zeros(theta),)

    def update(self, state, g, n):
        (r,) = state
        r = r + g * g
        return (r / n).sqrt(), (r,)


@dataclass(frozen=True)
class RMSEma:
    """PyTorch RMSprop: v_t = α v_{t−1} + (1 − α) g_t², v_0 = 0; σ_t = √v_t + ε (ε outside the root).
    centered: σ_t = √(v_t − ḡ_t²) + ε with ḡ_t = α ḡ_{t−1} + (1 − α) g_t."""

    alpha: Hyper = 0.99
    eps: Hyper = 1e-8
    centered: bool = False
    may_be_zero = False

    @property
    def latex(self):
        v = r"v_t = \alpha v_{t-1} + (1-\alpha)\, g_t^2"
        if self.centered:
            return v + r" \\ \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t,\ \sigma_t = \sqrt{v_t - \bar g_t^2} + \epsilon"
        return v + r",\quad \sigma_t = \sqrt{v_t} + \epsilon"

    def init(self, theta):
        return (_zeros(theta), _zeros(theta))

    def update(self, state, g, n):
        v, gbar = state
        v = self.alpha * v + (1.0 - self.alpha) * g * g
        if self.centered:
            gbar = self.alpha * gbar + (1.0 - self.alpha) * g
            return (v - gbar * gbar).sqrt() + self.eps, (v, gbar)
        return v.sqrt() + self.eps, (v, gbar)


@dataclass(frozen=True)
class RMSEmaLecture:
    """RMSProp as the lecture writes it: σ_0 = |g_0|, σ_t = √(α σ_{t−1}² + (1 − α) g_t²), no ε.
    PyTorch starts from v = 0 instead (so its first σ is √(1−α)|g_0|, a first step 1/√(1−α) = 10×
    larger at α = 0.99) and adds ε outside the root."""

    alpha: Hyper = 0.9
    latex = r"\sigma_0 = |g_0|,\quad \sigma_t = \sqrt{\alpha\,\sigma_{t-1}^2 + (1-\alpha)\, g_t^2}"
    may_be_zero = True

    def init(self, theta):
        return (_zeros(theta),)

    def update(self, state, g, n):
        (s2,) = state
        s2 = g * g if n == 1 else self.alpha * s2 + (1.0 - self.alpha) * g * g
        return s2.sqrt(), (s2,)


@dataclass(frozen=True)
class RMSEmaBook:
    """RMSProp as the book writes it (algorithm 8.5): r_t = ρ r_{t−1} + (1 − ρ) g_t², r_0 = 0;
    σ_t = √(δ + r_t), δ inside the root (usually 1e-6); PyTorch puts ε outside."""

    alpha: Hyper = 0.9
    eps: Hyper = 1e-6
    latex = r"r_t = \rho\, r_{t-1} + (1-\rho)\, g_t^2,\quad \sigma_t = \sqrt{\delta + r_t}"
    may_be_zero = False

    def init(self, theta):
        return (_zeros(theta),)

    def update(self, state, g, n):
        (r,) = state
        r = self.alpha * r + (1.0 - self.alpha) * g * g
        return (self.eps + r).sqrt(), (r,)


@dataclass(frozen=True)
class AdamRMS:
    """Adam's second moment: v_t = β₂ v_{t−1} + (1 − β₂) g_t², v_0 = 0;
    σ_t = √(v_t / (1 − β₂^t)) + ε (without bias correction: √v_t + ε). amsgrad keeps the running
    maximum of v_t. Same as PyTorch, the Adam paper and the book (algorithm 8.7)."""

    beta2: Hyper = 0.999
    eps: Hyper = 1e-8
    bias_correction: bool = True
    amsgrad: bool = False
    may_be_zero = False

    @property
    def latex(self):
        v = r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2"
        vv = r"\max_{k\le t} v_k" if self.amsgrad else "v_t"
        if self.bias_correction:
            return v + rf",\quad \sigma_t = \sqrt{{\frac{{{vv}}}{{1-\beta_2^{{t+1}}}}}} + \epsilon"
        return v + rf",\quad \sigma_t = \sqrt{{{vv}}} + \epsilon"

    def init(self, theta):
        return (_zeros(theta), _zeros(theta))

    def update(self, state, g, n):
        v, vmax = state
        v = self.beta2 * v + (1.0 - self.beta2) * g * g
        if self.amsgrad:
            vmax = torch.maximum(vmax, v)
        root = (vmax if self.amsgrad else v).sqrt()
        if self.bias_correction:
            root = root / _sqrt(1.0 - self.beta2**n)
        return root + self.eps, (v, vmax)


@dataclass(frozen=True)
class RAdamRMS:
    """PyTorch RAdam's adaptive part (Liu et al. 2020): with ρ_∞ = 2/(1−β₂) − 1 and
    ρ_t = ρ_∞ − 2t β₂^t/(1 − β₂^t), while ρ_t ≤ 5 the variance of σ is untrustworthy and σ_t = 1
    (plain momentum SGD: the built-in warm-up); after that σ_t = (√v_t + ε) / (√(1 − β₂^t) · r_t),
    r_t = √((ρ_t−4)(ρ_t−2)ρ_∞ / ((ρ_∞−4)(ρ_∞−2)ρ_t)). Note ε is added before the bias correction."""

    beta2: Hyper = 0.999
    eps: Hyper = 1e-8
    latex = (r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\ "  # lines, not one row: narrow enough for a phone
             r"\sigma_t = \begin{cases}1 & \rho_t \le 5\\ \dfrac{\sqrt{v_t}+\epsilon}{\sqrt{1-\beta_2^{t+1}}\; r_t} & \rho_t > 5\end{cases}"
             r" \\ \rho_t = \rho_\infty - \frac{2(t+1)\,\beta_2^{t+1}}{1-\beta_2^{t+1}},\quad \rho_\infty = \frac{2}{1-\beta_2} - 1 \\ "
             r"r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}")
    may_be_zero = False

    def init(self, theta):
        return (_zeros(theta),)

    def update(self, state, g, n):
        (v,) = state
        b2 = self.beta2
        v = b2 * v + (1.0 - b2) * g * g
        bc2 = 1.0 - b2**n
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho_t = rho_inf - 2.0 * n * b2**n / bc2
        if torch.is_tensor(rho_t):  # per-trajectory β₂
            safe = torch.clamp(rho_t, min=5.0 + 1e-12)
            rect = ((safe - 4) * (safe - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * safe)).sqrt()
            sigma = (v.sqrt() + self.eps) / (_sqrt(bc2) * rect)
            return torch.where(rho_t > 5.0, sigma, torch.ones_like(sigma)), (v,)
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            return (v.sqrt() + self.eps) / (bc2**0.5 * rect), (v,)
        return 1.0, (v,)
