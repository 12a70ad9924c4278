"""The generic LTI 1.3 platform, used for any platform no LMS plugin recognises."""

from __future__ import annotations

import typing as t

from lti_tool import hookimpl
from lti_tool.lti.products.product import Product


@hookimpl(trylast=True)
def lms_products(register: t.Callable[[type[Product]], None]) -> None:
    register(Product)
