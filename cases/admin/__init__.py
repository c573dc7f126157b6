"""Curation in Django admin: importing the modules registers the catalogue's admin classes."""

from cases.admin import catalogue, imports, tasks  # noqa: F401
