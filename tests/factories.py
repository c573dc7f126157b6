"""factory_boy factories: test data is made here, never from the demo catalogue."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.models import (
    SDG,
    CaseLink,
    CaseStudy,
    Economy,
    InnovationFacet,
    Level,
    Outcome,
    Resource,
    Sector,
    Stage,
    Status,
    Theme,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class EconomyFactory(factory.django.DjangoModelFactory):
    """Reference economies exist from the data migration; `Economy.objects.get(iso2='SG')` for those."""

    class Meta:
        model = Economy
        django_get_or_create = ("iso2",)

    name = factory.Sequence(lambda n: f"Economy {n}")
    slug = factory.Sequence(lambda n: f"economy-{n}")
    iso2 = factory.Sequence(lambda n: f"Q{chr(65 + n % 26)}")
    iso3 = factory.LazyAttribute(lambda economy: f"{economy.iso2}X")
    region_code = "142"
    region_name = "Asia"
    subregion_code = "035"
    subregion_name = "South-eastern Asia"
    is_apo_member = False


def reference(model, **lookup):
    return model.objects.get(**lookup)


class CaseStudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseStudy
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Case study number {n}")
    slug = factory.Sequence(lambda n: f"case-study-{n}")
    summary = "A one-line summary of what the case did."
    overview = "An overview of the case, long enough to read."
    lead_organisation = "Ministry of Examples"
    economy = factory.LazyFunction(lambda: Economy.objects.get(iso2="SG"))
    level = Level.NATIONAL
    stage = Stage.IMPLEMENTATION
    year_launched = 2018
    status = Status.PUBLISHED
    published_at = factory.LazyAttribute(
        lambda case: timezone.now() if case.status == Status.PUBLISHED else None
    )

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create:
            self.sectors.set(extracted if extracted is not None else [Sector.objects.get(slug="health")])

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)

    @factory.post_generation
    def facets(self, create, extracted, **kwargs):
        if create and extracted:
            self.facets.set(extracted)

    @factory.post_generation
    def sdgs(self, create, extracted, **kwargs):
        if create and extracted:
            self.sdgs.set(extracted)

    @factory.post_generation
    def other_economies(self, create, extracted, **kwargs):
        if create and extracted:
            self.other_economies.set(extracted)


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome

    case = factory.SubFactory(CaseStudyFactory)
    indicator = "People served"
    value = 1000
    unit = "people"


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    case = factory.SubFactory(CaseStudyFactory)
    title = "Official website"
    url = "https://example.org/"


class CaseLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseLink

    from_case = factory.SubFactory(CaseStudyFactory)
    to_case = factory.SubFactory(CaseStudyFactory)
    relation = "adapted_from"


__all__ = [
    "SDG",
    "CaseLinkFactory",
    "CaseStudyFactory",
    "EconomyFactory",
    "InnovationFacet",
    "OutcomeFactory",
    "ResourceFactory",
    "Sector",
    "Theme",
    "UserFactory",
    "reference",
]


def api_submission_body(**overrides):
    """A valid body for POST /api/v1/submissions/; a value of `...` leaves that field out."""
    data = {
        "title": "Flood warnings by text message",
        "summary": "Residents of flood-prone districts get a text message before the river rises.",
        "overview": "The city sends a text message to every registered household when the river rises.",
        "what_is_innovative": "Warnings come from river sensors, not from a person watching a gauge.",
        "lead_organisation": "City of Example, Emergency Office",
        "organisation_type": "government",
        "economy": "SG",
        "level": "local",
        "sectors": ["health"],
        "themes": ["digital-government"],
        "stage": "implementation",
        "year_launched": 2021,
        "website": "https://example.org/flood-warnings",
        "submitter_name": "Ana Reyes",
        "submitter_email": "ana.reyes@example.org",
        "submitter_organisation": "City of Example",
        "consent": True,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not ...}
