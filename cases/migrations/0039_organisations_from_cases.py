"""Organisations as entities (issue 18): every case's lead organisation, written until now as free text
(`lead_organisation`, with `organisation_type`), becomes an Organisation linked to the case as its lead.

Names are matched within an economy in the form two spellings of one name share (case, accents,
punctuation, spacing and a leading "The" set aside: cases.services.organisation_name_key, copied here as a
migration must not change with the code): "Ministry of Health" and "the ministry of health." of one economy
are one organisation; the same name in two economies is two. Each new organisation takes the type and
level of the first case that names it. Nothing of a case is changed or lost: its text stays as written
(pages and translations still show it), so going back deletes the links and the organisations.

The report of what could not be matched (a case with no organisation named) is printed while migrating;
`manage.py link_organisations` gives it again, and links the cases imported or created later.
"""

import re
import sys
import time
import unicodedata

from django.db import migrations
from django.utils.text import slugify


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "").casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w]+", " ", text).strip()
    return re.sub(r"^the ", "", text)


def link(apps, schema_editor):
    alias = schema_editor.connection.alias
    CaseStudy = apps.get_model("cases", "CaseStudy")
    Organisation = apps.get_model("cases", "Organisation")
    CaseOrganisation = apps.get_model("cases", "CaseOrganisation")
    known, slugs, links, unmatched = {}, set(), [], []
    cases = CaseStudy.objects.using(alias).select_related("economy").order_by("pk")
    for case in cases.iterator(chunk_size=2000):
        key = (name_key(case.lead_organisation), case.economy_id)
        if not key[0]:
            unmatched.append(case.slug)
            continue
        if key not in known:
            base = slugify(case.lead_organisation)[:200] or "organisation"
            slug, n = base, 1
            while slug in slugs:
                n += 1
                slug = (
                    f"{base}-{case.economy.iso2.lower()}"
                    if n == 2
                    else f"{base}-{case.economy.iso2.lower()}-{n}"
                )
            slugs.add(slug)
            known[key] = Organisation.objects.using(alias).create(
                name=case.lead_organisation.strip(),
                name_key=key[0][:200],
                slug=slug,
                kind=case.organisation_type,
                economy_id=case.economy_id,
                level=case.level,
            )
        links.append(CaseOrganisation(case_id=case.pk, organisation_id=known[key].pk, role="lead"))
    CaseOrganisation.objects.using(alias).bulk_create(links, batch_size=2000)
    if links:
        clock = time.time_ns() // 1000  # the caches move on: case pages now link their organisation
        apps.get_model("cases", "CatalogueState").objects.using(alias).update(
            version=clock, case_pages_version=clock, listing_version=clock
        )
    if links or unmatched:
        report = f"\n  Organisations: {len(links)} cases linked to {len(known)} organisations"
        report += f", {len(unmatched)} with no lead organisation named"
        if unmatched:
            report += ": " + ", ".join(unmatched[:20]) + (" ..." if len(unmatched) > 20 else "")
        sys.stdout.write(report + "\n")


def unlink(apps, schema_editor):
    alias = schema_editor.connection.alias
    apps.get_model("cases", "CaseOrganisation").objects.using(alias).all().delete()
    apps.get_model("cases", "Organisation").objects.using(alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0038_methods_toolkits_organisations")]

    operations = [migrations.RunPython(link, unlink)]
