"""One short line per suggested tutor saying why it fits: "teaches Algebra, speaks Spanish,
free Tuesday evening". Times are in the learner's own zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Sequence
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from lti_tool.api import Subject
from lti_tool.api import TutorProfile
from lti_tool.api import User
from lti_tool.api import current_time
from lti_tool.api import db
from lti_tool.api import first_free_slots
from lti_tool.api import tutor_ratings
from lti_tool_recommend.data import learner_interests
from lti_tool_recommend.store import plugin_state

LANGUAGE_NAMES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sv": "Swedish",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.split("-")[0], code)


def _zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name) if name else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def when(start: dt.datetime, zone: dt.tzinfo, now: dt.datetime) -> str:
    """The day and part of day of *start* as the learner would say it: ``this evening``,
    ``tomorrow morning``, ``Tuesday night``, ``Mon 3 Jun afternoon``."""
    local = start.astimezone(zone)
    part = _part_of_day(local.hour)
    days = (local.date() - now.astimezone(zone).date()).days
    if days <= 0:
        return "tonight" if part == "night" else f"this {part}"
    if days == 1:
        return f"tomorrow {part}"
    if days < 7:
        return f"{local:%A} {part}"
    return f"{local:%a} {local.day} {local:%b} {part}"


def _teaches(tutor: TutorProfile, subject: Subject | None, wanted: Sequence[str]) -> str | None:
    taught = {link.subject.slug: link for link in tutor.subjects}
    slug = subject.slug if subject is not None else next((s for s in wanted if s in taught), None)
    link = taught.get(slug) if slug else (tutor.subjects[0] if tutor.subjects else None)
    if link is None:
        return None
    level = f" ({link.level})" if link.level and link.level != "all" else ""
    return f"teaches {link.subject.name}{level}"


def _speaks(tutor: TutorProfile, wanted: Sequence[str]) -> str | None:
    spoken = tutor.languages or []
    code = next((code for code in wanted if code in spoken), None)
    return f"speaks {language_name(code)}" if code else None


def reasons_for(
    learner: User | None,
    tutors: Sequence[TutorProfile],
    subject: Subject | None,
    *,
    language: str | None = None,
    now: dt.datetime | None = None,
    next_free: Mapping[int, dt.datetime] | None = None,
) -> list[str]:
    """A reason per tutor, in the order of *tutors*.

    :param language: a language asked for in this request, named before the learner's own.
    :param next_free: the tutors' next free slot starts if already known; else they are
        looked up for the coming ``reason_days`` setting (14 by default).
    """
    if not tutors:
        return []
    session = db.session()
    now = now or current_time()
    ids = [tutor.id for tutor in tutors]
    if next_free is None:
        next_free = first_free_slots(session, ids, now, plugin_state().settings.reason_days)
    ratings = tutor_ratings(session, ids)
    wanted_subjects: list[str] = []
    languages = [language] if language else []
    if learner is not None:
        interests = learner_interests(session, [learner.id]).get(learner.id, [])
        wanted_subjects = [slug for slug, _ in interests]
        languages += [code for code in learner.languages or [] if code not in languages]
    zone = _zone(learner.timezone if learner is not None else None)
    reasons = []
    for tutor in tutors:
        parts = [_teaches(tutor, subject, wanted_subjects), _speaks(tutor, languages)]
        if (start := next_free.get(tutor.id)) is not None:
            parts.append(f"free {when(start, zone, now)}")
        # A strong rating fills the place of a missing part; three parts are enough to read.
        average, count = ratings.get(tutor.id, (None, 0))
        if len([p for p in parts if p]) < 3 and average and average >= 4.5 and count >= 3:
            parts.append(f"rated {average:.1f} ({count} reviews)")
        reasons.append(", ".join(part for part in parts if part))
    return reasons
