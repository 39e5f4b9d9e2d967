import os
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# the oracle (torch.optim) keeps its step counters in the default dtype: float64 for exactness
torch.set_default_dtype(torch.float64)

# .streamlit/config.toml hides error details from visitors; tests want the messages
from streamlit import config as _st_config  # noqa: E402

_st_config.set_option("client.showErrorDetails", "full")


@pytest.fixture(scope="session")
def playwright_sync():
    """One Playwright (sync API) for the whole session: a second sync_playwright() while one is
    running fails, so the browser tests (tests/e2e) and the proxy test share this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p
