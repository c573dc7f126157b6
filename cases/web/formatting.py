"""Numbers for people to read, the same in the admin and on the public pages.

Outcome values are stored as decimals with four places (`1000000000.0000`); `str()` shows the places, and
`Decimal.normalize()` alone gives `1E+9`. `format_number` shows `1,000,000,000` and `12.5`: digits grouped
by the active language's separator, no exponent, no trailing zeros. The template filter
`{{ value|readable_number }}` (cases/templatetags/readable_numbers.py) calls it.
"""

from decimal import Decimal, InvalidOperation

from django.utils import formats


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
