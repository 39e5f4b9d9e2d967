"""User formulas "f(x, y) = ..." parsed into a formula tree, safely.

The text is never run: `parse` reads it with `ast.parse` (which only builds a syntax tree) and then
walks that tree through a whitelist — numbers, x, y, pi, e, + - * / **, unary minus and plus,
parentheses, and calls of the functions in `FUNCTIONS` — turning it into plain nested tuples
(the format of surfaces/expr.py):

    ("num", v) | ("var", "x"|"y") | ("neg", a) | ("add"|"sub"|"mul"|"div"|"pow", a, b)
    | (fn, a) for the one-argument functions | ("min"|"max", a, b)

Anything else raises `FormulaError` (a ValueError) with `.position` (0-based character offset into
the text, len(text) meaning "at the end", or None) and `.reason`; its message counts characters
from 1 ("at character 3: ..."). Limits keep every later step small: `MAX_LENGTH` characters,
`MAX_NODES` syntax nodes, `MAX_DEPTH` levels of nesting (a chain a+b-c+... or a*b/c*... counts as
one level), and a constant exponent (one without x or y) at most `MAX_EXPONENT` in size.

    >>> parse("x**2 + 10*sin(y)")
    ('add', ('pow', ('var', 'x'), ('num', 2.0)), ('mul', ('num', 10.0), ('sin', ('var', 'y'))))
"""
from __future__ import annotations

import ast
import keyword
import math
import re

import numpy as np

from . import expr
from .base import Bounds, Surface

FUNCTIONS: dict[str, int] = {
    "sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "sqrt": 1, "abs": 1,
    "tanh": 1, "sinh": 1, "cosh": 1, "min": 2, "max": 2, "logcosh": 1, "sigmoid": 1,
}
VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
MAX_LENGTH = 200
MAX_NODES = 120
MAX_DEPTH = 20
MAX_EXPONENT = 10.0

HINT = "use x, y, pi, e, numbers, + - * / **, and " + " ".join(FUNCTIONS)
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_CHAIN = {"add": "sum", "sub": "sum", "mul": "product", "div": "product"}  # left-assoc chains
# Pasted typography, one character for one, so positions stay those of the typed text.
_TRANSLATE = {"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u00f7": "/"}
_OK_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .+-*/(),_")
_CHAR_REASONS = {
    "^": "'^' is not allowed: write powers with ** (x**2, not x^2)",
    "'": "quotes are not allowed: a formula has no text in it",
    '"': "quotes are not allowed: a formula has no text in it",
    "=": "'=' is not allowed: type only the right-hand side of f(x, y) = ...",
    "<": "comparisons are not allowed", ">": "comparisons are not allowed",
    "!": "'!' is not allowed (comparisons and factorials are not supported)",
    "%": "'%' (remainder) is not allowed",
    "\u00b2": "'\u00b2' is not allowed: write x**2", "\u00b3": "'\u00b3' is not allowed: write x**3",
}
for _c in "[]{}":
    _CHAR_REASONS[_c] = f"'{_c}' is not allowed: group with round parentheses ( )"
# Words: a number (decimal, as Python writes it) and what follows it, or a name that starts a word
# (not the '.real' of an attribute, which the tree walk refuses).
_WORD = re.compile(r"(?P<num>(?<![A-Za-z0-9_.])(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?)"
                   r"(?P<after>[A-Za-z_]?)|(?P<name>(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*)")
_NODE_NAMES = {
    ast.Attribute: "attribute access ('.')", ast.Subscript: "indexing with [ ]",
    ast.Lambda: "'lambda'", ast.IfExp: "'if ... else'", ast.Compare: "comparisons",
    ast.BoolOp: "'and' / 'or'", ast.NamedExpr: "':='", ast.Starred: "'*' unpacking",
    ast.JoinedStr: "f-strings", ast.Tuple: "a list of values (a comma outside a function call)",
    ast.List: "lists", ast.Set: "sets", ast.Dict: "dicts", ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions", ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.Await: "'await'", ast.Yield: "'yield'", ast.YieldFrom: "'yield'", ast.Slice: "slices",
}


class FormulaError(ValueError):
    """A formula that cannot be used: `.position` (0-based offset into the text, or None), `.reason`."""

    def __init__(self, reason: str, position: int | None = None):
        self.reason = reason
        self.position = position
        super().__init__(reason if position is None else f"at character {position + 1}: {reason}")

    def __reduce__(self):  # keep reason and position through pickling (caches, worker processes)
        return (FormulaError, (self.reason, self.position))


def parse(text: str) -> tuple:
    """The formula tree of `text`, or FormulaError (the only exception it raises, for any str)."""
    if not isinstance(text, str):
        raise FormulaError(f"the formula must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; the limit is {MAX_LENGTH}", MAX_LENGTH)
    src, bad_char = _normalise(text)
    bad_name = _check_words(src)
    errors = [e for e in (bad_char, bad_name) if e is not None]
    if errors:  # the leftmost problem
        raise min(errors, key=lambda e: e.position)
    if not src.strip():
        raise FormulaError("the formula is empty: type an expression in x and y, e.g. x**2 + y**2", 0)
    lead = len(src) - len(src.lstrip())  # Python would call leading spaces an indent
    try:
        body = ast.parse(src[lead:], mode="eval").body
    except SyntaxError as err:
        raise _syntax_error(err, src, lead) from None
    except Exception as err:  # RecursionError, MemoryError, ValueError...: the input is pathological
        raise FormulaError(f"the formula cannot be read ({type(err).__name__})", 0) from None
    return _Walk(src, lead).convert(body, 1)


def _normalise(text: str) -> tuple[str, FormulaError | None]:
    """ASCII text of the same length (white space becomes ' '), and the error for the first
    character outside the language (blanked out in the text), if any."""
    out, error = [], None
    for i, ch in enumerate(text):
        ch = _TRANSLATE.get(ch, ch)
        if ch in _OK_CHARS:
            out.append(ch)
            continue
        out.append(" ")
        if ch.isspace() or error is not None:
            continue
        if ch in _CHAR_REASONS:
            error = FormulaError(_CHAR_REASONS[ch], i)
        elif " " < ch < "\x7f":
            error = FormulaError(f"'{ch}' is not allowed ({HINT})", i)
        else:
            shown = f"'{ch}' (U+{ord(ch):04X})" if ch.isprintable() else f"the character {ascii(ch)}"
            error = FormulaError(f"{shown} is not allowed ({HINT})", i)
    return "".join(out), error


def _check_words(src: str) -> FormulaError | None:
    """The error for the first word that is not a number, a variable, a constant or a function
    (keywords too), or for a number run into a name (which Python would also warn about)."""
    for m in _WORD.finditer(src):
        if m.group("num") is not None:
            if m.group("after"):
                return FormulaError("a number runs into a name: put an operator between them (write 2*x, not 2x)",
                                    m.start("after"))
            continue
        name, pos = m.group(), m.start()
        if name in VARIABLES or name in CONSTANTS or name in FUNCTIONS:
            continue
        if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name.startswith("_"):
            return FormulaError(f"'{name}' is not allowed ({HINT})", pos)
        if name.lower() in VARIABLES or name.lower() in CONSTANTS or name.lower() in FUNCTIONS:
            return FormulaError(f"'{name}' is not known; names are case-sensitive: write {name.lower()}", pos)
        if name[0] in VARIABLES and name[1:].isdigit():
            return FormulaError(f"'{name}' is not known: write {name[0]}*{name[1:]} or {name[0]}**{name[1:]}", pos)
        if set(name) <= set("xy"):
            return FormulaError(f"'{name}' is not known: write a product with *, e.g. x*y", pos)
        if name == "ln":
            return FormulaError("'ln' is not known: log is the natural logarithm", pos)
        return FormulaError(f"'{name}' is not a known name or function ({HINT})", pos)
    return None


def _syntax_error(err: SyntaxError, src: str, lead: int) -> FormulaError:
    end = len(src.rstrip())
    pos = lead + err.offset - 1 if err.offset and err.offset > 0 and (err.lineno or 1) <= 1 else end
    pos = min(max(pos, 0), len(src))
    msg = err.msg or "invalid syntax"
    if "decimal literal" in msg or "forgot a comma" in msg:
        reason = "two terms side by side: put an operator between them (write 2*x, not 2x)"
    elif "never closed" in msg:
        reason = "this '(' is never closed"
    elif "unmatched" in msg:
        reason = "this ')' has no matching '('"
    elif pos >= end:
        reason = "the formula ends too early (an operand is missing)"
    else:
        reason = "the formula cannot be read here (" + msg.split(".")[0] + ")"
    return FormulaError(reason, min(pos, len(src)))


class _Walk:
    """Converts a Python syntax tree to a formula tree, accepting only the whitelisted nodes."""

    def __init__(self, src: str, lead: int = 0):
        self.src = src[lead:]  # the text given to ast.parse, whose offsets are `lead` characters short
        self.lead = lead
        self.nodes = 0

    def fail(self, reason: str, node_or_pos) -> FormulaError:
        pos = node_or_pos if isinstance(node_or_pos, int) else getattr(node_or_pos, "col_offset", 0)
        return FormulaError(reason, min(max(pos, 0), len(self.src)) + self.lead)

    def convert(self, node: ast.AST, depth: int) -> tuple:
        # Both limits are checked before recursing, so the walk never goes deeper than MAX_NODES.
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(f"the formula has too many parts (more than {MAX_NODES})", node)
        if depth > MAX_DEPTH:
            raise self.fail(f"the formula is nested too deeply (more than {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            if node.id in VARIABLES:
                return ("var", node.id)
            if node.id in CONSTANTS:
                return ("num", CONSTANTS[node.id])
            if node.id in FUNCTIONS:
                raise self.fail(f"{node.id} is a function: write {node.id}(...)", node)
            raise self.fail(f"'{node.id}' is not allowed ({HINT})", node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return ("neg", self.convert(node.operand, depth + 1))
            raise self.fail(f"this operator is not allowed ({HINT})", node)
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        pos = node
        if isinstance(node, ast.Attribute):
            pos = self.src.find(".", node.value.end_col_offset)
        raise self.fail(f"{what} is not allowed ({HINT})", pos)

    def number(self, node: ast.Constant) -> tuple:
        v = node.value
        if type(v) not in (int, float):
            raise self.fail(f"{type(v).__name__} values are not allowed ({HINT})", node)
        literal = self.src[node.col_offset:node.end_col_offset].lower()
        if any(c.isalpha() and c != "e" for c in literal):
            raise self.fail("write numbers in decimal, like 2, 0.5 or 1e-3", node)
        try:
            v = float(v)
        except OverflowError:
            v = math.inf
        if not math.isfinite(v):
            raise self.fail("this number is too large", node)
        return ("num", v)

    def binop(self, node: ast.BinOp, depth: int) -> tuple:
        op = _BINOPS.get(type(node.op))
        if op is None:
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@"}.get(type(node.op), "")
            pos = self.src.find(symbol, node.left.end_col_offset) if symbol else node.col_offset
            raise self.fail(f"'{symbol or 'this operator'}' is not allowed ({HINT})", pos)
        left = node.left  # the left operand of a chain like a+b-c is at the chain's own level
        left_chain = isinstance(left, ast.BinOp) and _CHAIN.get(_BINOPS.get(type(left.op)), 0) == _CHAIN.get(op)
        a = self.convert(node.left, depth if left_chain else depth + 1)
        b = self.convert(node.right, depth + 1)
        if op == "pow" and not _has_var(b):
            with np.errstate(all="ignore"):
                c = float(_values(b, 0.0, 0.0))
            if not (math.isfinite(c) and abs(c) <= MAX_EXPONENT):
                raise self.fail(
                    f"a constant exponent must be between -{MAX_EXPONENT:g} and {MAX_EXPONENT:g} (this one is {c:g})",
                    self.src.find("**", node.left.end_col_offset))
        return (op, a, b)

    def call(self, node: ast.Call, depth: int) -> tuple:
        f = node.func
        if not isinstance(f, ast.Name) or f.id not in FUNCTIONS:
            name = f"'{f.id}'" if isinstance(f, ast.Name) else "this"
            raise self.fail(f"{name} cannot be called; the functions are {' '.join(FUNCTIONS)}", f)
        if node.keywords:
            raise self.fail(f"{f.id}(...) takes no named arguments", node.keywords[0])
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail(f"'*' unpacking is not allowed ({HINT})", arg)
        n = FUNCTIONS[f.id]
        if len(node.args) != n:
            usage = f"{f.id}(a)" if n == 1 else f"{f.id}(a, b)"
            raise self.fail(
                f"{f.id} takes {n} argument{'s' if n > 1 else ''}: write {usage} (got {len(node.args)})", f)
        return (f.id, *(self.convert(arg, depth + 1) for arg in node.args))


def _has_var(tree: tuple) -> bool:
    if tree[0] == "var":
        return True
    return tree[0] != "num" and any(_has_var(t) for t in tree[1:])


def _values(tree, x, y) -> np.ndarray:
    """The tree on numpy arrays (the production interpreter, surfaces/expr.py), full shape, no warnings."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(expr.evaluate(tree, x, y, np), dtype=np.float64), np.broadcast(x, y).shape)


# ------------------------------------------------------------------ LaTeX
_LEVEL = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_TEX_NAMES = {"logcosh": r"\log\cosh", "sigmoid": r"\mathrm{sigmoid}"}


def to_latex(tree: tuple) -> str:
    """A readable LaTeX rendering that keeps the tree's grouping."""
    op = tree[0]
    if op == "num":
        v = tree[1]
        if v == math.pi:
            return r"\pi"
        if v == math.e:
            return "e"
        s = repr(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"
        if "e" in s:
            mant, ex = s.split("e")
            s = ("" if mant == "1" else mant + r" \cdot ") + "10^{" + str(int(ex)) + "}"
        return s
    if op == "var":
        return tree[1]
    if op == "neg":
        return "-" + _wrap(tree[1], lambda lv: lv <= 3)
    if op in ("add", "sub", "mul"):
        lv = _LEVEL[op]
        sym = {"add": " + ", "sub": " - ", "mul": r" \cdot "}[op]
        return _wrap(tree[1], lambda l: l < lv) + sym + _wrap(tree[2], lambda l: l <= lv or l == 3)
    if op == "div":
        return r"\frac{" + to_latex(tree[1]) + "}{" + to_latex(tree[2]) + "}"
    if op == "pow":
        base = tree[1]
        plain = base[0] == "var" or (base[0] == "num" and base[1] >= 0 and "10^" not in to_latex(base))
        b = to_latex(base) if plain else r"\left(" + to_latex(base) + r"\right)"
        return b + "^{" + to_latex(tree[2]) + "}"
    if op in ("min", "max"):
        return "\\" + op + r"\left(" + to_latex(tree[1]) + ", " + to_latex(tree[2]) + r"\right)"
    if op == "abs":
        return r"\left|" + to_latex(tree[1]) + r"\right|"
    if op == "sqrt":
        return r"\sqrt{" + to_latex(tree[1]) + "}"
    return _TEX_NAMES.get(op, "\\" + op) + r"\left(" + to_latex(tree[1]) + r"\right)"


def _wrap(tree: tuple, needs_parens) -> str:
    s = to_latex(tree)
    return r"\left(" + s + r"\right)" if needs_parens(_LEVEL.get(tree[0], 9)) else s


# ------------------------------------------------------------------ the Surface
def surface_from_formula(text: str, bounds: Bounds = ((-5.0, 5.0), (-5.0, 5.0))) -> Surface:
    """A Surface for the user's formula on the view `bounds`; FormulaError if it cannot be used
    (including a formula that is not finite anywhere on a 64×64 grid of the view)."""
    tree = parse(text)
    (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in bounds)
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or not (x0 < x1 and y0 < y1):
        raise ValueError(f"bounds must be finite with min < max, got {bounds!r}")
    xs, ys = np.linspace(x0, x1, 64), np.linspace(y0, y1, 64)
    X, Y = np.meshgrid(xs, ys)
    Z = _values(tree, X, Y)
    finite = np.isfinite(Z)
    if not finite.any():
        raise FormulaError(
            f"f(x, y) = {text.strip()} is not finite anywhere in the view "
            f"(x from {x0:g} to {x1:g}, y from {y0:g} to {y1:g}): check logs, square roots and divisions")
    quarter = ((x0 + 0.25 * (x1 - x0), y1 - 0.25 * (y1 - y0)), (x1 - 0.25 * (x1 - x0), y1 - 0.25 * (y1 - y0)),
               (x0 + 0.25 * (x1 - x0), y0 + 0.25 * (y1 - y0)), (x1 - 0.25 * (x1 - x0), y0 + 0.25 * (y1 - y0)))
    starts = tuple(p for p in quarter if np.isfinite(_values(tree, *p)))
    if not starts:  # the finite grid point nearest the preferred start
        d = (X - quarter[0][0]) ** 2 + (Y - quarter[0][1]) ** 2
        i = np.unravel_index(np.argmin(np.where(finite, d, np.inf)), d.shape)
        starts = ((float(X[i]), float(Y[i])),)
    return Surface(
        name="f:" + text,
        formula=None,
        bounds=((x0, x1), (y0, y1)),
        starts=starts,
        minima=(),
        description="Custom: f(x, y) = " + text,
        latex="f(x,y)=" + to_latex(tree),
        log_scale=bool(Z[finite].min() >= 0.0),
        tree=tree,
    )
