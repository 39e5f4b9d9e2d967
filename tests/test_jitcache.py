"""numba's on-disk cache must not serve machine code compiled from an older version of a file the
kernel compiles in (surfaces/jitcache.py)."""
import hashlib
import os
import pathlib
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[1]

KERNEL = textwrap.dedent("""
    import sys
    import numba
    import dep
    from surfaces import jitcache

    @numba.njit(cache=True)
    def f(x):
        return dep.g(x)

    if sys.argv[1] == "yes":
        jitcache.depends_on([f], dep)
    print(f(1.0))
""")


def _run(tmp_path, depends):
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}", NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, str(tmp_path / "kernel.py"), depends], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return float(out.stdout.strip())


def test_a_change_in_a_compiled_in_file_recompiles_the_kernel(tmp_path):
    (tmp_path / "kernel.py").write_text(KERNEL)
    for depends, stale in (("no", True), ("yes", False)):
        (tmp_path / "dep.py").write_text("import numba\n\n@numba.njit\ndef g(x):\n    return x + 1.0\n")
        assert _run(tmp_path, depends) == 2.0
        (tmp_path / "dep.py").write_text("import numba\n\n@numba.njit\ndef g(x):\n    return x + 2.0\n")
        # without depends_on numba serves the cached f (its own file did not change): the bug
        assert _run(tmp_path, depends) == (2.0 if stale else 3.0)


def test_the_engine_kernels_carry_the_digest_of_what_they_compile_in():
    from optimizers import fast
    from surfaces import expr, vmath

    def digest(*files):
        return hashlib.sha256(b"".join(pathlib.Path(f.__file__).read_bytes() for f in files)).hexdigest()

    for d in (fast._kernel, fast._lanes):
        assert d._cache._cache_file._source_stamp[1] == digest(expr, vmath)
    assert expr.values_and_grads._cache._cache_file._source_stamp[1] == digest(vmath)
