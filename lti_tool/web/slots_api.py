"""Placeholder blueprint; its routes are being written."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("slots_api", __name__)
