"""Check every toolkit's address now (cases.services.toolkit_links_check), as the weekly task does
(cases.services.check_toolkit_links): each answer is recorded on the toolkit (link_state, link_error,
link_checked_at), and a broken link shows in the admin's list of toolkits. Archived toolkits are left out
unless named with --slug.

It shows progress, lists the broken links, and ends with a one-line summary. The exit status is 0 even when
links are broken: a broken link is news for curators, not a failure of the command.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.models import Toolkit
from cases.services import toolkit_links_check

# A progress line every this many toolkits (and after the last).
PROGRESS_EVERY = 10


class Command(BaseCommand):
    help = "Check the address of every toolkit (or those named) and flag broken links for curators."

    def add_arguments(self, parser):
        parser.add_argument(
            "--slug",
            action="append",
            default=[],
            help="Check only this toolkit (repeatable); archived ones too.",
        )

    def handle(self, *args, slug, **options):
        toolkits = None
        if slug:
            toolkits = Toolkit.objects.filter(slug__in=slug)
            missing = sorted(set(slug) - set(toolkits.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"No toolkit with the slug {', '.join(missing)}.")
        self.stdout.write(
            f"Checking toolkits' links, waiting up to {settings.TOOLKIT_LINK_TIMEOUT} s for each to answer"
        )

        def progress(done, total):
            if done % PROGRESS_EVERY == 0 or done == total:
                self.stdout.write(f"  {done:,} of {total:,}")

        report = toolkit_links_check(toolkits=toolkits, progress=progress)
        for toolkit_slug, problem in report.broken:
            self.stdout.write(f"  broken: {toolkit_slug}: {problem}")
        style = self.style.WARNING if report.broken else self.style.SUCCESS
        self.stdout.write(style(report.summary()))
