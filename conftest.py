"""pytest runs two workers (``-n 2``) on the course's 2-core machines, each with its notebook kernel:
OpenBLAS threads on top of that oversubscribe the cores and make the small matrix products of the
chapters many times slower. One BLAS thread per process, unless the caller chose otherwise; the
variable is set before any worker or kernel starts, so every child process inherits it."""
import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
