"""The Playground setup and its query-string form (so a copied link reopens the same setup).

A `Setup` is a frozen, hashable description of everything the Playground shows; `encode(setup)`
gives the query parameters, `decode(params)` reads them back, clamping or ignoring bad values with
notes (see ui.limits). Other pages build Playground links with `link(setup)` or
`st.switch_page("pages/playground.py", query_params=encode(setup))`.

Query-string format (every key optional; a missing key takes the default shown):

    surface=bowl                 a name from surfaces.names(), or f:<formula> (e.g. f:x**2%2B3*y**2: in a link
                                 + is written %2B, a bare + arrives as a space)
    start=-8,2                   x,y of the start point (default: the surface's default start)
    steps=300                    updates, 1..100000
    opt=gd,lr=0.01               one per optimizer, repeated (up to 8), in order:
    opt=adam,lr=0.1,beta2=0.99     <name>[,<key>=<value>]... with name in optimizers.names() or
    opt=compose,mom=ema,rms=adam   "compose" (mom in MOMENTUM_PARTS, rms in RMS_PARTS); keys are
                                   torch.optim's names (lr, momentum, nesterov, alpha, eps, centered,
                                   weight_decay, momentum_decay, amsgrad, bias_correction) with
                                   betas split as beta1, beta2; flags are 0/1; omitted keys take
                                   the preset's torch.optim default (with conv=book, the book's δ
                                   for Adagrad and RMSProp). Default: the four below.
    conv=torch                   torch | lecture | book
    sched=step,step_size=100,gamma=0.5    <name>[,<arg>=<value>]... (optimizers.SCHEDULES)
    noise=0.5                    gradient-noise standard deviation (0 = off)
    seed=0                       noise seed
    clip=1.0                     gradient clipping max_norm (absent or 0 = off)
    device=auto                  auto | cpu | cuda
    view=2d                      2d | 3d | both

Example: ?surface=crescent&steps=2000&opt=adagrad,lr=0.5&opt=rmsprop,lr=0.05&conv=lecture
"""
from __future__ import annotations

import inspect
import urllib.parse
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

import optimizers
import surfaces
from optimizers import schedules

from . import limits as L

PLAYGROUND_PATH = "./"  # the Playground is the default page, at the app's root (app.py); /playground leads there too

# the hyperparameters the Playground shows for each optimizer (torch.optim names; betas split)
PARAMS: dict[str, tuple[str, ...]] = {
    "gd": ("lr",),
    "momentum": ("lr", "momentum", "nesterov"),
    "nesterov": ("lr", "momentum"),
    "adagrad": ("lr", "eps"),
    "rmsprop": ("lr", "alpha", "eps", "momentum", "centered"),
    "adam": ("lr", "beta1", "beta2", "eps", "bias_correction", "amsgrad"),
    "adamw": ("lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"),
    "nadam": ("lr", "beta1", "beta2", "eps", "momentum_decay"),
    "radam": ("lr", "beta1", "beta2", "eps"),
    "compose": ("lr", "momentum", "beta1", "alpha", "beta2", "eps", "bias_correction"),
}
COMPOSE = "compose"
COMPOSE_DEFAULTS = dict(lr=1e-2, momentum=0.9, beta1=0.9, alpha=0.99, beta2=0.999, eps=1e-8, bias_correction=True,
                        mom="heavy_ball", rms="rmsprop")
# which composed parts read which hyperparameter
COMPOSE_USES = {
    "none": (), "heavy_ball": ("momentum",), "nesterov": ("momentum",), "movement": ("momentum",),
    "ema": ("beta1", "bias_correction"),
    "adagrad_sum": ("eps",), "adagrad_mean": (), "rmsprop": ("alpha", "eps"), "rmsprop_lecture": ("alpha",),
    "adam": ("beta2", "eps", "bias_correction"),
}
LABELS = {**optimizers.presets.TITLES, COMPOSE: "Compose your own"}
VIEWS = ("2d", "3d", "both")
DEVICES = ("auto", "cpu", "cuda")


def defaults(name: str, convention: str = "torch") -> dict[str, Any]:
    """The Playground's default hyperparameters for `name` (torch.optim's, betas split; under the
    book's convention its δ for Adagrad and RMSProp)."""
    if name == COMPOSE:
        return dict(COMPOSE_DEFAULTS)
    d = dict(optimizers.DEFAULTS[name])
    if convention == "book":
        d.update(optimizers.presets.BOOK_DEFAULTS.get(name, {}))
    if "betas" in d:
        d["beta1"], d["beta2"] = d.pop("betas")
    d.setdefault("bias_correction", True)
    return {k: d[k] for k in PARAMS[name]}


@dataclass(frozen=True)
class OptSpec:
    """One optimizer of the race: its name and *all* its shown hyperparameters (sorted pairs)."""

    name: str
    params: tuple[tuple[str, Any], ...]

    @classmethod
    def make(cls, name: str, convention: str = "torch", **overrides) -> "OptSpec":
        p = defaults(name, convention)
        unknown = set(overrides) - set(p)
        if unknown:
            raise ValueError(f"{name} has no Playground parameter {sorted(unknown)[0]!r}")
        p.update(overrides)
        return cls(name, tuple(sorted(p.items())))

    @property
    def p(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def label(self) -> str:
        p = self.p
        if self.name == COMPOSE:
            return f"{p['mom']}+{p['rms']} η={p['lr']:g}"
        return f"{LABELS[self.name]} η={p['lr']:g}"


def schedule_defaults(name: str) -> dict[str, Any]:
    """The schedule's own default arguments (from its function signature)."""
    fn = optimizers.SCHEDULES[name]
    return {k: v.default for k, v in inspect.signature(fn).parameters.items()
            if v.default is not inspect.Parameter.empty}


def fitted_schedule_args(name: str, steps: int) -> dict[str, Any]:
    """The schedule's arguments for a run of `steps` updates, as the Playground first offers them: the
    lengths scaled to the run (the signatures' defaults suit torch's long runs: cosine's T_max = 100
    restarted twice in the default 300 steps, the Transformer's 4000-step warm-up never ended)."""
    steps = max(1, int(steps))
    fit = {"T_max": steps, "total_steps": steps, "tau": steps, "step_size": max(1, steps // 3),
           "warmup_steps": max(1, steps // 10)}
    return {k: fit.get(k, v) for k, v in schedule_defaults(name).items()}


def schedule_fit_note(name: str, args: dict, steps: int) -> str | None:
    """A plain-words warning when the schedule's lengths do not fit a run of `steps` updates, else None."""
    a = dict(args)
    if name == "cosine" and a["T_max"] < steps:
        return (f"T_max = {a['T_max']} is shorter than the {steps} steps: after it η rises again "
                "(PyTorch's CosineAnnealingLR is periodic).")
    if name in ("warmup", "transformer", "resnet_warmup") and a["warmup_steps"] >= steps:
        return f"The warm-up ({a['warmup_steps']} steps) is not over within the run's {steps} steps."
    if name == "warmup" and a["total_steps"] > steps:
        return f"The decay ends at total_steps = {a['total_steps']}, after the run's {steps} steps."
    if name == "step" and a["step_size"] >= steps:
        return f"step_size = {a['step_size']}: η does not change within the run's {steps} steps."
    if name == "linear" and a["tau"] > steps:
        return f"τ = {a['tau']}: the decay is not finished within the run's {steps} steps."
    return None


DEFAULT_OPTS = (OptSpec.make("gd", lr=1e-2), OptSpec.make("momentum", lr=1e-2),
                OptSpec.make("rmsprop", lr=1e-2), OptSpec.make("adam", lr=1e-1))


@dataclass(frozen=True)
class Setup:
    """Everything the Playground shows, as plain hashable values."""

    surface: str = "bowl"                          # a registry name or "f:<formula>"
    start: tuple[float, float] | None = None       # None: the surface's default start
    steps: int = 300
    opts: tuple[OptSpec, ...] = DEFAULT_OPTS
    convention: str = "torch"
    schedule: str = "constant"
    schedule_args: tuple[tuple[str, Any], ...] = ()
    noise: float = 0.0
    seed: int = 0
    clip: float | None = None
    device: str = "auto"
    view: str = "2d"

    def with_(self, **kw) -> "Setup":
        return replace(self, **kw)

    @property
    def run_seed(self) -> int:
        """The seed the runs use: 0 without noise, where it changes nothing (a link still keeps `seed`)."""
        return int(self.seed) if self.noise else 0


# --------------------------------------------------------------------------- encode
def _num(v) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    return repr(float(v)) if float(v) != int(float(v)) or abs(float(v)) >= 1e16 else str(int(float(v)))


def encode_opt(o: OptSpec, convention: str = "torch") -> str:
    """`o` as an `opt` value: values equal to the convention's defaults (the book's δ under the book's
    convention) are left out, as decode_opt fills them back in."""
    d = defaults(o.name, convention)
    parts = [o.name]
    p = o.p
    if o.name == COMPOSE:
        parts += [f"mom={p['mom']}", f"rms={p['rms']}"]
    parts += [f"{k}={_num(v)}" for k, v in o.params if k not in ("mom", "rms") and (k == "lr" or v != d.get(k))]
    return ",".join(parts)


def encode(setup: Setup) -> dict[str, str | list[str]]:
    """Query parameters for `setup` (repeated `opt` as a list); defaults of optional keys omitted."""
    q: dict[str, str | list[str]] = {"surface": setup.surface}
    if setup.start is not None:
        q["start"] = f"{_num(setup.start[0])},{_num(setup.start[1])}"
    q["steps"] = str(int(setup.steps))
    q["opt"] = [encode_opt(o, setup.convention) for o in setup.opts]
    q["conv"] = setup.convention
    sd = schedule_defaults(setup.schedule)
    given = dict(setup.schedule_args)
    args = [f"{k}={given[k] if isinstance(given[k], str) else _num(given[k])}"  # in the signature's order
            for k in sd if k in given and given[k] != sd[k]]
    if setup.schedule != "constant" or args:
        q["sched"] = ",".join([setup.schedule] + args)
    if setup.noise:
        q["noise"] = _num(setup.noise)
    if setup.seed:  # kept with the noise off too: switched back on, the link's runs are the same
        q["seed"] = str(int(setup.seed))
    if setup.clip is not None:
        q["clip"] = _num(setup.clip)
    if setup.device != "auto":
        q["device"] = setup.device
    if setup.view != "2d":
        q["view"] = setup.view
    return q


def query_string(setup: Setup) -> str:
    return urllib.parse.urlencode(encode(setup), doseq=True, safe=",:")


def link(setup: Setup, path: str = PLAYGROUND_PATH) -> str:
    """A relative link that opens the Playground with `setup` (e.g. for st.markdown or st.link_button)."""
    return f"{path}?{query_string(setup)}"


# --------------------------------------------------------------------------- decode
KNOWN = ("surface", "start", "steps", "opt", "conv", "sched", "noise", "seed", "clip", "device", "view")


def default_bounds(surface: str):
    """The bounds of `surface` (a name or f:<formula>), or None when it cannot be built."""
    try:
        return surfaces.get(surface).bounds
    except Exception:  # a bad formula: its error is shown by the page, not here
        return None


def _kv(items: list[str], label: str, notes: list) -> list[tuple[str, str]]:
    out = []
    for item in items:
        if "=" not in item:
            notes.append(f"{label}: {L.short(item)} is not key=value; ignored.")
            continue
        k, v = item.split("=", 1)
        out.append((k.strip(), v.strip()))
    return out


TORCH_ONLY = ("centered", "amsgrad", "weight_decay")  # options resolve() rejects outside convention='torch'


def torch_only(name: str, key: str, convention: str) -> bool:
    """True when `key` of optimizer `name` is not in `convention`'s own formula for `name` (PyTorch's
    options; ε, which the lecture's Adagrad and RMSProp do not have), so the page greys it out and
    passes the default."""
    if convention == "torch" or name == COMPOSE:
        return False
    defined = name in optimizers.presets.DEFINED.get(convention, set())
    no_eps = convention == "lecture" and name in ("adagrad", "rmsprop") and key == "eps"
    return defined and (key in TORCH_ONLY or (name == "rmsprop" and key == "momentum") or no_eps)


def decode_opt(raw: str, notes: list, convention: str = "torch") -> OptSpec | None:
    items = [s for s in str(raw).split(",")]
    name = items[0].strip()
    if name not in PARAMS:
        notes.append(f"opt: unknown optimizer {L.short(name)}; ignored (choose from {', '.join(PARAMS)}).")
        return None
    p = defaults(name, convention)  # a link with conv=book and no eps: the book's δ
    for k, v in _kv(items[1:], f"opt {name}", notes):
        if name == COMPOSE and k == "mom":
            p["mom"] = L.choose(f"{name} mom", v, list(optimizers.MOMENTUM_PARTS), notes, p["mom"])
        elif name == COMPOSE and k == "rms":
            p["rms"] = L.choose(f"{name} rms", v, list(optimizers.RMS_PARTS), notes, p["rms"])
        elif k in PARAMS[name]:
            p[k] = L.clamp_hyper(k, v, notes, p[k], label=f"{name} ", optimizer=name)
        else:
            notes.append(f"opt {name}: no parameter {L.short(k)}; ignored (it takes {', '.join(PARAMS[name])}).")
    return OptSpec(name, tuple(sorted(p.items())))


def decode_schedule(raw: str, notes: list) -> tuple[str, tuple]:
    items = str(raw).split(",")
    name = L.choose("sched", items[0].strip(), list(optimizers.SCHEDULES), notes, "constant")
    args = schedule_defaults(name)
    ranges = schedules.ARG_RANGES[name]
    for k, v in _kv(items[1:], f"sched {name}", notes):
        if k not in ranges:
            notes.append(f"sched {name}: no argument {L.short(k)}; ignored.")
        elif k == "decay":
            args[k] = L.choose(f"sched {k}", v, ["linear", "cosine"], notes, args[k])
        else:
            lo, hi, integer = ranges[k]
            if integer:
                args[k] = L.clamp_int(f"sched {k}", v, (int(lo), int(hi)), notes, args[k])
            else:
                args[k] = L.clamp_float(f"sched {k}", v, (lo, hi), notes, args[k])
    return name, tuple(sorted(args.items()))


def normalize(params: Any) -> dict[str, list[str]]:
    """Query parameters as {key: [values]} from st.query_params, AppTest's dict or a plain dict."""
    out: dict[str, list[str]] = {}
    if hasattr(params, "get_all"):
        for k in list(params.keys()):
            out[str(k)] = [str(v) for v in params.get_all(k)]
        return out
    for k, v in dict(params).items():
        out[str(k)] = [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]
    return out


def decode(params: Mapping, *, devices=("auto", "cpu"), bounds_of: Callable = default_bounds,
           ignore=("present",)) -> tuple[Setup, list[str]]:
    """(Setup, notes) from query parameters; never raises on bad input."""
    q = normalize(params)
    notes: list[str] = []
    base = Setup()
    kw: dict[str, Any] = {}
    for k in list(q):
        if k in ignore:
            q.pop(k)
        elif k not in KNOWN:
            notes.append(f"ignored unknown parameter {L.short(k)}.")
            q.pop(k)
        else:
            kept = []
            for v in q[k]:
                if len(v) > L.MAX_QUERY_VALUE_CHARS:
                    notes.append(f"{k}: a value of {len(v)} characters is too long; ignored.")
                else:
                    kept.append(v)
            q[k] = kept
            if not kept:
                q.pop(k)

    def last(k):
        return q[k][-1] if k in q else None

    if "conv" in q:  # first: an optimizer's omitted values are its convention's defaults
        kw["convention"] = L.choose("conv", last("conv"), list(optimizers.CONVENTIONS), notes, base.convention)
    if "surface" in q:
        s = last("surface")
        if s.startswith("f:") and len(s) - 2 > L.MAX_FORMULA_CHARS:  # not cut: that would make another function
            notes.append(f"formula: {len(s) - 2} characters is more than {L.MAX_FORMULA_CHARS}; not used "
                         f"(the surface is {base.surface}).")
        elif s.startswith("f:"):
            kw["surface"] = s
        else:
            kw["surface"] = L.choose("surface", s, surfaces.names(), notes, base.surface)
    surface = kw.get("surface", base.surface)
    if "start" in q:
        b = bounds_of(surface)
        raw = last("start").split(",")
        if b is None:
            wide = ((-1e6, 1e6), (-1e6, 1e6))
            kw["start"] = L.clamp_start(raw, wide, notes, (0.0, 0.0))
        else:
            default = surfaces.get(surface).start
            kw["start"] = L.clamp_start(raw, b, notes, default)
    if "steps" in q:
        kw["steps"] = L.clamp_int("steps", last("steps"), L.STEPS, notes, base.steps)
    if "opt" in q:
        raw = q["opt"]
        if len(raw) > L.MAX_OPTIMIZERS:
            notes.append(f"opt: {len(raw)} optimizers asked for; the Playground races at most {L.MAX_OPTIMIZERS}.")
            raw = raw[: L.MAX_OPTIMIZERS]
        conv = kw.get("convention", base.convention)
        opts = tuple(o for o in (decode_opt(r, notes, conv) for r in raw) if o is not None)
        for o in opts:  # kept (the greyed-out widget shows it), but said: two such runs look alike
            d = defaults(o.name, conv)
            off = [f"{k}={_num(v)}" for k, v in o.params if torch_only(o.name, k, conv) and v != d.get(k)]
            if off:
                notes.append(f"opt {o.name}: {', '.join(off)} {'is' if len(off) == 1 else 'are'} not in the {conv}'s "
                             f"formula for {LABELS[o.name]}, so {'it has' if len(off) == 1 else 'they have'} no "
                             f"effect (conv=torch uses {'it' if len(off) == 1 else 'them'}).")
        if opts:
            kw["opts"] = opts
        else:
            notes.append("opt: no valid optimizer given; using the default race.")
    if "sched" in q:
        kw["schedule"], kw["schedule_args"] = decode_schedule(last("sched"), notes)
    if "noise" in q:
        kw["noise"] = L.clamp_float("noise", last("noise"), L.NOISE, notes, 0.0)
    if "seed" in q:
        kw["seed"] = L.clamp_int("seed", last("seed"), L.SEED, notes, 0)
    if "clip" in q:
        c = last("clip").strip().lower()
        if c in ("", "off", "none") or L.parse_float(c) == 0:   # 0, 0.0, 0e0: off, as clip=0 always was
            kw["clip"] = None
        elif L.parse_float(c) is None:
            notes.append(f"clip: {L.short(last('clip'))} is not a finite number; clipping is off.")
            kw["clip"] = None
        else:
            kw["clip"] = L.clamp_float("clip", c, L.CLIP, notes, None)
    if "device" in q:
        d = L.choose("device", last("device"), list(DEVICES), notes, "auto")
        if d not in devices:
            notes.append(f"device: {d!r} is not available on this server; using 'auto'.")
            d = "auto"
        kw["device"] = d
    if "view" in q:
        kw["view"] = L.choose("view", last("view"), list(VIEWS), notes, base.view)
    return canonical(base.with_(**kw)), notes


def canonical(setup: Setup) -> Setup:
    """The setup with the schedule's arguments filled in (so equal setups compare equal)."""
    args = schedule_defaults(setup.schedule)
    args.update(dict(setup.schedule_args))
    return setup.with_(schedule_args=tuple(sorted(args.items())))


def sweep_cell_setup(result, i: int, j: int) -> Setup:
    """The Playground setup of cell (i, j) of an optimizers.sweep result: the same surface, start,
    steps, optimizer and convention (and that convention's defaults, e.g. the book's δ), with that
    cell's η and second hyperparameter."""
    cell = result.cell(i, j)
    p = {"lr": cell["lr"]}
    kw = {}
    if result.param == "warmup_steps":
        kw = {"schedule": "warmup", "schedule_args": (("decay", "cosine"), ("total_steps", result.steps),
                                                      ("warmup_steps", int(cell["warmup_steps"])))}
    else:
        p[result.param] = float(cell[result.param])
    opt = OptSpec.make(result.optimizer, result.convention, **p)
    setup = Setup(surface=result.surface, start=result.start, steps=result.steps, opts=(opt,),
                  convention=result.convention, **kw)
    return canonical(setup)
