"""A write that changes only narrative sections leaves the listings cached (issue 15).

A curator's edit of a case's lessons changes its own page, the comparisons that show it and the searches
that read its words, and nothing any listing shows: the library without a search, the profiles, the
statistics and their counts are cached under the *listing version*, which such a write leaves
(cases/caching.py, cases/signals.py). Every other write moves it. The first test renders every listing
page before and after a narrative-only write, uncached both times, and compares them: a listing page
that came to show a narrative would fail it.
"""

import re
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.utils import timezone

from cases.caching import forget_catalogue_version
from cases.curation.workflow import case_transition
from cases.models import CaseStudy, CaseTranslation, CatalogueState, Economy, Sector, Status, Theme
from cases.models.translations import TranslationStatus
from cases.services import case_update
from tests.factories import CaseStudyFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTING_URLS = [
    "/",
    "/cases/",
    "/cases/?sector=health",
    "/cases/?sort=title&page_size=50",
    "/cases/?economy=SG&page=1",
    "/economies/",
    "/economies/{economy}/",
    "/themes/",
    "/themes/{theme}/",
    "/sectors/",
    "/sectors/health/",
    "/stats/",
    "/stats/?sector=health",
    "/ja/cases/",
    "/th/stats/",
]


@pytest.fixture
def curator(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def catalogue(db):
    theme = Theme.objects.order_by("pk").first()
    cases = [
        CaseStudyFactory(
            title=f"Listing case {n}",
            themes=[theme],
            lessons_learned=f"Lessons of case {n}.",
            challenges_failures=f"Challenges of case {n}.",
        )
        for n in range(3)
    ]
    CaseTranslation.objects.create(
        case=cases[0],
        language="ja",
        title="一覧の事例",
        summary="一覧に載る事例の要約。",
        lead_organisation="例示省",
        overview="概要。",
        lessons_learned="教訓。",
        translated_by="team",
        reviewed_by="reviewer",
        status=TranslationStatus.PUBLISHED,
    )
    return cases


def fill(url: str) -> str:
    economy = Economy.objects.get(iso2="SG").slug
    return url.format(economy=economy, theme=Theme.objects.order_by("pk").first().slug)


def narrative_edit(case: CaseStudy, user, text: str) -> None:
    """A curator's edit of the lessons alone, as bench/load.py's writer makes it."""
    case = CaseStudy.objects.get(pk=case.pk)
    case.lessons_learned = text
    case_update(case=case, user=user, changed=["lessons_learned"], message="Lessons")


def versions() -> tuple[int, int]:
    state = CatalogueState.objects.get()
    return state.version, state.listing_version


# Per-response values: a form's CSRF token, a script's nonce, the signed moment the alert form was shown.
VOLATILE = re.compile(
    r'(csrfmiddlewaretoken" value="|nonce="|csrf[-_]token" content="|name="started" value=")[^"]*'
)


def uncached(client, url: str) -> str:
    cache.clear()
    forget_catalogue_version()
    response = client.get(url)
    assert response.status_code == 200
    return VOLATILE.sub(r"\1", response.content.decode())


@pytest.mark.parametrize("url", LISTING_URLS)
def test_no_listing_page_shows_what_a_narrative_only_write_changes(client, catalogue, curator, url):
    url = fill(url)
    before = uncached(client, url)
    narrative_edit(catalogue[0], curator, "New lessons nobody listed.")
    translation = catalogue[0].translations.get()
    translation.lessons_learned = "新しい教訓。"
    translation.save()

    assert uncached(client, url) == before


def test_a_narrative_only_write_moves_the_catalogue_version_but_not_the_listing_version(catalogue, curator):
    version, listing = versions()

    narrative_edit(catalogue[0], curator, "Other lessons.")

    assert versions()[0] > version
    assert versions()[1] == listing


@pytest.mark.parametrize(
    "change",
    [
        lambda case: setattr(case, "title", "A new title"),
        lambda case: setattr(case, "summary", "A new summary."),
        lambda case: setattr(case, "year_launched", 2011),
        lambda case: setattr(case, "economy", Economy.objects.get(iso2="TH")),
        lambda case: setattr(case, "is_featured", not case.is_featured),
        lambda case: setattr(case, "lead_organisation", "Another ministry"),
    ],
    ids=["title", "summary", "year", "economy", "featured", "organisation"],
)
def test_a_write_of_anything_a_listing_shows_moves_the_listing_version(catalogue, curator, change):
    version, listing = versions()
    case = CaseStudy.objects.get(pk=catalogue[0].pk)
    case.lessons_learned = "Lessons edited too."
    change(case)

    case_update(case=case, user=curator, changed=["several"], message="Edit")

    assert versions()[0] > version
    assert versions()[1] > listing


def test_a_save_naming_only_narrative_fields_leaves_the_listing_version(catalogue):
    version, listing = versions()
    case = catalogue[1]
    case.challenges_failures = "Challenges, rewritten."
    case.save(update_fields=["challenges_failures", "updated_at"])
    assert versions()[1] == listing
    assert versions()[0] > version


def test_a_case_loaded_without_its_other_fields_is_taken_as_changing_them(catalogue):
    _version, listing = versions()
    case = CaseStudy.objects.only("pk", "status", "challenges_failures").get(pk=catalogue[1].pk)
    case.challenges_failures = "Challenges, from a partial load."
    case.save()
    assert versions()[1] > listing


def test_the_relations_set_to_what_they_were_move_nothing(catalogue):
    before = versions()
    case = catalogue[0]
    case.sectors.set(list(case.sectors.all()))
    case.themes.set(list(case.themes.all()))
    assert versions() == before


def test_a_new_case_and_a_case_leaving_publication_move_the_listing_version(catalogue, curator):
    _version, listing = versions()
    CaseStudyFactory(title="Arrived later")
    assert versions()[1] > listing

    _version, listing = versions()
    case_transition(case=catalogue[2], user=curator, name="unpublish")
    assert versions()[1] > listing


def test_a_translation_s_narrative_leaves_the_listing_version_and_its_title_moves_it(catalogue):
    translation = catalogue[0].translations.get()
    _version, listing = versions()
    translation.overview = "新しい概要。"
    translation.save()
    assert versions()[1] == listing

    translation.title = "新しい題名"
    translation.save()
    assert versions()[1] > listing


def test_after_a_narrative_only_edit_listings_stay_cached_and_everything_showing_it_is_fresh(
    client, catalogue, curator, settings
):
    settings.CATALOGUE_VERSION_TTL = 0
    case = catalogue[0]
    listings = ["/cases/", "/cases/?sector=health", fill("/economies/{economy}/"), "/stats/", "/"]
    showing = [
        case.get_absolute_url(),
        f"/compare/?cases={case.slug},{catalogue[1].slug}",
        "/cases/?q=lessons",
        "/api/v1/cases/?" + urlencode({"updated_since": timezone.now().isoformat()}),
    ]
    for url in listings + showing:
        assert client.get(url).status_code == 200
    assert all(client.get(url)["X-Page-Cache"] == "hit" for url in listings)

    narrative_edit(case, curator, "Lessons about zebracrossings.")

    for url in listings:
        assert client.get(url)["X-Page-Cache"] == "hit", url
    assert "zebracrossings" in client.get(case.get_absolute_url()).content.decode()
    assert "zebracrossings" in client.get(showing[1]).content.decode()
    assert case.title in client.get("/cases/?q=zebracrossings").content.decode()
    harvested = client.get(showing[3]).json()
    assert [row["slug"] for row in harvested["results"]] == [case.slug]


def test_after_a_title_edit_every_listing_shows_the_new_title(client, catalogue, curator, settings):
    settings.CATALOGUE_VERSION_TTL = 0
    listings = ["/cases/", "/cases/?sector=health", fill("/themes/{theme}/"), "/"]
    for url in listings:
        client.get(url)
    case = CaseStudy.objects.get(pk=catalogue[0].pk)
    case.title = "A title every listing shows"

    case_update(case=case, user=curator, changed=["title"], message="Title")

    for url in listings:
        response = client.get(url)
        assert "X-Page-Cache" not in response, url
    assert "A title every listing shows" in client.get("/cases/").content.decode()


def test_an_unpublished_case_leaves_every_listing_at_once(client, catalogue, curator, settings):
    settings.CATALOGUE_VERSION_TTL = 0
    gone = catalogue[2]
    listings = ["/cases/", "/cases/?sector=health", fill("/themes/{theme}/"), "/cases/?sort=title"]
    for url in listings:
        assert gone.title in client.get(url).content.decode()
    narrative_edit(gone, curator, "Edited just before it was withdrawn.")

    case_transition(case=gone, user=curator, name="unpublish")

    for url in listings:
        assert gone.title not in client.get(url).content.decode(), url
    assert CaseStudy.objects.get(pk=gone.pk).status != Status.PUBLISHED


def test_the_admin_s_edit_of_the_lessons_alone_leaves_the_listings(admin_client, catalogue, settings):
    """The change form saves every field and sets every relation to what it was: still narrative-only."""
    case = catalogue[1]
    form = admin_client.get(f"/admin/cases/casestudy/{case.pk}/change/").context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        data[name] = (
            [getattr(item, "pk", item) for item in value] if isinstance(value, (list, tuple)) else value
        )
    _version, listing = versions()
    formsets = admin_client.get(f"/admin/cases/casestudy/{case.pk}/change/").context["inline_admin_formsets"]
    for inline in formsets:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
    data["lessons_learned"] = "Lessons from the change form."

    response = admin_client.post(f"/admin/cases/casestudy/{case.pk}/change/", data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert CaseStudy.objects.get(pk=case.pk).lessons_learned == "Lessons from the change form."
    assert versions()[1] == listing


def test_the_sector_set_anew_moves_the_listing_version(catalogue):
    _version, listing = versions()
    catalogue[0].sectors.set([Sector.objects.get(slug="education")])
    assert versions()[1] > listing
