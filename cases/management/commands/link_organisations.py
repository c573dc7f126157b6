"""Give each case its lead organisation as an entity (cases.services.case_organisations_link): the
organisation of the case's economy whose name is the case's `lead_organisation` in another spelling, or a
new one made from it. Safe to run again: cases already linked are left as they are, and the text of the
cases is never changed.

It shows progress, lists the cases it could not match (with why), and ends with a one-line summary. Those
cases are for a curator to link on the case's form (docs/methods-and-toolkits.md, "Organisations").
"""

from django.core.management.base import BaseCommand

from cases.models import CaseStudy
from cases.services import case_organisations_link

# A progress line every this many cases (and after the last).
PROGRESS_EVERY = 500


class Command(BaseCommand):
    help = "Link every case to its lead organisation (an entity), matching names within each economy."

    def add_arguments(self, parser):
        parser.add_argument("--slug", action="append", default=[], help="Only this case (repeatable).")

    def handle(self, *args, slug, **options):
        cases = CaseStudy.objects.filter(slug__in=slug) if slug else None
        self.stdout.write("Linking cases to their lead organisations")

        def progress(done, total):
            if done % PROGRESS_EVERY == 0 or done == total:
                self.stdout.write(f"  {done:,} of {total:,} cases")

        report = case_organisations_link(cases=cases, progress=progress)
        if report.unmatched:
            self.stdout.write("Not matched (link these on the case's form):")
            for case_slug, why in report.unmatched:
                self.stdout.write(f"  {case_slug}: {why}")
        style = self.style.WARNING if report.unmatched else self.style.SUCCESS
        self.stdout.write(style(report.summary()))
