"""The LMS products the plugins registered, and the one that answers for a platform.

``create_app`` fills one :class:`ProductRegistry` from the ``lms_products`` hook; every request
reaches it through :func:`products`.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable

from flask import current_app

from lti_tool.lti.products.product import Product

if t.TYPE_CHECKING:  # pragma: no cover
    from lti_tool.models import Registration


class ProductRegistry:
    """The products registered by plugins, in registration order, with the generic fallback."""

    def __init__(self) -> None:
        self._by_family: dict[str, type[Product]] = {}

    def register(self, product: type[Product]) -> None:
        if not (isinstance(product, type) and issubclass(product, Product)):
            raise TypeError(f"{product!r} is not a Product subclass")
        existing = self._by_family.get(product.family)
        if existing is not None and existing is not product:
            raise ValueError(
                f"LMS family {product.family!r} is registered twice "
                f"({existing.__module__} and {product.__module__})"
            )
        self._by_family[product.family] = product

    def __iter__(self) -> t.Iterator[type[Product]]:
        return iter(self._by_family.values())

    def families(self) -> Iterable[str]:
        return self._by_family.keys()

    def get(self, family: str) -> type[Product]:
        try:
            return self._by_family[family]
        except KeyError:
            raise KeyError(
                f"unknown LMS {family!r}; known: {', '.join(sorted(self._by_family))}"
            ) from None

    def bound(self, registration: Registration, product_family_code: str = "") -> Product:
        """The LMS product of this platform, bound to it.

        The product that recognises the issuer or the launch's family code wins; when none
        does, the family the administrator chose at registration is used if its plugin is
        installed; else the generic product.
        """
        product = self.for_platform(registration.issuer, product_family_code or None)
        if product is Product and registration.lms in self._by_family:
            product = self._by_family[registration.lms]
        return product(registration)

    def for_platform(self, issuer: str, product_family_code: str | None = None) -> type[Product]:
        for product in self._by_family.values():
            if product is not Product and product.recognises(issuer, product_family_code):
                return product
        return Product


def products() -> ProductRegistry:
    registry: ProductRegistry = current_app.extensions["lti_tool.products"]
    return registry
