"""The `Surface` type: a loss function of two parameters, written once for torch and numpy."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

Bounds = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """A loss surface f(x, y).

    `formula(x, y, xp)` is written once with the array namespace `xp` (torch or numpy: both have
    exp, log, log1p, sqrt, sin, cos, tanh, abs, minimum, maximum), so the trajectories (torch, with
    autograd for the gradient) and the plotted grid (numpy) use the very same expression.
    """

    name: str
    formula: Callable[[Any, Any, Any], Any]
    bounds: Bounds                      # ((xmin, xmax), (ymin, ymax)) of the plotted view
    starts: tuple[Point, ...]           # default start first
    minima: tuple[Point, ...]           # known minima (global first); may be empty
    description: str                    # one line, for the picker
    latex: str = ""                     # the formula, for display
    log_scale: bool = True              # contour levels on a log scale (False if f can be <= 0)
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def start(self) -> Point:
        return self.starts[0]

    def __call__(self, xy: torch.Tensor) -> torch.Tensor:
        """f on a tensor of shape (..., 2); returns shape (...)."""
        return self.formula(xy[..., 0], xy[..., 1], torch)

    def numpy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(self.formula(np.asarray(x, float), np.asarray(y, float), np), float)

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
