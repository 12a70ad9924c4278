"""Refusing malformed input at the door, before any view or the database sees it.

Odd input must get a 4xx that says what is wrong and changes nothing, never a server error
from deep inside a driver. The checks here cover every route, the plugins' included:

* ids in ``<int:...>`` paths must fit the id columns (PostgreSQL ``integer``), or the route
  is a 404;
* no NUL byte in the path, the query string or form fields, since PostgreSQL refuses NUL in
  text and would otherwise fail mid-request;
* a JSON body must be an object, nested at most :data:`MAX_JSON_DEPTH` deep, whose integers
  fit 64 bits and whose strings hold no NUL.

:func:`whole_number` and :func:`check_year` are the shared rules for numbers in query strings
and for dates, for the views that parse those themselves.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t

from flask import Flask
from flask import Response
from flask import request
from werkzeug.routing import IntegerConverter

from lti_tool.web.errors import error_response

#: The range of a signed 64-bit integer, the widest integer column of SQLite and PostgreSQL.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: The largest id: every id column is a PostgreSQL ``integer``, which is 32 bits.
MAX_ID = 2**31 - 1
#: Deeper than any body the tool expects, far shallower than Python's recursion limit.
MAX_JSON_DEPTH = 32
#: Dates the scheduling code can carry through every zone and session length.
MIN_YEAR = 1900
MAX_YEAR = 2200
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_ASCII_DIGITS = re.compile(r"[0-9]+")
# A JSON string literal, so brackets inside strings are not counted as nesting.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class BadInput(ValueError):
    """Input refused; the message says why, in words fit for the person who sent it."""


def digits_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to *limit* (at most its length)."""
    text = str(limit)
    options = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for place, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - place - 1
            options.append(f"{text[:place]}[0-{int(digit) - 1}][0-9]{{{rest}}}")
    options.append(text)
    return "(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """``<int:...>`` limited to ASCII digits and to values a database id column can hold."""

    # Checked by the pattern, not only after matching: werkzeug answers a route whose value
    # fails conversion with 405 when the same path exists for another method.
    regex = digits_at_most(MAX_ID)


def whole_number(value: str, field: str, *, low: int = 0, high: int = INT64_MAX) -> int:
    """A whole number written in ASCII digits, between *low* and *high* inclusive.

    ``str.isdigit`` also accepts characters such as "²" that ``int`` cannot read, hence this.

    :raises BadInput: naming *field* and the range.
    """
    text = value.strip()
    if _ASCII_DIGITS.fullmatch(text) and len(text) <= 19:
        number = int(text)
        if low <= number <= high:
            return number
    raise BadInput(f"{field}: expected a whole number from {low} to {high}, got {value!r}")


def check_year(moment: dt.date, field: str) -> None:
    """:raises BadInput: when *moment* lies outside the years the scheduling code handles."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise BadInput(f"{field}: give a date between the years {MIN_YEAR} and {MAX_YEAR}")


def json_depth(text: str) -> int:
    """How deep the arrays and objects of *text* nest, counted without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _int64(text: str) -> int:
    # Checked on the digits first, so a body of a million digits is not converted at all.
    if len(text.lstrip("-")) > 19 or not INT64_MIN <= int(text) <= INT64_MAX:
        raise BadInput(f"the number {text[:24]}{'...' if len(text) > 24 else ''} is too large")
    return int(text)


def _no_constant(name: str) -> t.NoReturn:
    raise BadInput(f"{name} is not a JSON number")


def _strings(value: t.Any) -> t.Iterator[str]:
    """Every key and string value in a parsed body (its depth is already bounded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def parse_json_object(data: bytes | str) -> dict[str, t.Any]:
    """A request body as a JSON object.

    :raises BadInput: the body is not JSON, not an object, nested too deep, holds an integer
        beyond 64 bits or a NUL character.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise BadInput("the body is not UTF-8 text") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise BadInput(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(text, parse_int=_int64, parse_constant=_no_constant)
    except BadInput:
        raise
    except ValueError as exc:
        raise BadInput(f"the body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise BadInput(f"the JSON body must be an object, not {type(value).__name__}")
    if any("\x00" in text for text in _strings(value)):
        raise BadInput("the JSON body holds a NUL character")
    return value


def _has_nul(pairs: t.Iterable[tuple[str, str]]) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def _refuse_bad_input() -> tuple[Response | str, int] | None:
    problem = _problem()
    return None if problem is None else error_response(400, "bad_request", problem)


def _problem() -> str | None:
    """Why the current request is refused, or None when it may go on."""
    if "\x00" in request.path:
        return "The address holds a NUL character."
    if _has_nul(request.args.items(multi=True)):
        return "The query string holds a NUL character."
    if request.method not in BODY_METHODS:
        return None
    if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        if _has_nul(request.form.items(multi=True)):
            return "A form field holds a NUL character."
    elif request.is_json and request.content_length != 0:
        data = request.get_data(cache=True)
        if data.strip():
            try:
                parse_json_object(data)
            except BadInput as exc:
                return str(exc)
    return None


def init_app(app: Flask) -> None:
    """Install the id converter and the request check; call before blueprints register."""
    app.url_map.converters["int"] = IdConverter
    # First in line, so no other before_request reads a NUL-bearing value into a query.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_bad_input)
