"""The command line: `python -m optimizers` prints a trajectory; bad options fail in one line with exit code 2."""
import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import optimizers
from optimizers.__main__ import main, parser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, capsys):
    code = main(list(args))
    return code, capsys.readouterr()


def test_json_matches_the_library(capsys):
    code, out = cli("--surface", "bowl", "--optimizer", "adam", "--lr", "0.1", "--steps", "50", "--start", "-8", "1",
                    "--schedule", "step", "--schedule-args", "step_size=10,gamma=0.5", capsys=capsys)
    assert code == 0
    data = json.loads(out.out)
    t = optimizers.run("bowl", "adam", steps=50, start=(-8.0, 1.0), lr=0.1, schedule="step",
                       schedule_args={"step_size": 10, "gamma": 0.5})
    np.testing.assert_array_equal(np.array(data["path"]), t.path)
    np.testing.assert_array_equal(np.array(data["lr"]), t.lr)
    assert data["lr"][10] == 0.05 and data["diverged_at"] is None
    assert set(data) >= {"path", "loss", "lr", "step_size", "diverged_at"}


def test_csv_and_divergence(capsys):
    code, out = cli("--optimizer", "gd", "--lr", "10", "--steps", "5", "--format", "csv", capsys=capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.out)))
    assert len(rows) == 6 and rows[0]["diverged_at"] == "1"
    assert rows[-1]["x"] == rows[0]["x"]  # frozen at the last finite point


def test_json_writes_nan_and_both_infinities_as_null(capsys):
    """log(x² + y²) at the origin is −inf: the output is still JSON (which has no inf), with null."""
    code, out = cli("--surface", "f:log(x**2+y**2)", "--start", "0", "0", "--steps", "2", "--backend", "eager",
                    capsys=capsys)
    assert code == 0
    data = json.loads(out.out)
    assert data["loss"][0] is None and data["diverged_at"] == 1 and data["path"][0] == [0.0, 0.0]


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_a_constant_formula_runs_on_both_backends(backend, capsys):
    code, out = cli("--surface", "f:sin(1)", "--steps", "3", "--backend", backend, capsys=capsys)
    assert code == 0
    data = json.loads(out.out)
    assert data["loss"] == [pytest.approx(0.8414709848078965)] * 4 and data["diverged_at"] is None


def test_lecture_convention_and_formula_surface(capsys):
    code, out = cli("--surface", "f:x**2+3*y**2", "--optimizer", "adagrad", "--convention", "lecture",
                    "--lr", "0.1", "--steps", "20", "--start", "1", "1", capsys=capsys)
    assert code == 0
    data = json.loads(out.out)
    t = optimizers.run("f:x**2+3*y**2", "adagrad", steps=20, start=(1.0, 1.0), lr=0.1, convention="lecture")
    np.testing.assert_allclose(np.array(data["path"]), t.path)
    assert data["convention"] == "lecture"


@pytest.mark.parametrize("args,fragment", [
    (["--optimizer", "adam", "--betas", "1.2", "0.9"], "beta1"),
    (["--optimizer", "sgd"], "invalid choice"),
    (["--steps", "0"], "steps"),
    (["--lr", "-1"], "lr"),
    (["--optimizer", "gd", "--alpha", "0.5"], "--alpha"),
    (["--schedule", "step", "--schedule-args", "step_size=abc"], "step_size"),
    (["--schedule", "step", "--schedule-args", "bogus=1"], "bogus"),
    (["--surface", "nowhere"], "Unknown surface"),
    (["--surface", "f:__import__('os')"], "not allowed"),
    (["--device", "cuda"], "cuda"),
    (["--bogus"], "unrecognized"),
])
def test_bad_options_one_line_exit_2(args, fragment, capsys):
    if "cuda" in args and __import__("torch").cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment.lower() in err.lower(), err


def test_help_documents_every_option():
    text = parser().format_help()
    for opt in ("--surface", "--optimizer", "--lr", "--steps", "--start", "--convention", "--schedule",
                "--schedule-args", "--device", "--format", "--momentum", "--betas", "--eps", "--alpha",
                "--weight-decay", "--noise", "--seed", "--max-norm", "--backend"):
        assert opt in text
    for action in parser()._actions:
        assert action.help, action.dest


def test_runs_as_a_module():
    r = subprocess.run([sys.executable, "-m", "optimizers", "--steps", "3", "--optimizer", "momentum", "--lr", "0.01"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["path"]) == 4
