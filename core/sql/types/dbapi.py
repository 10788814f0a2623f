"""The PEP 249 type objects (``cursor.description[i][1] == STRING``) and the type code of a
computed column, judged from its value.  The type codes themselves (`FieldType`) belong to
the column types, in `core.catalog.coltypes`.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from core.catalog.coltypes import FieldType
from core.sql.types.json import JsonText

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


class DBAPITypeObject(frozenset):
    """PEP 249 type objects: ``cursor.description[i][1] == STRING`` is true for every string
    type code."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return other in self
        return frozenset.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = frozenset.__hash__


STRING = DBAPITypeObject({FieldType.VARCHAR, FieldType.VAR_STRING, FieldType.STRING,
                          FieldType.ENUM, FieldType.SET, FieldType.JSON})
BINARY = DBAPITypeObject({FieldType.TINY_BLOB, FieldType.MEDIUM_BLOB, FieldType.LONG_BLOB,
                          FieldType.BLOB, FieldType.GEOMETRY, FieldType.BIT})
NUMBER = DBAPITypeObject({FieldType.DECIMAL, FieldType.NEWDECIMAL, FieldType.TINY,
                          FieldType.SHORT, FieldType.LONG, FieldType.FLOAT, FieldType.DOUBLE,
                          FieldType.LONGLONG, FieldType.INT24, FieldType.YEAR})
DATETIME = DBAPITypeObject({FieldType.TIMESTAMP, FieldType.DATE, FieldType.TIME,
                            FieldType.DATETIME})
ROWID = DBAPITypeObject()


def type_code_of_value(value: Any) -> int:
    """cursor.description type code for a computed column, judged from a value."""
    return int(_VALUE_CODES.get(type(value), FieldType.VAR_STRING))


_VALUE_CODES = {
    type(None): FieldType.NULL, bool: FieldType.LONGLONG, int: FieldType.LONGLONG,
    float: FieldType.DOUBLE, Decimal: FieldType.NEWDECIMAL, str: FieldType.VAR_STRING,
    bytes: FieldType.BLOB, date: FieldType.DATE, datetime: FieldType.DATETIME,
    timedelta: FieldType.TIME, JsonText: FieldType.JSON,
}
