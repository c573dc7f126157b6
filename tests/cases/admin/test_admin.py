"""The Django admin: every model answers, the case changelist stays cheap, filters and search work, and a
slug changed in admin leaves a FormerSlug behind."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult, get_date_max

from cases.admin.catalogue import LIST_PER_PAGE
from cases.curation.history import record_revision
from cases.models import (
    AlertSubscription,
    ApiKey,
    CaseLink,
    CaseMethod,
    CaseOrganisation,
    CaseRevision,
    CaseSearchIndex,
    CaseStudy,
    CaseTitleWord,
    CaseToolkit,
    CaseTranslation,
    CaseWithdrawal,
    CatalogueState,
    EditorProfile,
    EntryRevision,
    FormerSlug,
    Method,
    MethodPurpose,
    ModerationQueue,
    Organisation,
    Outcome,
    RelatedCase,
    RelatedCaseList,
    RenderedNarrative,
    Resource,
    RevisionAction,
    SearchWord,
    SubmitterContact,
    ThesaurusEntry,
    Toolkit,
    ToolkitLanguage,
    ToolkitPurpose,
)
from cases.services import api_key_create
from tests.factories import (
    CaseLinkFactory,
    CaseStudyFactory,
    Economy,
    OutcomeFactory,
    ResourceFactory,
    Sector,
    Theme,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
# Kept by the system (or, for the queue, a view of cases): no "add" page.
READ_ONLY = {
    FormerSlug,
    CaseRevision,
    CaseWithdrawal,
    CatalogueState,
    ModerationQueue,
    AccessAttempt,
    AccessLog,
    AccessFailureLog,
    DBTaskResult,
    SearchWord,
    AlertSubscription,
}
CHANGELIST = reverse("admin:cases_casestudy_changelist")


def make_one(model):
    """One row of `model`: reference data where the migrations made some, a new row otherwise."""
    existing = model._default_manager.first()
    if existing is not None:
        return existing
    makers = {
        ApiKey: lambda: api_key_create(owner="A partner")[0],
        CaseStudy: CaseStudyFactory,
        Outcome: OutcomeFactory,
        CaseLink: CaseLinkFactory,
        Resource: ResourceFactory,
        FormerSlug: lambda: FormerSlug.objects.create(slug="an-old-address", case=CaseStudyFactory()),
        EditorProfile: lambda: EditorProfile.objects.create(user=UserFactory(username="editor")),
        CaseRevision: lambda: record_revision(
            case=CaseStudyFactory(), user=None, action=RevisionAction.CREATED
        ),
        SubmitterContact: lambda: SubmitterContact.objects.create(
            case=CaseStudyFactory(status="submitted"),
            name="A. Person",
            email="a@example.org",
            reference="R-1",
        ),
        CaseWithdrawal: lambda: CaseWithdrawal.objects.create(case_id=1, slug="gone", reason="deleted"),
        SearchWord: lambda: SearchWord.objects.create(word="telemedicine", documents=2),
        AlertSubscription: lambda: AlertSubscription.objects.create(email="a@example.org", query="sdg=3"),
        ThesaurusEntry: lambda: ThesaurusEntry.objects.create(terms="AI\nartificial intelligence"),
        Method: lambda: Method.objects.create(
            name="Design thinking",
            slug="design-thinking",
            summary="S.",
            description="D.",
            discipline="design",
        ),
        Toolkit: lambda: Toolkit.objects.create(
            title="Design kit",
            slug="design-kit",
            summary="S.",
            description="D.",
            discipline="design",
            kind="toolkit",
            publisher="IDEO.org",
            url="https://www.designkit.org/",
        ),
        Organisation: lambda: Organisation.objects.create(name="GovTech Singapore", slug="govtech"),
        # Other apps' models on the admin: login protection (django-axes) and second factors (django-otp).
        AccessAttempt: lambda: AccessAttempt.objects.create(
            username="guesser", ip_address="203.0.113.9", user_agent="curl", failures_since_start=1
        ),
        AccessLog: lambda: AccessLog.objects.create(
            username="curator", ip_address="203.0.113.9", user_agent="Firefox"
        ),
        AccessFailureLog: lambda: AccessFailureLog.objects.create(
            username="guesser", ip_address="203.0.113.9", user_agent="curl", locked_out=False
        ),
        TOTPDevice: lambda: TOTPDevice.objects.create(user=UserFactory(username="totp-user"), name="Phone"),
        # The task queue's results (django-tasks-db): a task that failed, as the worker records it.
        DBTaskResult: lambda: DBTaskResult.objects.create(
            task_path="cases.tasks.refresh_statistics",
            args_kwargs={"args": [], "kwargs": {}},
            backend_name="default",
            run_after=get_date_max(),
            status="FAILED",
            worker_ids=["worker-1"],
            exception_class_path="builtins.RuntimeError",
            traceback="RuntimeError: <script>alert(1)</script>",
        ),
    }
    if model._meta.proxy:  # the moderation queue: another list of cases, those waiting for a reviewer
        return CaseStudyFactory(status="submitted")
    return makers[model]()


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response):
    """What the browser would post back for the change or add form in `response`, unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        else:
            data[name] = str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for field in formset.management_form:
            data[field.html_name] = field.value()
        for inline_form in formset.forms:
            for field in inline_form:
                value = field.value()
                if value is not None:
                    data[field.html_name] = str(value)
    return data


def shown(response):
    """Titles of the cases a changelist response lists."""
    return {case.title for case in response.context["cl"].result_list}


# --- Every model answers --------------------------------------------------------------------------


def test_every_model_of_the_catalogue_is_registered():
    # The search index and the titles' words are the database's own, written only by its triggers
    # (cases/models/search_document.py); the related cases are computed from the catalogue
    # (cases/search/related.py), never edited; so is the narrative's HTML (cases/models/rendered.py).
    # A case's translations are edited on its own page, as an inline (cases/admin/translations.py), and so
    # are its methods, toolkits and organisations; a method's or a toolkit's purposes and languages are
    # checkboxes of its form, and its revisions are its History page (cases/admin/entries.py).
    internal = {
        CaseMethod,
        CaseToolkit,
        CaseOrganisation,
        MethodPurpose,
        ToolkitPurpose,
        ToolkitLanguage,
        EntryRevision,
        CaseSearchIndex,
        CaseTitleWord,
        RelatedCase,
        RelatedCaseList,
        RenderedNarrative,
        CaseTranslation,
    }
    assert set(apps.get_app_config("cases").get_models()) - internal <= set(admin.site._registry)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_answers(admin_client, model):
    make_one(model)

    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


def date_fields(model):
    return [field.name for field in model._meta.concrete_fields if isinstance(field, models.DateField)]


@pytest.mark.parametrize(
    "model", [m for m in admin.site._registry if date_fields(m)], ids=lambda model: model._meta.label
)
@pytest.mark.parametrize(
    "lookup",
    ["__year=0", "__year=99999", "__year=99999999999999999999", "__month=13", "__day=0", "=2025-02-30"],
)
def test_a_date_lookup_no_calendar_holds_sends_back_to_the_list_not_a_server_error(
    admin_client, model, lookup
):
    """Every registered model admin, ours and the packages' (admin sites' own ?e=1 answer)."""
    for field in date_fields(model):
        response = admin_client.get(f"{admin_url(model, 'changelist')}?{field}{lookup}")

        assert response.status_code in (200, 302), (field, response.status_code)
        # The date hierarchy's own parameters, a month beyond any calendar.
        hierarchy = admin_client.get(
            f"{admin_url(model, 'changelist')}?{field}__year=2026&{field}__month=1{'9' * 20}"
        )
        assert hierarchy.status_code in (200, 302), (field, hierarchy.status_code)
        if response.status_code == 302:
            assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    "model", [m for m in REGISTERED if m not in READ_ONLY], ids=lambda model: model._meta.label
)
def test_add_page_answers(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", sorted(READ_ONLY, key=lambda m: m._meta.label), ids=lambda m: m._meta.label)
def test_records_kept_by_the_system_cannot_be_added_by_hand(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))

    assert response.status_code == 403


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_change_page_answers(admin_client, model):
    obj = make_one(model)

    # A row of the moderation queue opens the case's own change form.
    response = admin_client.get(admin_url(model, "change", obj.pk), follow=True)

    assert response.status_code == 200


# --- Access ---------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_signed_in_non_staff_user_is_sent_to_login(client):
    client.force_login(UserFactory(username="reader", is_staff=False))

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- The case changelist --------------------------------------------------------------------------


def make_listed_cases(count):
    themes = list(Theme.objects.all()[:3])
    economies = list(Economy.objects.all()[:4])
    return [
        CaseStudyFactory(
            economy=economies[n % len(economies)],
            themes=[themes[n % len(themes)]],
            last_verified=timezone.localdate() - timedelta(days=30 * n),
        )
        for n in range(count)
    ]


# Session, user, the economy, sector and theme filter choices, two counts, the page of rows, the year
# filter's values and two for the date hierarchy: the same for 3 cases as for 30.
QUERY_BOUND = 11


@pytest.mark.parametrize("count", [3, 30])
def test_case_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, count
):
    make_listed_cases(count)

    with django_assert_max_num_queries(QUERY_BOUND):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(count, LIST_PER_PAGE)  # a page of rows


def test_case_search_finds_by_title_and_leaves_out_others(admin_client):
    CaseStudyFactory(title="Telemedicine for islands")
    CaseStudyFactory(title="Open budget portal")

    response = admin_client.get(CHANGELIST, {"q": "telemedicine"})

    assert shown(response) == {"Telemedicine for islands"}


def test_case_search_finds_by_economy_name(admin_client):
    CaseStudyFactory(title="Thai case", economy=Economy.objects.get(iso2="TH"))
    CaseStudyFactory(title="Singapore case", economy=Economy.objects.get(iso2="SG"))

    response = admin_client.get(CHANGELIST, {"q": "thailand"})

    assert shown(response) == {"Thai case"}


def test_status_filter(admin_client):
    CaseStudyFactory(title="Draft", status="draft")
    CaseStudyFactory(title="Published")

    response = admin_client.get(CHANGELIST, {"status__exact": "draft"})

    assert shown(response) == {"Draft"}


def test_economy_filter(admin_client):
    thailand = Economy.objects.get(iso2="TH")
    CaseStudyFactory(title="Thai case", economy=thailand)
    CaseStudyFactory(title="Singapore case")

    response = admin_client.get(CHANGELIST, {"economy__id__exact": thailand.pk})

    assert shown(response) == {"Thai case"}


def test_sector_filter(admin_client):
    education = Sector.objects.get(slug="education")
    CaseStudyFactory(title="School case", sectors=[education])
    CaseStudyFactory(title="Health case")

    response = admin_client.get(CHANGELIST, {"sectors__id__exact": education.pk})

    assert shown(response) == {"School case"}


def test_theme_filter(admin_client):
    theme = Theme.objects.get(slug="service-design")
    CaseStudyFactory(title="Designed case", themes=[theme])
    CaseStudyFactory(title="Other case")

    response = admin_client.get(CHANGELIST, {"themes__id__exact": theme.pk})

    assert shown(response) == {"Designed case"}


def test_stage_filter(admin_client):
    CaseStudyFactory(title="Evaluated", stage="evaluation")
    CaseStudyFactory(title="Implemented", stage="implementation")

    response = admin_client.get(CHANGELIST, {"stage__exact": "evaluation"})

    assert shown(response) == {"Evaluated"}


def test_year_filter(admin_client):
    CaseStudyFactory(title="From 2015", year_launched=2015)
    CaseStudyFactory(title="From 2020", year_launched=2020)

    response = admin_client.get(CHANGELIST, {"year_launched": "2015"})

    assert shown(response) == {"From 2015"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("stale", {"Checked two years ago"}),
        ("never", {"Never checked"}),
        ("recent", {"Checked last month"}),
    ],
)
def test_verification_filter(admin_client, value, expected):
    today = timezone.localdate()
    CaseStudyFactory(title="Checked two years ago", last_verified=today - timedelta(days=730))
    CaseStudyFactory(title="Checked last month", last_verified=today - timedelta(days=30))
    CaseStudyFactory(title="Never checked", last_verified=None)

    response = admin_client.get(CHANGELIST, {"verification": value})

    assert shown(response) == expected


def test_featured_flag_is_editable_in_the_list(admin_client, superuser):
    case = CaseStudyFactory(is_featured=False)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(case.pk),
        "form-0-is_featured": "on",
        "_save": "Save",
    }

    response = admin_client.post(CHANGELIST, data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.is_featured
    assert case.updated_by == superuser


def test_theme_autocomplete_answers_with_matching_themes(admin_client):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "cases", "model_name": "casestudy", "field_name": "themes", "term": "service"},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Service design"]


# --- The case change form -------------------------------------------------------------------------


def test_published_case_links_to_its_public_page(admin_client):
    case = CaseStudyFactory(slug="on-the-site")

    response = admin_client.get(admin_url(CaseStudy, "change", case.pk))

    assert response.context["absolute_url"] == "/cases/on-the-site/"


def test_draft_case_has_no_view_on_site_link(admin_client):
    case = CaseStudyFactory(status="draft")

    response = admin_client.get(admin_url(CaseStudy, "change", case.pk))

    assert response.context["has_absolute_url"] is False


def test_adding_a_case_stamps_the_user_who_created_it(admin_client, superuser):
    add_page = admin_client.get(admin_url(CaseStudy, "add"))
    data = form_data(add_page)
    data.update(
        title="A new case",
        slug="a-new-case",
        summary="One line.",
        overview="What happened.",
        lead_organisation="Ministry of Tests",
        economy=str(Economy.objects.get(iso2="SG").pk),
        level="national",
        stage="implementation",
        sectors=[str(Sector.objects.get(slug="health").pk)],
    )

    response = admin_client.post(admin_url(CaseStudy, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    case = CaseStudy.objects.get(slug="a-new-case")
    assert (case.created_by, case.updated_by, case.status) == (superuser, superuser, "draft")


def change_slug_in_admin(client, case, new_slug):
    url = admin_url(CaseStudy, "change", case.pk)
    data = form_data(client.get(url))
    data["slug"] = new_slug
    return client.post(url, data)


def test_changing_the_slug_in_admin_records_the_former_slug(admin_client):
    case = CaseStudyFactory(slug="old-address")
    OutcomeFactory(case=case)

    response = change_slug_in_admin(admin_client, case, "new-address")

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.slug == "new-address"
    assert list(FormerSlug.objects.values_list("slug", "case")) == [("old-address", case.pk)]


def test_former_slug_recorded_in_admin_redirects_to_the_new_address(admin_client, client):
    case = CaseStudyFactory(slug="old-address")
    change_slug_in_admin(admin_client, case, "new-address")

    response = client.get("/cases/old-address/")

    assert response.status_code == 301
    assert response.url == "/cases/new-address/"


def test_taking_back_a_former_slug_drops_its_redirect(admin_client):
    case = CaseStudyFactory(slug="first-address")
    change_slug_in_admin(admin_client, case, "second-address")

    change_slug_in_admin(admin_client, case, "first-address")

    assert list(FormerSlug.objects.values_list("slug", flat=True)) == ["second-address"]


def test_saving_without_changing_the_slug_records_no_former_slug(admin_client, superuser):
    case = CaseStudyFactory(slug="same-address", title="Before")
    url = admin_url(CaseStudy, "change", case.pk)
    data = form_data(admin_client.get(url))
    data["title"] = "After"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.title, case.updated_by) == ("After", superuser)
    assert not FormerSlug.objects.exists()


def test_slug_used_by_another_case_is_refused_by_the_form(admin_client):
    CaseStudyFactory(slug="taken")
    case = CaseStudyFactory(slug="mine")

    response = change_slug_in_admin(admin_client, case, "taken")

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert not FormerSlug.objects.exists()
