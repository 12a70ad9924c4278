"""Demo data: enough tutors, learners and history to see the whole flow on a fresh install."""

from __future__ import annotations

import datetime as dt
import random

import pendulum
import sqlalchemy as sa

from lti_tool import money
from lti_tool.models import AuditEntry
from lti_tool.models import AvailabilityRule
from lti_tool.models import Booking
from lti_tool.models import BookingState
from lti_tool.models import Review
from lti_tool.models import RoleName
from lti_tool.models import Subject
from lti_tool.models import TutorProfile
from lti_tool.models import TutorSubject
from lti_tool.models import User
from lti_tool.models import db

DEMO_DOMAIN = "demo.example.org"
#: Tutors' prices per hour, in units of the site's currency.
HOURLY_PRICES = (25, 30, 35, 40, 50, 60)

SUBJECTS = (
    ("algebra", "Algebra"),
    ("calculus", "Calculus"),
    ("statistics", "Statistics"),
    ("physics", "Physics"),
    ("chemistry", "Chemistry"),
    ("biology", "Biology"),
    ("programming", "Programming in Python"),
    ("english-writing", "English Writing"),
    ("spanish", "Spanish"),
    ("economics", "Economics"),
)

# (name, zone, languages, weekly ranges as (weekdays, start, end))
TUTORS = (
    ("Maya Okafor", "Africa/Lagos", ["en", "yo"], ((0, 1, 2, 3), "16:00", "20:00")),
    ("Kenji Watanabe", "Asia/Tokyo", ["ja", "en"], ((1, 3, 5), "09:00", "12:00")),
    ("Lucía Fernández", "Europe/Madrid", ["es", "en"], ((0, 2, 4), "18:00", "21:30")),
    ("Arjun Mehta", "Asia/Kolkata", ["hi", "en"], ((0, 1, 2, 3, 4), "19:00", "22:00")),
    ("Sofia Rossi", "Europe/Rome", ["it", "en"], ((5, 6), "10:00", "14:00")),
    ("Daniel Cohen", "America/New_York", ["en", "he"], ((0, 2, 4), "17:00", "21:00")),
    ("Ana Souza", "America/Sao_Paulo", ["pt", "es", "en"], ((1, 3), "08:00", "12:00")),
    ("Liam O'Brien", "Europe/Dublin", ["en", "ga"], ((0, 1, 2, 3, 4), "07:00", "09:00")),
    ("Priya Shrestha", "Asia/Kathmandu", ["ne", "en", "hi"], ((6, 0, 1), "06:30", "10:30")),
    ("Noah Williams", "America/Los_Angeles", ["en"], ((1, 2, 3), "15:00", "19:00")),
    ("Chen Wei", "Asia/Shanghai", ["zh", "en"], ((0, 2, 4, 6), "19:00", "22:00")),
    ("Amelia Brown", "Australia/Sydney", ["en"], ((0, 1, 2, 3), "17:30", "20:30")),
    ("Tane Ngata", "Pacific/Auckland", ["en", "mi"], ((2, 3, 4), "18:00", "21:00")),
    ("Fatima Zahra", "Africa/Casablanca", ["ar", "fr", "en"], ((5, 6), "09:00", "13:00")),
    ("Lukas Schneider", "Europe/Berlin", ["de", "en"], ((1, 3), "16:00", "20:00")),
    ("Isabella Gómez", "America/Mexico_City", ["es", "en"], ((0, 1, 2, 3, 4), "12:00", "15:00")),
    ("Oliver Smith", "Europe/London", ["en", "fr"], ((0, 2), "18:00", "22:00")),
    ("Hana Kim", "Asia/Seoul", ["ko", "en"], ((1, 4, 5), "20:00", "23:00")),
    ("Ravi Nair", "Asia/Dubai", ["en", "ml", "ar"], ((6, 0, 1, 2), "17:00", "20:00")),
    ("Emma Tremblay", "America/Toronto", ["en", "fr"], ((5, 6), "13:00", "17:00")),
)

LEARNER_NAMES = (
    "Aisha",
    "Ben",
    "Carla",
    "Dev",
    "Elif",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Paula",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Alex",
    "Bea",
    "Cyrus",
    "Dana",
)
LEARNER_ZONES = (
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "America/Chicago",
    "Europe/Paris",
    "Asia/Singapore",
    "America/Denver",
    "Australia/Melbourne",
)


def _clear() -> None:
    demo_users = sa.select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}"))
    demo_tutors = sa.select(TutorProfile.id).where(TutorProfile.user_id.in_(demo_users))
    demo_bookings = sa.select(Booking.id).where(Booking.tutor_id.in_(demo_tutors))
    db.session.execute(sa.delete(Review).where(Review.booking_id.in_(demo_bookings)))
    db.session.execute(
        sa.delete(AuditEntry).where(
            AuditEntry.entity_type == "booking", AuditEntry.entity_id.in_(demo_bookings)
        )
    )
    db.session.execute(sa.delete(Booking).where(Booking.id.in_(demo_bookings)))
    for tutor in db.session.scalars(
        sa.select(TutorProfile).where(TutorProfile.id.in_(demo_tutors))
    ):
        db.session.delete(tutor)
    for user in db.session.scalars(sa.select(User).where(User.id.in_(demo_users))):
        db.session.delete(user)
    db.session.flush()


def seed(reset: bool = False, now: dt.datetime | None = None, currency: str | None = None) -> str:
    """Create the demo data unless it exists; return a one-line summary. Prices are in
    *currency*, the site's by default."""
    currency = currency or money.site_currency()
    existing = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))
    )
    if existing and not reset:
        return f"Demo data already present ({existing} demo people); use --reset to recreate it."
    if existing:
        _clear()
    rng = random.Random(20261129)
    now = now or dt.datetime.now(dt.UTC)

    subjects = {}
    for slug, name in SUBJECTS:
        subject = db.session.scalar(sa.select(Subject).where(Subject.slug == slug))
        if subject is None:
            subject = Subject(slug=slug, name=name, description=f"One-to-one help with {name}.")
            db.session.add(subject)
        subjects[slug] = subject

    tutors: list[TutorProfile] = []
    for index, (name, zone, languages, (weekdays, start, end)) in enumerate(TUTORS):
        user = User(name=name, email=f"tutor{index + 1}@{DEMO_DOMAIN}", timezone=zone)
        user.add_role(RoleName.TUTOR)
        taught = rng.sample(sorted(subjects), k=rng.randint(2, 3))
        profile = TutorProfile(
            user=user,
            external_id=f"demo-tutor-{index + 1}",
            headline=f"{subjects[taught[0]].name} tutor",
            bio=f"{name.split()[0]} has tutored for {rng.randint(2, 15)} years.",
            timezone=zone,
            languages=languages,
            price_cents=money.to_minor(rng.choice(HOURLY_PRICES), currency),
            session_lengths=[30, 45, 60],
            interval_min=30,
            min_notice_min=4 * 60,
            horizon_days=60,
            buffer_after_min=10,
        )
        profile.subjects = [
            TutorSubject(subject=subjects[slug], level=rng.choice(["school", "university", "all"]))
            for slug in taught
        ]
        start_time = dt.time.fromisoformat(start)
        end_time = dt.time.fromisoformat(end)
        profile.rules = [
            AvailabilityRule(weekday=day, start_time=start_time, end_time=end_time)
            for day in weekdays
        ]
        db.session.add(profile)
        tutors.append(profile)

    learners: list[User] = []
    for index, name in enumerate(LEARNER_NAMES):
        learner = User(
            name=f"{name} Learner",
            email=f"learner{index + 1}@{DEMO_DOMAIN}",
            timezone=LEARNER_ZONES[index % len(LEARNER_ZONES)],
        )
        learner.add_role(RoleName.LEARNER)
        db.session.add(learner)
        learners.append(learner)
    db.session.flush()

    sessions = 0
    for tutor in tutors:
        tutor_zone = pendulum.timezone(tutor.timezone)
        rule = tutor.rules[0]
        # One past session a week on the tutor's first available weekday, for eight weeks.
        today = pendulum.instance(now).in_timezone(tutor_zone).date()
        for weeks_back in range(1, 9):
            if rng.random() < 0.25:
                continue
            day = today.subtract(weeks=weeks_back)
            day = day.subtract(days=(day.weekday() - rule.weekday) % 7)
            local = pendulum.datetime(
                day.year,
                day.month,
                day.day,
                rule.start_time.hour,
                rule.start_time.minute,
                tz=tutor_zone,
            )
            start_at = local.in_timezone("UTC")
            end_at = start_at.add(minutes=60)
            learner = rng.choice(learners)
            block_start, block_end = tutor.booked_span(start_at, end_at)
            booking = Booking(
                tutor=tutor,
                learner=learner,
                subject=tutor.subjects[0].subject,
                start_at=start_at,
                end_at=end_at,
                block_start=block_start,
                block_end=block_end,
                state=BookingState.COMPLETED,
                price_cents=tutor.price_for(60, currency),
                currency=currency.lower(),
            )
            db.session.add(booking)
            db.session.flush()
            db.session.add(
                AuditEntry(
                    entity_type="booking",
                    entity_id=booking.id,
                    action="completed",
                    from_state=BookingState.CONFIRMED.value,
                    to_state=BookingState.COMPLETED.value,
                    detail={"source": "demo"},
                )
            )
            if rng.random() < 0.7:
                db.session.add(
                    Review(
                        booking_id=booking.id,
                        tutor_id=tutor.id,
                        rating=rng.choice([3, 4, 4, 5, 5, 5]),
                        comment="Clear and patient.",
                    )
                )
            sessions += 1
    db.session.commit()
    return (
        f"Demo data: {len(tutors)} tutors in {len({t.timezone for t in tutors})} timezones, "
        f"{len(subjects)} subjects, {len(learners)} learners, {sessions} past sessions."
    )
