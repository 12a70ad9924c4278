"""What a plugin may use of the core: the one module plugins import, besides ``hookimpl``.

Everything here is kept working across minor versions; anything else in ``lti_tool`` may
change without notice. A test (``tests/core/test_boundaries.py``) refuses a built-in plugin
that imports the core any other way, so this list is also the record of what plugins rely on.
Hooks are what the core asks of plugins (``lti_tool.hookspecs``); this module is what plugins
may ask of the core.

Grouped by what it is for:

- data: the models, the session (``db``) and :func:`write_transaction`; ``Base`` and the
  column helpers for a plugin's own tables;
- people and requests: who is signed in, guards for views, CSRF, errors, safe redirects,
  input checks, framing;
- tutoring: the booking service and its errors, the clock, free slots, tutors' policies and
  settings, ratings, money;
- plugins: :data:`hooks` to ask the other plugins a question, :func:`plugin_settings`;
  background jobs (:func:`job` registers a handler, :func:`enqueue` asks for a run);
- LTI: the product base class and the pieces an LMS plugin's registration document uses;
- the room, payments and privacy contracts; rate limits.
"""

from __future__ import annotations

import os
import typing as t

from flask import Flask

from lti_tool import money
from lti_tool.auth import current_user
from lti_tool.auth import end_every_session
from lti_tool.auth import require_role
from lti_tool.auth import require_user
from lti_tool.auth import sign_in
from lti_tool.booking import BookingError
from lti_tool.booking import PaymentNotPossible
from lti_tool.booking import booking_service
from lti_tool.booking import current_time
from lti_tool.config import ConfigError
from lti_tool.database import write_transaction
from lti_tool.jobs import JobRefused
from lti_tool.jobs import enqueue
from lti_tool.jobs import job
from lti_tool.lti.products.product import Product
from lti_tool.lti.products.tool_config import PLATFORM_CONFIGURATION
from lti_tool.lti.products.tool_config import SCOPES
from lti_tool.lti.products.tool_config import TOOL_CONFIGURATION
from lti_tool.lti.products.tool_config import TOOL_DESCRIPTION
from lti_tool.lti.products.tool_config import TOOL_NAME
from lti_tool.lti.products.tool_config import RegistrationDocument
from lti_tool.lti.products.tool_config import ToolUrls
from lti_tool.lti.protocol.claims import ClaimMapper
from lti_tool.lti.protocol.launch import DEEP_LINKING_REQUEST
from lti_tool.lti.protocol.launch import RESOURCE_LINK_REQUEST
from lti_tool.lti.protocol.launch import Launch
from lti_tool.mail import Attachment
from lti_tool.mail import MailError
from lti_tool.mail import send_mail
from lti_tool.models import AuditEntry
from lti_tool.models import Base
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Course
from lti_tool.models import Deployment
from lti_tool.models import Favourite
from lti_tool.models import LearnerInterest
from lti_tool.models import Payment
from lti_tool.models import PaymentRefund
from lti_tool.models import Registration
from lti_tool.models import Review
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import UserRole
from lti_tool.models import db
from lti_tool.models.base import TimestampMixin
from lti_tool.models.base import UTCDateTime
from lti_tool.models.base import utcnow
from lti_tool.payments import CheckoutStart
from lti_tool.payments import PaymentProvider
from lti_tool.payments import payment_provider
from lti_tool.plugins import pm
from lti_tool.privacy import booking_ids_of
from lti_tool.privacy import export_instant
from lti_tool.rate_limits import BAD_WEBHOOKS
from lti_tool.rate_limits import Key
from lti_tool.rate_limits import Receipt
from lti_tool.rate_limits import counted_in_table
from lti_tool.rate_limits import counter
from lti_tool.rate_limits import digest
from lti_tool.ratings import rating_summary
from lti_tool.ratings import tutor_ratings
from lti_tool.realtime import forget_emit_reach
from lti_tool.realtime import last_emit_reach
from lti_tool.rooms import RoomDescriptor
from lti_tool.scheduling import free_slots
from lti_tool.scheduling.first_free import first_free
from lti_tool.scheduling.first_free import first_free_slots
from lti_tool.scheduling.first_free import load_tutors
from lti_tool.scheduling.listing import busy_by_tutor
from lti_tool.tutors.fields import TutorSettingsError
from lti_tool.tutors.fields import parse_price
from lti_tool.tutors.fields import slugify
from lti_tool.tutors.fields import timezones
from lti_tool.tutors.settings import policy_for
from lti_tool.tutors.settings import save_settings
from lti_tool.tutors.settings import slot_inputs
from lti_tool.web.csrf import csrf_exempt
from lti_tool.web.errors import error_response
from lti_tool.web.input_guard import MAX_ID
from lti_tool.web.input_guard import BadInput
from lti_tool.web.input_guard import whole_number
from lti_tool.web.pages import viewer_zone
from lti_tool.web.redirects import local_path
from lti_tool.web.security import never_framed

#: Ask every plugin (and the core's defaults) a question: ``hooks.payment_provider()``.
hooks = pm.hook


def plugin_settings(app: Flask, name: str) -> dict[str, t.Any]:
    """The ``[plugins.<name>]`` table of *app*'s configuration, with ``LTI_TOOL_<NAME>_<KEY>``
    environment variables on top (as text: the plugin converts and checks every value).

    The environment wins, as it does for the core's settings, so secrets can stay out of files.

    :raises ConfigError: when ``plugins.<name>`` is not a table.
    """
    table = (app.config.get("PLUGINS") or {}).get(name) or {}
    if not isinstance(table, dict):
        raise ConfigError(f"plugins.{name}: expected a table of settings")
    values = dict(table)
    prefix = f"LTI_TOOL_{name.upper()}_"
    for variable, text in os.environ.items():
        if variable.startswith(prefix) and len(variable) > len(prefix):
            values[variable.removeprefix(prefix).lower()] = text
    return values


__all__ = [
    "BAD_WEBHOOKS",
    "DEEP_LINKING_REQUEST",
    "MAX_ID",
    "PLATFORM_CONFIGURATION",
    "RESOURCE_LINK_REQUEST",
    "SCOPES",
    "TOOL_CONFIGURATION",
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "Attachment",
    "AuditEntry",
    "Base",
    "BadInput",
    "Booking",
    "BookingError",
    "BookingState",
    "CheckoutStart",
    "ClaimMapper",
    "ConfigError",
    "Course",
    "Deployment",
    "Favourite",
    "JobRefused",
    "Key",
    "Launch",
    "MailError",
    "LearnerInterest",
    "Payment",
    "PaymentNotPossible",
    "PaymentProvider",
    "PaymentRefund",
    "Product",
    "Receipt",
    "Registration",
    "RegistrationDocument",
    "Review",
    "RoleName",
    "RoomDescriptor",
    "Subject",
    "ToolUrls",
    "TutorProfile",
    "TutorSettingsError",
    "TimestampMixin",
    "TutorSubject",
    "UTCDateTime",
    "User",
    "UserRole",
    "booking_ids_of",
    "booking_service",
    "busy_by_tutor",
    "counted_in_table",
    "counter",
    "csrf_exempt",
    "current_time",
    "current_user",
    "db",
    "digest",
    "end_every_session",
    "enqueue",
    "error_response",
    "export_instant",
    "forget_emit_reach",
    "first_free",
    "first_free_slots",
    "free_slots",
    "hooks",
    "job",
    "last_emit_reach",
    "load_tutors",
    "local_path",
    "money",
    "never_framed",
    "parse_price",
    "payment_provider",
    "plugin_settings",
    "policy_for",
    "rating_summary",
    "require_role",
    "require_user",
    "save_settings",
    "send_mail",
    "sign_in",
    "slot_inputs",
    "slugify",
    "timezones",
    "tutor_ratings",
    "utcnow",
    "viewer_zone",
    "whole_number",
    "write_transaction",
]
