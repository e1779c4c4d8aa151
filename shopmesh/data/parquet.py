"""Reads parquet columns as plain Python lists through pyarrow (imported lazily: only the clothing data needs it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ParquetUnavailableError(ImportError):
    """pyarrow is missing or cannot load (e.g. a pyarrow built for NumPy 2 beside NumPy 1)."""


def read_parquet_columns(path: Path, columns: list[str] | None = None) -> dict[str, list[Any]]:
    """Reads `columns` (all when None) of a parquet file into lists, nulls as None.

    Raises:
        ParquetUnavailableError: pyarrow cannot be imported; the message says how to fix it.
    """
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ParquetUnavailableError(
            f"reading {path.name} needs pyarrow, which failed to import ({exc}); "
            "install shopmesh's `data` extra (pyarrow < 26 while NumPy is pinned below 2)"
        ) from exc
    table = pq.read_table(path, columns=columns)
    return {name: table.column(name).to_pylist() for name in table.column_names}
