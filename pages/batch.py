"""Batch size & noise: minibatches on a real (tiny) data set, time per update vs batch size,
noisy updates escaping, and sharp vs flat minima. A thin page over optimizers.minibatch,
optimizers.noise, optimizers.hardware and surfaces.data."""
from __future__ import annotations

import numpy as np
import streamlit as st

import optimizers
from optimizers import hardware, noise
from surfaces import data as sdata
from viz import batch as vb
from ui import compat, controls, limits, runs, share
from ui.entry import ensure_entry

ensure_entry()  # a deep link on a fresh server still runs under app.py

N = sdata.N_DEFAULT
PRESENT = bool(st.session_state.get("presentation"))
LR_DEFAULTS = {"gd": 0.02, "momentum": 0.01, "nesterov": 0.01, "adagrad": 1.0, "rmsprop": 0.1, "adam": 0.3,
               "adamw": 0.3, "nadam": 0.3, "radam": 0.3}
LABELS = {"batch_size": "Batch size B", "epochs": "Epochs", "seed": "Seed", "optimizer": "Optimizer",
          "convention": "Formulas", "timing_sizes": "Batch sizes to time"}  # widget keys, for notes


def note_label(key: str) -> str:
    return "Learning rate η" if key.startswith("lr_") else LABELS.get(key, key)


def final_loss(r: dict) -> str:
    return "diverged" if r["diverged_at"] is not None else f"{r['loss'][-1]:.4g}"


def diverged_note(r: dict, title: str) -> None:
    if r["diverged_at"] is not None:
        st.warning(f"**{title}** diverged at step {r['diverged_at']}: the update left the map by far or became "
                   "non-finite, and the path stops there.", icon="⚠️")


def timing(batch_sizes: tuple, budget_s: float, progress=None):
    """Measured on each click, not cached: "Measure now" means now, and a cached function that drew
    this click's progress bar would replay it on the next hit (CacheReplayClosureError)."""
    return hardware.measure(batch_sizes, budget_s=budget_s, device="auto", progress=progress)


st.header("Batch size & noise")
st.write(
    f"Training rarely computes the gradient on all the data at once. The {N} examples below are split "
    "into batches; every batch gives one update, and one pass over all the examples is an epoch. "
    "The map is the mean squared error of a straight-line fit y ≈ w·x + b over the two parameters (w, b).")

# ------------------------------------------------------------------ controls
# four to a row; two on a projector, whose font cut the labels ("Standa…")
c1, c2, c3, c4 = (*st.columns(2), *st.columns(2)) if PRESENT else st.columns(4)
batch_size = c1.slider("Batch size B", 1, N, 1, key="batch_size",
                       help=f"1 = one example per update; {N} = the full batch")
epochs = c2.slider("Epochs", 1, 50, 10, key="epochs")
shuffle = c3.checkbox("Shuffle", True, key="shuffle",
                      help="Shuffle every epoch: a new random order of the examples at the start of each epoch")
seed = int(c4.number_input("Seed", 0, 10_000, 0, step=1, key="seed"))
c5, c6, c7, c8 = (*st.columns(2), *st.columns(2)) if PRESENT else st.columns(4)
optimizer = c5.selectbox("Optimizer", optimizers.names(), index=0, key="optimizer", format_func=share.LABELS.get)
lr = float(compat.remembered(f"lr_{optimizer}", LR_DEFAULTS[optimizer], lambda: c6.number_input(
    "Learning rate η", 1e-6, 10.0, format="%.4g", key=f"lr_{optimizer}")))  # each optimizer keeps its own η
convention = c7.selectbox("Formulas", list(optimizers.CONVENTIONS), key="convention",
                          format_func=lambda c: controls.CONV_LABELS.get(c, c))
normalize = c8.toggle("Standardise x", False, key="normalize",
                      help="Replace x by (x − mean)/std: the long, tilted bowl becomes round")
limits.show_notes(compat.take_notes(note_label))

surface = sdata.regression(N, 0, normalize)
# what the runs depend on besides their batch size and data: part of each cached figure's key
run_key = (optimizer, lr, convention, epochs, shuffle, seed, PRESENT)
try:
    full = runs.train_minibatch(normalize, optimizer, lr, convention, N, epochs, shuffle, seed)
    mini = runs.train_minibatch(normalize, optimizer, lr, convention, batch_size, epochs, shuffle, seed)
except ValueError as e:
    st.error(str(e))
    st.stop()
for note in full["notes"]:
    st.info(note)

left, right = st.columns(2)
for col, r, B, title in ((left, full, N, f"Full batch (B = {N})"), (right, mini, batch_size, f"Batch size B = {batch_size}")):
    with col:
        st.plotly_chart(runs.cached_spec(  # the key holds everything the run and the figure depend on
            ("batch_map", normalize, B, title) + run_key,
            lambda: vb.projected(vb.loss_map(surface, [(title, r["path"])], epoch_starts=[r["epoch_starts"]],
                                             title=title, height=380), PRESENT)), key=f"map_{B}_{title}")
        numbers = (("Updates/epoch", r["upe"], "Updates per epoch: ⌈N / B⌉"),
                   ("Updates", len(r["path"]) - 1, "Updates in all the epochs"),
                   ("Final loss", final_loss(r), "Training loss after the last update"))
        if PRESENT:  # one line of text that wraps: metric tiles at the projector's font cut their labels
            st.markdown(" · ".join(f"{label}: **{value}**" for label, value, _ in numbers))
        else:
            cols = st.columns(3)
            for col, (label, value, help_) in zip(cols, numbers):
                col.metric(label, value, help=help_)
        diverged_note(r, title)
st.caption(f"Open circles mark where each epoch started. With B = 1 the path is noisy — every update "
           f"follows a different example's loss. B = 1 makes {N} updates per epoch where the full batch makes "
           f"one; without parallel hardware each of them is about {N}× cheaper, but on a GPU each costs about "
           "the same, so an epoch at B = 1 takes longer (measured below).")
st.plotly_chart(runs.cached_spec(
    ("batch_curves", normalize, batch_size) + run_key,
    lambda: vb.projected(vb.loss_curves(
        [(f"full batch (B = {N})", np.arange(len(full["loss"])) / full["upe"], full["loss"]),
         (f"B = {batch_size}", np.arange(len(mini["loss"])) / mini["upe"], mini["loss"])]), PRESENT)),
    key="loss_curves")
with st.expander("Which examples did the first updates use?"):
    st.write({f"update {u + 1}": b for u, b in enumerate(mini["first_batches"])})
    st.caption("Without shuffling the examples come in the order 0, 1, 2, … every epoch.")

# ------------------------------------------------------------------ normalisation
st.subheader("Normalisation moves the mountain")
raw, std = sdata.regression(N, 0, False), sdata.regression(N, 0, True)
k_raw = sdata.condition_number(sdata.regression_hessian(raw))
k_std = sdata.condition_number(sdata.regression_hessian(std))
st.write(
    f"The input x lies around {raw.data['mean']:.1f} (spread {raw.data['std']:.1f}), far from 0: raising w "
    "raises every prediction by about that much, as raising b does, only more. So w and b pull in nearly "
    "the same direction, the bowl is long, narrow and tilted, and one learning rate cannot suit both of its "
    f"directions (condition number of the Hessian {k_raw:.0f}). Standardising x (mean 0, spread 1) makes "
    f"the bowl round (condition number {k_std:.3g}). Same optimizer, same η, same batches:")
a, b = st.columns(2)
try:
    before = runs.train_minibatch(False, optimizer, lr, convention, batch_size, epochs, shuffle, seed)
    after = runs.train_minibatch(True, optimizer, lr, convention, batch_size, epochs, shuffle, seed)
except ValueError as e:
    st.error(str(e))
else:
    for col, s, r, title in ((a, raw, before, "raw x"), (b, std, after, "standardised x")):
        with col:
            st.plotly_chart(runs.cached_spec(
                ("batch_norm", title, batch_size) + run_key,
                lambda: vb.projected(vb.loss_map(s, [(title, r["path"])], title=title, height=340), PRESENT)),
                key=f"norm_{title}")
            st.metric(f"Final loss, {title}", final_loss(r))
            diverged_note(r, title)

# ------------------------------------------------------------------ time vs batch size
st.subheader("Time per update and per epoch, measured on this server")
st.write(
    "A small network (784 → 128 → 10) trained on 60,000 synthetic MNIST-sized examples. On parallel "
    "hardware a bigger batch costs about as much per update until the hardware is full, so an epoch — "
    "which needs ⌈60,000 / B⌉ updates — gets much faster with bigger batches.")
sizes = st.multiselect("Batch sizes to time", list(hardware.BATCH_SIZES), list(hardware.BATCH_SIZES[:5]), key="timing_sizes")
if st.button("Measure now", key="measure"):
    if not sizes:
        st.warning("Choose at least one batch size.")
    else:
        bar = st.progress(0.0, text="warming up …")
        t = timing(tuple(sorted(sizes)), 0.3, progress=lambda f, msg: bar.progress(min(f, 1.0), text=msg))
        bar.empty()
        st.session_state["timing_result"] = t
t = st.session_state.get("timing_result")
if t is not None:
    st.plotly_chart(vb.projected(vb.timing_figure(t), PRESENT), key="timing_fig")
    st.dataframe(t.rows(), hide_index=True)
    st.caption(f"Device: {t.device}, {t.threads} thread(s). Time per update is the median of the timed updates; "
               "time per epoch is that × updates per epoch (an estimate, not a timed epoch).")
    if t.device == "cpu":
        st.info(f"This server has no GPU, and each rerun computes on {t.threads} CPU thread(s), so there is little "
                "to run in parallel: past the fixed cost of an update, its time grows with B. That is the "
                "lecture's case *without* parallel computation. The curve that stays almost flat up to B ≈ 1000 "
                "needs a GPU.", icon=":material/memory:")

# ------------------------------------------------------------------ escape
st.subheader("Noisy updates escape")
st.write(
    "On a surface with a shallow minimum or a flat saddle, full-batch gradient descent stops there. Here "
    "a minibatch gradient is modelled as the full gradient plus Gaussian noise of standard deviation "
    "s₁·√((N − B)/(B(N − 1))) — the spread of the mean of B of the N examples drawn without replacement "
    "(s₁: the spread of one example's gradient; zero for the full batch). 100 seeded runs per batch size:")
res = [runs.escape_results(sname, 100, seed) for sname in noise.ESCAPE]
st.plotly_chart(runs.cached_spec(("batch_escape", seed, PRESENT), lambda: vb.projected(vb.escape_figure(res), PRESENT)),
                key="escape_fig")
# small fixed tables: st.table is plain HTML, so it takes the projector's font, wraps instead of cutting
# a column off, and has no toolbar to cover the figure's legend above it (st.dataframe had all three)
st.table([{"surface": r.surface.replace("_", " "), **{f"B={b}": f"{f:.0%}" for b, f in zip(r.batch_sizes, r.fractions)}} for r in res],
         hide_index=True)
st.caption("Escaped = ended past " + "; ".join(f"{k}: {v['what']}" for k, v in noise.ESCAPE.items()) + "."
           + f" Plain SGD, η = {res[0].lr:g}, {res[0].steps} steps from each surface's start; s₁ = "
           + ", ".join(f"{r.per_example_std:g} ({r.surface.replace('_', ' ')})" for r in res)
           + ". s₁ is set for the demonstration, not measured from data, and the noise is the same everywhere on "
             "the surface. The optimizer and η chosen at the top of the page do not apply here; the seed does.")

# ------------------------------------------------------------------ sharp vs flat
# the table the lecture quotes (Keskar et al. 2017, table 2): accuracy, small batch (256) vs large (10 % of the data)
KESKAR = [{"network": n, "data": d, "train SB": a, "train LB": b, "test SB": c, "test LB": e} for n, d, a, b, c, e in (
    ("F₁ fully connected", "MNIST", "99.66 %", "99.92 %", "98.03 %", "97.81 %"),
    ("F₂ fully connected", "TIMIT", "99.99 %", "98.35 %", "64.02 %", "59.45 %"),
    ("C₁ shallow conv.", "CIFAR-10", "99.89 %", "99.66 %", "80.04 %", "77.26 %"),
    ("C₂ deep conv.", "CIFAR-10", "99.99 %", "99.99 %", "89.24 %", "87.26 %"),
    ("C₃ shallow conv.", "CIFAR-100", "99.56 %", "99.88 %", "49.58 %", "46.45 %"),
    ("C₄ deep conv.", "CIFAR-100", "99.10 %", "99.57 %", "63.08 %", "57.81 %"))]
st.subheader("Sharp and flat minima")
st.write(
    "A training loss with a wide basin and a narrow canyon, equally low. The testing loss is the same "
    "curve shifted a little (training and testing data never match exactly): in the wide basin the "
    "shift barely matters, in the canyon it costs a lot. Many people believe that small batches tend to "
    "end in wide basins and large batches in narrow canyons: a noisy small-batch step can be thrown out "
    "of a narrow canyon, but not out of a wide basin. The lecture calls this only one possible "
    "explanation, and it is still being researched. This data set is built to show the effect: its "
    "examples agree about the basin but not about the canyon (after Wu, Ma & E, 2018, “How SGD selects "
    "the global minima”): one example in four sees the canyon, four times as deep. Even so, only the "
    "smallest batches (B = 1 and 2) leave it; from "
    "B = 4 on, as many runs end in the canyon as with the full batch.")
sf_sizes = (1, 2, 4, N)
with st.spinner("100 runs per batch size …"):
    sf = runs.sharp_flat_result(sf_sizes, 100, seed)
sfs = sdata.sharp_flat(N, seed)
st.plotly_chart(runs.cached_spec(("batch_sharp_flat", sf_sizes, seed, PRESENT), lambda: vb.projected(
    vb.sharp_flat_figure(sfs, sf, train_fn=lambda w: sdata.train_loss_1d(sfs, w),
                         test_fn=lambda w: sdata.test_loss_1d(sfs, w)), PRESENT)), key="sharp_flat_fig")
# side by side; stacked in presentation mode, where the table needs the width of the projector's font
c1, c2 = (st.container(), st.container()) if PRESENT else st.columns([2, 1])
c1.plotly_chart(runs.cached_spec(("batch_basins", sf_sizes, seed, PRESENT),
                                 lambda: vb.projected(vb.basin_bars(sf), PRESENT)), key="basin_bars")
c2.table([{"minimum": k, "w": f"{v['w']:.3f}", "train": f"{v['train']:.3f}", "test": f"{v['test']:.3f}",
           "test − train": f"{v['gap']:.3f}", "curvature": f"{v['curvature']:.1f}"} for k, v in sf.summary.items()],
         hide_index=True)
c2.caption(f"{sf.runs} runs per batch size from the same seeded starts, plain SGD with true minibatches, "
           f"{sf.updates} updates each, η = {sf.lr:g} (the optimizer and η at the top of the page do not apply here). "
           f"A run counts for a minimum once it has arrived: within {sdata.FLAT_WIDTH:g} of the flat one, or in the "
           "canyon.")
with st.expander("The lecture's evidence: small and large batches on six networks (Keskar et al., 2017)"):
    st.write("Trained to about the same training accuracy, the large batches (10 % of the data set) test worse "
             "than the small ones (256 examples) on every network; the lecture quotes this table from “On "
             "Large-Batch Training for Deep Learning: Generalization Gap and Sharp Minima”.")
    st.table(KESKAR, hide_index=True)
    st.write("And its summary: with parallel hardware one update costs about the same for a small and a "
             "(not too) large batch, and an epoch is faster with large batches; small batches give noisy "
             "gradients that optimize and generalize better. Batch size is a hyperparameter you have to choose.")
