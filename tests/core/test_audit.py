from kpiworkshop.core.audit import audit_record
from kpiworkshop.core.models import AuditEvent
from tests.factories import UserFactory


def test_guest_participant_is_recorded_by_name_without_user(workshop, guest_customer):
    event = audit_record(
        actor=guest_customer,
        action="proposal.create",
        organisation_id=workshop.organisation_id,
        workshop_id=workshop.pk,
        target=workshop,
        details={"n": 1},
    )
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_name == "Chiara"
    assert event.target_type == "workshops.workshop"
    assert event.target_id == str(workshop.pk)
    assert event.target_label == workshop.title
    assert event.details == {"n": 1}
    assert list(AuditEvent.objects.for_workshop(workshop.pk)) == [event]


def test_member_participant_is_recorded_with_user_and_workshop_name(workshop, facilitator):
    event = audit_record(actor=facilitator, action="x", organisation_id=workshop.organisation_id)
    assert event.actor == facilitator.user
    assert event.actor_name == "Fran"


def test_plain_user_and_system_actors(organisation):
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    assert audit_record(actor=user, action="x", organisation_id=organisation.pk).actor_name == (
        "Ada Lovelace"
    )
    nameless = UserFactory(first_name="", last_name="", username="nameless")
    assert audit_record(actor=nameless, action="x", organisation_id=organisation.pk).actor_name == (
        "nameless"
    )
    system = audit_record(actor=None, action="x", organisation_id=organisation.pk)
    assert (system.actor, system.actor_name, system.target_type) == (None, "system", "")
    assert system.details == {}


def test_long_names_and_labels_are_cut_to_fit(workshop, guest_customer):
    guest_customer.display_name = "N" * 400
    workshop.title = "T" * 400
    event = audit_record(
        actor=guest_customer, action="x", organisation_id=workshop.organisation_id, target=workshop
    )
    event.refresh_from_db()
    assert event.actor_name == "N" * 150
    assert event.target_label == "T" * 255


def test_trail_outlives_the_user(workshop, facilitator):
    event = audit_record(actor=facilitator, action="x", organisation_id=workshop.organisation_id)
    facilitator.user.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_name == "Fran"


def test_organisation_scope(workshop, other_org_participant):
    audit_record(actor=None, action="mine", organisation_id=workshop.organisation_id)
    audit_record(
        actor=None, action="theirs", organisation_id=other_org_participant.workshop.organisation_id
    )
    mine = AuditEvent.objects.for_organisation(workshop.organisation_id)
    assert [e.action for e in mine] == ["mine"]
