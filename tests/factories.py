"""factory_boy factories shared by every app's tests."""

import factory
from factory.django import DjangoModelFactory

from kpiworkshop.accounts.models import Membership, Organisation, Role, User
from kpiworkshop.kpis.models import Proposal, Revision
from kpiworkshop.workshops.models import Invitation, Participant, Stage, Workshop, new_guest_key

PASSWORD = "correct-horse-battery"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Contact Centre {n}")
    slug = factory.Sequence(lambda n: f"cc-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.AGENT


class WorkshopFactory(DjangoModelFactory):
    class Meta:
        model = Workshop

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"KPI workshop {n}")
    purpose = "Agree the indicators for the new multichannel service."
    stage = Stage.PROPOSE


class ParticipantFactory(DjangoModelFactory):
    """A member participant by default; ``guest=True`` makes a guest with a device key."""

    class Meta:
        model = Participant
        skip_postgeneration_save = True

    class Params:
        guest = factory.Trait(user=None, guest_key=factory.LazyFunction(new_guest_key))

    workshop = factory.SubFactory(WorkshopFactory)
    user = factory.SubFactory(UserFactory)
    guest_key = None
    display_name = factory.Sequence(lambda n: f"Person {n}")
    role = Role.AGENT

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):
        # A member participant belongs to the workshop's organisation, with the same role.
        if create and obj.user_id:
            Membership.objects.get_or_create(
                user=obj.user,
                organisation_id=obj.workshop.organisation_id,
                defaults={"role": obj.role},
            )


class InvitationFactory(DjangoModelFactory):
    class Meta:
        model = Invitation

    workshop = factory.SubFactory(WorkshopFactory)
    role = Role.AGENT


# --- kpis ----------------------------------------------------------------------------------------


def proposal_with_revision(workshop, author, *, state=None, **revision) -> Proposal:
    """A proposal with its first revision as the current one, written directly (fast, for
    tests that need many): ``revision`` holds the revision's fields (name, measures, ...)."""
    proposal = Proposal.objects.create(
        workshop=workshop, author=author, **({} if state is None else {"state": state})
    )
    proposal.current_revision = Revision.objects.create(
        proposal=proposal, number=1, author=author, **revision
    )
    proposal.save(update_fields=["current_revision"])
    return proposal


# --- mapping -------------------------------------------------------------------------------------


class BusinessGoalFactory(DjangoModelFactory):
    class Meta:
        model = "mapping.BusinessGoal"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Goal {n}")
    order = factory.Sequence(lambda n: n)


class AudienceFactory(DjangoModelFactory):
    class Meta:
        model = "mapping.Audience"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Audience {n}")
    level = "team"
    order = factory.Sequence(lambda n: n)
