import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# the oracle (torch.optim) keeps its step counters in the default dtype: float64 for exactness
torch.set_default_dtype(torch.float64)
