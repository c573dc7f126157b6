"""The editorial roles take in methods, toolkits and organisations (issue 18; cases/curation/roles.py):
curators and reviewers write and publish methods and toolkits, economy editors read them and propose
drafts, and everyone who edits cases edits their methods, toolkits and organisations."""

from django.db import migrations


def install_roles(apps, schema_editor):
    from cases.curation.roles import install_roles

    install_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0040_related_case_reasons")]

    operations = [migrations.RunPython(install_roles, migrations.RunPython.noop)]
