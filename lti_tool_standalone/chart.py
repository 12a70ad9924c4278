"""Sessions per week, counted from the bookings and drawn as an SVG bar chart on the server."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa
from markupsafe import Markup
from markupsafe import escape

from lti_tool.api import Booking
from lti_tool.api import BookingState
from lti_tool.api import db

#: Sessions that happened, or are still to happen.
COUNTED = (BookingState.CONFIRMED, BookingState.COMPLETED, BookingState.NO_SHOW)


def week_start(moment: dt.datetime) -> dt.date:
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def sessions_per_week(now: dt.datetime, weeks: int = 12) -> list[tuple[dt.date, int]]:
    """(Monday, sessions) for the *weeks* weeks (UTC) up to and including this one."""
    first = week_start(now) - dt.timedelta(weeks=weeks - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    starts = db.session.scalars(
        sa.select(Booking.start_at).where(
            Booking.state.in_(COUNTED),
            Booking.start_at >= since,
            Booking.start_at < since + dt.timedelta(weeks=weeks),
        )
    )
    counts = Counter(week_start(start) for start in starts)
    mondays = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    return [(monday, counts[monday]) for monday in mondays]


def bar_chart(data: list[tuple[dt.date, int]], title: str) -> Markup:
    """An accessible SVG: a title and description for screen readers, one labelled bar each."""
    width, height, top, bottom, left = 640, 220, 20, 40, 36
    plot_height = height - top - bottom
    slot = (width - left) / max(len(data), 1)
    peak = max((count for _, count in data), default=0) or 1
    total = sum(count for _, count in data)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" data-testid="sessions-chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{total} sessions over {len(data)} weeks; '
        f"the busiest week had {peak if total else 0}.</desc>",
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width}" y2="{top + plot_height}" '
        'class="axis"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="tick">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_height}" text-anchor="end" class="tick">0</text>',
    ]
    for index, (monday, count) in enumerate(data):
        bar_height = plot_height * count / peak
        x = left + index * slot + slot * 0.15
        y = top + plot_height - bar_height
        label = f"Week of {monday.isoformat()}: {count} sessions"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_height:.1f}" data-week="{monday.isoformat()}" data-count="{count}">'
            f"<title>{escape(label)}</title></rect>"
        )
        parts.append(
            f'<text class="tick" x="{x + slot * 0.35:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{monday.strftime("%d %b")}</text>'
        )
    parts.append("</svg>")
    # Every interpolated value above is a number, a date or escaped text.
    return Markup("".join(parts))
