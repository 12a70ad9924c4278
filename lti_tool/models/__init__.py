"""The tool's tables. Plugins that need tables declare them on the same ``Base``."""

from __future__ import annotations

from lti_tool.models.activity import AuditEntry
from lti_tool.models.activity import Payment
from lti_tool.models.activity import PaymentRefund
from lti_tool.models.base import Base
from lti_tool.models.base import TimestampMixin
from lti_tool.models.base import UTCDateTime
from lti_tool.models.base import db
from lti_tool.models.base import utcnow
from lti_tool.models.bookings import OCCUPYING_STATES
from lti_tool.models.bookings import Booking
from lti_tool.models.bookings import BookingState
from lti_tool.models.bookings import Review
from lti_tool.models.interests import Favourite
from lti_tool.models.interests import LearnerInterest
from lti_tool.models.jobs import Job
from lti_tool.models.jobs import JobState
from lti_tool.models.limits import RateCount
from lti_tool.models.lti import Course
from lti_tool.models.lti import Deployment
from lti_tool.models.lti import Enrollment
from lti_tool.models.lti import Registration
from lti_tool.models.lti import RegistrationInvite
from lti_tool.models.lti import ToolKey
from lti_tool.models.lti import UsedNonce
from lti_tool.models.tutoring import AvailabilityOverride
from lti_tool.models.tutoring import AvailabilityRule
from lti_tool.models.tutoring import Subject
from lti_tool.models.tutoring import TutorProfile
from lti_tool.models.tutoring import TutorSubject
from lti_tool.models.users import LtiIdentity
from lti_tool.models.users import RoleName
from lti_tool.models.users import User
from lti_tool.models.users import UserRole

__all__ = [
    "OCCUPYING_STATES",
    "AuditEntry",
    "AvailabilityOverride",
    "AvailabilityRule",
    "Base",
    "Booking",
    "BookingState",
    "Course",
    "Deployment",
    "Enrollment",
    "Favourite",
    "LearnerInterest",
    "LtiIdentity",
    "Payment",
    "PaymentRefund",
    "Job",
    "JobState",
    "RateCount",
    "Registration",
    "RegistrationInvite",
    "Review",
    "RoleName",
    "Subject",
    "TimestampMixin",
    "ToolKey",
    "TutorProfile",
    "TutorSubject",
    "UTCDateTime",
    "UsedNonce",
    "User",
    "UserRole",
    "db",
    "utcnow",
]
