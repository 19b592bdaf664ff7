"""``{{ value|duration }}``: a length of time as people read it ("4 d 7 h", "1 h 43 min").

The desk shows SLA and reply times; "6180 min" makes a reader do the arithmetic. Two units at most,
the largest first, rounded down (a reply after 59 min 50 s shows "59 min", never "1 h").
"""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


def human_duration(value: timedelta | float | None) -> str:
    """A ``timedelta``, or a number of **minutes**, as "4 d 7 h", "1 h 43 min", "12 min";
    "under 1 min" for a positive amount below a minute; "" for ``None``."""
    if value is None or value == "":
        return ""
    minutes_total = value.total_seconds() / 60 if isinstance(value, timedelta) else float(value)
    sign = "-" if minutes_total < 0 else ""
    minutes_total = abs(minutes_total)
    if 0 < minutes_total < 1:
        return f"{sign}under 1 min"
    whole = int(minutes_total)
    days, rest = divmod(whole, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [f"{days} d"] + ([f"{hours} h"] if hours else [])
    elif hours:
        parts = [f"{hours} h"] + ([f"{minutes} min"] if minutes else [])
    else:
        parts = [f"{minutes} min"]
    return sign + " ".join(parts)


@register.filter
def duration(value) -> str:
    try:
        return human_duration(value)
    except (TypeError, ValueError):
        return str(value)
