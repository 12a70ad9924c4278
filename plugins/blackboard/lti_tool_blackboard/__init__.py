"""Blackboard Learn (Anthology) for the tutoring tool.

Registers :class:`~lti_tool_blackboard.product.BlackboardProduct`: the single Learn issuer,
the developer-portal endpoints (the key set's URL names the application id) and the
registration steps served at ``/lti/config/blackboard``.
"""

from __future__ import annotations

import typing as t

from lti_tool import hookimpl
from lti_tool_blackboard.product import BlackboardProduct

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.api import Product

__all__ = ["BlackboardProduct"]


@hookimpl
def lms_products(register: t.Callable[[type[Product]], None]) -> None:
    register(BlackboardProduct)
