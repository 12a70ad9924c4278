"""Canvas LMS (Instructure) for the tutoring tool.

Registers :class:`~lti_tool_canvas.product.CanvasProduct`: how Canvas is recognised (its cloud
issuers, product family code ``canvas``), its endpoints per environment, the developer-key JSON
served at ``/lti/config/canvas`` and the one claim quirk that needs code (unexpanded custom
variables).
"""

from __future__ import annotations

import typing as t

from lti_tool import hookimpl
from lti_tool_canvas.product import CanvasProduct

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.api import Product

__all__ = ["CanvasProduct"]


@hookimpl
def lms_products(register: t.Callable[[type[Product]], None]) -> None:
    register(CanvasProduct)
