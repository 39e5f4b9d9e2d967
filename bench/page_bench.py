"""Playground budgets: server-side rerun time and the plotly figure JSON sizes.

    .venv/bin/python bench/page_bench.py            # everything (the 8 x 100,000-step runs take a while
                                                    # on the eager backend)
    .venv/bin/python bench/page_bench.py --quick    # skip the 8 x 100,000-step scene

Measures
- rerun: wall time of AppTest.run() on pages/playground.py for the default scene (4 optimizers x 300
  steps on bowl) after warm-up; AppTest's own overhead (thread start, polling) is included, so the
  page's script time is a little lower. Also a rerun after an η change that was seen before
  (a cache hit: "dragging back is instant").
- JSON: bytes of what st.plotly_chart sends for each figure (plotly.io.to_json of fig.to_dict(),
  as Streamlit does) for the default scene and for 8 optimizers x 100,000 steps.
Budgets (issue 3): rerun <= 150 ms; map JSON <= 1 MB (default) and <= 3 MB (8 x 100,000).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import plotly.io as pio  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

PAGE = os.path.join(ROOT, "pages", "playground.py")


def sent_bytes(fig) -> int:
    """What st.plotly_chart puts on the wire for `fig`."""
    return len(pio.to_json(fig.to_dict(), validate=False).encode())


def bench_rerun(n: int = 30) -> dict:
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    at.run()  # warm-up: runs and figures are cached now
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    assert not at.exception
    # a setting seen before: η of GD 0.01 -> 0.02 -> 0.01 (the way back is a cache hit)
    key = f"pg_o{at.session_state['pg_slots'][0]}_lr"
    at.select_slider(key=key).set_value(0.02).run()
    back = []
    for v in (0.01, 0.02) * 5:
        at.select_slider(key=key).set_value(v)
        t0 = time.perf_counter()
        at.run()
        back.append(time.perf_counter() - t0)
    return {"rerun": times, "back": back}


def scene_sizes(n_opts: int, steps: int) -> dict:
    """Sizes of the page's figures for `n_opts` optimizers x `steps` on bowl (the page's code path)."""
    from ui import runs
    from ui.share import OptSpec, Setup
    from viz import figures as F
    import surfaces

    names = ["gd", "momentum", "rmsprop", "adam", "nesterov", "adagrad", "adamw", "radam"]
    lrs = [1e-2, 1e-2, 1e-2, 0.1, 1e-3, 0.5, 0.05, 0.05]
    if n_opts == 4 and steps == 300:
        setup = Setup()
    else:
        setup = Setup(steps=steps, opts=tuple(OptSpec.make(names[i], lr=lrs[i]) for i in range(n_opts)))
    s = surfaces.get(setup.surface)
    start = s.start
    t0 = time.perf_counter()
    results = [runs.run_records(setup.surface, o.name, o.params, start, setup.steps, setup.convention,
                                           setup.schedule, setup.schedule_args, setup.noise, setup.seed, setup.clip,
                                           setup.device) for o in setup.opts]
    t_run = time.perf_counter() - t0
    tracks = [F.Track(o.label, F.PALETTE[i], r["path"], r["diverged_at"], r["loss"]) for i, (o, r) in
              enumerate(zip(setup.opts, results))]
    series = [F.Series(o.label, F.PALETTE[i], r["loss"], r["grad_norm"], r["lr"], runs.step_size(r), r["m"])
              for i, (o, r) in enumerate(zip(setup.opts, results))]
    t0 = time.perf_counter()
    m = F.map_figure(s, tracks, start=start)
    linked = F.linked_figure(series)
    t_build = time.perf_counter() - t0
    out = {"map": sent_bytes(m), "linked": sent_bytes(linked), "3d": sent_bytes(F.surface3d_figure(s, tracks)),
           "frames": len(m.frames), "run_s": t_run, "build_s": t_build}
    lines = [(o.label, F.PALETTE[i], r["lr"]) for i, (o, r) in enumerate(zip(setup.opts, results))]
    out["schedule"] = sent_bytes(F.schedule_figure(lines))
    return out


def fmt_ms(xs) -> str:
    xs = sorted(xs)
    p90 = xs[int(0.9 * (len(xs) - 1))]
    return f"median {statistics.median(xs) * 1e3:6.1f} ms   p90 {p90 * 1e3:6.1f} ms   min {xs[0] * 1e3:6.1f} ms"


def main(argv):
    quick = "--quick" in argv
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; torch threads 1\n")
    r = bench_rerun()
    print("Server-side rerun, default scene (4 optimizers x 300 steps on bowl), after warm-up, AppTest wall time")
    print(f"  rerun (n={len(r['rerun'])})                 {fmt_ms(r['rerun'])}    budget <= 150 ms")
    print(f"  η changed to a value seen before (n={len(r['back'])}) {fmt_ms(r['back'])}\n")
    scenes = [(4, 300)] + ([] if quick else [(8, 100_000)])
    print(f"{'scene':<28}{'map (animated)':>16}{'linked plots':>14}{'3-D view':>11}{'schedule':>10}{'frames':>8}"
          f"{'runs':>9}{'figures':>9}")
    for n, steps in scenes:
        z = scene_sizes(n, steps)
        budget = 1_000_000 if steps == 300 else 3_000_000
        print(f"{f'{n} optimizers x {steps:,} steps':<28}{z['map'] / 1e6:>13.3f} MB{z['linked'] / 1e6:>11.3f} MB"
              f"{z['3d'] / 1e6:>8.3f} MB{z['schedule'] / 1e6:>7.3f} MB{z['frames']:>8}{z['run_s']:>8.1f}s"
              f"{z['build_s']:>8.2f}s   map budget <= {budget / 1e6:g} MB: {'ok' if z['map'] <= budget else 'OVER'}")


if __name__ == "__main__":
    main(sys.argv[1:])
