"""Moodle for the tutoring tool.

Registers :class:`~lti_tool_moodle.product.MoodleProduct`: Moodle is recognised by its product
family code (every site is its own issuer), its endpoints follow from the site URL, and
``/lti/config/moodle`` points administrators at dynamic registration with the manual values
as a fallback.
"""

from __future__ import annotations

import typing as t

from lti_tool import hookimpl
from lti_tool_moodle.product import MoodleProduct

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.api import Product

__all__ = ["MoodleProduct"]


@hookimpl
def lms_products(register: t.Callable[[type[Product]], None]) -> None:
    register(MoodleProduct)
