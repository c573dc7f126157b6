"""Background work, through Django's task framework (`django.tasks`).

The default backend (ImmediateBackend) runs a task as soon as it is enqueued, in the same process: after
a write, that is at the end of the writer's request, once the transaction has committed, so readers
never wait for it. A deployment can move tasks to a worker by pointing the TASKS setting at a queue
backend; nothing here changes (the worker reads the catalogue version from the database like any process).

E-mails are tasks too: the services enqueue them with `transaction.on_commit`, so a write that rolls back
sends nothing, and a mail server that is slow or down never holds up or fails the write (the task fails on
its own, and the task framework logs it). A task gets ids, not objects, and reads what it needs when it
runs: whatever happened in between (a contact purged, a case unpublished) is respected.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import connection, transaction
from django.http import QueryDict
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from cases.caching import (
    catalogue_changed,
    catalogue_last_modified,
    shared_catalogue_version,
    vocabulary_snapshot,
)
from cases.filters import CaseStudyFilterSet
from cases.insights.bitmaps import CatalogueBitmaps
from cases.models import NARRATIVE_FIELDS, AlertSubscription, CaseStudy, SubmitterContact
from cases.models.rendered import refresh_rendered_narratives
from cases.models.search_document import LANGUAGE_FIELDS
from cases.search.engine import refresh_postings, refresh_word_list
from cases.search.related import refresh_after_write, refresh_related, stale_case_ids
from observatory.postgresql.base import long_running


@task
def refresh_statistics() -> dict:
    """Build the statistics' bitmaps for the current catalogue version, so its first reader does not; and
    the vocabulary snapshot (cases.caching), which after a write to a case is still cached (no query); and
    when the catalogue last changed (the API's Last-Modified, one query)."""
    vocabulary_snapshot()
    catalogue_last_modified()
    version = shared_catalogue_version()
    # Built afresh for the new version (not taken from this process's copy), so its digest says whether
    # the write changed what is counted; readers holding the same digest keep their copy.
    bitmaps = CatalogueBitmaps.refresh(version) if version is not None else CatalogueBitmaps.current()
    return {"version": bitmaps.version, "published_cases": len(bitmaps.published)}


@task
def refresh_search_words() -> int:
    """Rebuild the word list "did you mean" draws its corrections from (cases.search.engine). Background
    work: its one read of every published title and summary may take longer than a request's statement
    limit (3 s at 100,000 cases on a busy machine), so it has the bulk limit."""
    with long_running():
        return refresh_word_list()


@task
def refresh_search_postings() -> dict:
    """Bring the posting lists of the common words up to date (cases/search/postings.py): apply the rows
    changed since, and build the missing ones (a minute or more at 1,000,000 cases, hence the bulk limit)."""
    with long_running():
        return refresh_postings()


def refresh_statistics_after_commit() -> None:
    refresh_statistics.enqueue()
    refresh_search_words.enqueue()
    refresh_search_postings.enqueue()


def refresh_after_narrative_commit() -> None:
    """After a transaction that changed only narratives: the word list "did you mean" draws on holds titles
    and summaries alone (a read of every published one), so it stays as it is."""
    refresh_statistics.enqueue()
    refresh_search_postings.enqueue()


def catalogue_written(*, vocabularies: bool = False, cases=None, narrative_only: bool = False) -> None:
    """Call for every write to the catalogue, inside its transaction (cases/signals.py does for every ORM
    write), with `vocabularies` when it writes a vocabulary's terms or an economy, and `cases` when it can
    name the only cases whose own pages it changes: bumps the catalogue version (and the vocabulary version,
    and the public revisions of those cases or, when it names none, the case pages version:
    cases.caching.catalogue_changed) in that transaction, and once it commits refreshes the statistics'
    bitmaps for the new version and the search's word list, once per transaction however many rows it writes
    (at once when there is no transaction). Nothing happens after a rollback. `narrative_only`: the write
    changes nothing but the narrative sections of `cases` (or of their translations): the listing version
    stays (cases.caching.catalogue_changed), and so does the word list."""
    catalogue_changed(vocabularies=vocabularies, cases=cases, narrative_only=narrative_only)
    registered = {callback for _ids, callback, _robust in connection.run_on_commit}
    if refresh_statistics_after_commit in registered:
        return
    if not narrative_only:
        transaction.on_commit(refresh_statistics_after_commit)
    elif refresh_after_narrative_commit not in registered:
        transaction.on_commit(refresh_after_narrative_commit)


def catalogue_committed(*, vocabularies: bool = False) -> None:
    """For writers that bypass signals and commit on their own (bulk generation, benchmarks): after their
    commit, bump the catalogue version (and the vocabulary version, with `vocabularies`: they wrote terms)
    and refresh the statistics' bitmaps."""
    catalogue_changed(vocabularies=vocabularies)
    refresh_statistics_after_commit()


@task
def refresh_related_lists(case_ids: list[int]) -> dict:
    """After a committed write to these cases: recompute their related lists and mark stale the lists that
    may have changed with them, for `refresh_related --stale` (cases/search/related.py, refresh_after_write).
    Gets ids and reads the cases when it runs: a case deleted meanwhile is skipped."""
    with long_running():
        return refresh_after_write(case_ids)


@task
def render_narratives(case_ids: list[int]) -> dict:
    """After a committed write to these cases or their translations: the HTML of their narratives, made
    again where the text changed (cases/models/rendered.py). Until it has run, their pages render it live."""
    return refresh_rendered_narratives(case_ids)


class CasesAfterCommit:
    """The cases written in a connection's open transaction for which `task` is to run once it commits: one
    task for every case the transaction wrote, however many writes it made to each (an admin save writes
    the row and then each relation). Nothing runs after a rollback."""

    def __init__(self, name: str, task_function):
        self.attribute = f"{name}_pending"  # set on the database connection
        self.task = task_function

    def _run(self) -> None:
        pending = getattr(connection, self.attribute, None) or set()
        setattr(connection, self.attribute, None)
        if pending:
            self.task.enqueue(sorted(pending))

    def written(self, case_ids) -> None:
        ids = {pk for pk in case_ids if pk is not None}
        if not ids:
            return
        if not connection.in_atomic_block:
            self.task.enqueue(sorted(ids))  # autocommit: the write has committed already
            return
        pending = getattr(connection, self.attribute, None)
        if pending is None or not any(
            getattr(callback, "__self__", None) is self
            for _ids, callback, _robust in connection.run_on_commit
        ):
            # None pending yet in this transaction (a set left by one that rolled back, its callbacks
            # discarded with it, is started afresh).
            pending = set()
            setattr(connection, self.attribute, pending)
        pending.update(ids)
        # A callback per write, the first to run taking every pending case (the others find none): one per
        # transaction would be lost with the savepoint it was registered in, and tests that capture the
        # callbacks of a block see the writes made in it.
        transaction.on_commit(self._run)


_related_after_commit = CasesAfterCommit("related_lists", refresh_related_lists)
_narratives_after_commit = CasesAfterCommit("narratives", render_narratives)


def related_written(case_ids) -> None:
    """Call for a write that may change the related lists of `case_ids` (a case's row, its themes, sectors
    or facets: cases/signals.py does), inside its transaction: once it commits, one task refreshes the
    lists of every case the transaction wrote."""
    _related_after_commit.written(case_ids)


def narrative_written(case_ids) -> None:
    """Call for a write that may change the text of `case_ids` or of their translations (cases/signals.py
    does), inside its transaction: once it commits, one task makes the HTML of their narratives again."""
    _narratives_after_commit.written(case_ids)


def absolute_url(path: str) -> str:
    """`path` on the public site (SITE_URL): for links in e-mails, which have no request to go by."""
    return settings.SITE_URL.rstrip("/") + path


@task
def refresh_stale_related() -> dict:
    """The related lists that writes marked stale, and the missing ones (`refresh_related --stale`), on the
    worker's schedule (settings.TASK_SCHEDULE) instead of cron."""
    with long_running():
        refreshed = refresh_related(stale_case_ids())
    return {"lists": refreshed.lists, "rows": refreshed.rows}


@task
def send_submission_receipt(submitter_id: int) -> bool:
    """E-mail a submitter their reference number. False when the contact no longer exists."""
    submitter = SubmitterContact.objects.select_related("case").filter(pk=submitter_id).first()
    if submitter is None:
        return False
    subject = _("We have received your case study (%(reference)s)") % {"reference": submitter.reference}
    body = _(
        "Dear %(name)s,\n\n"
        "Thank you for proposing “%(title)s” to the Observatory.\n\n"
        "Your reference number is %(reference)s. Please quote it if you write to us about this case.\n\n"
        "A curator will review your submission. We may write to you at this address with questions, and we "
        "will tell you when the case is published. Your contact details are never published.\n\n"
        "The Observatory"
    ) % {"name": submitter.name, "title": submitter.case.title, "reference": submitter.reference}
    send_mail(subject, body, None, [submitter.email])
    return True


@task
def send_publication_notice(case_id: int) -> bool:
    """Tell whoever proposed a case that it is now public, with the absolute address of its page. False
    when there is no one to tell (no contact, or purged) or the case is no longer published."""
    contact = SubmitterContact.objects.select_related("case").filter(case_id=case_id).first()
    if contact is None or not contact.case.is_published:
        return False
    case = contact.case
    link = absolute_url(case.get_absolute_url())
    send_mail(
        subject=_("Your case study is now published: %(title)s") % {"title": case.title},
        message=_(
            "Thank you for proposing “%(title)s” (reference %(reference)s). It is now published:\n\n%(link)s"
        )
        % {"title": case.title, "reference": contact.reference, "link": link},
        from_email=None,
        recipient_list=[contact.email],
    )
    return True


@task
def send_changes_requested_notice(case_id: int, note: str) -> bool:
    """Tell whoever proposed a case what the curator asks them to change (the note the curator wrote when
    sending it back), with their reference number to quote in a reply. False when there is no one to tell."""
    contact = SubmitterContact.objects.select_related("case").filter(case_id=case_id).first()
    if contact is None:
        return False
    case = contact.case
    send_mail(
        subject=_("Your case study needs some changes: %(title)s") % {"title": case.title},
        message=_(
            "Dear %(name)s,\n\n"
            "Thank you for proposing “%(title)s” (reference %(reference)s). Before it can be published, our "
            "curators ask for the following changes:\n\n%(note)s\n\n"
            "Please reply to this message with the changes or any questions, quoting your reference "
            "number.\n\n"
            "The Observatory"
        )
        % {"name": contact.name, "title": case.title, "reference": contact.reference, "note": note.strip()},
        from_email=None,
        recipient_list=[contact.email],
    )
    return True


# --- E-mail alerts for library selections (issue 19): what the e-mails say --------------------------
# The writes (subscribing, confirming, the digests' bookkeeping) are cases/services.py's; these read and
# compose, in the subscriber's language (the caller activates it: translation.override).

# Cases listed in one digest; a link to the library shows them all.
DIGEST_MAX_CASES = 50


def alert_new_cases(subscription: AlertSubscription, *, since, until) -> list[CaseStudy]:
    """The published cases matching the subscription's selection, through the library's FilterSet over
    the published cases only, published after `since` and up to `until`: newest first, at most
    DIGEST_MAX_CASES + 1 (the one more says there are more), each with its title and summary in the
    active language where a published translation has them. A fixed number of queries, however many match."""
    published = CaseStudy.objects.published().filter(published_at__gt=since, published_at__lte=until)
    filterset = CaseStudyFilterSet(QueryDict(subscription.query), queryset=published)
    if not filterset.is_valid():
        return []  # a term removed from its vocabulary since: nothing can match it any more
    cases = (
        filterset.qs.select_related("economy")
        .defer(*NARRATIVE_FIELDS, *LANGUAGE_FIELDS)
        .with_text_in(get_language())
        .order_by("-published_at", "-id")
    )
    return list(cases[: DIGEST_MAX_CASES + 1])


def one_line(text: str, limit: int = 150) -> str:
    """A subject line: one line, not too long."""
    return Truncator(" ".join(str(text).split())).chars(limit)


def alert_email(subscription: AlertSubscription, *, subject: str, template: str, context: dict):
    """An alert e-mail in plain text and HTML (templates/alerts/email/<template>.txt and .html) with a
    one-click unsubscribe link in its headers (RFC 8058) and in its text, in the active language."""
    unsubscribe = absolute_url(subscription.unsubscribe_url())
    context = {
        "subscription": subscription,
        "selection": subscription.title or _("All case studies"),
        "site_name": settings.OBSERVATORY_SITE_NAME,
        "site_url": absolute_url("/"),
        "unsubscribe_url": unsubscribe,
        "manage_url": absolute_url(subscription.manage_url()),
        "library_url": absolute_url(subscription.library_url()),
        "privacy_url": absolute_url(reverse("cases:privacy")),
        **context,
    }
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=render_to_string(f"alerts/email/{template}.txt", context),
        from_email=settings.ALERT_FROM_EMAIL,
        to=[subscription.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"alerts/email/{template}.html", context), "text/html")
    return message


def alert_digest_message(subscription: AlertSubscription, cases: list[CaseStudy]):
    """The digest of `cases` (alert_new_cases' list), with an absolute link to each."""
    listed = [
        {
            "title": case.shown_text["title"],
            "summary": case.shown_text["summary"],
            "economy": case.economy.label,
            "url": absolute_url(case.get_absolute_url()),
        }
        for case in cases[:DIGEST_MAX_CASES]
    ]
    selection = subscription.title or _("All case studies")
    subject = ngettext(
        "%(count)s new case study: %(selection)s",
        "%(count)s new case studies: %(selection)s",
        len(listed),
    ) % {"count": len(listed), "selection": selection}
    return alert_email(
        subscription,
        subject=subject,
        template="digest",
        context={"cases": listed, "more": len(cases) > DIGEST_MAX_CASES},
    )


@task
def send_alert_confirmation(subscription_id: int) -> bool:
    """E-mail the link that confirms a subscription (double opt-in), in the language it was asked for in.
    False when there is nothing to confirm any more (confirmed, unsubscribed or purged)."""
    subscription = AlertSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.is_confirmed:
        return False
    with translation.override(subscription.language):
        subject = _("Confirm your e-mail alert: %(selection)s") % {
            "selection": subscription.title or _("All case studies")
        }
        alert_email(
            subscription,
            subject=subject,
            template="confirm",
            context={
                "confirm_url": absolute_url(subscription.confirm_url()),
                "days": settings.ALERT_CONFIRMATION_DAYS,
            },
        ).send()
    return True
