"""Curation in Django admin: importing the modules registers the catalogue's admin classes."""

from cases.admin import alerts, catalogue, entries, imports, tasks  # noqa: F401
