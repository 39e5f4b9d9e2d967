"""The twelve scenes of the lecture tour, in lecture order, as plain frozen data.

A `Scene` names its surface, start, number of steps and the runs it races (`RunSetup`s), the
slide's formula and a few sentences in plain words; `tour.claims` measures the numbers behind its
claim. The runs are calibrated on the library as it is (see tests/test_tour.py for the thresholds).

    scene = get(4)
    trajs = run_scene(scene, convention="book")      # {run label: optimizers.Trajectory}
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import optimizers
import surfaces

Point = tuple[float, float]
Pairs = tuple[tuple[str, Any], ...]  # a frozen dict: (("lr", 0.1), ("momentum", 0.9))


@dataclass(frozen=True)
class RunSetup:
    """One optimizer run of a scene. `optimizer` is a preset name (optimizers.names()), or
    "<momentum part>+<rms part>" with `composed=True` (optimizers.compose; then `hyper` holds
    compose's keys). `convention=None` means: the convention chosen with the scene's switch."""

    label: str
    optimizer: str
    hyper: Pairs = ()
    schedule: str = "constant"
    schedule_args: Pairs = ()
    convention: str | None = None
    max_norm: float | None = None
    composed: bool = False
    reference: bool = False          # drawn faded: a run to compare with, not the scene's subject

    def hyper_dict(self) -> dict:
        return dict(self.hyper)

    def schedule_dict(self) -> dict:
        return dict(self.schedule_args)

    def lr(self) -> float:
        return float(self.hyper_dict().get("lr", optimizers.DEFAULTS.get(self.optimizer, {}).get("lr", 1e-2)))


@dataclass(frozen=True)
class Scene:
    """A lecture figure as a live, measured scene."""

    number: int
    slug: str
    title: str
    text: str                          # two or three sentences in plain words
    claim: str                         # what the measured numbers must show
    latex: str                         # the slide's formula
    surface: str
    steps: int
    runs: tuple[RunSetup, ...]
    start: Point | None = None         # None: the surface's default start
    conventions: tuple[str, ...] = ()  # offered by the convention switch, default first; () = none
    convention_note: str = ""          # what the switch changes in the picture
    surfaces: tuple[str, ...] = ()     # other surfaces the scene can be shown on (scene 8)
    plots: tuple[str, ...] = ("loss", "grad_norm")  # the side plots (tour.figures.PLOTS)
    note: str = ""                     # an extra remark under the figure
    path_width: float | None = None    # thinner paths where a run bounces densely (scene 1)
    playground_runs: tuple[int, ...] = ()  # runs carried to the Playground (one schedule and one
                                           # clipping for all there); () = every run with the first
                                           # run's schedule and clipping (tour.links.carried_runs)

    @property
    def convention(self) -> str:
        """The default convention (the lecture's, unless the scene says otherwise)."""
        return self.conventions[0] if self.conventions else "lecture"

    def all_surfaces(self) -> tuple[str, ...]:
        return (self.surface,) + tuple(s for s in self.surfaces if s != self.surface)

    def start_on(self, surface: str) -> Point:
        if surface == self.surface and self.start is not None:
            return self.start
        return tuple(float(v) for v in surfaces.get(surface).start)

    def run_convention(self, run: RunSetup, convention: str | None) -> str:
        return run.convention or convention or self.convention


def _h(**kw) -> Pairs:
    return tuple(kw.items())


# composed parts -> the named optimizer and convention built from the same parts (scene 12); hyperparameters
# map by name
NAMED_TWINS: dict[tuple[str, str], tuple[str, str]] = {
    ("none", "none"): ("gd", "torch"),
    ("heavy_ball", "none"): ("momentum", "torch"),
    ("nesterov", "none"): ("nesterov", "torch"),
    ("movement", "none"): ("momentum", "lecture"),
    ("none", "adagrad_sum"): ("adagrad", "torch"),
    ("none", "adagrad_mean"): ("adagrad", "lecture"),
    ("none", "rmsprop"): ("rmsprop", "torch"),
    ("none", "rmsprop_lecture"): ("rmsprop", "lecture"),
    ("ema", "adam"): ("adam", "torch"),
}


def twin_of(parts: str, hyper: dict) -> tuple[str, str, dict] | None:
    """The named (optimizer, convention, hyperparameters) that the composed `parts` equal, or None."""
    momentum, rms = parts.split("+")
    if (momentum, rms) not in NAMED_TWINS:
        return None
    name, convention = NAMED_TWINS[(momentum, rms)]
    full = {"lr": hyper.get("lr", 1e-2)}
    if momentum in ("heavy_ball", "nesterov", "movement"):
        full["momentum"] = hyper.get("momentum", 0.9)
    if rms in ("rmsprop", "rmsprop_lecture"):
        full["alpha"] = hyper.get("alpha", 0.99 if rms == "rmsprop" else 0.9)
    if rms in ("rmsprop", "adagrad_sum", "adam"):
        full["eps"] = hyper.get("eps", 1e-10 if rms == "adagrad_sum" else 1e-8)
    if (momentum, rms) == ("ema", "adam"):
        full["betas"] = (hyper.get("beta1", 0.9), hyper.get("beta2", 0.999))
    return name, convention, full


PARTS_SCHEDULE_NAMES = {"constant": "constant", "exponential": "exponential decay", "step": "step decay",
                        "cosine": "cosine", "inverse_sqrt": "η/√(t+1)", "warmup": "warm-up"}
COUNTERPART_LABEL = "same steps: "


def counterpart_of(momentum: str, rms: str, schedule: str, lr: float) -> RunSetup | None:
    """A genuinely different computation that must take the same steps as the composed run, or None
    (scene 12's measured claim). The lecture's Adagrad divides by the root *mean* square,
    σ_t = √(Σ_{k≤t} g_k² / (t+1)); with η_t = η/√(t+1) the ratio η_t/σ_t is η/√(Σ_{k≤t} g_k²) — the
    book's and PyTorch's Adagrad (root of the *sum*, ε = 0) with a constant η. Only that ratio enters
    the update, whatever the momentum part does with it."""
    if (rms, schedule) != ("adagrad_mean", "inverse_sqrt"):
        return None
    if momentum == "none":
        return RunSetup(COUNTERPART_LABEL + "PyTorch's Adagrad (root of the sum, ε = 0)", "adagrad",
                        _h(lr=float(lr), eps=0.0), convention="torch")
    return RunSetup(COUNTERPART_LABEL + f"m_t {optimizers.MOMENTUM_PART_NAMES[momentum]} · σ_t Adagrad, √ of the sum "
                    "(ε = 0), constant η", f"{momentum}+adagrad_sum",
                    _h(lr=float(lr), eps=0.0), composed=True)


def parts_runs(momentum: str, rms: str, schedule: str, schedule_args: dict, lr: float) -> tuple[RunSetup, ...]:
    """Scene 12's runs for the parts picked: the composed run; its named twin if it has one (built from
    the same parts: it shows the composer's wiring); a counterpart if there is one (counterpart_of)."""
    hyper = {"lr": float(lr)}
    sched = tuple(sorted(schedule_args.items()))
    label = (f"composed: η_t {PARTS_SCHEDULE_NAMES.get(schedule, schedule)} · m_t {optimizers.MOMENTUM_PART_NAMES[momentum]}"
             f" · σ_t {optimizers.RMS_PART_NAMES[rms]}")
    runs = [RunSetup(label, f"{momentum}+{rms}", tuple(hyper.items()),
                     schedule, sched, composed=True)]
    twin = twin_of(f"{momentum}+{rms}", hyper)
    if twin is not None:
        name, convention, full = twin
        titles = f"{optimizers.presets.TITLES[name]} ({optimizers.presets.CONVENTION_TITLES[convention]})"
        runs.append(RunSetup(f"named: {titles}", name, tuple(full.items()), schedule, sched, convention=convention))
    other = counterpart_of(momentum, rms, schedule, lr)
    if other is not None:
        runs.append(other)
    return tuple(runs)


# ------------------------------------------------------------------------------------ the scenes
S1 = Scene(
    1, "stuck-not-small", "Training stuck ≠ small gradient",
    "When the loss stops going down, it is tempting to think the parameters sit at a critical point "
    "where the gradient vanishes. Here plain gradient descent with η = 10⁻² on an elongated bowl "
    "keeps jumping from one steep wall of the valley to the other: the loss curve is flat, yet the "
    "gradient is as large as ever. The bowl is convex, with one minimum and no other critical point: "
    "training can be hard even without critical points.",
    "Over the last half of the run the loss changes by less than 1 % while the gradient norm stays "
    "above 10 % of its starting value.",
    r"\theta^{t+1} \leftarrow \theta^{t} - \eta\, g^{t}, \qquad \eta = 10^{-2}",
    surface="bowl", start=(-8.0, 2.0), steps=500,
    runs=(RunSetup("GD, η = 10⁻²", "gd", _h(lr=1e-2), convention="lecture"),),
    plots=("loss", "grad_norm"), path_width=0.6,
)

S2 = Scene(
    2, "tiny-eta", "η = 10⁻⁷: the bouncing stops, and so does the progress",
    "Shrinking the learning rate to 10⁻⁷ calms the bouncing: the point slides down the steep wall "
    "without ever crossing the valley floor. But along the flat direction the same tiny η barely "
    "moves it — after 100,000 updates it has covered about one percent of the way to the minimum.",
    "After 100,000 updates the point has no y-crossing at all and has covered less than 2 % of the "
    "way along x.",
    r"\theta^{t+1} \leftarrow \theta^{t} - \eta\, g^{t}, \qquad \eta = 10^{-7}",
    surface="bowl", start=(-8.0, 2.0), steps=100_000,
    runs=(RunSetup("GD, η = 10⁻⁷", "gd", _h(lr=1e-7), convention="lecture"),),
    plots=("loss", "grad_norm"),
    note="Neither η fits both directions: 10⁻² is too big across the valley, 10⁻⁷ too small along it. On this "
    "bowl the best single η sits just below 2/400 = 5·10⁻³ (400 is the walls' curvature at the floor): it gets "
    "within 10⁻³ of the minimum in about 1,800 steps, and 5·10⁻³ already bounces forever. The steep "
    "direction sets η, and the flat one pays for it; Adagrad (next scene) takes 330 steps.",
)

_ADAGRAD_TEXT_NOTE = (
    "The lecture's Adagrad divides by the root *mean* square of the past gradients; the book and "
    "PyTorch divide by the root of their *sum*, which only grows.")

S3 = Scene(
    3, "per-parameter-rate", "Different parameters need different learning rates",
    "Adagrad gives every parameter its own step: η is divided by σ, the root mean square of that "
    "parameter's past gradients. Across the valley the gradients were large, so the step there is "
    "small; along the flat direction they were small, so the step is large — and the same bowl is "
    "now crossed to the minimum, within 10⁻³ of it after 330 steps, where the best single η needs about 1,800.",
    "The run ends within 10⁻³ of the minimum, with an effective step η/σ along x several times "
    "larger than along y.",
    r"\theta_i^{t+1} \leftarrow \theta_i^{t} - \frac{\eta}{\sigma_i^{t}}\, g_i^{t}, \qquad "
    r"\sigma_i^{t} = \sqrt{\frac{1}{t+1}\sum_{k=0}^{t} \left(g_i^{k}\right)^2}",
    surface="bowl", start=(-8.0, 1.0), steps=1500,
    runs=(RunSetup("Adagrad, η = 0.1", "adagrad", _h(lr=0.1)),),
    conventions=("lecture", "book", "torch"),
    convention_note=_ADAGRAD_TEXT_NOTE + " With the sum, σ along x never shrinks and the point "
    "crawls: it is still far from the minimum when the run ends.",
    plots=("loss", "step_size"),
    note="Scenes 3 and 4 start at (−8, 1), a little lower on the wall than scenes 1 and 2: from (−8, 2) "
    "Adagrad also reaches the minimum in 330 steps, but it never bursts (scene 4).",
)

S4 = Scene(
    4, "adagrad-bursts", "Adagrad's bursts",
    "Run the same Adagrad longer. Sitting on the valley floor, the steep coordinate now sees only "
    "tiny gradients, so its root mean square σ keeps shrinking and its step η/σ keeps growing — until "
    "the step is too big for the steep walls and the point erupts up the wall (the study notes call "
    "it 喷发, an eruption). Up there the gradients are large again, σ grows back, the steps shrink "
    "and the point drops back into the valley. In this run it then rattles across the floor in a narrow "
    "band (|y| ≈ 0.05) to the end; in the lecture's run the eruptions come again and again.",
    "Late in the run (in its second half) at least one step in y bursts — at least 0.05 long and 10× "
    "the median of the 200 steps before it — and the steps shrink back afterwards.",
    r"\sigma_i^{t} = \sqrt{\frac{1}{t+1}\sum_{k=0}^{t} \left(g_i^{k}\right)^2}"
    r"\;\xrightarrow{\;g_y \approx 0\;}\; \text{small} \quad\Rightarrow\quad \frac{\eta}{\sigma_y^{t}}\ \text{large}",
    surface="bowl", start=(-8.0, 1.0), steps=3000,
    runs=(RunSetup("Adagrad, η = 0.1", "adagrad", _h(lr=0.1)),),
    conventions=("lecture", "book", "torch"),
    convention_note=_ADAGRAD_TEXT_NOTE + " The sum never shrinks, so there are no bursts — but "
    "the flat direction is crossed much more slowly.",
    plots=("step_size", "y"),
)

S5 = Scene(
    5, "lr-decay", "Learning-rate decay removes the bursts",
    "Make η itself shrink as training goes on: near the destination we want smaller steps anyway. "
    "With η_t = 0.1·0.999ᵗ the same Adagrad run still crosses the flat direction, but the growing "
    "1/σ in the steep direction is now held in check by the shrinking η_t, and the point arrives "
    "without a burst once it is down in the valley.",
    "With the decaying η_t there is no burst after the first 10 % of the run, while the same run with a constant η bursts; the "
    "decaying run ends within 10⁻³ of the minimum.",
    r"\theta_i^{t+1} \leftarrow \theta_i^{t} - \frac{\eta^{t}}{\sigma_i^{t}}\, g_i^{t}, \qquad "
    r"\eta^{t} = \eta\,\gamma^{t}",
    surface="bowl", start=(-8.0, 1.0), steps=3000,
    runs=(RunSetup("Adagrad, η_t = 0.1·0.999ᵗ", "adagrad", _h(lr=0.1), "exponential", _h(gamma=0.999)),
          RunSetup("Adagrad, constant η = 0.1", "adagrad", _h(lr=0.1), reference=True)),
    conventions=("lecture", "book", "torch"),
    convention_note=_ADAGRAD_TEXT_NOTE + " With the sum there were no bursts to remove, and the "
    "decay slows the crawl along x even more.",
    plots=("lr", "step_size", "y"),
)

S6 = Scene(
    6, "warm-up", "Warm-up: first increase η, then decrease it",
    "Some famous recipes start with a small learning rate, raise it, and only then let it decay (ResNet, "
    "the Transformer and, usually, BERT); how high η climbs and how fast it rises and falls are the "
    "method's own hyperparameters. Why warm-up helps is still an open research question; one possible "
    "explanation: σ is a statistic of past gradients, and after a handful of steps it is a poor "
    "estimate, so big early steps are risky. The map races Adam with and without a warm-up (linear over "
    "the first 100 steps, then a cosine decay to 0 at step 300) against RAdam, which builds a warm-up "
    "into the optimizer itself. The two Adam paths lie on top of each other: the warm-up changes how "
    "fast Adam goes, not where (the loss plot shows it).",
    "The Transformer rate peaks at step 4000 at 1/√(512 · 4000), equal to the paper's formula; "
    "ResNet's is drawn as 0.01 for the first 400 iterations (the paper's ≈ 400, until the training "
    "error is below 80 %) then 0.1; PyTorch's RAdam skips σ for its first 5 steps, which on this steep "
    "start are larger than Adam's, and then starts its σ steps near 0.",
    r"\eta^{t} = d_{\text{model}}^{-0.5}\cdot\min\!\left(\text{step}^{-0.5},\ \text{step}\cdot"
    r"\text{warmup\_steps}^{-1.5}\right)",
    surface="himmelblau", steps=300,
    runs=(RunSetup("Adam, η = 0.05", "adam", _h(lr=0.05), convention="torch"),
          RunSetup("Adam + warm-up", "adam", _h(lr=0.05), "warmup",
                   _h(warmup_steps=100, total_steps=300), convention="torch"),
          RunSetup("RAdam, η = 0.05", "radam", _h(lr=0.05), convention="torch")),
    plots=("lr", "loss"), playground_runs=(0, 2),
    note="The η_t plot shows the Transformer's formula exactly (its step = t + 1 counts the updates from 1) "
    "and ResNet's 0.01, then 0.1 (the paper switches once the training error is below 80 %, after about 400 "
    "iterations; drawn at iteration 400). RAdam (Liu et al., 2020) measures how reliable σ is (ρ_t). While too few gradients have been "
    "seen it does not divide by σ at all and takes a plain momentum step η·m̂ instead. That is not a "
    "small step: here, where the start is steep, those are the largest steps of the race (the map's "
    "first jumps). Once it divides by σ it multiplies the step by a factor r_t that starts near 0 and "
    "rises towards 1, and that is its warm-up. PyTorch's RAdam divides by σ once ρ_t > 5 (its first 5 "
    "steps are plain); the paper's algorithm uses ρ_t > 4 (4 plain steps). The Transformer used Adam "
    "with β₂ = 0.98 and ε = 10⁻⁹.",
)

S7 = Scene(
    7, "rmsprop", "RMSProp: σ that follows the slope",
    "On a crescent-shaped valley the slope changes along the way: the walls are steep where the run "
    "starts and gentle further on. Adagrad weighs the whole past equally (the lecture's mean; the book and PyTorch take a sum, "
    "which only grows), so once the slope drops its σ lags far behind, near the old, large value. RMSProp weights recent gradients more — the smaller α, "
    "the more — so with a small α its σ drops with the slope within a few steps (with α = 0.9 it "
    "takes dozens).",
    "After the gradient falls tenfold, RMSProp with α = 0.5 brings σ within 2× of the new slope in "
    "at most 5 steps, α = 0.9 takes longer, and Adagrad takes more than 100 steps.",
    r"\sigma_i^{t} = \sqrt{\alpha\left(\sigma_i^{t-1}\right)^2 + (1-\alpha)\left(g_i^{t}\right)^2},"
    r"\quad 0 < \alpha < 1 \\ \sigma_i^{0} = \left|g_i^{0}\right|",
    surface="crescent", start=(-3.0, 6.0), steps=600,
    runs=(RunSetup("RMSProp, α = 0.5", "rmsprop", _h(lr=0.03, alpha=0.5)),
          RunSetup("RMSProp, α = 0.9", "rmsprop", _h(lr=0.03, alpha=0.9)),
          RunSetup("Adagrad", "adagrad", _h(lr=0.03))),
    conventions=("lecture", "book", "torch"),
    convention_note="The lecture starts RMSProp at σ⁰ = |g⁰|; the book starts its average at 0 and "
    "puts δ inside the root, PyTorch puts ε outside it. The lag of σ behind the slope hardly changes.",
    plots=("sigma_x", "loss"),
)

S8 = Scene(
    8, "momentum", "Momentum: a ball rolls past the critical point",
    "Plain gradient descent stops where the gradient vanishes — at a saddle point or in a small "
    "local minimum. A ball rolling downhill keeps its speed: momentum moves by the last movement "
    "scaled by λ, minus η times the gradient, so it coasts through the flat spot or over the bump "
    "and on to the minimum beyond (the saddle surface has only that one; on the local-minimum "
    "surface it is the deeper one).",
    "Gradient descent ends within 0.1 of the critical point; momentum ends within 10⁻³ of the minimum "
    "beyond it, and every movement equals λ·(last movement) − η·gradient.",
    r"m^{t+1} = \lambda\, m^{t} - \eta\, g^{t}, \quad \theta^{t+1} = \theta^{t} + m^{t+1}, \quad m^0 = 0",
    surface="saddle", steps=300, surfaces=("local_minimum",),
    runs=(RunSetup("GD, η = 0.03", "gd", _h(lr=0.03), convention="lecture"),
          RunSetup("Momentum, λ = 0.9, η = 0.03", "momentum", _h(lr=0.03, momentum=0.9), convention="lecture")),
    plots=("x", "loss"),
    note="Unrolled, the movement is a weighted sum of all past gradients: m¹ = −η g⁰, m² = −λη g⁰ − η g¹, "
    "m³ = −λ²η g⁰ − λη g¹ − η g², … — the lecture's second way to read momentum. This m already holds −η: "
    "with a constant η it is −η times the m_t of the summary rule (scene 12), where η_t stands apart.",
)

S9 = Scene(
    9, "nesterov", "Nesterov momentum: look before you leap",
    "Classical momentum takes the gradient where the point is, then adds the momentum step. "
    "Nesterov's variant first makes the momentum step in thought and takes the gradient at that "
    "look-ahead point: when the road ahead climbs, it brakes before getting there. Rolling into the "
    "deep minimum, it overshoots far less.",
    "Nesterov's gradient is the one at θ + λv (to 10⁻⁹), classical momentum's the one at θ; "
    "Nesterov overshoots the minimum less and settles sooner.",
    r"v \leftarrow \lambda v - \eta\, g(\theta + \lambda v), \qquad \theta \leftarrow \theta + v",
    surface="local_minimum", steps=200,
    runs=(RunSetup("Classical momentum", "momentum", _h(lr=0.03, momentum=0.9)),
          RunSetup("Nesterov", "nesterov", _h(lr=0.03, momentum=0.9))),
    conventions=("book", "torch"),
    convention_note="The book takes the gradient at the look-ahead point θ + λv. PyTorch rewrites "
    "Nesterov so that the gradient is taken at the point it stores (m = g + λb; PyTorch calls λ μ): the points "
    "it stores are exactly the book's look-ahead points θ + λv (to round-off, about 10⁻¹⁵), so its path is the "
    "book's path shifted by λv. The look-ahead check reads the gradient back from the book's form and "
    "no longer applies.",
    plots=("x", "loss"),
)

S10 = Scene(
    10, "adam", "Adam = RMSProp + momentum",
    "Adam keeps two running averages: one of the gradients, which gives the direction like momentum, "
    "and one of their squares, which gives σ like RMSProp. Leave out its bias correction and Adam is "
    "exactly that: momentum (an average of the gradients) divided by the σ of PyTorch's RMSProp "
    "(its average starts at 0, ε outside the root) with α = β₂, and the two runs take the same steps. The bias correction divides both averages "
    "by 1 − βᵗ, which matters while they are still near their start at 0: it makes Adam's first step "
    "η in every coordinate. All three runs let η decay along a cosine to 0 at step 500 (so they settle "
    "instead of bouncing; that is the dive of η_t/σ_t at the end).",
    "Adam without bias correction and EMA momentum × RMSProp's σ (α = β₂) differ by less than "
    "10⁻¹²; Adam's first step is η in each coordinate (to 10⁻⁶), without bias correction it is "
    "(1 − β₁)/√(1 − β₂) ≈ 3.16·η.",
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \quad \hat m_t = \frac{m_t}{1-\beta_1^t} \\[6pt] "
    r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \quad \hat v_t = \frac{v_t}{1-\beta_2^t} \\[6pt] "
    r"\theta_t = \theta_{t-1} - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
    surface="bowl", start=(-8.0, 2.0), steps=500,
    runs=(RunSetup("Adam", "adam", _h(lr=0.1), "cosine", _h(T_max=500), convention="torch"),
          RunSetup("Adam without bias correction", "adam", _h(lr=0.1, bias_correction=False), "cosine",
                   _h(T_max=500), convention="torch"),
          RunSetup("EMA momentum × RMSProp's σ, α = β₂ (composed)", "ema+rmsprop",
                   _h(lr=0.1, beta1=0.9, alpha=0.999, eps=1e-8, bias_correction=False), "cosine", _h(T_max=500),
                   composed=True)),
    plots=("loss", "step_size"),
    note="Without bias correction the first averages are small: m₁ = (1 − β₁)·g₁ and v₁ = (1 − β₂)·g₁², "
    "so the first step is η·(1 − β₁)/√(1 − β₂) ≈ 3.16·η per coordinate for β₁ = 0.9, β₂ = 0.999. "
    "Dividing by 1 − β₁ᵗ and 1 − β₂ᵗ turns it into η. On the map the composed run (green) covers Adam "
    "without bias correction (orange): the two paths coincide. The Adam paper's step size α is η here "
    "(α is RMSProp's decay in this course), and the Playground writes the paper's m_t as s_t: there m_t is "
    "the summary rule's, the corrected m̂ here.",
)

S11 = Scene(
    11, "clipping", "Gradient clipping on a cliff",
    "Right behind the minimum of this bowl stands a cliff. A ball with momentum rolls into it, and "
    "the huge gradient on the wall hurls it far back — twice the width of the picture. Clipping "
    "rescales any gradient longer than max_norm down to that length, so the same roll just stops "
    "at the wall and settles.",
    "Without clipping one step is longer than the whole view; with max_norm = 5 no step exceeds "
    "η·max_norm/(1−λ), and the clipped run ends within 10⁻³ of the minimum.",
    r"g \leftarrow g\,\frac{\text{max\_norm}}{\lVert g\rVert} \quad \text{if } \lVert g\rVert > \text{max\_norm}",
    surface="cliff", steps=200,
    runs=(RunSetup("Momentum, no clipping", "momentum", _h(lr=0.05, momentum=0.9), convention="lecture"),
          RunSetup("Momentum, max_norm = 5", "momentum", _h(lr=0.05, momentum=0.9), convention="lecture",
                   max_norm=5.0)),
    plots=("grad_norm", "x"), playground_runs=(1,),
)

PARTS_DEFAULT = ("none", "adagrad_mean", "inverse_sqrt", (), 0.1)  # scene 12's parts: momentum, RMS, schedule,
                                                                  # its arguments, η

S12 = Scene(
    12, "summary", "Summary: one rule, three parts",
    "The lecture's summary slide writes all these improvements as one rule with three parts: a schedule gives η_t, a "
    "momentum part gives the direction m_t (a weighted sum of past gradients), and an RMS part gives "
    "the size σ_t (only the magnitude). Pick the parts yourself: where a named optimizer is built "
    "from the same parts, its run coincides with yours by construction, which only shows that the "
    "parts are wired alike. Different parts can also take the same steps, because only the ratio "
    "η_t/σ_t enters the update: the lecture's Adagrad (root *mean* square) with η_t = η/√(t+1) is "
    "the book's and PyTorch's Adagrad (root of the *sum*, with the book's δ and PyTorch's ε at 0) with a "
    "constant η.",
    "The lecture's Adagrad with η_t = η/√(t+1) and PyTorch's Adagrad (sum, ε = 0) with a constant η "
    "differ by less than 10⁻¹²; a composition and the named optimizer built from the same parts agree "
    "to 10⁻¹² (a check of the wiring).",
    r"\theta_i^{t+1} \leftarrow \theta_i^{t} - \frac{\overbrace{\eta^{t}}^{\text{schedule}}}"
    r"{\underbrace{\sigma_i^{t}}_{\text{RMS: magnitude}}}\;\underbrace{m_i^{t}}_{\text{momentum: direction}}",
    surface="bowl", start=(-8.0, 1.0), steps=3000,
    runs=parts_runs(*PARTS_DEFAULT[:3], dict(PARTS_DEFAULT[3]), PARTS_DEFAULT[4]),
    plots=("lr", "step_size"),
    note="η_t/σ_t = (η/√(t+1)) / √(Σ g²/(t+1)) = η/√(Σ g²): the √(t+1) of the schedule cancels the one "
    "of the mean. The counterpart is drawn when the RMS part is Adagrad's √ of the mean and the schedule "
    "η/√(t+1), with any momentum part.",
)

SCENES: tuple[Scene, ...] = (S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12)

def get(number_or_slug) -> Scene:
    for s in SCENES:
        if s.number == number_or_slug or s.slug == number_or_slug:
            return s
    raise ValueError(f"No scene {number_or_slug!r}; the tour has scenes 1–{len(SCENES)}")


def compose_hyper(hyper: dict) -> dict:
    """compose()'s keyword arguments from a run's hyperparameters."""
    out = {k: v for k, v in hyper.items() if k in optimizers.presets.COMPOSE_KEYS}
    if "betas" in hyper:
        out["beta1"], out["beta2"] = hyper["betas"]
    return out


def composed_scene(scene: Scene, momentum: str, rms: str, schedule: str, schedule_args: dict, lr: float) -> Scene:
    """Scene 12 with the parts the user picked (parts_runs)."""
    return replace(scene, runs=parts_runs(momentum, rms, schedule, schedule_args, lr))


PARTS_SCHEDULES = {  # scene 12's schedule choices, with arguments that fit its 3000 steps
    "constant": {}, "exponential": {"gamma": 0.999}, "step": {"step_size": 1000, "gamma": 0.3},
    "cosine": {"T_max": 3000}, "inverse_sqrt": {}, "warmup": {"warmup_steps": 100, "total_steps": 3000}}
PARTS_LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # scene 12's η choices


def scene_with_parts(number: int, parts: tuple) -> Scene:
    """Scene `number`; for scene 12 with parts = (momentum, rms, schedule, η) picked, its runs for them."""
    scene = get(number)
    if parts:
        momentum, rms, schedule, lr = parts
        scene = composed_scene(scene, momentum, rms, schedule, PARTS_SCHEDULES[schedule], lr)
    return scene


def run_setup(scene: Scene, run: RunSetup, convention: str | None = None, surface: str | None = None,
              steps: int | None = None) -> optimizers.Trajectory:
    """Run one of a scene's setups with the library (optimizers.run)."""
    surface = surface or scene.surface
    kw = dict(steps=steps or scene.steps, start=scene.start_on(surface), schedule=run.schedule,
              schedule_args=run.schedule_dict(), max_norm=run.max_norm)
    if run.composed:
        momentum, rms = run.optimizer.split("+")
        opt = optimizers.compose(momentum, rms, **compose_hyper(run.hyper_dict()))
        return optimizers.run(surface, opt, **kw)
    return optimizers.run(surface, run.optimizer, convention=scene.run_convention(run, convention), **kw,
                          **run.hyper_dict())


def run_scene(scene: Scene, convention: str | None = None, surface: str | None = None) -> dict:
    """{run label: Trajectory} for every run of the scene, in order."""
    return {run.label: run_setup(scene, run, convention, surface) for run in scene.runs}


def playground_setup(scene: Scene, convention: str | None = None, surface: str | None = None) -> dict:
    """The scene's setup as plain data for the Playground link: surface, start, steps and per run
    the optimizer, its hyperparameters, schedule, convention and clipping."""
    surface = surface or scene.surface
    runs = []
    for run in scene.runs:
        runs.append(dict(label=run.label, optimizer=run.optimizer, composed=run.composed,
                         hyper=run.hyper_dict(), schedule=run.schedule, schedule_args=run.schedule_dict(),
                         convention="composed" if run.composed else scene.run_convention(run, convention),
                         max_norm=run.max_norm))
    return dict(surface=surface, start=scene.start_on(surface), steps=scene.steps, runs=runs)
