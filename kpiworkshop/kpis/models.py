"""KPI proposals, their immutable revisions, comments, suggested edits, support, and the
built-in KPI library."""

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kpiworkshop.core.models import TimeStampedModel
from kpiworkshop.workshops.models import Participant, Workshop
from kpiworkshop.workshops.moderation import Moderated, Moderation, moderation_constraints


class Category(models.TextChoices):
    TECHNICAL = "technical", _("Technical / operational")
    ECONOMIC = "economic", _("Economic / financial")
    CUSTOMER = "customer", _("Customer experience")
    EMPLOYEE = "employee", _("Employee experience")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")
    RANGE = "range", _("Within a range")


class Frequency(models.TextChoices):
    REALTIME = "realtime", _("Real time")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class LeadLag(models.TextChoices):
    """Whether a KPI moves before the outcome it is meant to change (leading: an early signal
    people can act on) or records the outcome once it has happened (lagging)."""

    LEADING = "leading", _("Leading")
    LAGGING = "lagging", _("Lagging")


class Channel(models.TextChoices):
    VOICE = "voice", _("Voice")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("E-mail")
    SOCIAL = "social", _("Social")
    SELFCARE = "selfcare", _("Self-care / chatbot")
    VIDEO = "video", _("Video")
    IN_PERSON = "in_person", _("In person")


class Purpose(models.TextChoices):
    STEER = "steer", _("Steer")
    SUPPORT = "support", _("Support people")
    CONTROL = "control", _("Control")


class Breakdown(models.TextChoices):
    CHANNEL = "channel", _("Channel")
    REQUEST_TYPE = "request_type", _("Request type")
    SEGMENT = "segment", _("Customer segment")
    # Who handled it: chatbot, chatbot + agent, in-house agent, outsourced agent, expert customer.
    HANDLER = "handler", _("Who handled it")


class ProposalState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    MERGED = "merged", _("Merged")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class ProposalKind(models.TextChoices):
    NEW = "new", _("New KPI")
    CHANGE = "change", _("Change a catalogue KPI")
    KEEP = "keep", _("Keep a catalogue KPI")
    RETIRE = "retire", _("Retire a catalogue KPI")


class Stance(models.TextChoices):
    SUPPORTS = "supports", _("Supports")
    CONCERN = "concern", _("Concern")
    QUESTION = "question", _("Question")


class RevisionNote(models.TextChoices):
    """Notes the system writes on a revision, stored as a code (plus parameters) and put into
    words in the reader's language when shown."""

    NONE = "", _("None")
    FIRST_VERSION = "first_version", _("First version")
    SUGGESTION_ACCEPTED = "suggestion_accepted", _("Suggestion accepted")
    FROM_CATALOGUE = "from_catalogue", _("From the catalogue")
    COUNTER_METRIC_MAPPED = "counter_metric_mapped", _("Counter-metric set while mapping")


class SuggestionState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


#: The definition fields of one revision (DESIGN.md §4), in the order forms and diffs show them.
TEXT_FIELDS = [
    "name",
    "measures",
    "why",
    "numerator",
    "denominator",
    "unit",
    "baseline",
    "target",
    "thresholds",
    "data_sources",
    "owner",
    "gaming_risks",
    "counter_metric_text",
    "training_notes",
    "key_question",
    "intended_use",
    "not_used_for",
    "collection_method",
    "custodian",
    "limitations",
]
#: The fields of the recognised KPI design template (issue 20) the definition gained: the key
#: performance question, intended use and explicit non-use, how and how often the data are
#: collected, who looks after them, limitations, leading or lagging. ``frequency`` keeps its
#: meaning and is labelled "reporting frequency" beside ``collection_frequency``.
#: ``definition_fields.py`` describes them for forms, pages and exports.
USE_FIELDS = [
    "key_question",
    "intended_use",
    "not_used_for",
    "collection_method",
    "collection_frequency",
    "custodian",
    "limitations",
    "lead_lag",
]
CHOICE_FIELDS = ["category", "direction", "frequency", "collection_frequency", "lead_lag"]
LIST_FIELDS = ["channels", "breakdowns", "purposes"]
#: Every field a suggestion may change and a diff compares.
DEFINITION_FIELDS = [
    "name",
    "measures",
    "why",
    "category",
    "numerator",
    "denominator",
    "unit",
    "direction",
    "baseline",
    "target",
    "thresholds",
    "frequency",
    "data_sources",
    "channels",
    "breakdowns",
    "purposes",
    "owner",
    "gaming_risks",
    "counter_metric_text",
    "training_notes",
    *USE_FIELDS,
    "targets",
]
#: Long texts, rendered as Markdown.
MARKDOWN_FIELDS = frozenset(
    {"measures", "why", "numerator", "denominator", "thresholds", "gaming_risks", "training_notes"}
    | {"intended_use", "not_used_for", "collection_method", "limitations"}
)
LIST_CHOICES = {"channels": Channel, "breakdowns": Breakdown, "purposes": Purpose}


class LibraryKPI(models.Model):
    """A ready-made KPI shipped with the app (fixtures/kpi_library.json), in English and
    Italian. Proposals may start from one."""

    slug = models.SlugField(max_length=80, unique=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, blank=True
    )
    frequency = models.CharField(
        _("reporting frequency"), max_length=12, choices=Frequency.choices, blank=True
    )
    purposes = models.JSONField(_("purposes"), default=list, blank=True)
    breakdowns = models.JSONField(_("breakdowns"), default=list, blank=True)
    counter_metric = models.CharField(max_length=80, blank=True)
    #: {"en": {"name": …, "measures": …, …}, "it": {…}}; the texts of ``USE_FIELDS`` too.
    translations = models.JSONField(default=dict)
    collection_frequency = models.CharField(
        _("collection frequency"), max_length=12, choices=Frequency.choices, blank=True
    )
    lead_lag = models.CharField(
        _("leading or lagging"), max_length=8, choices=LeadLag.choices, blank=True
    )

    class Meta:
        ordering = ["category", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="librarykpi_category_valid"
            ),
        ]
        verbose_name = _("library KPI")
        verbose_name_plural = _("library KPIs")

    def __str__(self) -> str:
        return self.texts().get("name") or self.slug

    def texts(self, language: str | None = None) -> dict:
        """The texts in the active language, falling back to English field by field."""
        lang = (language or get_language() or "en").split("-")[0]
        english = self.translations.get("en", {})
        local = self.translations.get(lang, {})
        return {key: local.get(key) or value for key, value in english.items()} | {
            k: v for k, v in local.items() if k not in english
        }

    @property
    def name(self) -> str:
        return self.texts().get("name", self.slug)

    @property
    def measures(self) -> str:
        return self.texts().get("measures", "")

    @property
    def key_question(self) -> str:
        return self.texts().get("key_question", "")


class ProposalQuerySet(models.QuerySet):
    def visible(self) -> "ProposalQuerySet":
        """Proposals on the board: not drafts, not merged into another, not waiting for (or
        hidden by) the facilitator's moderation."""
        return self.exclude(state__in=[ProposalState.DRAFT, ProposalState.MERGED]).filter(
            moderation=Moderation.SHOWN
        )


class Proposal(TimeStampedModel, Moderated):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="proposals")
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="proposals")
    state = models.CharField(
        _("state"), max_length=20, choices=ProposalState.choices, default=ProposalState.OPEN
    )
    kind = models.CharField(
        _("kind"), max_length=8, choices=ProposalKind.choices, default=ProposalKind.NEW
    )
    # The catalogue (publishing issue) turns this into a ForeignKey to CatalogEntry; until then
    # it is the id of the entry a change/keep/retire proposal refers to.
    catalog_entry_id = models.PositiveBigIntegerField(null=True, blank=True)
    library_kpi = models.ForeignKey(
        LibraryKPI, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    current_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_children"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    #: Field names the facilitator marked internal-only: customers never see them.
    internal_fields = models.JSONField(default=list, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ProposalState.values), name="proposal_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ProposalKind.values), name="proposal_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(state=ProposalState.MERGED) & Q(merged_into__isnull=False))
                | (~Q(state=ProposalState.MERGED) & Q(merged_into__isnull=True)),
                name="proposal_merged_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="proposal_not_merged_into_self"
            ),
            *moderation_constraints("proposal"),
        ]
        indexes = [models.Index(fields=["workshop", "state"], name="proposal_workshop_state")]
        verbose_name = _("KPI proposal")
        verbose_name_plural = _("KPI proposals")

    def __str__(self) -> str:
        rev = self.current_revision
        return rev.name if rev is not None else f"#{self.pk}"


class Revision(models.Model):
    """One immutable version of a proposal's KPI definition. Never updated: a change is a new
    revision."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    #: What the author wrote about the change (their words, shown as typed).
    change_note = models.CharField(_("change note"), max_length=300, blank=True)
    #: What the system says about the change, as a code and its parameters (see ``note``).
    note_code = models.CharField(
        _("system note"), max_length=32, choices=RevisionNote.choices, blank=True, default=""
    )
    note_params = models.JSONField(default=dict, blank=True)
    credited_to = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_suggestion = models.ForeignKey(
        "Suggestion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    name = models.CharField(_("name"), max_length=150)
    measures = models.TextField(_("what it measures"))
    why = models.TextField(_("why it matters"), blank=True)
    category = models.CharField(_("macro-category"), max_length=16, choices=Category.choices)
    numerator = models.TextField(_("numerator (in words)"), blank=True)
    denominator = models.TextField(_("denominator (in words)"), blank=True)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, blank=True
    )
    baseline = models.CharField(_("baseline"), max_length=200, blank=True)
    target = models.CharField(_("target"), max_length=200, blank=True)
    thresholds = models.TextField(_("thresholds"), blank=True)
    #: How often it is reported (read and acted on); ``collection_frequency`` says how often
    #: the data are gathered. The field kept its name when the two were told apart (issue 20).
    frequency = models.CharField(
        _("reporting frequency"), max_length=12, choices=Frequency.choices, blank=True
    )
    data_sources = models.CharField(_("data sources"), max_length=300, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    breakdowns = models.JSONField(_("breakdowns"), default=list, blank=True)
    purposes = models.JSONField(_("purposes"), default=list, blank=True)
    owner = models.CharField(_("owner"), max_length=150, blank=True)
    gaming_risks = models.TextField(_("gaming risks and unintended effects"), blank=True)
    counter_metric_proposal = models.ForeignKey(
        Proposal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("counter-metric (proposal)"),
    )
    counter_metric_text = models.CharField(_("counter-metric"), max_length=200, blank=True)
    training_notes = models.TextField(_("training notes"), blank=True)
    #: Dated targets with red / amber / green bands, one per year or quarter (``targets``).
    targets = models.JSONField(_("dated targets"), default=list, blank=True)
    #: The distinctive words of name and description (``similarity.signature``), computed
    #: once when the revision is written, so duplicate detection never re-reads the texts.
    signature = models.JSONField(default=list, blank=True, editable=False)
    # The KPI design template's fields (issue 20, ``USE_FIELDS``); all optional.
    key_question = models.CharField(_("key performance question"), max_length=300, blank=True)
    intended_use = models.TextField(_("intended use"), blank=True)
    not_used_for = models.TextField(_("not to be used for"), blank=True)
    collection_method = models.TextField(_("data collection method"), blank=True)
    collection_frequency = models.CharField(
        _("collection frequency"), max_length=12, choices=Frequency.choices, blank=True
    )
    #: Who collects the data and answers for their quality: a person or a role, in words (see
    #: docs/facilitator-guide.md for why this is not a link to an audience).
    custodian = models.CharField(_("data custodian"), max_length=150, blank=True)
    limitations = models.TextField(_("limitations"), blank=True)
    lead_lag = models.CharField(
        _("leading or lagging"), max_length=8, choices=LeadLag.choices, blank=True
    )

    class Meta:
        ordering = ["proposal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="revision_number_unique"),
            models.CheckConstraint(
                condition=Q(note_code__in=RevisionNote.values), name="revision_note_code_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="revision_category_valid"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
            models.CheckConstraint(
                condition=Q(lead_lag="") | Q(lead_lag__in=LeadLag.values),
                name="revision_lead_lag_valid",
            ),
        ]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.name} (r{self.number})"

    def definition(self) -> dict:
        return {f: getattr(self, f) for f in DEFINITION_FIELDS}

    @property
    def note(self) -> str:
        """The revision's note in the active language: the author's own words if they wrote
        any, otherwise the system's note rendered from its code."""
        if self.change_note:
            return self.change_note
        if self.note_code == RevisionNote.FIRST_VERSION:
            return str(_("First version"))
        if self.note_code == RevisionNote.SUGGESTION_ACCEPTED:
            return str(_("Suggestion by %(name)s accepted")) % {
                "name": self.note_params.get("name", "")
            }
        if self.note_code == RevisionNote.FROM_CATALOGUE:
            return str(_("From catalogue %(v)s")) % {"v": self.note_params.get("version", "")}
        if self.note_code == RevisionNote.COUNTER_METRIC_MAPPED:
            return str(_("Counter-metric set while mapping"))
        return ""


class Comment(TimeStampedModel, Moderated):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    stance = models.CharField(
        _("stance"), max_length=10, choices=Stance.choices, null=True, blank=True
    )
    body = models.TextField(_("comment"))
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("reason"), max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stance__isnull=True) | Q(stance__in=Stance.values),
                name="comment_stance_valid",
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""),
                name="comment_hidden_has_reason",
            ),
            *moderation_constraints("comment"),
        ]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        # Not the text: this label lands in the audit trail, which must not keep a comment
        # the facilitator later hides.
        return f"#{self.pk} ({self.get_stance_display() or _('comment')})"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Suggestion(TimeStampedModel):
    """A suggested edit of one or more definition fields: ``changes`` is {field: new value}."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="suggestions")
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    base_revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    changes = models.JSONField(default=dict)
    reason = models.TextField(_("reason"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=SuggestionState.choices, default=SuggestionState.OPEN
    )
    decided_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    resulting_revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=SuggestionState.values), name="suggestion_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=SuggestionState.DECLINED) | ~Q(decline_reason=""),
                name="suggestion_declined_has_reason",
            ),
        ]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")

    def __str__(self) -> str:
        return ", ".join(self.changes)


class Support(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    #: The revision supported (issue 20): once the proposal has a newer current one, the
    #: supporter is told they supported an earlier version.
    revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "participant"], name="one_support_per_participant"
            )
        ]
        verbose_name = _("support")
        verbose_name_plural = _("supports")

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.proposal_id}"


class DuplicateCandidate(models.Model):
    """Two proposals of a workshop whose current revisions look like the same KPI.

    Written by the service that makes a revision (it compares the new revision with the
    workshop's other proposals once), read by the merge page in one query: duplicate detection
    costs one comparison per proposal at write time instead of every pair on every page load.
    ``first`` is always the older (lower id) of the two."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["workshop", "-score"], name="duplicate_workshop_score")]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.score:.2f})"
