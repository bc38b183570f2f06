"""The Map stage: an organisation's business goals and audiences, and the links that tie each
shortlisted KPI (a proposal, described by its current revision) to them.

Goals and audiences belong to the organisation and outlive a workshop. Each has a name and a
description per organisation language (``DATA_LANGUAGES``): English in ``name`` and
``description``, Italian in ``name_it`` and ``description_it``; a reader sees them in their
language, and the English ones where no Italian was given. The default sets carry a stable
``key`` and are created with both languages' texts.
"""

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.core.models import TimeStampedModel
from kpiworkshop.kpis.models import Channel, Proposal, Stance
from kpiworkshop.workshops.models import Participant, Workshop
from kpiworkshop.workshops.moderation import Moderated, moderation_constraints

# --- Default sets (from the source articles) -----------------------------------------------------

#: key -> (parent key, name, description). Order is the order shown.
DEFAULT_GOALS: dict[str, tuple[str, object, object]] = {
    "revenue": (
        "",
        _("Grow revenue and cross/up-selling"),
        _("Contacts that sell, keep or upgrade a customer's products."),
    ),
    "loyalty": (
        "",
        _("Increase loyalty"),
        _("Customers who would recommend us and stay (NPS, satisfaction)."),
    ),
    "churn": (
        "loyalty",
        _("Reduce churn and retain customers"),
        _("Fewer customers lost after a contact; win-back of those about to leave."),
    ),
    "cost": (
        "",
        _("Reduce repeat contacts and cost to serve"),
        _("Solve it the first time, on the right channel, at a sustainable cost."),
    ),
    "selfcare": (
        "",
        _("Increase self-care adoption"),
        _("Customers who solve simple requests by themselves, with the chatbot or the app."),
    ),
    "employee": (
        "",
        _("Improve employee experience and retention"),
        _("Agents who are supported, trained and stay."),
    ),
    "risk": (
        "",
        _("Prevent risks and catch opportunities"),
        _("Complaints, compliance and reputation risks seen early; ideas from the front line."),
    ),
}


class AudienceLevel(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    TEAM = "team", _("Team")
    SITE = "site", _("Site / department")
    EXECUTIVE = "executive", _("Executive")


#: key -> (level, name, description)
DEFAULT_AUDIENCES: dict[str, tuple[str, object, object]] = {
    "agents": (
        AudienceLevel.INDIVIDUAL,
        _("Agents"),
        _("The people who answer customers, in house."),
    ),
    "team_leaders": (
        AudienceLevel.TEAM,
        _("Team leaders"),
        _("Supervisors who coach a team day by day."),
    ),
    "cc_managers": (
        AudienceLevel.SITE,
        _("Contact-centre managers"),
        _("Who runs a site or the whole contact centre."),
    ),
    "cx_leadership": (
        AudienceLevel.EXECUTIVE,
        _("CX leadership"),
        _("Customer-experience and customer-service directors."),
    ),
    "planning": (
        AudienceLevel.SITE,
        _("Planning / WFM"),
        _("Forecasting, scheduling and real-time management."),
    ),
    "digital": (
        AudienceLevel.SITE,
        _("Digital / self-care team"),
        _("Who runs the chatbot, the app and the self-care pages."),
    ),
    "outsourced": (
        AudienceLevel.TEAM,
        _("Outsourced partners"),
        _("Partner companies that handle contacts for us."),
    ),
    "customers": (
        AudienceLevel.INDIVIDUAL,
        _("Customers"),
        _("For published service levels."),
    ),
}


#: The languages an organisation's own data (goals, audiences) is kept in: the first in the
#: plain fields (``name``), each other one in ``<field>_<code>`` (``name_it``).
DATA_LANGUAGES = ("en", "it")


def in_language(obj, field: str, language: str | None = None) -> str:
    """``obj``'s text ``field`` in ``language`` (default: the active one), or the English
    text where that language's is empty."""
    code = (language or translation.get_language() or DATA_LANGUAGES[0])[:2]
    if code != DATA_LANGUAGES[0] and code in DATA_LANGUAGES:
        text = getattr(obj, f"{field}_{code}", "")
        if text:
            return text
    return getattr(obj, field)


class OrganisationOwnedQuerySet(models.QuerySet):
    def for_organisation(self, organisation_id: int) -> "OrganisationOwnedQuerySet":
        return self.filter(organisation_id=organisation_id)

    def active(self) -> "OrganisationOwnedQuerySet":
        return self.filter(is_active=True)


class BusinessGoal(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="business_goals"
    )
    #: Stable identity of a default goal ("churn"); blank for the organisation's own goals.
    key = models.SlugField(max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=150)
    name_it = models.CharField(_("name in Italian"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    description_it = models.TextField(_("description in Italian"), blank=True, max_length=2000)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("part of"),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganisationOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"],
                condition=~Q(key=""),
                name="businessgoal_key_unique",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="businessgoal_not_own_parent"
            ),
        ]
        verbose_name = _("business goal")
        verbose_name_plural = _("business goals")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name to show, in the reader's language."""
        return in_language(self, "name")

    @property
    def description_shown(self) -> str:
        return in_language(self, "description")


class Audience(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="audiences"
    )
    key = models.SlugField(max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=150)
    name_it = models.CharField(_("name in Italian"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    description_it = models.TextField(_("description in Italian"), blank=True, max_length=2000)
    level = models.CharField(
        _("level"), max_length=12, choices=AudienceLevel.choices, default=AudienceLevel.TEAM
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganisationOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"], condition=~Q(key=""), name="audience_key_unique"
            ),
            models.CheckConstraint(
                condition=Q(level__in=AudienceLevel.values), name="audience_level_valid"
            ),
        ]
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name to show, in the reader's language."""
        return in_language(self, "name")

    @property
    def description_shown(self) -> str:
        return in_language(self, "description")


def text_in(language: str, text) -> str:
    """A lazy default text in ``language``."""
    with translation.override(language):
        return str(text)


def english(text) -> str:
    """A lazy default text in English (what ``name`` and ``description`` hold)."""
    return text_in("en", text)


# --- Links ---------------------------------------------------------------------------------------


class Strength(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")


class GoalLink(TimeStampedModel):
    """A KPI serves a goal: at most one primary goal per KPI."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="goal_links")
    goal = models.ForeignKey(BusinessGoal, on_delete=models.PROTECT, related_name="links")
    strength = models.CharField(
        _("strength"), max_length=10, choices=Strength.choices, default=Strength.SECONDARY
    )
    why = models.CharField(_("why"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="+", verbose_name=_("linked by")
    )

    class Meta:
        ordering = ["proposal", "goal__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "goal"], name="goallink_once_per_goal"),
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(strength="primary"),
                name="goallink_one_primary",
            ),
            models.CheckConstraint(
                condition=Q(strength__in=Strength.values), name="goallink_strength_valid"
            ),
        ]
        verbose_name = _("goal link")
        verbose_name_plural = _("goal links")

    def __str__(self) -> str:
        return f"#{self.proposal_id} → {self.goal} ({self.get_strength_display()})"


class Relation(models.TextChoices):
    SEES = "sees", _("Sees")
    ACTS = "acts", _("Acts on")
    ACCOUNTABLE = "accountable", _("Accountable")


class Cadence(models.TextChoices):
    REALTIME = "realtime", _("Real time")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class Place(models.TextChoices):
    WALLBOARD = "wallboard", _("Wallboard")
    DASHBOARD = "dashboard", _("Personal dashboard")
    TEAM_REVIEW = "team_review", _("Team review")
    REPORT = "report", _("Management report")
    OTHER = "other", _("Elsewhere")


class AudienceLink(TimeStampedModel):
    """Who sees a KPI, who acts on it, who is accountable: at most one accountable per KPI."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="audience_links")
    audience = models.ForeignKey(Audience, on_delete=models.PROTECT, related_name="links")
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    cadence = models.CharField(
        _("cadence"), max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY
    )
    place = models.CharField(_("where"), max_length=12, choices=Place.choices, blank=True)
    #: Free text for "where" beyond the usual places ("the Monday huddle").
    place_note = models.CharField(_("where (in words)"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="+", verbose_name=_("linked by")
    )

    class Meta:
        ordering = ["proposal", "audience__order", "relation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "audience", "relation"], name="audiencelink_once"
            ),
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(relation="accountable"),
                name="audiencelink_one_accountable",
            ),
            models.CheckConstraint(
                condition=Q(relation__in=Relation.values), name="audiencelink_relation_valid"
            ),
            models.CheckConstraint(
                condition=Q(cadence__in=Cadence.values), name="audiencelink_cadence_valid"
            ),
            models.CheckConstraint(
                condition=Q(place="") | Q(place__in=Place.values), name="audiencelink_place_valid"
            ),
        ]
        verbose_name = _("audience link")
        verbose_name_plural = _("audience links")

    def __str__(self) -> str:
        return f"#{self.proposal_id} → {self.audience} ({self.get_relation_display()})"

    @property
    def where_shown(self) -> str:
        if self.place and self.place != Place.OTHER:
            label = str(self.get_place_display())
            return f"{label} · {self.place_note}" if self.place_note else label
        return self.place_note


# --- Breakdowns ----------------------------------------------------------------------------------


class Dimension(models.TextChoices):
    HANDLER = "handler", _("Who handled it")
    CHANNEL = "channel", _("Channel")
    REQUEST_TYPE = "request_type", _("Request type")
    IDENTITY = "identity", _("Customer identity")


class Handler(models.TextChoices):
    CHATBOT = "chatbot", _("Chatbot")
    CHATBOT_AGENT = "chatbot_agent", _("Chatbot + agent")
    INHOUSE = "inhouse_agent", _("In-house agent")
    OUTSOURCED = "outsourced_agent", _("Outsourced agent")
    EXPERT_CUSTOMER = "expert_customer", _("Expert customer / crowd")


class Identity(models.TextChoices):
    REGISTERED = "registered", _("Registered customer")
    PROSPECT = "prospect", _("Prospect / lead")
    UNIDENTIFIED = "unidentified", _("Unidentified user")


#: The values a dimension takes; a dimension missing here takes free text (request types).
DIMENSION_VALUES: dict[str, type[models.TextChoices]] = {
    Dimension.HANDLER: Handler,
    Dimension.CHANNEL: Channel,
    Dimension.IDENTITY: Identity,
}


class ReportingBreakdown(models.Model):
    """One value a KPI must be reported by: (handler, outsourced_agent), (channel, chat),
    (request_type, "billing")."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="breakdowns")
    dimension = models.CharField(_("breakdown"), max_length=16, choices=Dimension.choices)
    value = models.CharField(_("value"), max_length=80)
    created_by = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal", "dimension", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "dimension", "value"], name="breakdown_value_once"
            ),
            models.CheckConstraint(
                condition=Q(dimension__in=Dimension.values), name="breakdown_dimension_valid"
            ),
            models.CheckConstraint(condition=~Q(value=""), name="breakdown_value_not_blank"),
        ]
        verbose_name = _("reporting breakdown")
        verbose_name_plural = _("reporting breakdowns")

    def __str__(self) -> str:
        return f"{self.get_dimension_display()}: {self.value_shown}"

    @property
    def value_shown(self) -> str:
        choices = DIMENSION_VALUES.get(self.dimension)
        if choices is not None and self.value in choices.values:
            return str(choices(self.value).label)
        return self.value


# --- Per workshop --------------------------------------------------------------------------------

DEFAULT_ACT_ON_LIMIT = 7


class MapSettings(models.Model):
    """A workshop's thresholds for the coverage checks (absent row = defaults)."""

    workshop = models.OneToOneField(Workshop, on_delete=models.CASCADE, related_name="map_settings")
    act_on_limit = models.PositiveSmallIntegerField(
        _("most KPIs one audience should act on"),
        default=DEFAULT_ACT_ON_LIMIT,
        help_text=_("Above this, an audience is flagged as overloaded."),
    )
    driver_limit = models.PositiveSmallIntegerField(
        _("most drivers one KPI should have"),
        default=5,
        help_text=_("Above this, a KPI in the tree is flagged as having too many drivers."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(act_on_limit__gte=1) & Q(act_on_limit__lte=100),
                name="mapsettings_limit_range",
            ),
            models.CheckConstraint(
                condition=Q(driver_limit__gte=1) & Q(driver_limit__lte=50),
                name="mapsettings_driver_limit_range",
            ),
        ]
        verbose_name = _("map settings")
        verbose_name_plural = _("map settings")

    def __str__(self) -> str:
        return f"{self.workshop} ({self.act_on_limit})"


# --- Participation -------------------------------------------------------------------------------


class LinkComment(TimeStampedModel):
    """Anyone in the Map stage may comment on a link ("this is not something we can act on")."""

    goal_link = models.ForeignKey(
        GoalLink, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    audience_link = models.ForeignKey(
        AudienceLink, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    stance = models.CharField(_("stance"), max_length=10, choices=Stance.choices)
    body = models.TextField(_("comment"), max_length=2000)
    #: The facilitator hides a comment with a reason (it stays in the database and the trail).
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("reason"), max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""),
                name="linkcomment_hidden_has_reason",
            ),
            models.CheckConstraint(
                condition=(Q(goal_link__isnull=False) & Q(audience_link__isnull=True))
                | (Q(goal_link__isnull=True) & Q(audience_link__isnull=False)),
                name="linkcomment_one_target",
            ),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="linkcomment_stance_valid"
            ),
        ]
        verbose_name = _("comment on a link")
        verbose_name_plural = _("comments on links")

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_stance_display()})"


# --- The KPI tree --------------------------------------------------------------------------------

#: How many drivers one KPI may have before the coverage check flags it, unless the workshop says.
DEFAULT_DRIVER_LIMIT = 5


class LinkKind(models.TextChoices):
    """How the ``from`` KPI relates to the ``to`` KPI. In the tree the ``to`` KPI sits above:
    a goal, the KPIs that serve it, their drivers and parts, their guards."""

    DRIVES = "drives", _("drives")
    PART_OF = "part_of", _("is part of")
    GUARDS = "guards", _("guards against")


#: The kinds that say "this one moves that one": a cycle of them would be circular reasoning.
#: Two counter-metrics often guard each other (speed and quality), so guards do not count.
CYCLE_KINDS = frozenset({LinkKind.DRIVES, LinkKind.PART_OF})


class LinkState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class TreeLink(Moderated, TimeStampedModel):
    """A link between two KPIs of one workshop's map: ``from_proposal`` drives / is part of /
    guards against ``to_proposal``. Proposed by anyone in the room, accepted or declined (with a
    reason) by the facilitator; only accepted links make the tree that is checked and
    published. ``workshop`` is the KPIs' workshop, kept on the row for the lock and the
    constraints."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="tree_links")
    from_proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    to_proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind.choices)
    why = models.CharField(_("why"), max_length=200)
    proposed_by = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=LinkState.choices, default=LinkState.PROPOSED
    )
    decided_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)

    class Meta:
        ordering = ["workshop", "id"]
        constraints = [
            # One link the room sees per (from, to, kind). Waiting or hidden ones are their
            # proposer's alone: another participant proposing the same link gets their own
            # row, so nothing tells them someone else's text exists (the let-through folds
            # a waiting one into the shown link, ``services.tree_link_release_into``).
            models.UniqueConstraint(
                fields=["from_proposal", "to_proposal", "kind"],
                condition=Q(moderation="shown"),
                name="treelink_once_shown",
            ),
            models.UniqueConstraint(
                fields=["from_proposal", "to_proposal", "kind", "proposed_by"],
                name="treelink_once_per_proposer",
            ),
            models.CheckConstraint(
                condition=~Q(from_proposal=models.F("to_proposal")), name="treelink_not_self"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LinkKind.values), name="treelink_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=LinkState.values), name="treelink_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=LinkState.DECLINED) | ~Q(decline_reason=""),
                name="treelink_declined_has_reason",
            ),
            models.CheckConstraint(condition=~Q(why=""), name="treelink_why_not_blank"),
            *moderation_constraints("treelink"),
        ]
        indexes = [models.Index(fields=["workshop", "state"], name="treelink_workshop_state")]
        verbose_name = _("KPI tree link")
        verbose_name_plural = _("KPI tree links")

    def __str__(self) -> str:
        return f"#{self.from_proposal_id} {self.kind} #{self.to_proposal_id}"


class LinkStanceKind(models.TextChoices):
    SUPPORT = "support", _("Support")
    OBJECT = "object", _("Object")


class TreeLinkStance(TimeStampedModel):
    """One participant's support or objection to a proposed link, with an optional word."""

    link = models.ForeignKey(TreeLink, on_delete=models.CASCADE, related_name="stances")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    stance = models.CharField(_("stance"), max_length=8, choices=LinkStanceKind.choices)
    text = models.CharField(_("why (optional)"), max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["link", "participant"], name="treelinkstance_once"),
            models.CheckConstraint(
                condition=Q(stance__in=LinkStanceKind.values), name="treelinkstance_valid"
            ),
        ]
        verbose_name = _("stance on a tree link")
        verbose_name_plural = _("stances on tree links")

    def __str__(self) -> str:
        return f"{self.participant_id} {self.stance} {self.link_id}"
