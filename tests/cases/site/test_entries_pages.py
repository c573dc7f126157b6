"""The pages of methods, toolkits and organisations (issue 18): every page answers on published data, nothing
unpublished is shown, counted, mapped or fed, bad parameters are a readable 400, and the number of queries of
every list and page does not grow with its rows. The case page's "How they did it" too."""

import itertools

import pytest
from django.utils import timezone

from cases.models import (
    CaseMethod,
    CaseOrganisation,
    CaseToolkit,
    EntryStatus,
    Method,
    MethodPurpose,
    Organisation,
    Toolkit,
    ToolkitLanguage,
    ToolkitPurpose,
)
from tests.factories import CaseStudyFactory

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def make_method(
    *, status=EntryStatus.PUBLISHED, name=None, slug=None, purposes=("engage-citizens",), **fields
):
    n = next(_numbers)
    method = Method.objects.create(
        name=name or f"Visible method {n}",
        slug=slug or f"visible-method-{n}",
        summary=f"What visible method {n} is, in one sentence.",
        description="A **method** described in Markdown.\n\n<script>alert(1)</script>",
        discipline="design",
        typical_duration="weeks",
        participants="A team of four to eight",
        complexity="medium",
        steps="1. Understand\n2. Try",
        strengths="- Quick",
        pitfalls="- Shallow",
        sources="- [OPSI](https://oecd-opsi.org/)",
        status=status,
        published_at=timezone.now() if status == EntryStatus.PUBLISHED else None,
        **fields,
    )
    for purpose in purposes:
        MethodPurpose.objects.create(method=method, purpose=purpose)
    return method


def make_toolkit(*, status=EntryStatus.PUBLISHED, title=None, slug=None, methods=(), **fields):
    n = next(_numbers)
    toolkit = Toolkit.objects.create(
        title=title or f"Visible toolkit {n}",
        slug=slug or f"visible-toolkit-{n}",
        summary=f"What visible toolkit {n} holds.",
        description="A guide in Markdown.",
        discipline="design",
        kind="guide",
        publisher="Nesta",
        year=2019,
        licence="CC BY 4.0",
        reuse_terms="Free to adapt with attribution",
        url=f"https://example.org/toolkits/{n}",
        status=status,
        published_at=timezone.now() if status == EntryStatus.PUBLISHED else None,
        **fields,
    )
    ToolkitPurpose.objects.create(toolkit=toolkit, purpose="test")
    ToolkitLanguage.objects.create(toolkit=toolkit, language="en")
    toolkit.methods.set(methods)
    return toolkit


def make_organisation(*, name=None, slug=None, **fields):
    n = next(_numbers)
    return Organisation.objects.create(
        name=name or f"Visible organisation {n}",
        slug=slug or f"visible-organisation-{n}",
        level="national",
        **fields,
    )


def link(case, *, methods=(), toolkits=(), organisations=(), role="primary"):
    for position, method in enumerate(methods):
        CaseMethod.objects.create(
            case=case, method=method, role=role, note=f"How {method.name} was used", position=position
        )
    for position, toolkit in enumerate(toolkits):
        CaseToolkit.objects.create(case=case, toolkit=toolkit, note="Its templates", position=position)
    for position, (organisation, org_role) in enumerate(organisations):
        CaseOrganisation.objects.create(
            case=case, organisation=organisation, role=org_role, position=position
        )


@pytest.fixture
def catalogue():
    """A published method, toolkit and organisation named by a published case; and hidden ones: a draft method
    and toolkit (each named by the published case too), an organisation named by a draft case only."""
    method = make_method(name="Design thinking", slug="design-thinking")
    toolkit = make_toolkit(title="Service design playbook", slug="service-design-playbook", methods=[method])
    organisation = make_organisation(name="Ministry of Examples", slug="ministry-of-examples")
    hidden_method = make_method(
        status=EntryStatus.DRAFT,
        name="Hidden draft method",
        slug="hidden-draft-method",
        purposes=("anticipate",),
    )
    hidden_toolkit = make_toolkit(
        status=EntryStatus.IN_REVIEW,
        title="Hidden review toolkit",
        slug="hidden-review-toolkit",
        methods=[method],
    )
    hidden_method.toolkits.add(toolkit)
    hidden_organisation = make_organisation(
        name="Hidden draft organisation", slug="hidden-draft-organisation"
    )
    case = CaseStudyFactory(title="Tell us once", slug="tell-us-once")
    link(
        case,
        methods=[method, hidden_method],
        toolkits=[toolkit, hidden_toolkit],
        organisations=[(organisation, "lead")],
    )
    draft_case = CaseStudyFactory(title="Draft case", slug="draft-case", status="draft")
    link(draft_case, methods=[method], organisations=[(hidden_organisation, "lead")])
    return {"method": method, "toolkit": toolkit, "organisation": organisation, "case": case}


PAGES = [
    "/methods/",
    "/methods/design-thinking/",
    "/toolkits/",
    "/toolkits/service-design-playbook/",
    "/organisations/",
    "/organisations/ministry-of-examples/",
    "/methods/?q=design&purpose=engage-citizens&discipline=design&sort=newest",
    "/toolkits/?kind=guide&method=design-thinking&language=en&year_from=2000&year_to=2020&sort=year",
    "/organisations/?kind=government&level=national&economy=SG&sort=cases",
    "/methods/design-thinking/?sector=health&sort=title&page=2",
    "/ja/methods/",
    "/ja/methods/design-thinking/",
    "/ja/toolkits/service-design-playbook/",
    "/ja/organisations/ministry-of-examples/",
    "/feeds/methods/",
    "/feeds/toolkits/",
    "/ja/feeds/toolkits/",
]
HIDDEN = ["Hidden draft method", "hidden-draft-method", "Hidden review toolkit", "hidden-review-toolkit"]
HIDDEN += ["Hidden draft organisation", "hidden-draft-organisation", "Draft case"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_answers_on_published_data_and_shows_nothing_hidden(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    for hidden in HIDDEN:
        assert hidden not in text


def test_the_lists_show_the_published_entries(client, catalogue):
    assert "Design thinking" in client.get("/methods/").text
    assert "Service design playbook" in client.get("/toolkits/").text
    assert "Ministry of Examples" in client.get("/organisations/").text


@pytest.mark.parametrize(
    ("path", "hidden"),
    [
        ("/methods/", "hidden-draft-method"),
        ("/toolkits/", "hidden-review-toolkit"),
        ("/organisations/", "hidden-draft-organisation"),
        ("/ja/methods/", "hidden-draft-method"),
    ],
)
def test_an_unpublished_entry_is_the_same_404_as_an_unknown_one(client, catalogue, path, hidden):
    response = client.get(f"{path}{hidden}/")
    unknown = client.get(f"{path}nothing-has-this-slug/")
    assert response.status_code == unknown.status_code == 404
    assert response.text.replace(hidden, "…") == unknown.text.replace("nothing-has-this-slug", "…")
    if not path.startswith("/ja/"):
        assert "Page not found" in response.text


def test_an_archived_method_is_404(client, catalogue):
    Method.objects.filter(pk=catalogue["method"].pk).update(status=EntryStatus.ARCHIVED)
    assert client.get("/methods/design-thinking/").status_code == 404


def test_facet_counts_count_only_published_entries(client, catalogue):
    response = client.get("/methods/")
    panel = {facet["parameter"]: facet for facet in response.context["facets"]}
    assert [(o["value"], o["count"]) for o in panel["purpose"]["options"]] == [("engage-citizens", 1)]
    assert [(o["value"], o["count"]) for o in panel["discipline"]["options"]] == [("design", 1)]
    toolkits = client.get("/toolkits/")
    panel = {facet["parameter"]: facet for facet in toolkits.context["facets"]}
    assert [(o["value"], o["count"]) for o in panel["kind"]["options"]] == [("guide", 1)]
    assert [o["value"] for o in panel["method"]["options"]] == ["design-thinking"]


def test_a_method_page_shows_its_fields_toolkits_and_cases(client, catalogue):
    response = client.get("/methods/design-thinking/")
    text = response.text
    for shown in ("Design thinking", "A team of four to eight", "Weeks", "Medium", "Engage citizens"):
        assert shown in text
    assert "<strong>method</strong>" in text  # Markdown rendered
    assert "<script>alert(1)</script>" not in text  # and made safe
    assert 'href="/toolkits/service-design-playbook/"' in text
    assert [case.slug for case in response.context["cases"]] == ["tell-us-once"]
    assert response.context["result_count"] == 1
    assert {facet["parameter"] for facet in response.context["facets"]} >= {"economy", "sector", "theme"}
    # The results' links keep the selection to the method's cases.
    assert "/api/v1/cases/export.csv?method=design-thinking" in text


def test_a_toolkit_page_shows_every_navigator_field_and_a_clear_way_out(client, catalogue):
    text = client.get("/toolkits/service-design-playbook/").text
    for shown in (
        "Guide or handbook",
        "Nesta",
        "2019",
        "CC BY 4.0",
        "Free to adapt with attribution",
        "Test and prototype",
    ):
        assert shown in text
    assert 'href="https://example.org/toolkits/' in text
    assert "Open the toolkit on Nesta" in text
    assert 'href="/methods/design-thinking/"' in text
    assert "Tell us once" in text


def test_a_toolkit_with_a_broken_address_says_so(client, catalogue):
    Toolkit.objects.filter(pk=catalogue["toolkit"].pk).update(
        link_state="broken", link_checked_at=timezone.now()
    )
    assert "did not answer when we last checked" in client.get("/toolkits/service-design-playbook/").text


def test_an_organisation_page_lists_its_cases_as_lead_or_partner(client, catalogue):
    partner_case = CaseStudyFactory(title="Partnered case")
    link(partner_case, organisations=[(make_organisation(), "lead"), (catalogue["organisation"], "partner")])
    response = client.get("/organisations/ministry-of-examples/")
    assert {case.title for case in response.context["cases"]} == {"Tell us once", "Partnered case"}
    assert "Singapore" in response.text


def test_the_case_page_shows_how_they_did_it_without_unpublished_entries(client, catalogue):
    text = client.get("/cases/tell-us-once/").text
    assert "How they did it" in text
    assert 'href="/methods/design-thinking/"' in text
    assert "How Design thinking was used" in text
    assert 'href="/toolkits/service-design-playbook/"' in text
    assert 'href="/organisations/ministry-of-examples/"' in text
    for hidden in ("Hidden draft method", "hidden-draft-method", "Hidden review toolkit"):
        assert hidden not in text


def test_the_case_page_lists_main_methods_first(client, catalogue):
    case = CaseStudyFactory(slug="ordered")
    also, main = make_method(name="Also used method"), make_method(name="Main method here")
    CaseMethod.objects.create(case=case, method=also, role="also", position=0)
    CaseMethod.objects.create(case=case, method=main, role="primary", position=1)
    methods = client.get("/cases/ordered/").context["how"]["methods"]
    assert [row["name"] for row in methods] == ["Main method here", "Also used method"]


def test_a_case_without_methods_has_no_how_section(client, catalogue):
    case = CaseStudyFactory(slug="plain")
    assert "How they did it" not in client.get(f"/cases/{case.slug}/").text


def test_hidden_entries_are_not_in_the_sitemap(client, catalogue):
    text = client.get("/sitemap.xml").content.decode()
    assert "/methods/design-thinking/" in text
    assert "/ja/methods/design-thinking/" in text
    assert "/toolkits/service-design-playbook/" in text
    assert "/organisations/ministry-of-examples/" in text
    for hidden in ("hidden-draft-method", "hidden-review-toolkit", "hidden-draft-organisation"):
        assert hidden not in text


def test_the_feeds_list_newly_published_entries_only(client, catalogue):
    methods = client.get("/feeds/methods/").content.decode()
    toolkits = client.get("/feeds/toolkits/").content.decode()
    assert "Design thinking" in methods
    assert "Service design playbook" in toolkits
    for hidden in HIDDEN:
        assert hidden not in methods
        assert hidden not in toolkits


def test_the_main_navigation_links_methods_and_toolkits(client, catalogue):
    text = client.get("/").text
    assert 'href="/methods/"' in text
    assert 'href="/toolkits/"' in text


@pytest.mark.parametrize(
    "url",
    [
        "/methods/?purpose=nope",
        "/methods/?discipline=%00",
        "/methods/?sort=random",
        "/methods/?page_size=abc",
        "/methods/?q=" + "x" * 1000,
        "/toolkits/?method=hidden-draft-method",
        "/toolkits/?method=no-such-method",
        "/toolkits/?year_from=abc",
        "/toolkits/?language=xx",
        "/organisations/?economy=ZZ",
        "/organisations/?sort=newest",
        "/methods/design-thinking/?sector=nope",
        "/methods/design-thinking/?toolkit=hidden-review-toolkit",
        "/organisations/ministry-of-examples/?year_to=-5",
    ],
)
def test_bad_parameters_are_a_readable_400(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "Some filters could not be used" in response.text


@pytest.mark.parametrize(
    "url", ["/feeds/methods/?purpose=nope", "/feeds/toolkits/?method=hidden-draft-method"]
)
def test_a_feed_with_bad_parameters_is_404_as_the_cases_feed(client, catalogue, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("page", ["99999", "abc", "-1", "0"])
def test_odd_page_numbers_show_a_real_page(client, catalogue, page):
    assert client.get(f"/methods/?page={page}").status_code == 200


def test_a_filter_chip_removes_its_value(client, catalogue):
    response = client.get("/methods/?purpose=engage-citizens&discipline=design")
    labels = [chip["label"] for chip in response.context["chips"]]
    assert "Good for: Engage citizens" in labels
    assert "Discipline: Design" in labels


# --- Queries ------------------------------------------------------------------------------------------


def grow(rows):
    """`rows` more published methods, toolkits, organisations and cases; each case also names the catalogue's
    method, toolkit and organisation, whose pages then list it."""
    design = Method.objects.get(slug="design-thinking")
    playbook = Toolkit.objects.get(slug="service-design-playbook")
    ministry = Organisation.objects.get(slug="ministry-of-examples")
    for _ in range(rows):
        method = make_method()
        toolkit = make_toolkit(methods=[method])
        method.toolkits.add(playbook)
        case = CaseStudyFactory()
        link(case, methods=[method], toolkits=[toolkit], organisations=[(make_organisation(), "lead")])
        CaseMethod.objects.create(case=case, method=design, role="also", position=1)
        CaseToolkit.objects.create(case=case, toolkit=playbook, position=1)
        CaseOrganisation.objects.create(case=case, organisation=ministry, role="partner", position=1)


QUERY_PAGES = [
    "/methods/",
    "/methods/?q=visible&purpose=engage-citizens",
    "/toolkits/",
    "/toolkits/?method=design-thinking&kind=guide",
    "/organisations/",
    "/organisations/?level=national&sort=cases",
    "/methods/design-thinking/",
    "/methods/design-thinking/?sector=health&q=case",
    "/toolkits/service-design-playbook/",
    "/organisations/ministry-of-examples/",
    "/cases/tell-us-once/",
    "/feeds/methods/",
    "/feeds/toolkits/",
    "/ja/toolkits/",
]


@pytest.mark.parametrize("url", QUERY_PAGES)
def test_the_number_of_queries_does_not_grow_with_the_rows(
    client, catalogue, after_a_write, django_assert_max_num_queries, url
):
    grow(2)
    after_a_write()
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    grow(18)
    after_a_write()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert "X-Page-Cache" not in response


def test_the_case_page_reads_its_methods_toolkits_and_organisations_in_its_own_query(
    client, catalogue, after_a_write, django_assert_max_num_queries
):
    case = catalogue["case"]
    after_a_write()
    with django_assert_max_num_queries(40) as few:
        client.get(case.get_absolute_url())
    for _ in range(20):
        link(case, methods=[make_method()], toolkits=[make_toolkit()], role="also")
        CaseOrganisation.objects.create(case=case, organisation=make_organisation(), role="partner")
    after_a_write()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(case.get_absolute_url())
    assert len(response.context["how"]["methods"]) == 21
    assert len(response.context["how"]["partners"]) == 20


@pytest.mark.parametrize("path", ["/methods/", "/toolkits/", "/organisations/"])
def test_relevance_without_words_is_the_list_s_own_order(client, path):
    """`sort=relevance` with no `q` (a form's default kept in a link) orders as the list does, never a 500."""
    assert client.get(path, {"sort": "relevance"}).status_code == 200
