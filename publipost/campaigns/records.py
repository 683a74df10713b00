"""Records of one dataclass (a row's note, a correction), held as columns until an object is asked for.

A million-row file filtered by date gives 400,000 notes "does not match target.where". Made
one object each, they cost 0.4 s to make, and as much again to count, to list the few that
rejects.csv shows and to keep them as Arrow: each of those asks one field of every note.
Held as a list per field, they are added, counted, chosen and kept a column at a time. They
are made objects only when asked as a list is (iterated, indexed, compared): a notebook's
`audience.notes` is still the list of RowNotes it always was.

Records kept by an earlier command come back as the Arrow table they were kept as
(campaigns/accounted.py), read into columns only when first needed: `render --only` of one
letter never looks at them.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections import Counter, UserList
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any

import numpy as np


class Records(UserList[Any]):
    """Records of `kind` (a dataclass of int and str fields), in one of three states: the
    objects (`_made`), a list per field (`_columns`), or the Arrow table they were kept as
    (`_table`). Each state gives the next one only when asked for what it cannot answer."""

    def __init__(self, kind: type, table: Any = None) -> None:  # (no UserList.__init__)
        self._kind = kind
        self._names = [f.name for f in dataclasses.fields(kind)]
        self._numbers = {f.name for f in dataclasses.fields(kind) if f.type in ("int", int)}
        self._table: Any = table
        self._columns: dict[str, Any] | None = self._empty() if table is None else None
        self._made: list[Any] | None = None

    def _empty(self) -> dict[str, Any]:
        """A list per text field, and per number field an array of 8-byte integers: a row
        number as a Python int in a list is 36 bytes (4 million notes, 140 MB), in an array 8."""
        return {n: array("q") if n in self._numbers else [] for n in self._names}

    @property
    def data(self) -> list[Any]:
        if self._made is None:
            columns = self._by_field()
            self._made, self._columns = list(map(self._kind, *columns.values())), None
        return self._made

    @data.setter
    def data(self, value: list[Any]) -> None:
        self._made, self._columns, self._table = value, None, None

    def _by_field(self) -> dict[str, Any]:
        """The records as a sequence per field (from the objects, when they are made)."""
        if self._made is not None:
            columns = self._empty()
            for name, column in columns.items():
                column.extend(getattr(o, name) for o in self._made)
            return columns
        if self._columns is None:
            self._columns, self._table = _columns_of(self._table, self._names), None
        return self._columns

    def add(self, **fields: Sequence[Any] | np.ndarray | str | int) -> None:
        """Records given field by field: a sequence per field (numbers may come as a numpy
        array), or one value that every record holds (a reason 400,000 rows share). At least
        one field is a sequence: the count. Nothing is made per record that is not kept: four
        million rows filtered out, their numbers as Python ints and each field's list copied,
        were 250 MB at the step."""
        count = next(len(v) for v in fields.values() if not isinstance(v, (str, int)))
        given = [fields[n] for n in self._names]
        lengths = [count if isinstance(v, (str, int)) else len(v) for v in given]
        if any(length != count for length in lengths):
            raise ValueError(f"fields of unequal lengths: {lengths}")
        columns = [repeat(v, count) if isinstance(v, (str, int)) else v for v in given]
        if self._made is not None:
            self._made += map(self._kind, *(c.tolist() if isinstance(c, np.ndarray) else c for c in columns))
            return
        held = self._by_field()
        for name, column in zip(self._names, columns, strict=True):
            if isinstance(column, np.ndarray) and name in self._numbers:
                held[name].frombytes(np.ascontiguousarray(column, dtype=np.int64).data.cast("B"))
            else:
                held[name].extend(column.tolist() if isinstance(column, np.ndarray) else column)

    def __len__(self) -> int:
        if self._made is not None:
            return len(self._made)
        if self._columns is not None:
            return len(self._columns[self._names[0]])
        return int(self._table.num_rows)

    def tally(self, field: str) -> Counter[Any]:
        """How many records hold each value of `field`, without making them."""
        if self._table is not None:
            import pyarrow.compute as pc

            counted = pc.value_counts(self._table.column(field))  # on the dictionary's codes, not the text
            return Counter(dict(zip(counted.field(0).to_pylist(), counted.field(1).to_pylist(), strict=True)))
        if self._columns is not None:
            return Counter(self._columns[field])
        return Counter(getattr(o, field) for o in self.data)

    def select(self, field: str, keep: Callable[[Any], bool]) -> list[Any]:
        """The records whose `field` passes `keep`, in order, made objects: only those."""
        if self._made is not None:
            return [o for o in self._made if keep(getattr(o, field))]
        columns = self._by_field()
        chosen = [i for i, value in enumerate(columns[field]) if keep(value)]
        picked = [[column[i] for i in chosen] for column in columns.values()]
        return list(map(self._kind, *picked))

    def table(self) -> Any:
        """The records as an Arrow table, a column per field, text dictionary-encoded (one
        reason, 400,000 times): what campaigns/accounted.py keeps."""
        if self._table is not None:
            return self._table
        import pyarrow as pa

        arrays = {}
        for field, values in zip(self._names, self._by_field().values(), strict=True):
            if field in self._numbers:
                # a copy: the table may outlive the array, which is added to after (a buffer
                # lent to Arrow could not grow)
                arrays[field] = pa.array(np.array(values, dtype=np.int64), pa.int64())
            else:
                arrays[field] = pa.array(values, pa.string()).dictionary_encode()
        return pa.table(arrays)

    def copy(self) -> Records:
        """Another Records of the same records, in the same state: added to on its own."""
        other = Records(self._kind, self._table)
        if self._made is not None:
            other.data = list(self._made)
        elif self._columns is not None:
            other._columns = {name: values[:] for name, values in self._columns.items()}
        return other

    # What UserList would make a new Records of (from a list it cannot take) is a plain list.
    def __getitem__(self, index: Any) -> Any:
        return self.data[index]

    def __add__(self, other: Iterable[Any]) -> list[Any]:  # type: ignore[override]
        return self.data + list(other)

    def __radd__(self, other: Iterable[Any]) -> list[Any]:  # type: ignore[override]
        return list(other) + self.data

    def __mul__(self, times: int) -> list[Any]:  # type: ignore[override]
        return self.data * times

    __rmul__ = __mul__  # type: ignore[assignment]


def tally(objects: Iterable[Any], field: str) -> Counter[Any]:
    """How many of `objects` hold each value of `field` (Records counted without making them)."""
    if isinstance(objects, Records):
        return objects.tally(field)
    return Counter(getattr(o, field) for o in objects)


def _columns_of(table: Any, names: list[str]) -> dict[str, Any]:
    """An Arrow table `Records.table` wrote as a sequence per field: each text made once per
    distinct value, numbers an array of 8-byte integers."""
    columns: dict[str, Any] = {}
    for name, column in zip(names, table.combine_chunks().columns, strict=True):
        values = column.chunk(0) if column.num_chunks else column.combine_chunks()
        if hasattr(values, "dictionary"):
            distinct = values.dictionary.to_pylist()
            columns[name] = [distinct[i] for i in values.indices.to_numpy(zero_copy_only=False).tolist()]
        elif values.type == "int64" and not values.null_count:
            columns[name] = array("q", values.to_numpy().tobytes())
        else:
            columns[name] = values.to_pylist()
    return columns
