import matplotlib
from hypothesis import settings

matplotlib.use("Agg")

# Mutation testing (pyproject.toml, [tool.mutmut]) needs the same examples on every run.
settings.register_profile("mutation", derandomize=True, database=None)
