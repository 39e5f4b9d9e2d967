"""Make numba's on-disk cache of a kernel depend on the other files whose code it compiles in.

numba keys a cached function on its own source file only (its timestamp and size; nothing of the
functions it calls). The interpreter in surfaces/expr.py compiles in surfaces/vmath.py's math, and
the engine's kernel in optimizers/fast.py compiles in both: after a change to either, a checkout
that keeps its __pycache__ would load the old machine code (and, say, read a program's opcodes by
the old numbering) until the kernel's own file changed. `depends_on` adds a digest of those files'
contents to the key.
"""
from __future__ import annotations

import hashlib
import pathlib


def depends_on(dispatchers, *modules) -> None:
    """Add the contents of `modules`' source files to the on-disk cache key of each numba
    dispatcher in `dispatchers` (made with cache=True)."""
    digest = hashlib.sha256(b"".join(pathlib.Path(m.__file__).read_bytes() for m in modules)).hexdigest()
    for d in dispatchers:
        # numba.core.caching.IndexDataCacheFile (numba is pinned in requirements.txt): an index whose
        # stored stamp differs from this one is ignored, and overwritten by the next compilation
        index = d._cache._cache_file
        index._source_stamp = (index._source_stamp, digest)
