"""The server-rendered pages: every page type, bad input, query counts and no leaks of unpublished cases."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cases.curation.roles import CURATOR
from cases.curation.workflow import case_transition
from cases.models import SDG, Economy, FormerSlug, InnovationFacet, RelatedCase, Sector, Theme
from cases.search.related import refresh_related
from tests.conftest import MAX_QUERIES
from tests.factories import CaseLinkFactory, CaseStudyFactory, OutcomeFactory, ResourceFactory, UserFactory

pytestmark = pytest.mark.django_db

UNPUBLISHED_STATUSES = ["draft", "submitted", "in_review", "changes_requested", "archived"]


@pytest.fixture
def theme():
    return Theme.objects.get(slug="digital-government")


@pytest.fixture
def hidden_cases(theme):
    """One case in every unpublished state, each with a title no published case shares."""
    return [
        CaseStudyFactory(
            title=f"Hidden {status} telemedicine", slug=f"hidden-{status}", status=status, themes=[theme]
        )
        for status in UNPUBLISHED_STATUSES
    ]


def make_cases(count, theme):
    return [CaseStudyFactory(title=f"Visible telemedicine case {n}", themes=[theme]) for n in range(count)]


def assert_no_hidden(content: bytes):
    text = content.decode()
    for status in UNPUBLISHED_STATUSES:
        assert f"Hidden {status}" not in text
        assert f"hidden-{status}" not in text


PAGES = [
    "/",
    "/cases/",
    "/cases/?q=telemedicine",
    "/cases/?theme=digital-government&economy=SG",
    "/economies/",
    "/economies/singapore/",
    "/themes/",
    "/themes/digital-government/",
    "/sectors/",
    "/sectors/health/",
    "/feeds/cases/",
    "/feeds/cases/?q=telemedicine",
    "/sitemap.xml",
]


@pytest.mark.parametrize("url", PAGES)
def test_page_answers_and_hides_unpublished_cases(client, hidden_cases, theme, url):
    make_cases(3, theme)
    response = client.get(url)
    assert response.status_code == 200
    assert_no_hidden(response.content)


@pytest.mark.parametrize("status", UNPUBLISHED_STATUSES)
def test_unpublished_case_page_is_not_found(client, status):
    case = CaseStudyFactory(status=status)
    assert client.get(case.get_absolute_url()).status_code == 404


def test_case_page_shows_every_filled_section_and_outcomes(client):
    case = CaseStudyFactory(
        what_is_innovative="Innovative because of X.", lessons_learned="", replication="Copied."
    )
    OutcomeFactory(case=case, indicator="Clinics connected", value=42, unit="clinics")
    ResourceFactory(case=case, title="Programme site")
    response = client.get(case.get_absolute_url())
    text = response.content.decode()
    assert "What makes it innovative" in text
    assert "Innovative because of X." in text
    assert "Lessons learned" not in text  # empty sections are not shown
    assert "Clinics connected" in text
    assert "42 clinics" in text
    assert "Programme site" in text
    assert '"@type": "Article"' in text
    assert 'property="og:title"' in text
    assert "@misc{" in text
    assert "TY  - ELEC" in text


def test_case_page_links_only_published_related_and_adapted_cases(client):
    case = CaseStudyFactory(title="Origin")
    CaseLinkFactory(from_case=CaseStudyFactory(title="Published copy"), to_case=case, relation="adapted_from")
    CaseLinkFactory(
        from_case=CaseStudyFactory(title="Draft copy", status="draft"), to_case=case, relation="adapted_from"
    )
    CaseStudyFactory(title="Draft sibling", status="draft")
    text = client.get(case.get_absolute_url()).content.decode()
    assert "Published copy" in text
    assert "Draft copy" not in text
    assert "Draft sibling" not in text


def test_former_slug_redirects_permanently(client):
    case = CaseStudyFactory(slug="new-slug")
    FormerSlug.objects.create(slug="old-slug", case=case)
    response = client.get("/cases/old-slug/")
    assert response.status_code == 301
    assert response["Location"] == "/cases/new-slug/"


def test_former_slug_of_unpublished_case_is_not_found(client):
    case = CaseStudyFactory(slug="new-draft", status="draft")
    FormerSlug.objects.create(slug="old-draft", case=case)
    assert client.get("/cases/old-draft/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "year_from=abc",
        "economy=ZZ",
        "sector=nope",
        "sdg=99",
        "level=x",
        "sort=random",
        "q=" + "x" * 1_000,
        "q=%00",
        "year_to=-5",
    ],
)
def test_bad_library_parameters_give_400_with_a_message(client, query):
    response = client.get(f"/cases/?{query}")
    assert response.status_code == 400
    assert "Some filters could not be used" in response.content.decode()


@pytest.mark.parametrize("page", ["99999", "abc", "-1", "0"])
def test_odd_page_numbers_show_a_real_page(client, theme, page):
    make_cases(3, theme)
    response = client.get(f"/cases/?page={page}")
    assert response.status_code == 200
    assert "Visible telemedicine case" in response.content.decode()


def test_library_shows_counts_chips_and_links_that_keep_the_filters(client, theme):
    make_cases(2, theme)
    response = client.get("/cases/?theme=digital-government&economy=SG")
    text = response.content.decode()
    assert "2 case studies" in text
    assert "Theme: Digital government" in text  # removable chip
    assert "/api/v1/cases/export.csv?theme=digital-government&amp;economy=SG" in text
    assert "/feeds/cases/?theme=digital-government&amp;economy=SG" in text


def test_library_search_highlights_words(client, theme):
    CaseStudyFactory(title="Clinic booking", summary="Telemedicine booking for remote islands.")
    text = client.get("/cases/?q=telemedicine").content.decode()
    assert "<mark>" in text.lower()


def test_library_empty_state_is_helpful(client):
    text = client.get("/cases/?q=zzzqqqxxx").content.decode()
    assert "No case studies match" in text


def make_described_cases(count, theme):
    """Cases with terms in every vocabulary, so that a page shows them all."""
    facet = InnovationFacet.objects.get(slug="adaptive")
    return [
        CaseStudyFactory(
            title=f"Visible telemedicine case {n}",
            themes=[theme],
            facets=[facet],
            sdgs=[SDG.objects.get(number=3)],
            other_economies=[Economy.objects.get(iso2="MY")],
            is_featured=n % 2 == 0,
        )
        for n in range(count)
    ]


# Issue 15: at most MAX_QUERIES on the first request after a write, whatever the number of cases.
COMPUTED_PAGES = [
    "/",
    "/cases/",
    "/cases/?page=2",
    "/cases/?sort=title&page=2",
    "/cases/?facet=adaptive&sector=health",
    "/cases/?theme=digital-government&economy=SG&region=035&sdg=3&level=national&year_from=2000",
    "/cases/?q=telemedicine",
    "/cases/?q=telemedicine&page=2",
    "/cases/?q=telemedicine&theme=digital-government",
    "/cases/?q=telemdicine",  # a typo: corrected
    "/cases/?q=goverment",  # a typo whose correction finds nothing
    "/cases/?q=telemedecine",  # a word of few cases: "did you mean"
    "/cases/?q=telemed",  # a word cut short: read as a prefix
    "/sectors/health/",
    "/themes/digital-government/",
    "/economies/singapore/",
    "/economies/",
    "/themes/",
    "/sectors/",
    "/stats/",
    "/stats/?sector=health",
    "/feeds/cases/",
    "/feeds/cases/?q=telemedicine",
    # In another language: the vocabularies' names and the statistics' labels come from memory too.
    "/ja/",
    "/th/cases/?sector=health&facet=adaptive",
    "/ko/economies/singapore/",
    "/zh-hant/stats/?sector=health",
    "/vi/sectors/",
]


@pytest.mark.parametrize("url", COMPUTED_PAGES)
def test_a_page_after_a_write_reads_a_few_queries_however_many_cases(
    client, theme, after_a_write, django_assert_max_num_queries, url
):
    make_described_cases(3, theme)
    after_a_write()
    with django_assert_max_num_queries(MAX_QUERIES) as few:
        assert client.get(url).status_code == 200
    make_described_cases(25, theme)  # more than a page of the library
    after_a_write()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert "X-Page-Cache" not in response  # computed, not served from the page cache


def test_the_library_shows_every_vocabulary_of_its_cards_and_its_filters_without_more_queries(
    client, theme, after_a_write
):
    make_described_cases(3, theme)
    after_a_write()
    response = client.get("/cases/?facet=adaptive")
    text = response.text
    assert "Digital government" in text  # the cards' terms
    assert "Health" in text
    assert "Innovation facet: Adaptive" in text  # the chip, labelled from the snapshot
    panel = {facet["parameter"]: facet for facet in response.context["facets"]}
    assert [option["label"] for option in panel["sdg"]["options"]] == ["3. Good health and well-being"]
    assert [option["value"] for option in panel["economy"]["options"]] == ["SG"]


def test_case_page_query_count_does_not_grow_with_its_links(client, theme, django_assert_max_num_queries):
    case = CaseStudyFactory(themes=[theme])
    for _ in range(2):
        OutcomeFactory(case=case)
        CaseLinkFactory(from_case=CaseStudyFactory(), to_case=case)
    refresh_related([case.pk])
    with django_assert_max_num_queries(40) as small:
        client.get(case.get_absolute_url())
    for _ in range(20):
        OutcomeFactory(case=case)
        ResourceFactory(case=case)
        CaseLinkFactory(from_case=CaseStudyFactory(themes=[theme]), to_case=case)
        CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(themes=[theme]), relation="related_to")
    refresh_related([case.pk])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(case.get_absolute_url())
    assert len(response.context["replicated_in"]) == 22
    assert len(response.context["related"]) == 4


def test_case_page_reads_everything_in_six_queries(client, theme, after_a_write, django_assert_num_queries):
    """Issue 15: the page cache's read of the catalogue version (once a second in each process; here every
    time), the case's stamp its cached page is keyed by (cases.caching.case_page_scope), the case with its
    economy and its vocabularies' term ids, its outcomes and resources (one UNION
    ALL), its links (both directions), its related cases (with their rows, economies and the term ids of
    what their cards show)."""
    case = CaseStudyFactory(themes=[theme])
    for _ in range(3):
        OutcomeFactory(case=case)
        ResourceFactory(case=case)
        CaseLinkFactory(from_case=CaseStudyFactory(), to_case=case)
        CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(), relation="replicated_in")
        CaseStudyFactory(themes=[theme])
    refresh_related([case.pk])
    after_a_write()
    with django_assert_num_queries(6):
        response = client.get(case.get_absolute_url())
    assert len(response.context["related"]) == 4


def test_case_page_shows_its_related_cases_and_why(client, theme):
    case = CaseStudyFactory(title="Origin", themes=[theme])
    CaseStudyFactory(title="Sibling with the same theme", themes=[theme])
    refresh_related([case.pk])
    response = client.get(case.get_absolute_url())
    text = response.content.decode()
    assert "Related cases" in text
    assert "Sibling with the same theme" in text
    assert '<p class="case-card__why">Same sector and theme: Health, Digital government · ' in text


def test_case_without_a_computed_list_shows_no_related_cases_and_computes_none(
    client, theme, after_a_write, django_assert_num_queries
):
    case = CaseStudyFactory(themes=[theme])
    CaseStudyFactory(title="Sibling with the same theme", themes=[theme])
    after_a_write()
    # As any case page: the empty list is one query, and nothing computes a list.
    with django_assert_num_queries(6):
        response = client.get(case.get_absolute_url())
    assert response.context["related"] == []
    assert "Related cases" not in response.content.decode()
    assert not RelatedCase.objects.exists()


def related_pages(theme, count=3):
    """`count` published cases alike, each with its list computed: each is on every other's page."""
    cases = [CaseStudyFactory(title=f"Alike case {n}", themes=[theme]) for n in range(count)]
    refresh_related([case.pk for case in cases])
    return cases


@pytest.mark.parametrize("status", UNPUBLISHED_STATUSES)
def test_a_case_leaving_publication_leaves_every_related_list_at_once(client, theme, status):
    """No list is refreshed (the task that would follow the commit does not run: nothing commits in a
    test): the page's own read skips it."""
    *others, leaving = related_pages(theme)
    for other in others:
        assert leaving in [case for case, _why in client.get(other.get_absolute_url()).context["related"]]

    leaving.status = status
    leaving.save(update_fields=["status"])  # the save bumps the catalogue version: no page from the cache

    for other in others:
        text = client.get(other.get_absolute_url()).content.decode()
        assert leaving.title not in text
        assert leaving.slug not in text


@pytest.mark.parametrize("transition", ["unpublish", "archive"])
def test_a_case_withdrawn_by_the_workflow_leaves_every_related_list(
    client, theme, transition, django_capture_on_commit_callbacks
):
    *others, leaving = related_pages(theme)
    curator = UserFactory(is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATOR))
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=leaving, user=curator, name=transition)
    for other in others:
        assert leaving.title not in client.get(other.get_absolute_url()).content.decode()


def test_case_page_shows_links_in_both_directions_seen_from_the_case(client):
    case = CaseStudyFactory(title="Origin")
    CaseLinkFactory(from_case=case, to_case=CaseStudyFactory(title="Its source"), relation="adapted_from")
    CaseLinkFactory(from_case=CaseStudyFactory(title="A copy of it"), to_case=case, relation="adapted_from")
    CaseLinkFactory(
        from_case=CaseStudyFactory(title="Says it was copied"), to_case=case, relation="replicated_in"
    )
    CaseLinkFactory(from_case=CaseStudyFactory(title="Points at it"), to_case=case, relation="related_to")
    context = client.get(case.get_absolute_url()).context
    assert [other.title for other in context["adapted_from"]] == ["Its source", "Says it was copied"]
    assert [other.title for other in context["replicated_in"]] == ["A copy of it"]
    assert [other.title for other in context["related_links"]] == ["Points at it"]


def test_economy_profile_counts_only_published_cases(client, hidden_cases, theme):
    make_cases(2, theme)
    response = client.get("/economies/singapore/")
    assert response.context["case_count"] == 2


@pytest.mark.parametrize("url", ["/", "/sectors/health/", "/themes/digital-government/"])
def test_term_counts_count_only_published_cases(client, hidden_cases, theme, url):
    make_cases(2, theme)
    context = client.get(url).context
    counted = [
        term
        for name in ("economies", "sectors", "themes", "sector_counts", "theme_counts", "economy_counts")
        for term in context.get(name) or ()
    ]
    assert {term.slug: term.case_count for term in counted if term.slug in ("singapore", "health")} == {
        "singapore": 2,
        "health": 2,
    }
    assert all(term.case_count <= 2 for term in counted)


def test_a_profile_counts_and_lists_its_terms_as_the_database_would(client, theme):
    education = Sector.objects.get(slug="education")
    make_cases(2, theme)
    CaseStudyFactory(title="Schools online", themes=[theme], sectors=[education])
    CaseStudyFactory(title="Elsewhere", economy=Economy.objects.get(iso2="JP"), themes=[theme])
    context = client.get("/themes/digital-government/").context
    assert context["case_count"] == 4
    assert [(term.slug, term.case_count) for term in context["sector_counts"]] == [
        ("health", 3),
        ("education", 1),
    ]
    assert [(term.iso2, term.case_count) for term in context["economy_counts"]] == [("SG", 3), ("JP", 1)]
    assert [(value, count) for _label, value, count in context["stage_counts"]] == [("implementation", 4)]
    assert context["cases"][0].title == "Elsewhere"  # newest first


def test_an_unknown_term_page_is_not_found(client):
    assert client.get("/sectors/no-such-sector/").status_code == 404
    assert client.get("/themes/no-such-theme/").status_code == 404
    assert client.get("/economies/atlantis/").status_code == 404


def test_feed_accepts_library_parameters(client, theme):
    CaseStudyFactory(title="Singapore health", economy=Economy.objects.get(iso2="SG"))
    CaseStudyFactory(title="Japan health", economy=Economy.objects.get(iso2="JP"))
    text = client.get("/feeds/cases/?economy=JP").content.decode()
    assert "Japan health" in text
    assert "Singapore health" not in text


def test_feed_with_bad_parameters_is_not_found(client):
    assert client.get("/feeds/cases/?economy=ZZ").status_code == 404


def test_sitemap_lists_published_cases_and_profiles(client, hidden_cases):
    case = CaseStudyFactory(slug="in-the-sitemap")
    text = client.get("/sitemap.xml").content.decode()
    assert case.get_absolute_url() in text
    assert "/economies/singapore/" in text
    assert "/sectors/health/" in text


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()


def test_security_txt_has_a_contact(client):
    assert "Contact: mailto:" in client.get("/.well-known/security.txt").content.decode()


def test_healthz_reports_the_database(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_sector_page_links_into_the_library_prefiltered(client, theme):
    make_cases(1, theme)
    sector = Sector.objects.get(slug="health")
    text = client.get(sector.get_absolute_url()).content.decode()
    assert f"{reverse('cases:casestudy_list')}?sector=health" in text


@pytest.mark.parametrize("status", UNPUBLISHED_STATUSES)
def test_staff_preview_unpublished_case_with_a_banner(admin_client, status):
    case = CaseStudyFactory(status=status, title=f"Preview {status}")
    response = admin_client.get(case.get_absolute_url())
    assert response.status_code == 200
    assert "visible only to staff" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


def test_staff_without_case_permission_gets_404(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="plain-staff", is_staff=True))
    case = CaseStudyFactory(status="draft")
    assert client.get(case.get_absolute_url()).status_code == 404


def test_published_case_has_no_preview_banner(admin_client):
    case = CaseStudyFactory()
    assert "visible only to staff" not in admin_client.get(case.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("url", "library_query"),
    [
        ("/economies/singapore/", "economy=SG"),
        ("/themes/digital-government/", "theme=digital-government"),
        ("/sectors/health/", "sector=health"),
    ],
)
def test_profile_count_equals_the_library_count_it_links_to(client, hidden_cases, theme, url, library_query):
    make_cases(3, theme)
    CaseStudyFactory(economy=Economy.objects.get(iso2="JP"))
    profile = client.get(url)
    library = client.get(f"/cases/?{library_query}")
    assert profile.context["case_count"] == library.context["result_count"]
    assert profile.context["case_count"] > 0


# --- The library's filter panel, page size, range, cards and links (issue 19) -----------------------------


EN_DASH = "\u2013"  # between the first and the last result of a page


def panel_of(response):
    return {facet["parameter"]: facet for facet in response.context["facets"]}


def test_library_opens_economy_sector_and_theme_and_folds_the_other_groups(client, theme):
    make_described_cases(2, theme)
    panel = panel_of(client.get("/cases/"))
    assert [parameter for parameter, facet in panel.items() if facet["open"]] == [
        "economy",
        "sector",
        "theme",
    ]


def test_an_open_group_shows_its_most_frequent_values_and_the_rest_behind_show_more(client, theme):
    economies = list(Economy.objects.filter(iso2__in=["JP", "KR", "MY", "TH", "VN", "ID", "PH", "IN"]))
    for n, economy in enumerate(economies):
        for _ in range(n + 1):
            CaseStudyFactory(economy=economy, themes=[theme])
    response = client.get("/cases/")
    economy = panel_of(response)["economy"]
    shown = [option["count"] for option in economy["options"]]
    assert shown == sorted(shown, reverse=True)
    assert len(shown) == 5
    assert min(shown) >= max(option["count"] for option in economy["more_options"])
    assert "Show 3 more" in response.text


def test_a_ticked_value_is_listed_first_in_its_group(client, theme):
    make_described_cases(2, theme)
    CaseStudyFactory(economy=Economy.objects.get(iso2="JP"), themes=[theme])
    economy = panel_of(client.get("/cases/?economy=JP"))["economy"]
    assert economy["options"][0]["value"] == "JP"
    assert economy["options"][0]["selected"]


def test_a_folded_group_says_what_is_ticked_in_its_summary_line(client, theme):
    CaseStudyFactory(themes=[theme], stage="implementation")
    response = client.get("/cases/?stage=implementation")
    stage = panel_of(response)["stage"]
    assert not stage["open"]
    assert stage["summary"] == "Innovation stage: Implementation"
    assert "<summary><span>Innovation stage: Implementation</span></summary>" in response.text


def test_a_summary_line_names_two_ticked_values_and_counts_the_rest(client, theme):
    make_described_cases(1, theme)
    query = "economy=SG&economy=JP&economy=MY&economy=TH"
    assert panel_of(client.get(f"/cases/?{query}"))["economy"]["summary"].endswith("and 2 more")


def test_library_shows_the_range_of_results_on_the_page(client, theme):
    make_cases(25, theme)
    text = client.get("/cases/?page=2").text
    assert f"21{EN_DASH}25 of 25 case studies" in text


def test_library_with_one_page_of_results_shows_only_the_count(client, theme):
    make_cases(3, theme)
    text = client.get("/cases/").text
    assert "3 case studies" in text
    assert f"{EN_DASH}3 of" not in text


@pytest.mark.parametrize("size", [50, 100])
def test_library_shows_the_number_of_cases_a_page_the_reader_chose(client, theme, size):
    make_cases(size + 1, theme)
    response = client.get(f"/cases/?page_size={size}")
    assert len(response.context["cases"]) == size
    assert f"1{EN_DASH}{size} of {size + 1} case studies" in response.text
    assert f'<option value="{size}" selected>' in response.text


def test_pagination_links_carry_the_page_size_and_every_filter(client, theme):
    make_cases(60, theme)
    text = client.get("/cases/?theme=digital-government&page_size=50&sort=title").text
    assert 'href="?theme=digital-government&amp;page_size=50&amp;sort=title&amp;page=2"' in text


@pytest.mark.parametrize(
    "query", ["page_size=0", "page_size=101", "page_size=abc", "page_size=٣", "page_size=20&page_size=50"]
)
def test_a_bad_page_size_is_a_400_naming_it(client, theme, query):
    make_cases(2, theme)
    response = client.get(f"/cases/?{query}")
    assert response.status_code == 400
    assert "Some filters could not be used" in response.text
    assert "Results per page (page_size)" in response.text
    assert "Visible telemedicine case" not in response.text  # nothing shown on a refused page


def test_downloads_and_feed_links_leave_the_page_size_out_and_the_api_link_keeps_it(client, theme):
    make_cases(2, theme)
    text = client.get("/cases/?theme=digital-government&page_size=50").text
    assert "/api/v1/cases/export.csv?theme=digital-government&amp;lang=en" in text
    assert (
        "/feeds/cases/?theme=digital-government&quot;" in text
        or '/feeds/cases/?theme=digital-government"' in text
    )
    assert "/api/v1/cases/?theme=digital-government&amp;page_size=50&amp;lang=en" in text


def test_library_states_the_download_limit_beside_the_csv_link(client, theme, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"export": "10/minute"}}
    text = client.get("/cases/").text
    assert 'aria-describedby="export-limit"' in text
    assert "At most 10 downloads a minute from one connection." in text


def test_case_cards_name_their_sectors_and_themes(client, theme):
    CaseStudyFactory(title="Labelled", sectors=[Sector.objects.get(slug="health")], themes=[theme])
    text = client.get("/cases/").text
    assert "<dt>Sector</dt>" in text
    assert "<dt>Theme</dt>" in text
    assert '<li class="tag tag--theme">Digital government</li>' in text


def test_the_filters_are_a_disclosure_above_the_results(client, theme):
    make_cases(1, theme)
    text = client.get("/cases/?theme=digital-government").text
    assert '<details class="library__filters filters-disclosure" id="filters">' in text
    assert "Filters (1 selected)" in text
    assert text.index('id="filters"') < text.index('id="results"')


def test_library_heading_and_title_say_what_the_selection_is(client, theme):
    make_cases(1, theme)
    text = client.get("/cases/?theme=digital-government&economy=SG&year_from=2015").text
    assert "<h1>Digital government cases in Singapore since 2015</h1>" in text
    assert "<title>Digital government cases in Singapore since 2015" in text


def test_library_heading_without_a_selection_is_the_library(client, theme):
    assert "<h1>Case library</h1>" in client.get("/cases/").text


def test_library_title_names_the_page_after_the_first(client, theme):
    make_cases(25, theme)
    assert (
        "<title>Digital government cases, page 2"
        in client.get("/cases/?theme=digital-government&page=2").text
    )


def test_library_title_and_counts_leave_unpublished_cases_out(client, theme, hidden_cases):
    make_cases(1, theme)
    response = client.get("/cases/?theme=digital-government&q=telemedicine")
    assert_no_hidden(response.content)
    assert response.context["result_count"] == 1
    assert panel_of(response)["theme"]["options"][0]["count"] == 1


@pytest.mark.parametrize("url", ["/cases/?page_size=100", "/cases/?page_size=50&page=2&stage=implementation"])
def test_the_page_size_leaves_the_number_of_queries_unchanged(
    client, theme, after_a_write, django_assert_max_num_queries, url
):
    make_described_cases(3, theme)
    after_a_write()
    with django_assert_max_num_queries(MAX_QUERIES) as few:
        assert client.get(url).status_code == 200
    make_described_cases(60, theme)
    after_a_write()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_feed_title_says_what_the_selection_is(client, theme):
    CaseStudyFactory(
        title="Clinic", sectors=[Sector.objects.get(slug="health")], economy=Economy.objects.get(iso2="SG")
    )
    text = client.get("/feeds/cases/?sector=health&region=035&year_from=2015").text
    assert "<title>The Observatory: Health cases in South-eastern Asia since 2015</title>" in text


def test_feed_title_without_a_selection_is_the_catalogues(client):
    text = client.get("/feeds/cases/").text
    assert "<title>The Observatory: newly published case studies</title>" in text


def test_feed_title_is_in_the_readers_language(client, theme):
    text = client.get("/ja/feeds/cases/?sector=health").text
    assert "<title>オブザーバトリー\uff1a" in text  # a fullwidth colon
    assert "の事例</title>" in text
