"""surfaces/ and optimizers/ are a pure library: no Streamlit in them (STYLE.md). The figure builders
(viz/) and the tour's scenes (tour/) keep out of Streamlit too: pages import them, not the reverse."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("surfaces", "optimizers", "viz", "tour")
FORBIDDEN = ("streamlit",)


def library_files() -> list[Path]:
    files = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))
    assert len(files) >= 12, files  # the packages are there (else this test would pass vacuously)
    return files


def imported_modules(path: Path) -> set[str]:
    """Every module an `import` / `from … import` names, at any depth (also inside functions),
    plus importlib.import_module / __import__ calls with a literal name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def test_the_import_parser_sees_streamlit(tmp_path):
    """The checker itself works: it finds the import forms a page would use."""
    f = tmp_path / "page.py"
    f.write_text("import os\ndef g():\n    import streamlit as st\nfrom streamlit.runtime import x\n"
                 "import importlib\nimportlib.import_module('streamlit')\n")
    found = imported_modules(f)
    assert "streamlit" in found and "streamlit.runtime" in found


@pytest.mark.parametrize("path", library_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_library_file_imports_streamlit(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_importing_the_library_does_not_load_streamlit():
    """In a fresh interpreter: import both packages (and every submodule), then look at sys.modules."""
    mods = sorted({".".join(p.relative_to(ROOT).with_suffix("").parts) for p in library_files()})
    mods = [m[: -len(".__init__")] if m.endswith(".__init__") else m for m in mods]
    mods = [m for m in mods if not m.endswith("__main__")]  # running a CLI is not importing the library
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    importlib.import_module(m)\n"
        "import surfaces, optimizers\n"
        "optimizers.run(surfaces.get('bowl'), 'adam', steps=3, lr=0.1)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit')\n"
        "print('LOADED', bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "LOADED []" in out.stdout
