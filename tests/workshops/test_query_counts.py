"""A page's query count is fixed by its selectors, whatever the amount of data (DESIGN §8)."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.core import versions
from kpiworkshop.workshops.models import Invitation, Participant, new_guest_key
from tests.conftest import login
from tests.factories import MembershipFactory, ParticipantFactory, WorkshopFactory

SIZES = (1, 10, 100)
MAX_QUERIES_PER_PAGE = 12


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow_workshop(workshop, size: int) -> None:
    """Bring the workshop to ``size`` invitations and ``size`` participants of mixed roles,
    some members and some guests, some joined through the invitations."""
    have = Invitation.objects.filter(workshop=workshop).count()
    Invitation.objects.bulk_create(
        Invitation(workshop=workshop, role=Role.values[i % len(Role.values)], label=f"Room {i}")
        for i in range(have, size)
    )
    invitations = list(Invitation.objects.filter(workshop=workshop))
    have = Participant.objects.filter(workshop=workshop).count()
    for i in range(have, size):
        role = Role.values[i % len(Role.values)]
        if i % 5 == 0:
            ParticipantFactory(workshop=workshop, role=role)
        else:
            Participant.objects.create(
                workshop=workshop,
                guest_key=new_guest_key(),
                display_name=f"Guest {i}",
                role=role,
                invitation=invitations[i % len(invitations)],
            )
    with transaction.atomic():  # written outside the services: bump the roster's version
        versions.version_bump(versions.ROSTER, workshop.pk)


def test_workshop_detail_for_facilitator_has_fixed_query_count(client, workshop, facilitator):
    login(client, facilitator)
    url = reverse("workshops:detail", args=[workshop.pk])
    counts = {}
    for size in SIZES:
        grow_workshop(workshop, size)
        counts[size] = count_queries(client, url)
    html = client.get(url).content.decode()
    assert html.count("data-code=") == 100
    assert "100 participants" in html
    assert len(set(counts.values())) == 1, counts
    assert counts[100] <= MAX_QUERIES_PER_PAGE


def test_workshop_detail_for_guest_has_fixed_query_count(client, workshop, guest_customer):
    from tests.conftest import as_guest

    as_guest(client, guest_customer)
    url = reverse("workshops:detail", args=[workshop.pk])
    counts = {}
    for size in SIZES:
        grow_workshop(workshop, size)
        counts[size] = count_queries(client, url)
    assert len(set(counts.values())) == 1, counts


def test_participants_page_has_fixed_query_count(client, workshop, facilitator):
    login(client, facilitator)
    url = reverse("workshops:participants", args=[workshop.pk])
    counts = {}
    for size in SIZES:
        grow_workshop(workshop, size)
        counts[size] = count_queries(client, url)
    assert len(set(counts.values())) == 1, counts


def test_home_dashboard_has_fixed_query_count(client, organisation):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    second_org = MembershipFactory(user=user, role=Role.AGENT).organisation
    client.force_login(user)
    counts = {}
    made = 0
    for size in SIZES:
        for i in range(made, size):
            workshop = WorkshopFactory(organisation=organisation if i % 2 else second_org)
            Participant.objects.create(
                workshop=workshop, guest_key=new_guest_key(), display_name="G", role=Role.AGENT
            )
        made = size
        counts[size] = count_queries(client, reverse("home"))
    html = client.get(reverse("home")).content.decode()
    assert html.count("1 participant<") == 100
    assert len(set(counts.values())) == 1, counts
    assert counts[100] <= MAX_QUERIES_PER_PAGE


def test_workshops_api_has_fixed_query_count(client, organisation):
    user = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    client.force_login(user)
    counts = {}
    made = 0
    for size in SIZES:
        for _ in range(made, size):
            grow_workshop(WorkshopFactory(organisation=organisation), 2)
        made = size
        counts[size] = count_queries(client, "/api/v1/workshops")
    assert len(set(counts.values())) == 1, counts
