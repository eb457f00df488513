"""Row batches sized by scikit-learn's ``working_memory`` setting."""

from sklearn import get_config


def rows_per_chunk(bytes_per_row, n_rows):
    """How many rows fit in ``working_memory`` MiB (at least one, at most n_rows)."""
    budget = get_config()["working_memory"] * 2**20
    return int(max(1, min(n_rows, budget // max(int(bytes_per_row), 1))))


def row_batches(bytes_per_row, n_rows):
    """Slices covering ``range(n_rows)`` in chunks that fit ``working_memory``."""
    step = rows_per_chunk(bytes_per_row, n_rows)
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]
