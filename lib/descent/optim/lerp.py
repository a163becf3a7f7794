"""Linear interpolation computed as torch.lerp computes it, so that trajectories agree to rounding."""
import numpy as np

from descent._types import Array, ArrayLike


def lerp(start: ArrayLike, end: ArrayLike, weight: float, out: Array | None = None) -> Array:
    """start + w(end − start), evaluated as torch does: from ``start`` for |w| < ½, else as
    end − (1 − w)(end − start), so that w = 1 gives ``end`` exactly. ``out`` may be ``start``."""
    difference = np.subtract(end, start)
    if abs(weight) < 0.5:
        difference *= weight
        return np.add(start, difference, out=out)
    difference *= 1 - weight
    return np.subtract(end, difference, out=out)
