"""Numbers, dates and years for people to read, the same in the admin and on the public pages.

Outcome values are stored as decimals with four places (`1000000000.0000`); `str()` shows the places, and
`Decimal.normalize()` alone gives `1E+9`. `format_number` shows `1,000,000,000` and `12.5`: digits grouped
by the active language's separator, no exponent, no trailing zeros. The template filter
`{{ value|readable_number }}` (cases/templatetags/readable_numbers.py) calls it.

Dates and years are written in the era the reader's language counts in: Thailand's official calendar is the
Buddhist Era, 543 years ahead of the Gregorian (2026 is B.E. 2569), and Thai public servants read "7 ธันวาคม
2569", not 2026. `format_date` and `format_year` (the filters `readable_date` and `readable_year`) do that
for what people read; what machines read stays Gregorian: `<time datetime>`, addresses and their
parameters (`?year_from=2015`), the API's values, exports and feeds.
"""

from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.dateformat import DateFormat
from django.utils.translation import get_language

# Years to add to a Gregorian year for the era each language's readers count in (the others: none).
ERA_OFFSETS = {"th": 543}


def format_number(value) -> str:
    """`value` (a Decimal, int, float or numeric string) in words for reading: grouped digits, no trailing
    zeros; "" for None or "", and anything that is not a number as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        # Through str(): a float's shortest decimal form (0.1, not 0.1000000000000000055...).
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    # normalize() drops trailing zeros, and may give an exponent (1E+9) that number_format writes out.
    number = number.normalize()
    if number == 0:
        number = Decimal(0)  # not "-0" nor "0E+2"
    return formats.number_format(number, use_l10n=True, force_grouping=True)


def era_offset(language: str | None = None) -> int:
    """The years the era of `language` (the active one by default) is ahead of the Gregorian calendar."""
    return ERA_OFFSETS.get(language or get_language() or "", 0)


def format_year(year, language: str | None = None) -> str:
    """A Gregorian year (an int or its digits) as the reader counts it: 2015 is "2558" in Thai. Not grouped
    (a year is no quantity: "2015", never "2,015"); "" for None or "", anything else as it is."""
    if year is None or year == "":
        return ""
    try:
        number = int(year)
    except (TypeError, ValueError):
        return str(year)
    return str(number + era_offset(language))


class _EraDateFormat(DateFormat):
    """Django's date formatting with the years of another era (every format character that gives a year)."""

    def __init__(self, obj, offset: int):
        super().__init__(obj)
        self.offset = offset

    # Named after the format characters they give (Y: 2026, y: 26, o: the ISO week's year).
    def Y(self):
        return f"{self.data.year + self.offset:04d}"

    def y(self):
        return f"{(self.data.year + self.offset) % 100:02d}"

    def o(self):
        return self.data.isocalendar().year + self.offset


def format_date(value, format_name: str = "DATE_FORMAT") -> str:
    """`value` (a date or datetime) in the active language's `format_name` (DATE_FORMAT, YEAR_MONTH_FORMAT,
    ...: a named format, as the `date` filter takes it), its year in the language's era; "" for None."""
    if value is None or value == "":
        return ""
    offset = era_offset()
    try:
        if not offset:
            return formats.date_format(value, format_name)
        return _EraDateFormat(value, offset).format(formats.get_format(format_name))
    except AttributeError:  # not a date: nothing, as Django's `date` filter gives
        return ""
