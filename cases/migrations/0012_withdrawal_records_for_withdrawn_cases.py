"""A withdrawal record for every case that had left the public catalogue before departures were recorded.

From now on each departure (unpublished, archived) leaves its record as it happens (cases/services.py),
and the changes feed reads only those records, not the withdrawn case's row. For a case withdrawn before,
the best there is goes in its record: the slug and last change the feed showed for it until now.
"""

from django.db import migrations


def record_earlier_withdrawals(apps, schema_editor):
    CaseStudy = apps.get_model("cases", "CaseStudy")
    CaseWithdrawal = apps.get_model("cases", "CaseWithdrawal")
    already = CaseWithdrawal.objects.values("case_id")
    withdrawn = (
        CaseStudy.objects.filter(published_at__isnull=False)
        .exclude(status="published")
        .exclude(pk__in=already)
        .values_list("pk", "slug", "status", "updated_at")
    )
    CaseWithdrawal.objects.bulk_create(
        CaseWithdrawal(
            case_id=pk,
            slug=slug,
            reason="archived" if status == "archived" else "unpublished",
            withdrawn_at=updated_at,
        )
        for pk, slug, status, updated_at in withdrawn.iterator()
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_catalogue_state")]

    operations = [migrations.RunPython(record_earlier_withdrawals, migrations.RunPython.noop, elidable=True)]
