"""Spark columns (as pandas batches) converted as Persona converts its own input:
numbers for numeric columns, the category's text for categorical ones, yes/no for
boolean ones (true/false, and integers 0/1, included)."""
import math
from decimal import Decimal

import numpy as np
import pandas as pd

from .model import ModelError


def _is_missing(v):
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def to_float(values, column):
    """A numeric input: float32 [N,1], NaN for missing. Numbers written as text
    are parsed by Spark before the batch (`score_dataframe`), so a batch holds
    numbers, booleans or decimals here."""
    try:
        as_double = values.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as e:
        raise ModelError(f"column {column!r}: {e}; the model reads {column} as a number") from None
    return as_double.astype(np.float32).reshape(-1, 1)


def _number_text(v):
    f = float(v)
    if math.isfinite(f) and f == int(f) and abs(f) < 1e15:
        return str(int(f))
    return repr(f)


def to_text(values, column, boolean):
    """A categorical or yes/no input: string [N,1], empty for missing."""
    if pd.api.types.is_bool_dtype(values):
        return np.where(values.to_numpy(dtype=bool), "true", "false").astype(object).reshape(-1, 1)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # the common case, text with NULLs: vectorised
        return values.astype(object).where(values.notna(), "").to_numpy(dtype=object).reshape(-1, 1)
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if _is_missing(v):
            out[i] = ""
        elif isinstance(v, (bool, np.bool_)):
            out[i] = "true" if v else "false"
        elif isinstance(v, (int, np.integer, float, np.floating, Decimal)):
            t = _number_text(v)
            if boolean and t not in ("0", "1"):
                raise ModelError(f"column {column!r}: {v!r} is not a yes/no value; the model reads {column} as yes/no "
                                 "(true/false, yes/no or 1/0)")
            out[i] = t
        else:
            out[i] = str(v)
    return out.reshape(-1, 1)


def feeds(batch, inputs):
    """The ONNX feeds for one pandas batch."""
    out = {}
    for name, kind in inputs:
        col = batch[name]
        out[name] = to_float(col, name) if kind == "numeric" else to_text(col, name, kind == "boolean")
    return out
