from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_migrate


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Case studies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases import signals  # noqa: F401 - connects cache invalidation
        from cases.caching import vocabulary_snapshot
        from cases.models.vocabularies import use_snapshot_source
        from cases.search import request_memo
        from cases.search.sqlite import keep_index_after_migrate

        # The cases' terms come from the cached vocabulary snapshot (the models cannot import the caching).
        use_snapshot_source(vocabulary_snapshot)

        # SQLite: a migration that rebuilds cases_casestudy drops the search index's triggers; put them back.
        post_migrate.connect(keep_index_after_migrate, sender=self)

        # A search reads what several parts of a request ask for once (cases/search/request_memo.py).
        request_started.connect(request_memo.start_request, dispatch_uid="search-start-request")
        request_finished.connect(request_memo.end_request, dispatch_uid="search-end-request")
