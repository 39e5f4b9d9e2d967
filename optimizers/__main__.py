"""Command line: print one trajectory.

    python -m optimizers --surface bowl --optimizer adam --lr 0.1 --steps 1000 --start -8 1 \\
        [--convention lecture] [--schedule step --schedule-args step_size=100,gamma=0.5] \\
        [--device auto] [--format json|csv]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys

import numpy as np

import surfaces
from . import presets, schedules
from .engine import run


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


class _Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default, except where there is none to show (None or a flag's False): those
    options' help says what happens instead ("default: the surface's")."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m optimizers", description="Run an optimizer on a loss surface and print its trajectory.",
                formatter_class=_Defaults)
    p.add_argument("--surface", default="bowl",
                   help=f"one of {', '.join(surfaces.names())}, or 'f:<formula in x and y>' e.g. 'f:x**2+3*y**2'")
    p.add_argument("--optimizer", default="gd", choices=presets.names(), help="the optimizer preset")
    p.add_argument("--steps", type=int, default=100, help="number of updates")
    p.add_argument("--start", type=float, nargs=2, metavar=("X", "Y"), help="start point (default: the surface's)")
    p.add_argument("--convention", default="torch", choices=presets.CONVENTIONS,
                   help="formulas as in PyTorch, on the lecture slides, or in the Deep Learning book")
    p.add_argument("--lr", type=float, help="base learning rate η (default: the optimizer's PyTorch default)")
    p.add_argument("--momentum", type=float, help="momentum λ, torch.optim's μ (gd, momentum, nesterov, rmsprop)")
    p.add_argument("--dampening", type=float, help="SGD dampening")
    p.add_argument("--nesterov", action="store_true", default=None, help="Nesterov momentum (SGD)")
    p.add_argument("--alpha", type=float, help="RMSProp smoothing constant α")
    p.add_argument("--betas", type=float, nargs=2, metavar=("B1", "B2"), help="Adam-family β₁ β₂")
    p.add_argument("--eps", type=float, help="ε added for numerical stability")
    p.add_argument("--weight-decay", type=float, help="weight decay λ")
    p.add_argument("--no-bias-correction", action="store_true", help="Adam without bias correction")
    p.add_argument("--amsgrad", action="store_true", default=None, help="Adam/AdamW AMSGrad variant")
    p.add_argument("--schedule", default="constant", choices=list(schedules.SCHEDULES), help="learning-rate schedule")
    p.add_argument("--schedule-args", default="", metavar="K=V,...", help="schedule arguments, e.g. step_size=100,gamma=0.5")
    p.add_argument("--noise", type=float, default=0.0, help="std of Gaussian gradient noise (minibatch-like)")
    p.add_argument("--seed", type=int, default=0, help="seed of the gradient noise")
    p.add_argument("--max-norm", type=float, help="clip the gradient norm to this value")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"), help="where the engine runs")
    p.add_argument("--backend", default="auto", choices=("auto", "eager", "numba"), help="engine backend")
    p.add_argument("--format", default="json", choices=("json", "csv"), help="output format")
    return p


def _schedule_args(text: str) -> dict:
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        if "=" not in item:
            raise ValueError(f"--schedule-args: expected key=value, got {item!r}")
        key, value = (s.strip() for s in item.split("=", 1))
        try:
            out[key] = float(value) if key != "decay" else value
        except ValueError:
            raise ValueError(f"--schedule-args: {key} must be a number, got {value!r}") from None
    return out


def main(argv=None) -> int:
    p = parser()
    a = p.parse_args(argv)
    hyper = {"lr": a.lr, "momentum": a.momentum, "dampening": a.dampening, "nesterov": a.nesterov, "alpha": a.alpha,
             "betas": tuple(a.betas) if a.betas else None, "eps": a.eps, "weight_decay": a.weight_decay,
             "amsgrad": a.amsgrad, "bias_correction": False if a.no_bias_correction else None}
    hyper = {k: v for k, v in hyper.items() if v is not None}
    try:
        allowed = presets.DEFAULTS[a.optimizer]
        for key in hyper:
            if key not in allowed:
                flag = "no-bias-correction" if key == "bias_correction" else key.replace("_", "-")
                raise ValueError(f"--{flag} does not apply to {a.optimizer}; it takes: "
                                 + ", ".join(k for k in allowed))
        t = run(a.surface, a.optimizer, a.steps, a.start, schedule=a.schedule, schedule_args=_schedule_args(a.schedule_args),
                convention=a.convention, device=a.device, noise=a.noise, seed=a.seed, max_norm=a.max_norm,
                backend=a.backend, **hyper)
    except ValueError as e:
        p.error(str(e).splitlines()[0])
    if a.format == "json":
        json.dump({"surface": t.meta["surface"], "optimizer": t.optimizer, "convention": t.convention,
                   "notes": list(t.notes), "diverged_at": t.diverged_at,
                   "path": _clean(t.path), "loss": _clean(t.loss), "lr": _clean(t.lr), "step_size": _clean(t.step_size)},
                  sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        w = csv.writer(sys.stdout)
        w.writerow(["step", "x", "y", "loss", "lr", "step_size_x", "step_size_y", "diverged_at"])
        for i in range(len(t.path)):
            lr = t.lr[i] if i < len(t.lr) else ""
            sx, sy = (t.step_size[i] if i < len(t.step_size) else ("", ""))
            w.writerow([i, repr(float(t.path[i, 0])), repr(float(t.path[i, 1])), repr(float(t.loss[i])),
                        lr if lr == "" else repr(float(lr)), sx if sx == "" else repr(float(sx)),
                        sy if sy == "" else repr(float(sy)), "" if t.diverged_at is None else t.diverged_at])
    return 0


def _clean(a):
    """numpy → JSON lists, with NaN and ±inf as null (JSON has neither)."""
    a = np.asarray(a, dtype=float)
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    return out.tolist()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `python -m optimizers … | head`: the reader left, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(0)
