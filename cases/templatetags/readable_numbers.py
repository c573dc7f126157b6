"""`{% load readable_numbers %}` then `{{ outcome.value|readable_number }}`: `1,000,000,000`, not
`1000000000.0000` (cases/web/formatting.py, which the admin calls too). `{{ year|readable_year }}` and
`{{ day|readable_date:"DATE_FORMAT" }}`: in the era the reader counts in (a Thai reader's Buddhist Era). A
`<time datetime>` keeps Django's `date` filter: machines read Gregorian dates."""

from django import template

from cases.web.formatting import format_date, format_number, format_year

register = template.Library()


@register.filter(name="readable_number")
def readable_number(value):
    """`value` with grouped digits and no trailing zeros (format_number)."""
    return format_number(value)


@register.filter(name="readable_year")
def readable_year(value):
    """A Gregorian year as the reader counts it (format_year)."""
    return format_year(value)


@register.filter(name="readable_date")
def readable_date(value, format_name="DATE_FORMAT"):
    """A date in the language's named format `format_name`, in the reader's era (format_date)."""
    return format_date(value, format_name)
