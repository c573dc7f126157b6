"""The check every text of the catalogue passes, a case's and its translations' alike."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.web.validation import TEXT_CONTROL_CHARACTERS

# Control characters other than tab, line feed and carriage return (defined once, in cases/web/validation.py).
# NUL is left to Django's own validator here, which every form field already has (its own message).
CONTROL_CHARACTERS = re.compile(f"[{TEXT_CONTROL_CHARACTERS}]".replace(r"\x00-", r"\x01-"))


def refuse_control_characters(value) -> None:
    """A validator: text with control characters (a bell, an escape sequence...) is refused with a message."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _("Remove the invisible control characters from this text (they were probably pasted in)."),
            code="control_characters",
        )


def control_character_errors(instance, skip=()) -> dict[str, list[str]]:
    """{field name: messages} for each text field of `instance` holding control characters (model clean())."""
    errors = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField) and field.name not in skip:
            try:
                refuse_control_characters(getattr(instance, field.attname))
            except ValidationError as error:
                errors[field.name] = error.messages
    return errors
