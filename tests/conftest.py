import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# the oracle (torch.optim) keeps its step counters in the default dtype: float64 for exactness
torch.set_default_dtype(torch.float64)

# .streamlit/config.toml hides error details from visitors; tests want the messages
from streamlit import config as _st_config  # noqa: E402

_st_config.set_option("client.showErrorDetails", "full")
