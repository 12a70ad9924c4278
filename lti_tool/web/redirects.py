"""Where a ``next`` parameter may send the browser: only to a path on this site."""

from __future__ import annotations

import re

# Browsers drop tabs and newlines and read a backslash as a slash, so "/\t/evil.example" or
# "/\evil.example" would leave the site; a path with any of them is refused outright.
_LOCAL_PATH = re.compile(r"/[^\\\s\x00-\x1f\x7f]*")


def local_path(value: str | None) -> str | None:
    """*value* when it is a path on this site, else None."""
    if value and _LOCAL_PATH.fullmatch(value) and not value.startswith("//"):
        return value
    return None
