"""The `Surface` type: a loss function of two parameters, written once for torch and numpy."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from . import expr

Bounds = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """A loss surface f(x, y).

    A surface is defined once, by `tree` (a formula tree, see surfaces/expr.py: the built-ins write
    it in Python syntax, users type it) or, for surfaces that are not formulas (data sets), by
    `formula(x, y, xp)` written with the array namespace `xp` (torch or numpy). Either way the
    trajectories (torch, autograd for ∇f), the plotted grid (numpy) and — for trees — the fast
    engine's compiled program all come from that one definition.
    """

    name: str
    formula: Callable[[Any, Any, Any], Any] | None
    bounds: Bounds                      # ((xmin, xmax), (ymin, ymax)) of the plotted view
    starts: tuple[Point, ...]           # default start first
    minima: tuple[Point, ...]           # known minima (global first); may be empty
    description: str                    # one line, for the picker
    latex: str = ""                     # the formula, for display
    log_scale: bool = True              # contour levels on a log scale (False if f can be <= 0)
    tree: tuple | None = None           # the formula tree, when the surface is a formula
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if self.formula is None:
            if self.tree is None:
                raise ValueError(f"Surface {self.name!r} needs a formula tree or a formula function")
            object.__setattr__(self, "formula", expr.TreeFormula(self.tree))

    @property
    def program(self) -> "expr.Program | None":
        """The tree compiled for the fast engine (None for surfaces that are not formulas)."""
        if self.tree is None:
            return None
        if "program" not in self.extra:
            self.extra["program"] = expr.compile_program(self.tree)
        return self.extra["program"]

    @property
    def start(self) -> Point:
        return self.starts[0]

    def __call__(self, xy: torch.Tensor) -> torch.Tensor:
        """f on a tensor of shape (..., 2); returns shape (...)."""
        f = self.formula(xy[..., 0], xy[..., 1], torch)
        if not torch.is_tensor(f) or f.shape != xy.shape[:-1]:  # a constant (e.g. sin(1)): one per point, on x's graph
            f = f + 0.0 * xy[..., 0]
        return f

    def numpy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            x, y = np.asarray(x, float), np.asarray(y, float)
            return np.broadcast_to(np.asarray(self.formula(x, y, np), float), np.broadcast(x, y).shape).copy()

    def grid(self, n: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs (n,), ys (n,), Z (n, n)) over the bounds; Z[i, j] = f(xs[j], ys[i])."""
        (x0, x1), (y0, y1) = self.bounds
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        X, Y = np.meshgrid(xs, ys)
        return xs, ys, self.numpy(X, Y)

    def grad(self, xy) -> np.ndarray:
        """∇f at points (..., 2) by autograd, float64 numpy."""
        p = torch.as_tensor(np.asarray(xy, float), dtype=torch.float64).requires_grad_(True)
        (g,) = torch.autograd.grad(self(p).sum(), p)
        return g.numpy()
