"""Tutor availability: weekly wall-clock ranges in the tutor's zone become bookable UTC slots."""

from __future__ import annotations

from lti_tool.scheduling.slots import Busy
from lti_tool.scheduling.slots import DateOverride
from lti_tool.scheduling.slots import Slot
from lti_tool.scheduling.slots import SlotPolicy
from lti_tool.scheduling.slots import WeeklyRange
from lti_tool.scheduling.slots import availability_windows
from lti_tool.scheduling.slots import free_slots
from lti_tool.scheduling.slots import overlaps

__all__ = [
    "Busy",
    "DateOverride",
    "Slot",
    "SlotPolicy",
    "WeeklyRange",
    "availability_windows",
    "free_slots",
    "overlaps",
]
