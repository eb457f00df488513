"""Row batches sized by scikit-learn's ``working_memory`` setting."""

from sklearn import get_config
from sklearn.utils import gen_batches


def row_batches(bytes_per_row, n_rows):
    """Slices covering ``range(n_rows)`` in chunks that fit ``working_memory``.

    At least one row per chunk, however small the budget.
    """
    budget = get_config()["working_memory"] * 2**20
    step = int(max(1, min(n_rows, budget // max(int(bytes_per_row), 1))))
    return list(gen_batches(n_rows, step))
