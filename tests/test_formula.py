"""The user-formula language (surfaces/formula.py): whitelisted parsing, limits, errors with
positions, the reference interpreter, and custom surfaces.

Property tests draw 15,000 inputs in all: arbitrary text, text from the formula alphabet, valid
formulas generated as trees (whose value is computed directly from the generated tree, not by the
parser), and valid formulas with a forbidden character inserted.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import io
import math
import os
import subprocess
import tokenize

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import surfaces
from surfaces import formula
from surfaces.formula import FUNCTIONS, MAX_LENGTH, FormulaError, parse, surface_from_formula


# ------------------------------------------------------------------ the reference interpreter (test oracle)
# Written independently of surfaces/expr.py (the production interpreter), straightforwardly.
def interpret(tree: tuple, x, y, xp):
    """f(x, y) for a formula tree on numpy arrays (xp=numpy) or torch tensors (xp=torch; autograd
    works through every operation). Numbers become full arrays of the broadcast shape."""
    op = tree[0]
    if op == "var":
        return x if tree[1] == "x" else y
    if op == "num":
        if xp is np:
            return np.full(np.broadcast(x, y).shape, tree[1])
        shape = xp.broadcast_shapes(x.shape, y.shape)
        return xp.full(shape, tree[1], dtype=x.dtype, device=x.device)
    a = interpret(tree[1], x, y, xp)
    if op == "neg":
        return -a
    if len(tree) == 3:
        b = interpret(tree[2], x, y, xp)
        if op == "add":
            return a + b
        if op == "sub":
            return a - b
        if op == "mul":
            return a * b
        if op == "div":
            return a / b
        if op == "pow":
            return a**b
        if op == "min":
            return xp.minimum(a, b)
        if op == "max":
            return xp.maximum(a, b)
    elif op == "logcosh":  # log cosh z = |z| + log(1 + e^{-2|z|}) - log 2, without overflow
        z = xp.abs(a)
        return z + xp.log1p(xp.exp(-2.0 * z)) - math.log(2.0)
    elif op == "sigmoid":  # 1 / (1 + e^{-z}), written with tanh so it never overflows
        return 0.5 * (1.0 + xp.tanh(a / 2.0))
    elif op in FUNCTIONS:
        return getattr(xp, op)(a)
    raise ValueError(f"not a formula tree: {tree!r}")


def evaluate_numpy(tree: tuple, x, y) -> np.ndarray:
    """f(x, y) as a float64 numpy array of the broadcast shape of x and y (NaN/inf where undefined)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.asarray(interpret(tree, x, y, np), dtype=np.float64)


PROPERTY = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ "no code runs" sentinel
@contextlib.contextmanager
def no_code_runs():
    """Within the block, eval/exec/compile-to-code/import/open/os.system/subprocess are recorded and
    refused. `compile` stays usable for ast.parse's syntax-tree-only compile."""
    calls = []
    real_compile = builtins.compile

    def refuse(name):
        def f(*args, **kwargs):
            calls.append((name, args))
            raise AssertionError(f"{name} was called with {args!r}")
        return f

    def compile_ast_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            calls.append(("compile", (source,)))
            raise AssertionError(f"compile to code was called on {source!r}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    patches = [(builtins, "compile", compile_ast_only)] + [
        (builtins, n, refuse(n)) for n in ("eval", "exec", "__import__", "open", "input", "breakpoint")
    ] + [(os, n, refuse("os." + n)) for n in ("system", "popen", "remove", "unlink")] + [
        (subprocess, "Popen", refuse("subprocess.Popen"))]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    for obj, name, f in patches:
        setattr(obj, name, f)
    try:
        yield calls
    finally:
        for obj, name, f in saved:
            setattr(obj, name, f)


def parse_guarded(text):
    """parse(text) under the sentinel: returns the tree or the FormulaError; anything else fails."""
    with no_code_runs() as calls:
        try:
            result = parse(text)
        except FormulaError as err:
            result = err
    assert calls == [], f"code ran while parsing {text!r}: {calls}"
    return result


def test_the_sentinel_catches_code_running():
    # The guard must be able to fail: evaluating text, or compiling it to code, is caught.
    for run in (lambda: eval("1 + 1"), lambda: exec("a = 1"), lambda: compile("1", "<s>", "eval"),
                lambda: __import__("os"), lambda: os.system("true")):
        with pytest.raises(AssertionError):
            with no_code_runs() as calls:
                run()
        assert calls
    with no_code_runs() as calls:  # ...while ast.parse itself is allowed
        ast.parse("x + 1", mode="eval")
    assert calls == []


def assert_tree(tree, depth=0):
    """A well-formed tree in the documented format (and not deeper than the walk allows)."""
    assert depth <= formula.MAX_NODES
    assert isinstance(tree, tuple)
    op = tree[0]
    if op == "num":
        assert len(tree) == 2 and type(tree[1]) is float and math.isfinite(tree[1])
    elif op == "var":
        assert tree in (("var", "x"), ("var", "y"))
    elif op in ("add", "sub", "mul", "div", "pow", "min", "max"):
        assert len(tree) == 3
        assert_tree(tree[1], depth + 1)
        assert_tree(tree[2], depth + 1)
    else:
        assert op == "neg" or FUNCTIONS.get(op) == 1, op
        assert len(tree) == 2
        assert_tree(tree[1], depth + 1)


# ------------------------------------------------------------------ parsing, by example
X, Yv = ("var", "x"), ("var", "y")


def num(v):
    return ("num", float(v))


@pytest.mark.parametrize("text, tree", [
    ("x", X),
    ("  y ", Yv),
    ("2.5", num(2.5)),
    ("1e-3", num(0.001)),
    ("pi", num(math.pi)),
    ("e", num(math.e)),
    ("x + y", ("add", X, Yv)),
    ("x - y - 1", ("sub", ("sub", X, Yv), num(1))),            # left-associative
    ("x / y * 2", ("mul", ("div", X, Yv), num(2))),
    ("x ** y ** 2", ("pow", X, ("pow", Yv, num(2)))),          # right-associative
    ("-x**2", ("neg", ("pow", X, num(2)))),                    # ** binds tighter than unary minus
    ("(-x)**2", ("pow", ("neg", X), num(2))),
    ("x**-2", ("pow", X, ("neg", num(2)))),
    ("+x", X),                                                 # unary plus disappears
    ("--x", ("neg", ("neg", X))),
    ("2*x + 3*y", ("add", ("mul", num(2), X), ("mul", num(3), Yv))),
    ("2*(x + 3)", ("mul", num(2), ("add", X, num(3)))),
    ("sin(x) + cos(y)", ("add", ("sin", X), ("cos", Yv))),
    ("min(x, y**2)", ("min", X, ("pow", Yv, num(2)))),
    ("max(x, -y)", ("max", X, ("neg", Yv))),
    ("logcosh(x) * sigmoid(y)", ("mul", ("logcosh", X), ("sigmoid", Yv))),
    ("sqrt(abs(x)) / exp(log(tanh(sinh(cosh(tan(y))))))",
     ("div", ("sqrt", ("abs", X)), ("exp", ("log", ("tanh", ("sinh", ("cosh", ("tan", Yv)))))))),
    ("x\n+ y", ("add", X, Yv)),                                # pasted line breaks are white space
    ("2\u00b7x \u2212 y\u00d73", ("sub", ("mul", num(2), X), ("mul", Yv, num(3)))),  # typographic · − ×
    ("x**10 + x**-10 + x**(1/2)", ("add", ("add", ("pow", X, num(10)), ("pow", X, ("neg", num(10)))),
                                   ("pow", X, ("div", num(1), num(2))))),
    ("x**(y*100)", ("pow", X, ("mul", Yv, num(100)))),          # an exponent with x or y is not limited
])
def test_valid_formulas_parse_to_the_documented_tree(text, tree):
    assert parse_guarded(text) == tree


def test_public_constants():
    assert FUNCTIONS == {"sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "sqrt": 1, "abs": 1, "tanh": 1,
                         "sinh": 1, "cosh": 1, "min": 2, "max": 2, "logcosh": 1, "sigmoid": 1}
    assert MAX_LENGTH == 200
    assert issubclass(FormulaError, ValueError)
    assert surfaces.FormulaError is FormulaError


def test_functions_match_the_tree_evaluator_of_surfaces_expr():
    from surfaces import expr

    assert set(FUNCTIONS) == set(expr.UNARY) | {"min", "max"}


# ------------------------------------------------------------------ sandbox escapes
ESCAPES = [
    "__import__('os').system('id')",
    "__import__('os').system('touch SENTINEL')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "x.__class__.__mro__",
    "sin.__globals__",
    "(lambda: 1)()",
    "lambda: 1",
    "[c for c in ()]",
    "(c for c in ())",
    "{}",
    "{1: 2}",
    "{x}",
    "[x]",
    "'a'*9",
    "b'a'",
    "9**9**9",
    "2**10000",
    "x**1e6",
    "x**(10**10)",
    "(1e300)**x**100",
    "x**-11",
    "x**11",
    "x**nan",
    "1e999",
    "1" * 400,
    "(" * 5000 + "x" + ")" * 5000,
    "-" * 10000 + "x",
    "sin(" * 3000 + "x" + ")" * 3000,
    "(" * 99 + "x" + ")" * 99 + "+" + "-" * 80 + "y",
    "open('/etc/passwd')",
    "open('SENTINEL', 'w')",
    "exec('1')",
    "exec(\"open('SENTINEL', 'w')\")",
    "eval('1')",
    "compile('1', '', 'eval')",
    "globals()",
    "locals()",
    "vars()",
    "getattr(x, 'real')",
    "breakpoint()",
    "input()",
    "help()",
    "x if y else 1",
    "x.real",
    "(1).real",
    "y[0]",
    "f\"{x}\"",
    "f'{__import__(\"os\").system(\"id\")}'",
    "(x:=1)",
    "sin(x, y)",
    "min(x)",
    "max(x, y, 1)",
    "sin()",
    "sin(x=1)",
    "min(x, b=y)",
    "sin(*x)",
    "*x",
    "**x",
    "x; y",
    "x\ny",
    "import os",
    "from os import system",
    "os.system('id')",
    "x" * 10000,
    "\x00",
    "x\x00",
    "x == y",
    "x < y",
    "x and y",
    "not x",
    "~x",
    "x // y",
    "x % y",
    "x @ y",
    "x ^ y",
    "x | y",
    "x << 2",
    "True",
    "None",
    "...",
    "1j",
    "0x1f",
    "x, y",
    "(x, y)",
    "sin",
    "sin(x)(y)",
    "__builtins__",
    "__debug__",
    "_",
    "self",
    "await x",
    "yield x",
    "x # comment",
    "\\",
    "$x",
    "`x`",
    "\ufeffx",            # byte-order mark
    "\U0001d465",        # mathematical italic x: Python would read it as 'x' (NFKC); we do not
    "\uff3f\uff3fimport\uff3f\uff3f('os')",  # full-width underscores would become __import__
    "ｓｉｎ(x)",
    "",
    "   ",
    "x +",
    "sin(",
    "x)",
    "2x",
]


@pytest.mark.parametrize("text", ESCAPES, ids=lambda t: ascii(t)[:40])
def test_escapes_and_invalid_input_are_rejected_without_running_code(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an escape that ran would create ./SENTINEL here
    err = parse_guarded(text)
    assert isinstance(err, FormulaError), f"{text!r} was accepted as {err!r}"
    assert err.position is None or 0 <= err.position <= len(text)
    assert err.reason and err.reason in str(err)
    assert list(tmp_path.iterdir()) == []


# The same escapes given straight to the tree walk, skipping the character and word checks that
# run first: the walk is a whitelist on its own.
WALK_ONLY = [
    "__import__('os').system('id')", "().__class__.__bases__[0].__subclasses__()", "x.__class__",
    "(lambda: 1)()", "[c for c in ()]", "{}", "{x}", "[x]", "'a'*9", "b'a'", "f'{x}'", "(x:=1)",
    "x if y else 1", "x.real", "y[0]", "globals()", "open('/etc/passwd')", "exec('1')", "eval('1')",
    "sin(x=1)", "sin(*x)", "min(x)", "sin(x, y)", "x < y", "x and y", "not x", "~x", "x // y",
    "x % y", "x @ y", "x ^ y", "x | y", "x & y", "x >> y", "True", "None", "...", "1j", "0x1f",
    "x, y", "sin", "sin(x)(y)", "sin.__call__(x)", "z", "X", "_", "__builtins__",
    "9**9**9", "2**10000", "x**1e6", "1e999", "x[1:2]", "(c for c in x)", "{c: 1 for c in x}",
    "sin(*[x])", "max(**{})", "-" * 150 + "x", "x" + "+x" * 70,
]


@pytest.mark.parametrize("src", WALK_ONLY, ids=lambda t: ascii(t)[:40])
def test_the_tree_walk_alone_rejects_everything_outside_the_whitelist(src):
    body = ast.parse(src, mode="eval").body
    with no_code_runs() as calls:
        with pytest.raises(FormulaError) as info:
            formula._Walk(src).convert(body, 1)
    assert calls == []
    assert 0 <= info.value.position <= len(src)


# ------------------------------------------------------------------ limits and messages
def test_length_limit_is_exact():
    ok = "x +" + " " * (MAX_LENGTH - 4) + "y"       # 200 characters
    assert len(ok) == MAX_LENGTH and parse_guarded(ok)[0] == "add"
    err = parse_guarded(ok + "1")
    assert isinstance(err, FormulaError) and err.position == MAX_LENGTH and "201" in str(err)


def test_depth_limit_counts_nesting_not_chains():
    assert parse_guarded("-" * (formula.MAX_DEPTH - 1) + "x")[0] == "neg"
    err = parse_guarded("-" * formula.MAX_DEPTH + "x")
    assert isinstance(err, FormulaError) and "nested" in err.reason and err.position == formula.MAX_DEPTH
    err = parse_guarded("sin(" * 21 + "x" + ")" * 21)
    assert isinstance(err, FormulaError) and "nested" in err.reason
    # A long flat sum or product is one level of nesting, however many terms it has.
    assert parse_guarded(" + ".join(["x", "y"] * 25))[0] == "add"
    assert parse_guarded("*".join(["x", "y", "2"] * 13) + "/x")[0] == "div"


def test_node_limit():
    err = parse_guarded("+".join(["x"] * (formula.MAX_NODES // 2 + 1)))
    assert isinstance(err, FormulaError) and "too many parts" in err.reason


@pytest.mark.parametrize("text, ok", [
    ("x**10", True), ("x**-10", True), ("x**10.0", True), ("x**(5*2)", True), ("x**0.5", True),
    ("x**10.5", False), ("x**-10.001", False), ("x**(5*3)", False), ("2**2**2**2", False),
    ("x**(1/0)", False), ("x**log(0)", False), ("x**sqrt(-1)", False),
])
def test_constant_exponent_limit(text, ok):
    result = parse_guarded(text)
    if ok:
        assert result[0] == "pow"
    else:
        assert isinstance(result, FormulaError) and "exponent" in result.reason
        assert result.position == text.index("**")


@pytest.mark.parametrize("text, position, words", [
    ("x^2", 1, "**"),
    ("x + import", 4, "'import' is not allowed"),
    ("x**2 + foo(y)", 7, "'foo'"),
    ("X + y", 0, "case-sensitive"),
    ("3*xy", 2, "x*y"),
    ("ln(x)", 0, "log"),
    ("2x + y", 1, "2*x"),
    ("x + 3sin(y)", 5, "2*x"),
    ("1if x else 2", 1, "2*x"),
    ("sin(x + y", 3, "never closed"),
    ("x + y)", 5, "no matching"),
    ("x + ", 3, "ends too early"),
    ("x + y ==", 6, "'='"),
    ("sin(x, y)", 0, "sin takes 1 argument"),
    ("min(x)", 0, "min takes 2 arguments"),
    ("sin + x", 0, "sin is a function"),
    ("x.real", 1, "attribute"),
    ("y[0]", 1, "parentheses"),
    ("x // 2", 2, "'//'"),
    ("x**2 + 1e400", 7, "too large"),
    ("'a'", 0, "quotes"),
    ("x\u00b2", 1, "x**2"),
    ("__import__('os')", 0, "'__import__' is not allowed"),   # the leftmost problem is reported
    ("x + \u00e9", 4, "'\u00e9' (U+00E9) is not allowed"),
    ("x + \x00", 4, "'\\x00'"),
])
def test_messages_point_at_the_problem(text, position, words):
    err = parse_guarded(text)
    assert isinstance(err, FormulaError)
    assert err.position == position
    assert words in str(err)
    assert str(err).startswith(f"at character {position + 1}: ")


def test_formula_error_survives_pickling():
    import pickle

    err = pickle.loads(pickle.dumps(parse_guarded("x + y)")))
    assert (type(err), err.position, err.reason, str(err)) == (
        FormulaError, 5, "this ')' has no matching '('", "at character 6: this ')' has no matching '('")


def test_non_text_input():
    for bad in (None, 3, b"x", ["x"]):
        with pytest.raises(FormulaError):
            parse(bad)


# ------------------------------------------------------------------ property tests
TEXT_EXAMPLES, ALPHABET_EXAMPLES, VALID_EXAMPLES, POSITION_EXAMPLES = 5000, 3000, 4000, 3000
assert TEXT_EXAMPLES + ALPHABET_EXAMPLES + VALID_EXAMPLES + POSITION_EXAMPLES >= 10_000


def _check_arbitrary(text):
    result = parse_guarded(text)
    if isinstance(result, FormulaError):
        assert result.position is None or 0 <= result.position <= len(text)
        assert str(result)
    else:
        assert_tree(result)


@settings(max_examples=TEXT_EXAMPLES, **PROPERTY)
@given(st.text(max_size=300) | st.text(st.characters(codec="utf-8"), max_size=60))
def test_arbitrary_text_gives_a_tree_or_a_formula_error(text):
    _check_arbitrary(text)


FORMULA_WORDS = ["x", "y", "pi", "e", "sin", "min", "max", "logcosh", "(", ")", ",", "+", "-", "*", "/",
                 "**", ".", "1", "0", "9", "e5", " ", "__", "import", "lambda", ":", "[", "]", "'", "=",
                 "if", "else", "for", "in", "^", "\n", "\u2212", "_class_", "1e308", "1e309"]


@settings(max_examples=ALPHABET_EXAMPLES, **PROPERTY)
@given(st.lists(st.sampled_from(FORMULA_WORDS), max_size=60).map("".join))
def test_formula_like_text_gives_a_tree_or_a_formula_error(text):
    _check_arbitrary(text)


# Valid formulas, generated as trees and rendered to text with the fewest parentheses Python's
# precedence allows (plus some redundant ones and random spacing). The expected value is computed
# directly from the generated tree with numpy, on this grid:
GX, GY = np.meshgrid(np.array([-7.5, -2.0, -1.0, -0.5, 0.0, 0.25, 1.0, 3.0]),
                     np.array([-3.0, -0.5, 0.0, 0.5, 1.5, 4.0]))
ATOM, POW, NEG, MUL, ADD = 9, 4, 3, 2, 1  # precedence of the outermost operation of a rendered text


class Gen:
    """A generated formula: its text, its value on the grid, its precedence, whether it has x or y."""

    def __init__(self, text, value, level, has_var):
        self.text, self.value, self.level, self.has_var = text, value, level, has_var


def _full(v):
    return np.full(GX.shape, float(v))


def _logcosh(a):
    z = np.abs(a)
    return z + np.log1p(np.exp(-2.0 * z)) - np.log(2.0)


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(a / 2.0))


NUMPY_FN = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
            "abs": np.abs, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "logcosh": _logcosh,
            "sigmoid": _sigmoid}
BINARY = {"+": (ADD, np.add), "-": (ADD, np.subtract), "*": (MUL, np.multiply), "/": (MUL, np.divide)}

numbers = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e6, allow_nan=False).map(repr),
    st.floats(0, 1e300, allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0.5", "1e-3", "2.", ".25", "1_000", "3e+2", "0"]),
)


# strategies built once (building them per draw dominates the run time)
SPACES, TENTHS, QUARTERS = st.sampled_from(["", "", " "]), st.integers(0, 9), st.integers(0, 3)
LEAVES = st.sampled_from(["x", "y", "pi", "e", "num", "num"])
KINDS = st.sampled_from(["fn", "fn", "neg", "plus", "bin", "bin", "bin", "pow", "minmax"])
FN_NAMES, MINMAX = st.sampled_from(sorted(NUMPY_FN)), st.sampled_from(["min", "max"])
SYMBOLS = st.sampled_from(sorted(BINARY))
SMALL = st.integers(-10, 10)


def formulas(budget=8):
    return _FORMULAS[max(budget, 1)]


@st.composite
def _formulas(draw, budget):
    sp = draw(SPACES)

    def paren(g, needed):
        if needed or draw(TENTHS) == 0:
            return Gen("(" + sp + g.text + sp + ")", g.value, ATOM, g.has_var)
        return g

    if budget <= 1 or draw(QUARTERS) == 0:
        kind = draw(LEAVES)
        if kind in ("x", "y"):
            return Gen(kind, GX.copy() if kind == "x" else GY.copy(), ATOM, True)
        if kind in ("pi", "e"):
            return Gen(kind, _full(getattr(math, kind)), ATOM, False)
        text = draw(numbers)
        return Gen(text, _full(float(text.replace("_", ""))), ATOM, False)
    kind = draw(KINDS)
    a = draw(formulas(budget - 1))
    if kind == "fn":
        name = draw(FN_NAMES)
        return Gen(f"{name}({sp}{a.text}{sp})", NUMPY_FN[name](a.value), ATOM, a.has_var)
    if kind in ("neg", "plus"):
        a = paren(a, a.level < NEG)
        value = -a.value if kind == "neg" else a.value
        return Gen(("-" if kind == "neg" else "+") + a.text, value, NEG, a.has_var)
    b = draw(formulas(budget // 2))
    if kind == "minmax":
        name = draw(MINMAX)
        value = (np.minimum if name == "min" else np.maximum)(a.value, b.value)
        return Gen(f"{name}({a.text},{sp}{b.text})", value, ATOM, a.has_var or b.has_var)
    if kind == "pow":
        if not b.has_var and not (np.isfinite(b.value[0, 0]) and abs(b.value[0, 0]) <= 9.99):
            small = draw(SMALL)
            b = Gen(str(abs(small)), _full(abs(small)), ATOM, False)
            if small < 0:
                b = Gen("-" + b.text, -b.value, NEG, False)
        a, b = paren(a, a.level <= POW), paren(b, b.level < NEG)
        return Gen(f"{a.text}{sp}**{sp}{b.text}", a.value**b.value, POW, a.has_var or b.has_var)
    symbol = draw(SYMBOLS)
    level, op = BINARY[symbol]
    a, b = paren(a, a.level < level), paren(b, b.level <= level)
    return Gen(f"{a.text}{sp}{symbol}{sp}{b.text}", op(a.value, b.value), level, a.has_var or b.has_var)


_FORMULAS = {b: _formulas(b) for b in range(1, 9)}


@settings(max_examples=VALID_EXAMPLES, **PROPERTY)
@given(st.data())
def test_valid_formulas_equal_their_direct_numpy_evaluation(data):
    with np.errstate(all="ignore"):
        g = data.draw(formulas())
    assume(len(g.text) <= MAX_LENGTH)
    tree = parse_guarded(g.text)
    assert not isinstance(tree, FormulaError), f"{g.text!r}: {tree}"
    assert_tree(tree)
    # NaN equals NaN and inf equals inf here; every other value must match to the bit.
    np.testing.assert_array_equal(evaluate_numpy(tree, GX, GY), g.value, err_msg=g.text)


BAD_CHARS = "^$?!;:[]{}'\"=<>%&|~@#`\\\x00\x7f\u00e9\u00b2\U0001d465\u200b"


@settings(max_examples=POSITION_EXAMPLES, **PROPERTY)
@given(st.data())
def test_an_inserted_bad_character_is_reported_where_it_is(data):
    with np.errstate(all="ignore"):
        g = data.draw(formulas(budget=5))
    text = g.text
    assume(len(text) < MAX_LENGTH)
    # insert between tokens (a character inside a word or a number splits it into two)
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    boundaries = sorted({t.start[1] for t in tokens} | {t.end[1] for t in tokens} | {0, len(text)})
    i = data.draw(st.sampled_from([i for i in boundaries if i <= len(text)]))
    ch = data.draw(st.sampled_from(BAD_CHARS))
    bad = text[:i] + ch + text[i:]
    err = parse_guarded(bad)
    assert isinstance(err, FormulaError)
    # The characters before i form a prefix of a valid formula: nothing there can be blamed.
    assert err.position == i, (bad, str(err))


# ------------------------------------------------------------------ the reference interpreter
def test_evaluate_numpy_on_hand_written_values():
    x, y = np.array([0.0, 1.0, -2.0]), np.array([1.0, 0.5, 3.0])
    tree = parse("x**2 + 10*sin(y) - max(x, y) / exp(1)")
    expected = x**2 + 10 * np.sin(y) - np.maximum(x, y) / np.e
    np.testing.assert_allclose(evaluate_numpy(tree, x, y), expected, rtol=1e-15)
    assert evaluate_numpy(parse("log(x)"), x, y)[0] == -np.inf
    assert np.isnan(evaluate_numpy(parse("sqrt(x)"), x, y)[2])
    assert evaluate_numpy(parse("pi"), x, y).shape == (3,)             # constants fill the shape
    np.testing.assert_allclose(evaluate_numpy(parse("logcosh(x)"), x, y), np.log(np.cosh(x)), atol=1e-15)
    np.testing.assert_allclose(evaluate_numpy(parse("sigmoid(x)"), x, y), 1 / (1 + np.exp(-x)), rtol=1e-14)
    assert evaluate_numpy(parse("logcosh(x)"), 1000.0, 0.0) == pytest.approx(1000 - math.log(2))


# ------------------------------------------------------------------ custom surfaces
SMOOTH = [
    ("x**2 + 10*sin(y)", lambda x, y: x**2 + 10 * np.sin(y)),
    ("logcosh(x - 1) + sigmoid(y) * x", lambda x, y: np.log(np.cosh(x - 1)) + x / (1 + np.exp(-y))),
    ("min(x, y)**2 + max(x, 2*y)", lambda x, y: np.minimum(x, y) ** 2 + np.maximum(x, 2 * y)),
    ("sqrt(x**2 + y**2 + 1) * exp(-x/5)", lambda x, y: np.sqrt(x**2 + y**2 + 1) * np.exp(-x / 5)),
    ("abs(x - 1) + tanh(y)**2 - cosh(x/3) + sinh(y/4)",
     lambda x, y: np.abs(x - 1) + np.tanh(y) ** 2 - np.cosh(x / 3) + np.sinh(y / 4)),
    ("(x + 3)**y / log(x + 4) + cos(pi*x) + tan(y/5)",
     lambda x, y: (x + 3) ** y / np.log(x + 4) + np.cos(np.pi * x) + np.tan(y / 5)),
]
POINTS = np.array([[0.3, 0.7], [-1.7, 2.2], [2.9, -1.1], [1.3, -0.4]])


@pytest.mark.parametrize("text, oracle", SMOOTH, ids=[t for t, _ in SMOOTH])
def test_surface_values_and_autograd_gradient(text, oracle):
    s = surface_from_formula(text)
    x, y = POINTS[:, 0], POINTS[:, 1]
    np.testing.assert_allclose(s.numpy(x, y), oracle(x, y), rtol=1e-12)
    value = s(torch.tensor(POINTS)).detach().numpy()
    np.testing.assert_allclose(value, oracle(x, y), rtol=1e-12)
    h = 1e-6
    fd = np.stack([(oracle(x + h, y) - oracle(x - h, y)) / (2 * h),
                   (oracle(x, y + h) - oracle(x, y - h)) / (2 * h)], axis=-1)
    np.testing.assert_allclose(s.grad(POINTS), fd, rtol=1e-6, atol=1e-7)


def test_surface_gradient_of_min_max_abs_takes_the_active_side():
    s = surface_from_formula("min(x, 3*y) + max(-x, y) + abs(x - y)")
    g = s.grad(np.array([[1.0, 2.0], [5.0, 1.0]]))
    # at (1, 2): min picks x, max picks y, |x - y| = y - x
    # at (5, 1): min picks 3y, max picks y, |x - y| = x - y
    np.testing.assert_array_equal(g, [[1 + 0 - 1, 0 + 1 + 1], [0 + 0 + 1, 3 + 1 - 1]])


def test_surface_from_formula_keeps_the_text_and_describes_itself():
    text = "  x**2 +  y**2 "
    s = surface_from_formula(text)
    assert s.name == "f:" + text
    assert s.description == "Custom: f(x, y) = " + text
    assert s.tree == parse(text)
    assert s.latex == "f(x,y)=x^{2} + y^{2}"
    assert s.log_scale is True
    assert s.minima == ()
    assert s.bounds == ((-5.0, 5.0), (-5.0, 5.0))
    assert s.start == (-2.5, 2.5)
    assert surfaces.get("f:" + text) == s                       # equal texts give equal surfaces
    assert surfaces.get("f:x - y").log_scale is False
    assert surfaces.get("f:x - y").name == "f:x - y"


def test_surface_start_is_where_the_function_is_finite():
    s = surface_from_formula("log(x) + y**2")
    assert s.start == (2.5, 2.5)
    assert all(np.isfinite(s.numpy(*p)) and np.isfinite(s.grad(p)).all() for p in s.starts)
    s = surface_from_formula("log(x - 4.9) + log(y - 4.9)", bounds=((-5, 5), (-5, 5)))
    (x, y), = s.starts
    assert x > 4.9 and y > 4.9 and np.isfinite(s.numpy(x, y))


def test_surface_with_other_bounds():
    s = surface_from_formula("x*y", bounds=((0, 2), (-1, 1)))
    assert s.bounds == ((0.0, 2.0), (-1.0, 1.0))
    assert s.start == (0.5, 0.5)
    xs, ys, Z = s.grid(5)
    np.testing.assert_allclose(Z, np.outer(ys, xs))
    with pytest.raises(ValueError):
        surface_from_formula("x", bounds=((1, 0), (0, 1)))


@pytest.mark.parametrize("text", ["log(-1-x**2)", "sqrt(-1 - y**2)", "1/(x - x)", "log(0*x)"])
def test_a_formula_not_finite_anywhere_in_the_view_is_refused(text):
    with pytest.raises(FormulaError) as info:
        surface_from_formula(text)
    msg = str(info.value)
    assert "not finite anywhere in the view" in msg and text in msg
    assert info.value.position is None


def test_surfaces_get_reports_formula_errors():
    with pytest.raises(surfaces.FormulaError) as info:
        surfaces.get("f:x^2")
    assert info.value.position == 1
    with pytest.raises(ValueError):  # a FormulaError is a ValueError, for callers that catch those
        surfaces.get("f:__import__('os')")


def test_torch_interpretation_is_differentiable_on_every_function():
    p = torch.tensor([[0.4, 0.3]], requires_grad=True)
    for name, arity in FUNCTIONS.items():
        text = f"{name}(x + 1)" if arity == 1 else f"{name}(x, 2*y)"
        s = surface_from_formula(text)
        (g,) = torch.autograd.grad(s(p).sum(), p)
        assert torch.isfinite(g).all() and g.abs().sum() > 0, name


def test_formula_trees_evaluate_the_same_in_surfaces_expr():
    from surfaces import expr

    for text, _ in SMOOTH:
        tree = parse(text)
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(expr.evaluate(tree, GX, GY, np), evaluate_numpy(tree, GX, GY),
                                       rtol=1e-12, equal_nan=True, err_msg=text)
