# Error-surface visualizer: the image schools run (see deploy/README.md).
# In the spirit of https://docs.streamlit.io/deploy/tutorials/docker : slim Python, CPU-only torch,
# no build tools, a non-root user, a HEALTHCHECK on Streamlit's own health endpoint.
#
#   docker build -t surfaces .                                   # CPU torch (default, ~1.6 GB)
#   docker build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 -t surfaces:gpu .
#   docker run -p 8501:8501 surfaces
FROM python:3.11-slim

# Where torch comes from. Default: PyTorch's CPU wheel index (a CUDA build would add ~4 GB of
# libraries a classroom server never uses). A CUDA index (e.g. .../whl/cu128) gives the GPU variant.
# Empty: torch from plain pip (whatever the pip configuration finds, e.g. a local wheel folder).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # One BLAS/OpenMP thread per rerun: 30 students' reruns share the cores instead of each
    # spawning one thread per core and fighting over them.
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 \
    NUMBA_NUM_THREADS=1 \
    # numba's on-disk cache must be writable by the non-root user (the app folder is not).
    NUMBA_CACHE_DIR=/home/app/.cache/numba \
    HOME=/home/app

WORKDIR /app

# torch first (its own index), then the pinned app requirements. torch==2.13.0 in requirements.txt
# is satisfied by 2.13.0+cpu (a local version label), so pip does not fetch torch a second time.
# Then slim it in the same layer (so the bytes really go): C++ test binaries, headers and the
# packages' own test suites (~330 MB) are never used at run time, nor is pyarrow's Flight RPC
# (33 MB); and prove that the app's stack still imports and computes. A non-root user last.
COPY requirements.txt .
RUN set -eux; \
    if [ -n "$TORCH_INDEX_URL" ]; then \
        pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" torch==2.13.0; \
    else \
        pip install --no-cache-dir torch==2.13.0; \
    fi; \
    pip install --no-cache-dir -r requirements.txt; \
    site=$(python -c "import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))"); \
    rm -rf "$site/torch/test" "$site/torch/include" "$site/pyarrow/include" \
           "$site"/pyarrow/libarrow_flight.so* "$site"/pyarrow/_flight*.so; \
    find "$site/torch/bin" -type f ! -name torch_shm_manager -delete; \
    find "$site" -depth -type d -name tests -exec rm -rf {} +; \
    python -c "import numba, numpy, pandas, plotly, pyarrow, streamlit, torch; \
numba.njit(lambda a: a + 1)(1); torch.ones(2, requires_grad=True).sum().backward(); \
print('torch', torch.__version__, 'numba', numba.__version__)"; \
    useradd --create-home --home-dir /home/app --uid 1000 --user-group --shell /usr/sbin/nologin app; \
    mkdir -p "$NUMBA_CACHE_DIR" && chown -R app:app /home/app

# The app itself (see .dockerignore: no .venv, tests, deploy files), owned by root and read-only
# for the app user; byte-compiled now because the app user cannot write __pycache__ there.
COPY . .
RUN python -m compileall -q /app

USER app
# Compile the numba kernels once now, into the app user's cache (NUMBA_CACHE_DIR): otherwise the
# first student on every new replica waits ~15 s for it. Not fatal: without it the app compiles
# on first use, as it does anyway when the host's CPU differs from the build machine's.
RUN python -c "import numpy as np, optimizers; \
optimizers.run('bowl', 'adam', steps=5, backend='numba'); \
optimizers.run('bowl', 'adam', steps=5, start=np.zeros((3, 2)), backend='numba')" \
    || echo "WARNING: numba warm-up failed; each replica compiles on its first run instead"
EXPOSE 8501

# The slim image has no curl: ask Streamlit's health endpoint with Python itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health',timeout=3).read()==b'ok' else 1)"

ENTRYPOINT ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
