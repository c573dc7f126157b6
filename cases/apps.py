from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Case studies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases import signals  # noqa: F401 - connects cache invalidation
        from cases.search.sqlite import keep_index_after_migrate

        # SQLite: a migration that rebuilds cases_casestudy drops the search index's triggers; put them back.
        post_migrate.connect(keep_index_after_migrate, sender=self)
