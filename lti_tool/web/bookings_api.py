"""Placeholder blueprint; its routes are being written."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bookings_api", __name__)
