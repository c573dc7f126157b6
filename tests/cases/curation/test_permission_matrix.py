"""Who may do what: every role against every read and write path, in one table.

Roles: anonymous; a partner key with the `read` scope; a partner key with only the `submit` scope; an
economy editor (Singapore); a reviewer; a curator. Partner keys are sent on every request of their row
(pages and admin too: a key never opens a session). Staff are signed in to admin; the API ignores
sessions (keys only), so staff read the API as anyone does.

"Own" cases are Singapore's (the editor's economy), "other" cases Japan's. A cell is the HTTP status, or
for admin actions whether the change happened ("done") or not ("no"), or for lists whether the other
economy's case is "shown" or "hidden" ("no" when the list itself is refused).
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cases.curation.roles import CURATOR, ECONOMY_EDITOR, REVIEWER
from cases.models import CaseStudy, Economy, EditorProfile
from cases.services import api_key_create
from tests.cases.admin.test_admin import form_data
from tests.factories import CaseStudyFactory, UserFactory, api_submission_body

pytestmark = pytest.mark.django_db

# The columns of MATRIX, in order (anon, read key, submit key, editor, reviewer, curator).
ROLES = ["anonymous", "partner_read", "partner_submit", "economy_editor", "reviewer", "curator"]

LOGIN = "login"  # 302 to admin's login page: whoever is not signed-in staff
MISSING = "missing"  # 302 to the admin index: an object outside the user's scope is answered as missing

# fmt: off
MATRIX = {
    #                                         anon      read key  submit    editor    reviewer  curator
    # Public pages
    "page: published case":                   (200,      200,      200,      200,      200,      200),
    "page: unpublished case, own economy":    (404,      404,      404,      200,      200,      200),
    "page: unpublished case, other economy":  (404,      404,      404,      404,      200,      200),
    # API: reads (published only, whoever asks)
    "api: list":                              (200,      200,      200,      200,      200,      200),
    "api: list hides unpublished":            ("hidden", "hidden", "hidden", "hidden", "hidden", "hidden"),
    "api: detail, published":                 (200,      200,      200,      200,      200,      200),
    "api: detail, unpublished":               (404,      404,      404,      404,      404,      404),
    "api: export.csv":                        (200,      200,      200,      200,      200,      200),
    "api: changes":                           (200,      200,      200,      200,      200,      200),
    # API: writes
    "api: POST submissions":                  (401,      403,      201,      401,      401,      401),
    "api: POST cases":                        (405,      405,      405,      405,      405,      405),
    "api: DELETE a case":                     (405,      405,      405,      405,      405,      405),
    # Admin
    "admin: changelist":                      (LOGIN,    LOGIN,    LOGIN,    200,      200,      200),
    "admin: changelist lists other economy":  ("no",     "no",     "no",     "hidden", "shown",  "shown"),
    "admin: change, own economy":             (LOGIN,    LOGIN,    LOGIN,    200,      200,      200),
    "admin: change, other economy":           (LOGIN,    LOGIN,    LOGIN,    MISSING,  200,      200),
    "admin: save, other economy":             ("no",     "no",     "no",     "no",     "done",   "done"),
    "admin: save, own published case":        ("no",     "no",     "no",     "no",     "done",   "done"),
    "admin: add outcome, other economy":      ("no",     "no",     "no",     "no",     "done",   "done"),
    "admin: history, own economy":            (LOGIN,    LOGIN,    LOGIN,    200,      200,      200),
    "admin: history, other economy":          (LOGIN,    LOGIN,    LOGIN,    MISSING,  200,      200),
    "admin: delete page, own economy":        (LOGIN,    LOGIN,    LOGIN,    403,      403,      200),
    "admin: delete page, other economy":      (LOGIN,    LOGIN,    LOGIN,    403,      403,      200),
    "admin: delete, own economy":             ("no",     "no",     "no",     "no",     "no",     "done"),
    "admin: action send for review, own":     ("no",     "no",     "no",     "done",   "done",   "done"),
    "admin: action send for review, other":   ("no",     "no",     "no",     "no",     "done",   "done"),
    "admin: action publish, own economy":     ("no",     "no",     "no",     "no",     "done",   "done"),
    "admin: action publish, other economy":   ("no",     "no",     "no",     "no",     "done",   "done"),
    "admin: action archive, own economy":     ("no",     "no",     "no",     "no",     "done",   "done"),
}
# fmt: on

CELLS = [
    pytest.param(path, role, expected, id=f"{path} | {role}")
    for path, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


# --- The people -----------------------------------------------------------------------------------


def staff_member(role, economies=()):
    user = UserFactory(username=role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    if economies:
        EditorProfile.objects.create(user=user).economies.set(Economy.objects.filter(iso2__in=economies))
    return user


def act_as(role, client):
    """Make `client` the given role."""
    if role == "partner_read":
        _key, plaintext = api_key_create(owner="Read partner", scope_read=True, scope_submit=False)
        client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {plaintext}"
    elif role == "partner_submit":
        _key, plaintext = api_key_create(owner="Submit partner", scope_read=False, scope_submit=True)
        client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {plaintext}"
    elif role == "economy_editor":
        client.force_login(staff_member(ECONOMY_EDITOR, ["SG"]))
    elif role == "reviewer":
        client.force_login(staff_member(REVIEWER))
    elif role == "curator":
        client.force_login(staff_member(CURATOR))
    return client


# --- The cases ------------------------------------------------------------------------------------


@pytest.fixture
def cases():
    singapore, japan = Economy.objects.get(iso2="SG"), Economy.objects.get(iso2="JP")
    return {
        "published": CaseStudyFactory(slug="published-case", economy=singapore),
        "own draft": CaseStudyFactory(
            slug="own-draft", title="Own economy draft", economy=singapore, status="draft"
        ),
        "other draft": CaseStudyFactory(
            slug="other-draft", title="Other economy draft", economy=japan, status="draft"
        ),
        "own in review": CaseStudyFactory(slug="own-in-review", economy=singapore, status="in_review"),
        "other in review": CaseStudyFactory(slug="other-in-review", economy=japan, status="in_review"),
    }


# --- The paths ------------------------------------------------------------------------------------

SUBMISSION = api_submission_body()


def answer(response):
    """The status code, with admin's two redirects told apart (LOGIN, MISSING)."""
    if response.status_code == 302 and response["Location"].startswith(reverse("admin:login")):
        return LOGIN
    if response.status_code == 302 and response["Location"] == reverse("admin:index"):
        return MISSING
    return response.status_code


def admin_url(view, case):
    return reverse(f"admin:cases_casestudy_{view}", args=[case.pk])


def changed(case, **expected):
    """'done' when the case (or its absence) now matches `expected`, else 'no'."""
    row = CaseStudy.objects.filter(pk=case.pk).values(*expected).first()
    if not expected:
        return "done" if row is None else "no"
    return "done" if row == expected else "no"


def run_action(client, name, case):
    client.post(
        reverse("admin:cases_casestudy_changelist"),
        {"action": f"transition_{name}", "_selected_action": [case.pk], "index": 0},
    )


def save_title(client, case):
    """Post the case's change form back with a new title: the form as shown to whoever may open it, and
    a bare title posted straight to the address by whoever may not."""
    form_page = client.get(admin_url("change", case))
    data = form_data(form_page) if form_page.status_code == 200 else {}
    data["title"] = "Changed by the matrix"
    client.post(admin_url("change", case), data)


def add_outcome(client, case):
    """'done' when posting a new outcome for `case` to the outcome admin created it, else 'no'."""
    data = {"case": case.pk, "indicator": "Added by the matrix", "value": "1", "position": 0}
    client.post(reverse("admin:cases_outcome_add"), data)
    return "done" if case.outcomes.filter(indicator="Added by the matrix").exists() else "no"


def unpublished_in_api_list(client, cases):
    response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    slugs = {case["slug"] for case in response.json()["results"]}
    assert cases["published"].slug in slugs
    unpublished = {case.slug for name, case in cases.items() if name != "published"}
    return "shown" if slugs & unpublished else "hidden"


def shown_in_changelist(client, case):
    response = client.get(reverse("admin:cases_casestudy_changelist"))
    if response.status_code != 200:
        return "no"
    return "shown" if case in response.context["cl"].result_list else "hidden"


PATHS = {
    "page: published case": lambda c, k: c.get(f"/cases/{k['published'].slug}/").status_code,
    "page: unpublished case, own economy": lambda c, k: c.get(f"/cases/{k['own draft'].slug}/").status_code,
    "page: unpublished case, other economy": lambda c, k: (
        c.get(f"/cases/{k['other draft'].slug}/").status_code
    ),
    "api: list": lambda c, k: c.get("/api/v1/cases/").status_code,
    "api: list hides unpublished": lambda c, k: unpublished_in_api_list(c, k),
    "api: detail, published": lambda c, k: c.get(f"/api/v1/cases/{k['published'].slug}/").status_code,
    "api: detail, unpublished": lambda c, k: c.get(f"/api/v1/cases/{k['own draft'].slug}/").status_code,
    "api: export.csv": lambda c, k: c.get("/api/v1/cases/export.csv").status_code,
    "api: changes": lambda c, k: c.get("/api/v1/cases/changes/?since=2000-01-01T00:00:00Z").status_code,
    "api: POST submissions": lambda c, k: (
        c.post("/api/v1/submissions/", SUBMISSION, content_type="application/json").status_code
    ),
    "api: POST cases": lambda c, k: c.post("/api/v1/cases/", {}, content_type="application/json").status_code,
    "api: DELETE a case": lambda c, k: c.delete(f"/api/v1/cases/{k['published'].slug}/").status_code,
    "admin: changelist": lambda c, k: answer(c.get(reverse("admin:cases_casestudy_changelist"))),
    "admin: changelist lists other economy": lambda c, k: shown_in_changelist(c, k["other draft"]),
    "admin: change, own economy": lambda c, k: answer(c.get(admin_url("change", k["own draft"]))),
    "admin: change, other economy": lambda c, k: answer(c.get(admin_url("change", k["other draft"]))),
    "admin: save, other economy": lambda c, k: (
        save_title(c, k["other draft"]),
        changed(k["other draft"], title="Changed by the matrix"),
    )[1],
    "admin: save, own published case": lambda c, k: (
        save_title(c, k["published"]),
        changed(k["published"], title="Changed by the matrix"),
    )[1],
    "admin: add outcome, other economy": lambda c, k: add_outcome(c, k["other draft"]),
    "admin: history, own economy": lambda c, k: answer(c.get(admin_url("history", k["own draft"]))),
    "admin: history, other economy": lambda c, k: answer(c.get(admin_url("history", k["other draft"]))),
    "admin: delete page, own economy": lambda c, k: answer(c.get(admin_url("delete", k["own draft"]))),
    "admin: delete page, other economy": lambda c, k: answer(c.get(admin_url("delete", k["other draft"]))),
    "admin: delete, own economy": lambda c, k: (
        c.post(admin_url("delete", k["own draft"]), {"post": "yes"}),
        changed(k["own draft"]),
    )[1],
    "admin: action send for review, own": lambda c, k: (
        run_action(c, "send_for_review", k["own draft"]),
        changed(k["own draft"], status="in_review"),
    )[1],
    "admin: action send for review, other": lambda c, k: (
        run_action(c, "send_for_review", k["other draft"]),
        changed(k["other draft"], status="in_review"),
    )[1],
    "admin: action publish, own economy": lambda c, k: (
        run_action(c, "publish", k["own in review"]),
        changed(k["own in review"], status="published"),
    )[1],
    "admin: action publish, other economy": lambda c, k: (
        run_action(c, "publish", k["other in review"]),
        changed(k["other in review"], status="published"),
    )[1],
    "admin: action archive, own economy": lambda c, k: (
        run_action(c, "archive", k["published"]),
        changed(k["published"], status="archived"),
    )[1],
}


def test_the_matrix_covers_every_path_and_role():
    assert set(MATRIX) == set(PATHS)
    assert all(len(row) == len(ROLES) for row in MATRIX.values())


@pytest.mark.parametrize(("path", "role", "expected"), CELLS)
def test_permission(client, cases, path, role, expected):
    act_as(role, client)

    assert PATHS[path](client, cases) == expected
