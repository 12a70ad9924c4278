"""A generated tutoring site with enough history to learn from.

Learners want one subject and speak one language; they mostly book tutors who teach that
subject in their language and rate them well, and sometimes try someone else and rate them
lower. Every tutor has weekday hours, so free slots exist, except the ones a test blocks.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa

from lti_tool.models import AvailabilityOverride
from lti_tool.models import AvailabilityRule
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Favourite
from lti_tool.models import LearnerInterest
from lti_tool.models import Review
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import UserRole
from lti_tool.models import db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # a Monday
SUBJECTS = (
    ("chemistry", "Chemistry"),
    ("algebra", "Algebra"),
    ("physics", "Physics"),
    ("biology", "Biology"),
    ("history", "History"),
)
#: (language, share of learners and tutors whose first language it is)
LANGUAGES = (("en", 0.45), ("es", 0.3), ("fr", 0.15), ("de", 0.1))
ZONE_OF = {
    "en": ("America/New_York", "Europe/London"),
    "es": ("Europe/Madrid", "America/Mexico_City"),
    "fr": ("Europe/Paris",),
    "de": ("Europe/Berlin",),
}


@dataclass
class World:
    subjects: dict[str, int]
    tutor_languages: dict[int, list[str]] = field(default_factory=dict)
    tutor_subjects: dict[int, list[str]] = field(default_factory=dict)
    learners: list[int] = field(default_factory=list)
    blocked_tutor: int = 0
    """A Spanish-speaking chemistry tutor, much booked, with no free time for 40 days."""


def _language(rng: random.Random) -> str:
    return rng.choices([c for c, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]


def _users(count: int, prefix: str, role: RoleName, zones: list[str], langs: list[list[str]]):
    rows = [
        {
            "name": f"{prefix} {i}",
            "email": f"{prefix.lower()}{i}-{uuid.uuid4().hex[:6]}@world.example",
            "timezone": zones[i],
            "languages": langs[i],
            "calendar_token": uuid.uuid4().hex,
        }
        for i in range(count)
    ]
    ids = list(
        db.session.scalars(sa.insert(User).returning(User.id, sort_by_parameter_order=True), rows)
    )
    db.session.execute(sa.insert(UserRole), [{"user_id": uid, "role": role} for uid in ids])
    return ids


def build(tutors: int = 160, learners: int = 320, seed: int = 5) -> World:
    rng = random.Random(seed)
    subject_ids = {}
    for slug, name in SUBJECTS:
        subject = Subject(slug=slug, name=name)
        db.session.add(subject)
        db.session.flush()
        subject_ids[slug] = subject.id
    world = World(subjects=subject_ids)
    slugs = [slug for slug, _ in SUBJECTS]

    firsts = [_language(rng) for _ in range(tutors)]
    tutor_langs = [[c] if c == "en" or rng.random() < 0.5 else [c, "en"] for c in firsts]
    zones = [rng.choice(ZONE_OF[c]) for c in firsts]
    user_ids = _users(tutors, "Tutor", RoleName.TUTOR, zones, tutor_langs)
    profiles = [
        {
            "user_id": uid,
            "timezone": zones[i],
            "languages": tutor_langs[i],
            "price_cents": rng.choice([2000, 3500, 5000, 7000]),
            "session_lengths": [60],
        }
        for i, uid in enumerate(user_ids)
    ]
    tutor_ids = list(
        db.session.scalars(
            sa.insert(TutorProfile).returning(TutorProfile.id, sort_by_parameter_order=True),
            profiles,
        )
    )
    links, rules = [], []
    for i, tid in enumerate(tutor_ids):
        taught = rng.sample(slugs, rng.choice([1, 2]))
        world.tutor_subjects[tid] = taught
        world.tutor_languages[tid] = tutor_langs[i]
        links += [{"tutor_id": tid, "subject_id": subject_ids[s], "level": "all"} for s in taught]
        rules += [
            {"tutor_id": tid, "weekday": day, "start_time": dt.time(9), "end_time": dt.time(17)}
            for day in range(5)
        ]
    db.session.execute(sa.insert(TutorSubject), links)
    db.session.execute(sa.insert(AvailabilityRule), rules)

    learner_langs = [[_language(rng)] for _ in range(learners)]
    learner_zones = [rng.choice(ZONE_OF[langs[0]]) for langs in learner_langs]
    world.learners = _users(learners, "Learner", RoleName.LEARNER, learner_zones, learner_langs)
    wants = [rng.choice(slugs) for _ in range(learners)]
    db.session.execute(
        sa.insert(LearnerInterest),
        [
            {"user_id": uid, "subject_id": subject_ids[wants[i]], "level": "all"}
            for i, uid in enumerate(world.learners)
        ],
    )
    _history(rng, world, learner_langs, wants, tutor_ids)
    db.session.commit()
    return world


def _history(
    rng: random.Random,
    world: World,
    learner_langs: list[list[str]],
    wants: list[str],
    tutor_ids: list[int],
) -> None:
    teaching = {s: [t for t in tutor_ids if s in world.tutor_subjects[t]] for s in world.subjects}
    # The most booked Spanish chemistry tutor becomes the one without free time.
    spanish_chemistry = [t for t in teaching["chemistry"] if "es" in world.tutor_languages[t]]
    world.blocked_tutor = spanish_chemistry[0]
    sessions_of: dict[int, int] = {}
    bookings, ratings, favourites = [], [], set()
    for i, learner in enumerate(world.learners):
        language = learner_langs[i][0]
        options = teaching[wants[i]]
        matching = [t for t in options if language in world.tutor_languages[t]] or options
        for _ in range(rng.randint(3, 6)):
            fits = rng.random() < 0.9
            if wants[i] == "chemistry" and language == "es" and rng.random() < 0.3:
                tutor = world.blocked_tutor
            else:
                tutor = rng.choice(matching if fits else options)
            fits = language in world.tutor_languages[tutor]
            k = sessions_of[tutor] = sessions_of.get(tutor, 0) + 1
            start = (NOW - dt.timedelta(days=k)).replace(hour=10, minute=0)
            bookings.append(
                {
                    "tutor_id": tutor,
                    "learner_id": learner,
                    "subject_id": world.subjects[wants[i]],
                    "start_at": start,
                    "end_at": start + dt.timedelta(hours=1),
                    "block_start": start,
                    "block_end": start + dt.timedelta(hours=1),
                    "state": BookingState.COMPLETED,
                    "uid": uuid.uuid4().hex,
                }
            )
            ratings.append(rng.choice([4, 5, 5]) if fits else rng.choice([2, 3]))
            if fits and rng.random() < 0.1:
                favourites.add((learner, tutor))
    created = db.session.execute(
        sa.insert(Booking).returning(Booking.id, Booking.tutor_id, sort_by_parameter_order=True),
        bookings,
    ).all()
    db.session.execute(
        sa.insert(Review),
        [
            {"booking_id": bid, "tutor_id": tid, "rating": rating}
            for (bid, tid), rating in zip(created, ratings, strict=True)
        ],
    )
    if favourites:
        db.session.execute(
            sa.insert(Favourite), [{"user_id": u, "tutor_id": t} for u, t in sorted(favourites)]
        )
    db.session.add(
        AvailabilityOverride(
            tutor_id=world.blocked_tutor,
            kind="blocked",
            first_date=NOW.date() - dt.timedelta(days=1),
            last_date=NOW.date() + dt.timedelta(days=40),
            note="away",
        )
    )


def new_learner(subject: str, languages: list[str], zone: str = "Europe/Madrid") -> User:
    """A learner with a stated interest and languages, and no history at all."""
    user = User(name="Newcomer", email=f"new-{uuid.uuid4().hex[:8]}@world.example", timezone=zone)
    user.languages = languages
    user.add_role(RoleName.LEARNER)
    db.session.add(user)
    db.session.flush()
    subject_id = db.session.scalar(sa.select(Subject.id).where(Subject.slug == subject))
    db.session.add(LearnerInterest(user_id=user.id, subject_id=subject_id, level="all"))
    db.session.commit()
    return user
