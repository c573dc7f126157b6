"""The editorial roles, as Django groups with their permissions (created by a migration).

- curator: everything, every economy, including real deletion;
- reviewer: reads and edits every economy's cases and may publish, unpublish and archive; the same for
  methods and toolkits;
- economy editor: sees and edits only the cases of the economies in their EditorProfile; cannot publish;
  reads methods, toolkits and organisations, and may draft methods and toolkits (not edit published ones).
"""

CURATOR = "Curator"
REVIEWER = "Reviewer"
ECONOMY_EDITOR = "Economy editor"

CASE_CHILDREN = ["outcome", "caselink", "resource", "casemethod", "casetoolkit", "caseorganisation"]
# Methods and toolkits (issue 18): curators and reviewers write and publish them; economy editors read them
# (to name a case's methods) and may propose drafts.
ENTRIES = ["method", "toolkit"]
VOCABULARIES = ["economy", "sector", "theme", "innovationfacet", "sdg", "thesaurusentry"]


def _crud(model, actions=("add", "change", "view")):
    return [f"{action}_{model}" for action in actions]


ROLE_PERMISSIONS = {
    CURATOR: (
        _crud("casestudy", ("add", "change", "delete", "view"))
        + ["publish_casestudy", "archive_casestudy", "edit_all_economies"]
        + [p for model in CASE_CHILDREN for p in _crud(model, ("add", "change", "delete", "view"))]
        + [p for model in VOCABULARIES for p in _crud(model, ("add", "change", "delete", "view"))]
        + _crud("caserevision", ("view",))
        + _crud("submittercontact", ("view", "change"))
        + _crud("editorprofile", ("add", "change", "delete", "view"))
        + _crud("formerslug", ("view",))
        + _crud("searchword", ("view",))
        + [p for model in ENTRIES for p in _crud(model, ("add", "change", "delete", "view"))]
        + ["publish_method", "publish_toolkit"]
        + _crud("organisation", ("add", "change", "delete", "view"))
        + _crud("entryrevision", ("view",))
    ),
    REVIEWER: (
        _crud("casestudy")
        + ["publish_casestudy", "archive_casestudy", "edit_all_economies"]
        + [p for model in CASE_CHILDREN for p in _crud(model, ("add", "change", "delete", "view"))]
        + [p for model in VOCABULARIES for p in _crud(model, ("view",))]
        + _crud("caserevision", ("view",))
        + _crud("submittercontact", ("view",))
        + _crud("searchword", ("view",))
        + [p for model in ENTRIES for p in _crud(model)]
        + ["publish_method", "publish_toolkit"]
        + _crud("organisation")
        + _crud("entryrevision", ("view",))
    ),
    ECONOMY_EDITOR: (
        _crud("casestudy")
        + [p for model in CASE_CHILDREN for p in _crud(model, ("add", "change", "delete", "view"))]
        + [p for model in VOCABULARIES for p in _crud(model, ("view",))]
        + _crud("caserevision", ("view",))
        + [p for model in ENTRIES for p in _crud(model)]
        + _crud("organisation", ("view",))
    ),
}


# Models added after the roles were first installed (migration 0006), each by a migration that installs
# the roles again.
MODELS_ADDED_LATER = (
    "thesaurusentry",
    "searchword",
    "method",
    "toolkit",
    "organisation",
    "casemethod",
    "casetoolkit",
    "caseorganisation",
    "entryrevision",
)


def _has_model(apps, model_name: str) -> bool:
    try:
        apps.get_model("cases", model_name)
    except LookupError:
        return False
    return True


def install_roles(apps) -> None:
    """Create or update the role groups with exactly their permissions."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # create_permissions skips apps it thinks have no models
        create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        permissions = permission_model.objects.filter(content_type__app_label="cases", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        # An earlier migration runs this with the models of its time: a model added later (the thesaurus)
        # has no permissions yet, and the later migration that adds it installs the roles again.
        later_models = {model for model in MODELS_ADDED_LATER if not _has_model(apps, model)}
        missing = {codename for codename in missing if codename.rsplit("_", 1)[-1] not in later_models}
        if missing:
            raise RuntimeError(f"Role {role}: unknown permissions {sorted(missing)}")
        group.permissions.set(permissions)
