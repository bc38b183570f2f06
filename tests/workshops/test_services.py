from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import (
    CODE_ALPHABET,
    Invitation,
    InvitationEmail,
    Participant,
    Stage,
    Workshop,
)
from kpiworkshop.workshops.tasks import deliver_invitation_emails
from kpiworkshop.workshops.throttle import JoinClient
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    ParticipantFactory,
    UserFactory,
    WorkshopFactory,
)

JOIN_URL = "https://kpi.example.com/j/CODE/"


def client_(device: str = "phone-1", address: str = "10.0.0.1") -> JoinClient:
    return JoinClient(device=device, address=address)


def events(workshop: Workshop, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(workshop_id=workshop.pk, action=action))


def error_code(exc_info) -> str | None:
    return exc_info.value.code


# --- workshop_create ------------------------------------------------------------------------


def test_workshop_create_by_org_facilitator_starts_in_draft_with_creator_as_facilitator(
    organisation,
):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    workshop = services.workshop_create(
        user=user, organisation=organisation, title="  Rethink AHT  ", purpose="Why"
    )
    assert workshop.stage == Stage.DRAFT
    assert workshop.title == "Rethink AHT"
    assert workshop.created_by == user
    creator = Participant.objects.get(workshop=workshop)
    assert creator.user == user
    assert creator.role == Role.FACILITATOR
    [event] = events(workshop, "workshop.create")
    assert event.actor == user
    assert event.organisation_id == organisation.pk
    assert event.details == {"title": "Rethink AHT"}


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.FACILITATOR])
def test_workshop_create_refused_to_other_roles_of_the_organisation(organisation, role):
    user = MembershipFactory(organisation=organisation, role=role).user
    with pytest.raises(PermissionDenied):
        services.workshop_create(user=user, organisation=organisation, title="Nope")
    assert not Workshop.objects.filter(organisation=organisation).exists()


def test_workshop_create_refused_to_facilitator_of_another_organisation(
    organisation, other_org_participant
):
    with pytest.raises(PermissionDenied):
        services.workshop_create(
            user=other_org_participant.user, organisation=organisation, title="Takeover"
        )
    assert not Workshop.objects.filter(organisation=organisation).exists()


def test_workshop_create_refused_to_inactive_facilitator_membership(organisation):
    membership = MembershipFactory(
        organisation=organisation, role=Role.FACILITATOR, is_active=False
    )
    with pytest.raises(PermissionDenied):
        services.workshop_create(user=membership.user, organisation=organisation, title="Old")


def test_workshop_create_with_blank_title_changes_nothing(organisation):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    with pytest.raises(ValidationError) as exc_info:
        services.workshop_create(user=user, organisation=organisation, title="   ")
    assert "title" in exc_info.value.message_dict
    assert not Workshop.objects.exists()
    assert not AuditEvent.objects.exists()


def test_workshop_update_by_facilitator_is_audited_and_refused_to_agent(
    workshop, facilitator, agent
):
    services.workshop_update(actor=facilitator, workshop=workshop, title="New", purpose="p")
    workshop.refresh_from_db()
    assert workshop.title == "New"
    assert len(events(workshop, "workshop.update")) == 1
    with pytest.raises(PermissionDenied):
        services.workshop_update(actor=agent, workshop=workshop, title="Mine", purpose="")
    workshop.refresh_from_db()
    assert workshop.title == "New"


# --- workshop_set_stage ---------------------------------------------------------------------


def test_stage_moves_forward_one_step_with_audit_and_version_bump(workshop, facilitator):
    assert workshop.state_version == 1
    moved = services.workshop_set_stage(
        actor=facilitator, workshop=workshop, stage=Stage.REFINE, expected_stage=Stage.PROPOSE
    )
    assert moved.stage == Stage.REFINE
    assert moved.state_version == 2
    workshop.refresh_from_db()
    assert workshop.stage == Stage.REFINE
    assert workshop.state_version == 2
    [event] = events(workshop, "workshop.stage")
    assert event.details == {"from": "propose", "to": "refine"}
    assert event.actor == facilitator.user
    assert event.actor_name == "Fran"


def test_stage_moves_back_one_step_before_publishing(workshop, facilitator):
    moved = services.workshop_set_stage(
        actor=facilitator, workshop=workshop, stage=Stage.DRAFT, expected_stage=Stage.PROPOSE
    )
    assert moved.stage == Stage.DRAFT
    assert events(workshop, "workshop.stage")[0].details == {"from": "propose", "to": "draft"}


def test_stage_cannot_skip_a_step(workshop, facilitator):
    with pytest.raises(ValidationError) as exc_info:
        services.workshop_set_stage(
            actor=facilitator, workshop=workshop, stage=Stage.VOTE, expected_stage=Stage.PROPOSE
        )
    assert "one stage at a time" in exc_info.value.messages[0]
    workshop.refresh_from_db()
    assert (workshop.stage, workshop.state_version) == (Stage.PROPOSE, 1)
    assert not events(workshop, "workshop.stage")


def test_published_workshop_never_goes_back_but_can_be_archived(workshop, facilitator):
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.PUBLISHED)
    with pytest.raises(ValidationError):
        services.workshop_set_stage(
            actor=facilitator,
            workshop=workshop,
            stage=Stage.APPROVE,
            expected_stage=Stage.PUBLISHED,
        )
    moved = services.workshop_set_stage(
        actor=facilitator, workshop=workshop, stage=Stage.ARCHIVED, expected_stage=Stage.PUBLISHED
    )
    assert moved.stage == Stage.ARCHIVED


def test_approve_is_left_for_published_only_by_publishing_the_release(workshop, facilitator):
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.APPROVE)
    with pytest.raises(ValidationError):
        services.workshop_set_stage(
            actor=facilitator,
            workshop=workshop,
            stage=Stage.PUBLISHED,
            expected_stage=Stage.APPROVE,
        )
    workshop.refresh_from_db()
    assert workshop.stage == Stage.APPROVE


@pytest.mark.parametrize("target", [Stage.PUBLISHED, Stage.APPROVE, Stage.DRAFT])
def test_archived_workshop_stays_archived(workshop, facilitator, target):
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.ARCHIVED)
    with pytest.raises(PermissionDenied):
        services.workshop_set_stage(
            actor=facilitator, workshop=workshop, stage=target, expected_stage=Stage.ARCHIVED
        )
    workshop.refresh_from_db()
    assert workshop.stage == Stage.ARCHIVED


def test_stale_expected_stage_is_refused_with_the_current_stage_named(workshop, facilitator):
    second = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    services.workshop_set_stage(
        actor=facilitator, workshop=workshop, stage=Stage.REFINE, expected_stage=Stage.PROPOSE
    )
    # The second facilitator's page still showed "propose" and they pressed "next" too.
    with pytest.raises(ValidationError) as exc_info:
        services.workshop_set_stage(
            actor=second, workshop=workshop, stage=Stage.REFINE, expected_stage=Stage.PROPOSE
        )
    message = exc_info.value.messages[0]
    assert "in the meantime" in message
    assert "Refine" in message
    workshop.refresh_from_db()
    assert (workshop.stage, workshop.state_version) == (Stage.REFINE, 2)
    assert len(events(workshop, "workshop.stage")) == 1


def test_unknown_stage_is_refused(workshop, facilitator):
    with pytest.raises(ValidationError) as exc_info:
        services.workshop_set_stage(
            actor=facilitator, workshop=workshop, stage="done", expected_stage=Stage.PROPOSE
        )
    assert exc_info.value.messages == ["Unknown stage."]
    workshop.refresh_from_db()
    assert workshop.stage == Stage.PROPOSE


@pytest.mark.parametrize("who", ["agent", "approver", "guest_customer", "nobody", "other_org"])
def test_stage_move_by_non_facilitator_is_permission_denied(
    request, workshop, who, other_org_participant
):
    if who == "nobody":
        actor = None
    elif who == "other_org":
        actor = other_org_participant
    else:
        actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.workshop_set_stage(
            actor=actor, workshop=workshop, stage=Stage.REFINE, expected_stage=Stage.PROPOSE
        )
    workshop.refresh_from_db()
    assert (workshop.stage, workshop.state_version) == (Stage.PROPOSE, 1)
    assert not events(workshop, "workshop.stage")


# --- invitation_create / invitation_revoke --------------------------------------------------


def test_invitation_create_draws_a_readable_code_and_is_audited(workshop, facilitator):
    invitation = services.invitation_create(
        actor=facilitator, workshop=workshop, role=Role.CUSTOMER, label="  Room A  "
    )
    assert len(invitation.code) == 6
    assert set(invitation.code) <= set(CODE_ALPHABET)
    assert invitation.role == Role.CUSTOMER
    assert invitation.label == "Room A"
    assert invitation.expires_at is None
    assert invitation.max_uses is None
    assert invitation.created_by == facilitator.user
    assert invitation.is_usable
    [event] = events(workshop, "invitation.create")
    assert event.target_id == str(invitation.pk)
    assert event.details["role"] == "customer"


def test_invitation_create_with_expiry_and_cap(workshop, facilitator):
    before = timezone.now()
    invitation = services.invitation_create(
        actor=facilitator, workshop=workshop, role=Role.AGENT, expires_in_hours=2, max_uses=30
    )
    assert before + timedelta(hours=2) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(hours=2)
    assert invitation.max_uses == 30


def test_invitation_codes_are_unique(workshop, facilitator):
    codes = {
        services.invitation_create(actor=facilitator, workshop=workshop, role=Role.AGENT).code
        for _ in range(20)
    }
    assert len(codes) == 20


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "overlord"}, "role"),
        ({"role": ""}, "role"),
        ({"role": Role.AGENT, "expires_in_hours": 0}, "expires_in_hours"),
        ({"role": Role.AGENT, "expires_in_hours": -5}, "expires_in_hours"),
        ({"role": Role.AGENT, "expires_in_hours": 24 * 90 + 1}, "expires_in_hours"),
        ({"role": Role.AGENT, "max_uses": 0}, "max_uses"),
        ({"role": Role.AGENT, "max_uses": 10001}, "max_uses"),
    ],
)
def test_invitation_create_refuses_bad_values_and_creates_nothing(
    workshop, facilitator, kwargs, field
):
    with pytest.raises(ValidationError) as exc_info:
        services.invitation_create(actor=facilitator, workshop=workshop, **kwargs)
    assert field in exc_info.value.message_dict
    assert not Invitation.objects.exists()
    assert not events(workshop, "invitation.create")


def test_invitation_create_accepts_the_limits(workshop, facilitator):
    inv = services.invitation_create(
        actor=facilitator, workshop=workshop, role=Role.AGENT, expires_in_hours=24 * 90, max_uses=1
    )
    assert inv.max_uses == 1


def test_invitation_create_refused_to_agent(workshop, agent):
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=agent, workshop=workshop, role=Role.FACILITATOR)
    assert not Invitation.objects.exists()


def test_invitation_revoke_is_audited_once_and_makes_code_unusable(
    workshop, facilitator, invitation
):
    services.invitation_revoke(actor=facilitator, invitation=invitation)
    first = Invitation.objects.get(pk=invitation.pk).revoked_at
    services.invitation_revoke(actor=facilitator, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.revoked_at == first
    assert not invitation.is_usable
    [event] = events(workshop, "invitation.revoke")
    assert event.details == {"role": "agent"}


def test_invitation_revoke_refused_to_agent(workshop, agent, invitation):
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(actor=agent, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.is_usable


# --- invitation_resolve ---------------------------------------------------------------------


@pytest.fixture
def fixed_code_invitation(workshop):
    return InvitationFactory(workshop=workshop, role=Role.AGENT, code="K7P3QX")


@pytest.mark.parametrize(
    "typed", ["K7P3QX", "k7p3qx", "k7p 3qx", " K7P-3QX ", "k7p_3q.x", "K 7 P 3 Q X"]
)
def test_invitation_resolve_accepts_what_people_type(fixed_code_invitation, typed):
    assert services.invitation_resolve(code=typed, client=client_()) == fixed_code_invitation


@pytest.mark.parametrize(
    "typed", ["ZZZZZZ", "", "K7P3Q", "K7P3QX1", "<script>", "🙂🙂🙂🙂", "x" * 500]
)
def test_invitation_resolve_unknown_code(fixed_code_invitation, typed):
    with pytest.raises(ValidationError) as exc_info:
        services.invitation_resolve(code=typed, client=client_())
    assert error_code(exc_info) == "unknown"


def test_invitation_resolve_gives_distinct_codes_and_messages(workshop):
    revoked = InvitationFactory(workshop=workshop, revoked_at=timezone.now())
    expired = InvitationFactory(workshop=workshop, expires_at=timezone.now() - timedelta(minutes=1))
    archived = InvitationFactory(workshop=WorkshopFactory(stage=Stage.ARCHIVED))
    seen = {}
    for typed in ["ACDEFG", revoked.code, expired.code, archived.code]:
        with pytest.raises(ValidationError) as exc_info:
            services.invitation_resolve(code=typed, client=client_())
        seen[exc_info.value.code] = exc_info.value.messages[0]
    assert set(seen) == {"unknown", "revoked", "expired", "archived"}
    assert len(set(seen.values())) == 4


def test_invitation_resolve_accepts_a_code_that_expires_later(workshop):
    later = InvitationFactory(workshop=workshop, expires_at=timezone.now() + timedelta(hours=1))
    assert services.invitation_resolve(code=later.code, client=client_()) == later


# --- guests ---------------------------------------------------------------------------------


def test_guest_join_creates_participant_with_invitation_role(workshop):
    invitation = InvitationFactory(workshop=workshop, role=Role.CUSTOMER)
    guest = services.participant_join_guest(
        invitation=invitation, guest_key="device-1", display_name="Chiara"
    )
    assert guest.is_guest
    assert guest.role == Role.CUSTOMER
    assert guest.invitation == invitation
    assert guest.workshop == workshop


def test_guest_coming_back_on_same_device_keeps_one_participant(invitation):
    first = services.participant_join_guest(
        invitation=invitation, guest_key="device-1", display_name="Chiara"
    )
    again = services.participant_join_guest(
        invitation=invitation, guest_key="device-1", display_name="Chiara B."
    )
    assert again.pk == first.pk
    assert Participant.objects.filter(workshop=invitation.workshop).count() == 1
    first.refresh_from_db()
    assert first.display_name == "Chiara B."


def test_removed_guest_cannot_rejoin_from_the_same_device(invitation):
    first = services.participant_join_guest(
        invitation=invitation, guest_key="device-1", display_name="Chiara"
    )
    Participant.objects.filter(pk=first.pk).update(is_active=False)
    with pytest.raises(ValidationError) as err:
        services.participant_join_guest(
            invitation=invitation, guest_key="device-1", display_name="Chiara again"
        )
    assert err.value.code == "removed"
    first.refresh_from_db()
    assert not first.is_active
    assert first.display_name == "Chiara"
    assert Participant.objects.filter(workshop=invitation.workshop).count() == 1


def test_two_devices_make_two_guests(invitation):
    a = services.participant_join_guest(invitation=invitation, guest_key="a", display_name="Ann")
    b = services.participant_join_guest(invitation=invitation, guest_key="b", display_name="Ann")
    assert a.pk != b.pk


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("  Ada   Lovelace \n", "Ada Lovelace"),
        ("Ada\tLovelace", "Ada Lovelace"),
        ("Ada\x1b[31m", "Ada[31m"),
        ("\u202eAda", "Ada"),
        ("\u200b Ada \u200b", "Ada"),
        ("Ada \u200b Lovelace", "Ada Lovelace"),
        ("Zoë 🙂", "Zoë 🙂"),
        ("x" * 60, "x" * 60),
        ("<b>Bob</b>", "<b>Bob</b>"),  # stored as typed; escaped when shown
    ],
)
def test_guest_name_is_cleaned(invitation, typed, shown):
    guest = services.participant_join_guest(
        invitation=invitation, guest_key="k", display_name=typed
    )
    assert guest.display_name == shown


@pytest.mark.parametrize("typed", ["", "   ", "\n\t", "\x00\x07\x08", "\u200b\u200b", "x" * 61])
def test_guest_name_empty_or_too_long_is_refused(invitation, typed):
    with pytest.raises(ValidationError) as exc_info:
        services.participant_join_guest(invitation=invitation, guest_key="k", display_name=typed)
    assert "display_name" in exc_info.value.message_dict
    assert not Participant.objects.exists()


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.LEADERSHIP])
def test_guest_cannot_join_with_facilitator_or_leadership_code(workshop, role):
    invitation = InvitationFactory(workshop=workshop, role=role)
    with pytest.raises(ValidationError) as exc_info:
        services.participant_join_guest(
            invitation=invitation, guest_key="k", display_name="Mallory"
        )
    assert error_code(exc_info) == "account_required"
    assert not Participant.objects.exists()


def test_guest_join_honours_max_uses_but_lets_joined_device_back(workshop):
    invitation = InvitationFactory(workshop=workshop, max_uses=2)
    services.participant_join_guest(invitation=invitation, guest_key="a", display_name="A")
    services.participant_join_guest(invitation=invitation, guest_key="b", display_name="B")
    with pytest.raises(ValidationError) as exc_info:
        services.participant_join_guest(invitation=invitation, guest_key="c", display_name="C")
    assert error_code(exc_info) == "full"
    back = services.participant_join_guest(invitation=invitation, guest_key="a", display_name="A")
    assert back.guest_key == "a"
    assert Participant.objects.filter(workshop=workshop).count() == 2


# --- members --------------------------------------------------------------------------------


def test_member_joins_through_invitation_with_its_role_even_without_membership(workshop):
    user = UserFactory()
    invitation = InvitationFactory(workshop=workshop, role=Role.CUSTOMER)
    participant = services.participant_join_member(
        user=user, workshop=workshop, invitation=invitation
    )
    assert participant.user == user
    assert participant.role == Role.CUSTOMER
    assert participant.invitation == invitation
    assert participant.display_name == str(user)


def test_member_joins_without_invitation_with_membership_role(workshop):
    user = MembershipFactory(organisation=workshop.organisation, role=Role.SUPERVISOR).user
    participant = services.participant_join_member(user=user, workshop=workshop)
    assert participant.role == Role.SUPERVISOR
    assert participant.invitation is None


def test_member_joining_twice_keeps_one_participant(workshop):
    user = MembershipFactory(organisation=workshop.organisation).user
    first = services.participant_join_member(user=user, workshop=workshop)
    again = services.participant_join_member(user=user, workshop=workshop)
    assert first.pk == again.pk
    assert Participant.objects.filter(user=user).count() == 1


def test_non_member_without_invitation_is_refused(workshop, other_org_participant):
    with pytest.raises(PermissionDenied):
        services.participant_join_member(user=other_org_participant.user, workshop=workshop)
    assert not Participant.objects.filter(workshop=workshop).exists()


def test_inactive_member_without_invitation_is_refused(workshop):
    user = MembershipFactory(organisation=workshop.organisation, is_active=False).user
    with pytest.raises(PermissionDenied):
        services.participant_join_member(user=user, workshop=workshop)


def test_member_cannot_join_archived_workshop_without_invitation(organisation):
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.ARCHIVED)
    user = MembershipFactory(organisation=organisation).user
    with pytest.raises(ValidationError):
        services.participant_join_member(user=user, workshop=workshop)
    assert not Participant.objects.exists()


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.LEADERSHIP])
def test_account_role_code_needs_membership_of_the_organisation(workshop, role):
    invitation = InvitationFactory(workshop=workshop, role=role)
    outsider = UserFactory()
    with pytest.raises(ValidationError) as exc_info:
        services.participant_join_member(user=outsider, workshop=workshop, invitation=invitation)
    assert error_code(exc_info) == "account_required"
    insider = MembershipFactory(organisation=workshop.organisation, role=role).user
    joined = services.participant_join_member(
        user=insider, workshop=workshop, invitation=invitation
    )
    assert joined.role == role


@pytest.mark.parametrize("code_role", [Role.FACILITATOR, Role.LEADERSHIP])
@pytest.mark.parametrize(
    "own_role", [r for r in Role.values if r not in {Role.FACILITATOR, Role.LEADERSHIP}]
)
def test_member_with_an_ordinary_role_holding_a_privileged_code_joins_as_nothing(
    workshop, code_role, own_role
):
    member = MembershipFactory(organisation=workshop.organisation, role=own_role).user
    invitation = InvitationFactory(workshop=workshop, role=code_role)
    with pytest.raises(ValidationError) as exc_info:
        services.participant_join_member(user=member, workshop=workshop, invitation=invitation)
    assert error_code(exc_info) == "role_not_allowed"
    assert "Ask the facilitator for the code for your role" in exc_info.value.messages[0]
    assert not Participant.objects.filter(workshop=workshop, user=member).exists()
    assert not events(workshop, "participant.join_facilitator")


def test_facilitator_and_leadership_codes_do_not_stand_in_for_each_other(workshop):
    facilitator = MembershipFactory(organisation=workshop.organisation, role=Role.FACILITATOR)
    leader = MembershipFactory(organisation=workshop.organisation, role=Role.LEADERSHIP)
    leadership_code = InvitationFactory(workshop=workshop, role=Role.LEADERSHIP)
    facilitator_code = InvitationFactory(workshop=workshop, role=Role.FACILITATOR)
    for user, code in [(facilitator.user, leadership_code), (leader.user, facilitator_code)]:
        with pytest.raises(ValidationError) as exc_info:
            services.participant_join_member(user=user, workshop=workshop, invitation=code)
        assert error_code(exc_info) == "role_not_allowed"
    assert not Participant.objects.filter(workshop=workshop).exists()


def test_member_join_honours_max_uses(workshop):
    invitation = InvitationFactory(workshop=workshop, max_uses=1)
    services.participant_join_member(user=UserFactory(), workshop=workshop, invitation=invitation)
    with pytest.raises(ValidationError) as exc_info:
        services.participant_join_member(
            user=UserFactory(), workshop=workshop, invitation=invitation
        )
    assert error_code(exc_info) == "full"


def test_facilitator_joining_is_audited_other_roles_are_not(workshop):
    facilitator = MembershipFactory(organisation=workshop.organisation, role=Role.FACILITATOR)
    agent = MembershipFactory(organisation=workshop.organisation, role=Role.AGENT)
    services.participant_join_member(user=agent.user, workshop=workshop)
    assert not events(workshop, "participant.join_facilitator")
    services.participant_join_member(user=facilitator.user, workshop=workshop)
    [event] = events(workshop, "participant.join_facilitator")
    assert event.actor == facilitator.user


# --- throttling -----------------------------------------------------------------------------


@pytest.fixture
def small_limits(settings):
    settings.KPIW_JOIN_MAX_FAILURES_PER_DEVICE = 3
    settings.KPIW_JOIN_MAX_FAILURES_PER_ADDRESS = 7
    settings.KPIW_JOIN_MAX_FAILURES_PER_CODE = 5
    return settings


def wrong_codes():
    """Distinct wrong codes, so only the device and address buckets fill."""
    for a in CODE_ALPHABET:
        for b in CODE_ALPHABET:
            yield f"QQQQ{a}{b}"


def fail(client: JoinClient, code: str) -> str:
    with pytest.raises(ValidationError) as exc_info:
        services.invitation_resolve(code=code, client=client)
    return exc_info.value.code


def test_device_is_blocked_after_n_failures_even_for_a_good_code(small_limits, invitation):
    device = client_("guesser")
    codes = wrong_codes()
    assert [fail(device, next(codes)) for _ in range(3)] == ["unknown"] * 3
    assert fail(device, invitation.code) == "throttled"


def test_other_device_behind_same_address_gets_in_until_address_limit(small_limits, invitation):
    codes = wrong_codes()
    for _ in range(3):
        fail(client_("guesser"), next(codes))
    neighbour = client_("neighbour")
    assert services.invitation_resolve(code=invitation.code, client=neighbour) == invitation
    # More guessing devices on the same Wi-Fi fill the address bucket (7).
    for _ in range(3):
        fail(client_("guesser-2"), next(codes))
    fail(client_("guesser-3"), next(codes))
    assert fail(neighbour, invitation.code) == "throttled"
    # Another address is unaffected.
    elsewhere = client_("neighbour", address="10.9.9.9")
    assert services.invitation_resolve(code=invitation.code, client=elsewhere) == invitation


def test_a_code_guessed_wrong_too_often_is_blocked_for_everyone(small_limits, workshop):
    revoked = InvitationFactory(workshop=workshop, revoked_at=timezone.now())
    good = InvitationFactory(workshop=workshop)
    for i in range(5):
        assert fail(client_(f"d{i}", f"10.0.{i}.1"), revoked.code) == "revoked"
    assert fail(client_("fresh", "10.1.1.1"), revoked.code) == "throttled"
    assert services.invitation_resolve(code=good.code, client=client_("fresh", "10.1.1.1"))


def test_successful_joins_never_count(small_limits, invitation):
    room = "192.168.1.1"
    for i in range(200):
        phone = client_(f"phone-{i}", room)
        found = services.invitation_resolve(code=invitation.code.lower(), client=phone)
        services.participant_join_guest(
            invitation=found, guest_key=f"key-{i}", display_name=f"P{i}"
        )
    # The same device opening the link again and again is fine too.
    for _ in range(50):
        services.invitation_resolve(code=invitation.code, client=client_("phone-0", room))
    assert Participant.objects.filter(workshop=invitation.workshop).count() == 200
    # The buckets are still empty: it takes the full number of failures to block a device.
    codes = wrong_codes()
    for _ in range(2):
        fail(client_("phone-0", room), next(codes))
    assert services.invitation_resolve(code=invitation.code, client=client_("phone-0", room))


def test_archived_workshop_code_does_not_count_as_a_guess(db, small_limits):
    archived = InvitationFactory(workshop=WorkshopFactory(stage=Stage.ARCHIVED))
    device = client_()
    for _ in range(5):
        assert fail(device, archived.code) == "archived"
    assert fail(device, archived.code) == "archived"


# --- invitation e-mails ---------------------------------------------------------------------


def test_send_emails_queues_and_delivers_after_commit(
    workshop, facilitator, invitation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        n = services.invitation_send_emails(
            actor=facilitator,
            invitation=invitation,
            emails="ada@example.com, Bob@Example.com;\n<carl@example.com> ada@example.com",
            join_url=JOIN_URL,
        )
    assert n == 3
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ada@example.com",
        "bob@example.com",
        "carl@example.com",
    ]
    message = mail.outbox[0]
    assert JOIN_URL in message.body
    assert invitation.display_code in message.body
    assert workshop.title in message.subject
    assert "\n" not in message.subject
    assert InvitationEmail.objects.filter(sent_at__isnull=True).count() == 0
    [event] = events(workshop, "invitation.email")
    assert event.details == {"count": 3, "role": invitation.role}


def test_nothing_is_sent_before_commit(facilitator, invitation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.invitation_send_emails(
            actor=facilitator, invitation=invitation, emails="ada@example.com", join_url=JOIN_URL
        )
    assert mail.outbox == []
    assert InvitationEmail.objects.get().sent_at is None


def test_delivering_twice_sends_once(facilitator, invitation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.invitation_send_emails(
            actor=facilitator, invitation=invitation, emails="a@example.com b@example.com",
            join_url=JOIN_URL,
        )  # fmt: skip
    assert services.invitation_emails_deliver(invitation_id=invitation.pk, join_url=JOIN_URL) == 2
    assert services.invitation_emails_deliver(invitation_id=invitation.pk, join_url=JOIN_URL) == 0
    # The Celery task (eager in tests) is the same idempotent call.
    assert deliver_invitation_emails.delay(invitation.pk, JOIN_URL).get() == 0
    assert len(mail.outbox) == 2


def test_sending_to_the_same_addresses_again_mails_nobody_twice(
    facilitator, invitation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_send_emails(
            actor=facilitator, invitation=invitation, emails="a@example.com", join_url=JOIN_URL
        )
    with django_capture_on_commit_callbacks(execute=True):
        n = services.invitation_send_emails(
            actor=facilitator,
            invitation=invitation,
            emails="A@example.com, new@example.com",
            join_url=JOIN_URL,
        )
    assert n == 1
    assert [m.to for m in mail.outbox] == [["a@example.com"], ["new@example.com"]]


@pytest.mark.parametrize(
    ("emails", "fragment"),
    [
        ("ada@example.com, not-an-address", "not-an-address"),
        ("@@@, bob@", "@@@"),
        ("", "at least one"),
        (" ,;; ", "at least one"),
        (" ".join(f"p{i}@example.com" for i in range(201)), "At most 200"),
    ],
)
def test_bad_addresses_give_a_clear_error_and_create_nothing(
    workshop, facilitator, invitation, emails, fragment, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as exc_info,
    ):
        services.invitation_send_emails(
            actor=facilitator, invitation=invitation, emails=emails, join_url=JOIN_URL
        )
    assert fragment in exc_info.value.message_dict["emails"][0]
    assert callbacks == []
    assert not InvitationEmail.objects.exists()
    assert not events(workshop, "invitation.email")
    assert mail.outbox == []


def test_revoked_invitation_cannot_be_emailed(facilitator, invitation):
    services.invitation_revoke(actor=facilitator, invitation=invitation)
    with pytest.raises(ValidationError):
        services.invitation_send_emails(
            actor=facilitator, invitation=invitation, emails="a@example.com", join_url=JOIN_URL
        )
    assert not InvitationEmail.objects.exists()


def test_pending_emails_of_a_since_revoked_invitation_are_not_sent(
    facilitator, invitation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        services.invitation_send_emails(
            actor=facilitator, invitation=invitation, emails="a@example.com", join_url=JOIN_URL
        )
    services.invitation_revoke(actor=facilitator, invitation=invitation)
    assert services.invitation_emails_deliver(invitation_id=invitation.pk, join_url=JOIN_URL) == 0
    assert mail.outbox == []


def test_emailing_invitations_refused_to_agent(agent, invitation):
    with pytest.raises(PermissionDenied):
        services.invitation_send_emails(
            actor=agent, invitation=invitation, emails="a@example.com", join_url=JOIN_URL
        )
    assert not InvitationEmail.objects.exists()


def test_invitation_email_is_plain_text_not_html_escaped(
    organisation, django_capture_on_commit_callbacks
):
    organisation.name = "Rossi & Figli"
    organisation.save()
    workshop = WorkshopFactory(organisation=organisation, title="Care <Team> KPIs")
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    invitation = InvitationFactory(workshop=workshop)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_send_emails(
            actor=facilitator, invitation=invitation, emails="a@example.com", join_url=JOIN_URL
        )
    [message] = mail.outbox
    assert "Care <Team> KPIs" in message.subject
    assert "Rossi & Figli" in message.body
    assert "&amp;" not in message.body
    assert "&lt;" not in message.subject + message.body
