"""A scene's setup as a Playground link (ui.share's query-string format; no streamlit here).

The Playground races its optimizers under one convention, one schedule and one clipping setting,
so a scene whose runs differ in those carries the runs listed in `Scene.playground_runs` (by
default the runs that share the first one's schedule and clipping) and says which stayed behind.
"""
from __future__ import annotations

import optimizers
from ui import share

from .scenes import Scene, playground_setup


def _opt(run: dict) -> share.OptSpec:
    """The run as a Playground optimizer, with every hyperparameter the scene's run actually used: a
    default of the run's own (the book's δ for RMSProp and Adagrad, a composed part's α or ε) can
    differ from the Playground's default, which a link without it would get."""
    hyper = dict(run["hyper"])
    if run["composed"]:
        mom, rms = run["optimizer"].split("+")
        opt = optimizers.compose(mom, rms, **hyper)
        for k in share.PARAMS[share.COMPOSE]:
            for part in (opt.momentum, opt.rms):
                if k not in hyper and isinstance(getattr(part, k, None), (int, float)):
                    hyper[k] = getattr(part, k)
        keep = {k: v for k, v in hyper.items() if k in share.PARAMS[share.COMPOSE]}
        return share.OptSpec.make(share.COMPOSE, mom=mom, rms=rms, **keep)
    _, used, _ = optimizers.presets.resolve(run["optimizer"], run["convention"], **hyper)
    if "betas" in used:
        used["beta1"], used["beta2"] = used.pop("betas")
    return share.OptSpec.make(run["optimizer"], **{k: v for k, v in used.items() if k in share.PARAMS[run["optimizer"]]})


def carried_runs(scene: Scene) -> tuple[int, ...]:
    """Indices of the scene's runs that the Playground link carries."""
    idx = scene.playground_runs or tuple(range(len(scene.runs)))
    first = scene.runs[idx[0]]
    same = lambda r: (r.schedule, r.schedule_args, r.max_norm) == (first.schedule, first.schedule_args, first.max_norm)
    return tuple(i for i in idx if same(scene.runs[i]))


def playground_link(scene: Scene, convention: str | None = None, surface: str | None = None) -> tuple[share.Setup, str]:
    """(the Playground `Setup` for the scene, a note naming the runs left behind or "")."""
    plain = playground_setup(scene, convention, surface)
    idx = carried_runs(scene)
    runs = [plain["runs"][i] for i in idx]
    first = runs[0]
    conv = next((r["convention"] for r in runs if r["convention"] != "composed"), convention or scene.convention)
    setup = share.Setup(
        surface=plain["surface"], start=tuple(float(v) for v in plain["start"]), steps=int(plain["steps"]),
        opts=tuple(_opt(r) for r in runs), convention=conv, schedule=first["schedule"],
        schedule_args=tuple(sorted(first["schedule_args"].items())), clip=first["max_norm"])
    left = [r.label for i, r in enumerate(scene.runs) if i not in idx]
    note = (f"Opens without “{'”, “'.join(left)}”: the Playground uses one schedule and one clipping "
            "setting for all its optimizers.") if left else ""
    return share.canonical(setup), note
