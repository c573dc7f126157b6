"""`{% load readable_numbers %}` then `{{ outcome.value|readable_number }}`: `1,000,000,000`, not
`1000000000.0000` (cases/web/formatting.py, which the admin calls too)."""

from django import template

from cases.web.formatting import format_number

register = template.Library()


@register.filter(name="readable_number")
def readable_number(value):
    """`value` with grouped digits and no trailing zeros (format_number)."""
    return format_number(value)
