"""What an optimizer remembers, measured: the bytes of its state per parameter."""
import numpy as np

from descent.optim.optimizer import Optimizer


def state_bytes_per_parameter(optimizer: Optimizer) -> float:
    """Bytes of array state (moments, buffers, factors, copies) per scalar parameter, measured
    from ``optimizer.state`` after at least one step: Σ nbytes of the state's arrays divided by
    the number of scalars in the optimizer's parameters. Python numbers kept per parameter (a step
    count, ASGD's η and μ) and per group (Prodigy's d) are a few bytes per array and not counted.

    For float64 parameters: SGD 0 (8 with momentum), Adam 16, Lion 8, Muon 8; Adafactor keeps
    n + m numbers for an n×m matrix, 8(n + m)/(nm) bytes per parameter, and Adam's 8 for vectors.
    """
    params = [p for group in optimizer.param_groups for p in group["params"]]
    count = sum(p.data.size for p in params)
    stored = sum(value.nbytes for state in optimizer.state.values() for value in state.values()
                 if isinstance(value, np.ndarray))
    return stored / count
