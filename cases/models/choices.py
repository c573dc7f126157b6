"""Fixed choices that cases and organisations share (a module of its own, so that cases/models/methods.py
can build on them without importing the package that re-exports it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    NATIONAL = "national", _("National / federal")
    REGIONAL = "regional", _("Regional / state")
    LOCAL = "local", _("Local")
    MULTI_LEVEL = "multi_level", _("Multi-level")
    CROSS_BORDER = "cross_border", _("Cross-border")


class OrganisationType(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    NGO = "ngo", _("NGO")
    INTERNATIONAL = "international", _("International organisation")
    ACADEMIA = "academia", _("Academia")
    PRIVATE = "private", _("Private sector")
    INDEPENDENT = "independent", _("Independent institution")
