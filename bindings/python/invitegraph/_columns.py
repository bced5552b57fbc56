"""Turning user tables (pandas DataFrames or dicts of arrays) into exact-dtype columns.

Every check names the table, the column, the row and the value, so a bad input is
found without a debugger. Nothing here changes any state: the builder only receives
columns that passed.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Optional

import numpy as np
import pandas as pd

from . import _core
from ._errors import ArgumentTypeError, InvalidArgumentError


def _column_dict(obj: Any, table: str) -> dict[str, Any]:
    """Every column of a DataFrame or mapping, by name."""
    if isinstance(obj, pd.DataFrame):
        return {str(c): obj[c] for c in obj.columns}
    if isinstance(obj, Mapping):
        return {str(k): v for k, v in obj.items()}
    raise ArgumentTypeError(f"{table}: expected a pandas DataFrame or a dict of arrays, "
                            f"got {type(obj).__name__}")


def table_columns(obj: Any, table: str, required: tuple[str, ...],
                  optional: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """Column dict of a DataFrame or mapping; checks names and equal lengths."""
    if obj is None:
        return None
    cols = _column_dict(obj, table)
    missing = [c for c in required if c not in cols]
    if missing:
        raise InvalidArgumentError(
            f"{table}: missing column(s) {missing}; required {list(required)}"
            + (f", optional {list(optional)}" if optional else ""))
    known = set(required) | set(optional)
    cols = {k: v for k, v in cols.items() if k in known}
    lengths = {k: len(v) for k, v in cols.items()}
    first = required[0]
    for k, n in lengths.items():
        if n != lengths[first]:
            raise InvalidArgumentError(f"{table}: column '{k}' has {n} rows but '{first}' has "
                                       f"{lengths[first]}")
    return cols


def _not_utf8(text: str) -> bool:
    """True for a str that UTF-8 cannot encode: one holding a lone surrogate
    (``"\\ud800"``, as ``surrogateescape`` decoding leaves behind)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _utf8_error(where: str, text: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{where}={text!r}: not valid Unicode text (a lone surrogate "
                                f"cannot be encoded as UTF-8)")


def check_text(text: str, where: str) -> str:
    """``text`` if UTF-8 can encode it, else InvalidArgumentError naming ``where``."""
    if _not_utf8(text):
        raise _utf8_error(where, text)
    return text


def _default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


@contextmanager
def row_labels(table: Any, name: str) -> Iterator[None]:
    """Adds the index label to the row position of a ``name.column[row]`` error raised
    inside, when ``table`` is a DataFrame whose index is not the default 0..n-1 (after
    filtering or ``set_index``, position and label differ)."""
    try:
        yield
    except InvalidArgumentError as e:
        if not isinstance(table, pd.DataFrame) or _default_index(table.index):
            raise
        m = re.match(rf"{re.escape(name)}\.[^\[\s=]+\[(\d+)\]", str(e))
        if not m or int(m.group(1)) >= len(table.index):
            raise
        label = table.index[int(m.group(1))]
        if isinstance(label, np.generic):  # show 20, not np.int64(20)
            label = label.item()
        raise type(e)(f"{e} (row {m.group(1)} has index label {label!r})") from None


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def int_column(values: Any, table: str, column: str) -> np.ndarray:
    """int64 column under the one rule for integers (``_core.exact_ints``, see
    docs/refusals.md, "Ids and counts: exact integers only"): integers, or floats
    holding an integer below 2^53 in magnitude; missing values, fractions, bools,
    strings and non-numeric dtypes are refused at their row."""
    if isinstance(values, pd.Series):
        if values.isna().any():
            row = _first_bad(values.isna().to_numpy())
            raise InvalidArgumentError(
                f"{table}.{column}[{row}]={values.iloc[row]!r}: missing value")
        if isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
            values = values.to_numpy(dtype=np.float64 if values.dtype.kind == "f" else None)
        else:
            values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidArgumentError(f"{table}.{column}: expected a one-dimensional column, "
                                             f"got shape {arr.shape}")
    if arr.dtype.kind not in "iufO":
        raise InvalidArgumentError(f"{table}.{column}: expected integer values, got dtype "
                                             f"{arr.dtype}")
    return _core.exact_ints(arr, f"{table}.{column}")


def ts_column(values: Any, table: str, column: str = "ts") -> np.ndarray:
    """Unix seconds as int64; datetime64 / pandas timestamps are converted."""
    if isinstance(values, pd.Series) and pd.api.types.is_datetime64_any_dtype(values.dtype):
        if values.isna().any():
            row = _first_bad(values.isna().to_numpy())
            raise InvalidArgumentError(f"{table}.{column}[{row}]=NaT: missing timestamp")
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.to_numpy().astype("datetime64[s]").astype(np.int64)
    arr = values if isinstance(values, pd.Series) else np.asarray(values)
    if not isinstance(arr, pd.Series) and arr.dtype.kind == "M":
        if np.isnat(arr).any():
            row = _first_bad(np.isnat(arr))
            raise InvalidArgumentError(f"{table}.{column}[{row}]=NaT: missing timestamp")
        return arr.astype("datetime64[s]").astype(np.int64)
    return int_column(values, table, column)


def float_column(values: Any, table: str, column: str) -> np.ndarray:
    """float64 column; missing values become NaN (the core reports them), anything that is
    not a number is rejected at its row (no silent parsing of strings)."""
    if isinstance(values, pd.Series):
        if values.dtype.kind not in "iuf":
            for row, v in enumerate(values.tolist()):
                if v is None or v is pd.NA:
                    continue
                if isinstance(v, (bool, np.bool_)) or \
                        not isinstance(v, (int, float, np.integer, np.floating)):
                    raise InvalidArgumentError(f"{table}.{column}[{row}]={v!r}: expected a number, "
                                               f"got {type(v).__name__}")
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise InvalidArgumentError(f"{table}.{column}: expected numbers, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def category_column(values: Any, table: str) -> np.ndarray:
    """Category ids; missing values become -1 (unknown)."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    na = s.isna().to_numpy()
    if na.any():
        if s.dtype.kind in "iuf":  # NumPy or nullable numbers
            s = s.fillna(-1)
        else:  # objects and strings: int_column checks each value and names its row
            s = s.astype(object).where(~na, -1)
    return int_column(s, table, "category")


def kind_column(values: Any, table: str) -> tuple[np.ndarray, list[str]]:
    """Dictionary-encodes the interaction kind column: (int32 codes, names); missing
    values get code -1, which the core reports at their row.

    A pandas Categorical (bare or in a Series) hands over its codes as they are; any
    other column is factorized once (for 20 M rows, materialising a Categorical as
    Python strings took 8 s of the 9 s spent adding them)."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes, names = values.array.codes, list(values.array.categories)
    elif isinstance(values, pd.Categorical):
        codes, names = values.codes, list(values.categories)
    else:
        if not isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
            values = np.asarray(values, dtype=object)
        codes, uniques = pd.factorize(values)
        names = list(uniques)
    for i, n in enumerate(names):
        if not isinstance(n, str) or _not_utf8(n):
            rows = np.flatnonzero(np.asarray(codes) == i)
            raise InvalidArgumentError(f"{table}.kind[{int(rows[0]) if rows.size else 0}]={n!r}: "
                                       f"kind must be a string such as 'chat'")
    return np.ascontiguousarray(codes, dtype=np.int32), [str(n) for n in names]


def list_column(values: Any, table: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A column of id lists as (offsets, flat values); None/NaN cells are empty lists."""
    cells = values.tolist() if isinstance(values, pd.Series) else list(values)
    lengths = np.zeros(len(cells), dtype=np.int64)
    parts = []
    for row, cell in enumerate(cells):
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            continue
        if isinstance(cell, (str, bytes)) or not hasattr(cell, "__len__"):
            raise InvalidArgumentError(
                f"{table}.{column}[{row}]={cell!r}: expected a list of user ids")
        arr = np.asarray(cell)
        if arr.size == 0:
            continue
        try:
            arr = int_column(arr.ravel(), table, column)
        except ValueError as e:
            raise InvalidArgumentError(f"{table}.{column}[{row}]={list(cell)!r}: {e}") from None
        lengths[row] = arr.size
        parts.append(arr)
    offsets = np.zeros(len(cells) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return offsets, flat


def outcome_column(values: Any, table: str, names: list[str]) -> np.ndarray:
    """Outcome codes (uint8, in the order of ``names``) from strings or a pandas
    Categorical; a missing or unknown outcome is rejected at its first row."""
    if isinstance(values, pd.Series):
        series = values
    else:
        arr = np.asarray(values, dtype=object)
        if arr.ndim != 1:
            raise InvalidArgumentError(f"{table}.outcome: expected a one-dimensional column, "
                                       f"got shape {arr.shape}")
        series = pd.Series(arr, dtype=object)
    codes, uniques = pd.factorize(series)
    codes = np.asarray(codes)
    if (codes < 0).any():
        row = _first_bad(codes < 0)
        raise InvalidArgumentError(f"{table}.outcome[{row}]={series.iloc[row]!r}: missing outcome; "
                                   f"known outcomes: {', '.join(names)}")
    index = {n: i for i, n in enumerate(names)}
    lookup = np.empty(len(uniques), dtype=np.uint8)
    for k, v in enumerate(uniques):
        if not isinstance(v, str) or v not in index:
            row = _first_bad(codes == k)
            raise InvalidArgumentError(f"{table}.outcome[{row}]={v!r}: unknown outcome; "
                                       f"known outcomes: {', '.join(names)}")
        lookup[k] = index[v]
    return np.ascontiguousarray(lookup[codes], dtype=np.uint8)


def unix_seconds(value: Any, name: str) -> Optional[int]:
    """Unix seconds of an int, a float (floored), a pandas/NumPy/datetime timestamp or a
    date string; None stays None. A bad value raises ValueError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)):
        # Unix seconds, e.g. time.time(); pd.Timestamp would read a float as nanoseconds.
        if not np.isfinite(value):
            raise InvalidArgumentError(f"{name}={value!r}: expected unix seconds or a timestamp")
        return int(np.floor(value))
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"{name}={value!r}: expected unix seconds or a timestamp") from None
    if ts is pd.NaT:
        raise InvalidArgumentError(f"{name}={value!r}: missing timestamp")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.value // 1_000_000_000)


def _is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _string_codes(values: Any, table: str, column: str) -> tuple[np.ndarray, list[str]]:
    """(int32 codes, dictionary) of a column of strings; missing values get -1. A
    pandas Categorical hands over its codes as they are."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes, names = np.asarray(values.array.codes), list(values.array.categories)
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        names = list(uniques)
    for i, n in enumerate(names):
        if not isinstance(n, str) or _not_utf8(n):
            rows = np.flatnonzero(codes == i)
            row = int(rows[0]) if rows.size else 0
            if isinstance(n, str):
                raise _utf8_error(f"{table}.{column}[{row}]", n)
            raise InvalidArgumentError(f"{table}.{column}[{row}]={n!r}: expected a string, got "
                                       f"{type(n).__name__} (a category column holds strings)")
    return np.ascontiguousarray(codes, dtype=np.int32), [str(n) for n in names]


def _series(values: Any, table: str, column: str) -> pd.Series:
    """``pd.Series(values)``; a string UTF-8 cannot encode (pandas' Arrow strings refuse
    it) is reported at its row."""
    try:
        return pd.Series(values)
    except UnicodeEncodeError:
        for row, v in enumerate(values):
            for text in ([v] if isinstance(v, str) else
                         v if isinstance(v, (list, tuple, set, frozenset)) else []):
                if isinstance(text, str) and _not_utf8(text):
                    raise _utf8_error(f"{table}.{column}[{row}]", text) from None
        raise


def profile_column(values: Any, table: str, column: str) -> tuple:
    """One attribute column of a profile table as ``(name, type, codes, offsets,
    dictionary, numbers)`` for the core: numbers (ints, floats, bools, datetimes as unix
    seconds; NaN missing), categories (strings or a pandas Categorical; None missing) or
    tags (lists of strings; None is an empty list). A value that fits none of these, or
    a column that mixes them, is rejected at its row."""
    s = values if isinstance(values, pd.Series) else _series(values, table, column)
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes, names = _string_codes(s, table, column)
        return (column, "category", codes, None, names, None)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        na = s.isna().to_numpy()
        secs = np.full(len(s), np.nan)
        if (~na).any():
            secs[~na] = ts_column(s[~na], table, column)
        return (column, "number", None, None, [], secs)
    if pd.api.types.is_bool_dtype(dtype) or dtype.kind in "iuf":
        nums = s.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(nums).any():
            row = _first_bad(np.isinf(nums))
            raise InvalidArgumentError(f"{table}.{column}[{row}]={nums[row]}: numbers must be "
                                       f"finite (NaN: missing)")
        return (column, "number", None, None, [], np.ascontiguousarray(nums))
    # Objects or strings: all strings (a category) or all lists (tags).
    cells = s.tolist()
    kind = None
    for row, v in enumerate(cells):
        if _is_missing(v):
            continue
        this = "category" if isinstance(v, str) else \
            "tags" if isinstance(v, (list, tuple, set, frozenset, np.ndarray)) else None
        if this is None:
            raise InvalidArgumentError(f"{table}.{column}[{row}]={v!r}: expected a string (a "
                                       f"category) or a list of strings (tags), got "
                                       f"{type(v).__name__}")
        if kind is not None and this != kind:
            raise InvalidArgumentError(f"{table}.{column}[{row}]={v!r}: the column mixes strings "
                                       f"and lists")
        kind = this
    if kind != "tags":
        codes, names = _string_codes(s, table, column)
        return (column, "category", codes, None, names, None)
    index: dict[str, int] = {}
    offsets = np.zeros(len(cells) + 1, dtype=np.int64)
    flat: list[int] = []
    for row, v in enumerate(cells):
        if not _is_missing(v):
            for t in v:
                if not isinstance(t, str):
                    raise InvalidArgumentError(f"{table}.{column}[{row}]={list(v)!r}: tags must be "
                                               f"strings, got {type(t).__name__}")
                if t not in index and _not_utf8(t):
                    raise _utf8_error(f"{table}.{column}[{row}]", t)
                flat.append(index.setdefault(t, len(index)))
        offsets[row + 1] = len(flat)
    return (column, "tags", np.asarray(flat, dtype=np.int32), offsets, list(index), None)


def profile_columns(table: Any) -> tuple[np.ndarray, list[tuple]]:
    """(user ids, attribute columns) of a profile table: ``user`` plus any columns."""
    cols = _column_dict(table, "profiles")
    if "user" not in cols:
        raise InvalidArgumentError(f"profiles: missing column 'user'; got {list(cols)}")
    n = len(cols["user"])
    for k, v in cols.items():
        if len(v) != n:
            raise InvalidArgumentError(
                f"profiles: column '{k}' has {len(v)} rows but 'user' has {n}")
    for k in cols:
        check_text(k, "profiles: column name")
    user = int_column(cols["user"], "profiles", "user")
    return user, [profile_column(v, "profiles", k) for k, v in cols.items() if k != "user"]
