"""Demo data of the catalogue: the demo "Customer-care scorecard 2026" workshop published as
release 1.0, and a mid-year review that changes one KPI and retires another (2.0: a retirement
makes a major version), with training notes in Italian and English. Idempotent: an organisation
that has a release already is left as it is."""

import datetime

from kpiworkshop.accounts.models import Organisation, Role, User
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.datasets import demo as datasets_demo
from kpiworkshop.datasets import library as datasets_library
from kpiworkshop.datasets import services as dataset_services
from kpiworkshop.datasets.models import Dataset, KpiDefinition
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Proposal, ProposalKind, ProposalState
from kpiworkshop.kpis.targets import period_read, targets_validate
from kpiworkshop.mapping.models import Audience, AudienceLink, BusinessGoal, GoalLink
from kpiworkshop.mapping.services import defaults_ensure
from kpiworkshop.workshops.demo import stage_during
from kpiworkshop.workshops.models import Participant, Stage, Workshop

from . import services
from .models import CatalogRelease

SCORECARD = "Customer-care scorecard 2026"
REVIEW = "Customer-care scorecard 2026: mid-year review"

#: name -> definition, goals (key, strength), audiences (key, relation), notes {en, it}
KPIS = [
    {
        "definition": {
            "name": "First contact resolution",
            "measures": "Share of requests solved in the first contact, in any channel, with no "
            "repeat contact for the same reason within 7 days.",
            "why": "Customers want one contact, not three.",
            "category": "customer",
            "numerator": "Requests with no repeat contact within 7 days",
            "denominator": "All requests closed in the period",
            "unit": "%",
            "direction": "higher",
            "baseline": "71%",
            "target": "75%",
            "thresholds": "Act below 70%; on track from 78%.",
            "frequency": "weekly",
            "channels": ["voice", "chat", "email"],
            "counter_metric_text": "Average handling time",
            # The KPI design template's fields (issue 20).
            "key_question": "How often do we solve a request the first time?",
            "intended_use": "Team reviews and process fixes: find the request types that "
            "come back and remove the reason.",
            "not_used_for": "Not for individual bonuses or agent rankings.",
            "collection_method": "Computed from the CRM: no repeat contact for the same "
            "customer and reason within 7 days, on any channel.",
            "collection_frequency": "daily",
            "custodian": "CRM analytics team",
            "limitations": "Anonymous contacts cannot be followed; a customer who gives up "
            "looks resolved.",
            "lead_lag": "leading",
        },
        "goals": [("loyalty", "primary"), ("cost", "secondary")],
        "audiences": [("agents", "sees"), ("team_leaders", "acts"), ("cc_managers", "accountable")],
        "notes": {
            "en": {
                "how_to_read": "Out of 100 requests closed this week, how many did not come back "
                "within 7 days. Higher is better.",
                "when_it_moves": "Look at the repeat contacts by reason: a new product issue or "
                "a missing answer in the knowledge base shows there first.",
                "pitfalls": "Closing a ticket early, or asking customers to open a new one, "
                "makes it look better and the customer's life worse.",
                "worked_example": "820 requests closed, 640 without a repeat contact: "
                "640 / 820 = 78%, above the 75% target.",
            },
            "it": {
                "how_to_read": "Su 100 richieste chiuse questa settimana, quante non sono tornate "
                "entro 7 giorni. Più alto è meglio.",
                "when_it_moves": "Guarda i ricontatti per motivo: un nuovo problema di prodotto o "
                "una risposta che manca nella knowledge base si vedono lì per primi.",
                "pitfalls": "Chiudere un ticket in fretta, o chiedere al cliente di aprirne un "
                "altro, lo fa sembrare migliore e peggiora la vita del cliente.",
                "worked_example": "820 richieste chiuse, 640 senza ricontatto: "
                "640 / 820 = 78%, sopra l'obiettivo del 75%.",
            },
        },
    },
    {
        "definition": {
            "name": "Average handling time",
            "measures": "Average minutes an agent spends on a contact, talk and after-work "
            "included.",
            "category": "technical",
            "numerator": "Talk, hold and after-contact work time",
            "denominator": "Handled contacts",
            "unit": "minutes",
            "direction": "lower",
            "target": "6 minutes",
            "frequency": "daily",
            "channels": ["voice"],
            "intended_use": "Staffing and planning; spotting processes that make calls long.",
            "not_used_for": "Not an individual target: it would push agents to hang up early.",
            "collection_frequency": "realtime",
            "custodian": "Workforce planning",
            "lead_lag": "leading",
        },
        "goals": [("cost", "primary")],
        "audiences": [("planning", "acts"), ("cc_managers", "sees")],
        "notes": {
            "en": {
                "how_to_read": "The average length of a handled call, in minutes.",
                "when_it_moves": "Check the mix of requests before blaming the team.",
                "pitfalls": "Pushing it down makes agents hang up early: watch first contact "
                "resolution next to it.",
                "worked_example": "3,000 minutes over 500 calls: 6 minutes.",
            },
            "it": {
                "how_to_read": "La durata media di una chiamata gestita, in minuti.",
                "when_it_moves": "Controlla il mix di richieste prima di dare la colpa al team.",
                "pitfalls": "Spingerlo in basso porta a chiudere le chiamate in fretta: guarda "
                "la risoluzione al primo contatto accanto.",
                "worked_example": "3.000 minuti su 500 chiamate: 6 minuti.",
            },
        },
    },
    {
        "definition": {
            "name": "Chatbot escalation to a person",
            "measures": "Share of chatbot conversations handed to an agent because the "
            "customer asked for a person or the bot could not help.",
            "category": "customer",
            "numerator": "Conversations escalated to an agent",
            "denominator": "All chatbot conversations",
            "unit": "%",
            "direction": "range",
            "target": "15–25%",
            "frequency": "weekly",
            "channels": ["selfcare", "chat"],
        },
        "goals": [("selfcare", "primary"), ("loyalty", "secondary")],
        "audiences": [("digital", "accountable"), ("agents", "sees")],
        "notes": {
            "en": {
                "how_to_read": "How often the chatbot hands a customer over to a person.",
                "when_it_moves": "Too low can mean customers are trapped; too high means the bot "
                "does not help. Read the transcripts of both ends.",
                "pitfalls": "Hiding the 'talk to a person' button lowers it and angers people.",
                "worked_example": "2,000 conversations, 400 handed over: 20%, inside the range.",
            },
            "it": {
                "how_to_read": "Quanto spesso il chatbot passa un cliente a una persona.",
                "when_it_moves": "Troppo basso può voler dire clienti intrappolati; troppo alto "
                "che il bot non aiuta. Leggi le conversazioni ai due estremi.",
                "pitfalls": "Nascondere il pulsante 'parla con una persona' lo abbassa e fa "
                "arrabbiare i clienti.",
                "worked_example": "2.000 conversazioni, 400 passate a un operatore: 20%, "
                "dentro l'intervallo.",
            },
        },
    },
    {
        "definition": {
            "name": "Employee Net Promoter Score",
            "measures": "How likely agents are to recommend the contact centre as a place to "
            "work (quarterly pulse, anonymous).",
            "category": "employee",
            "unit": "points",
            "direction": "higher",
            "frequency": "quarterly",
            "purposes": ["support"],
        },
        "goals": [("employee", "primary")],
        "audiences": [("team_leaders", "sees"), ("cc_managers", "accountable")],
        "notes": {
            "en": {
                "how_to_read": "Promoters minus detractors, from -100 to +100.",
                "when_it_moves": "Read the comments with the score and talk with the teams.",
                "pitfalls": "Small teams: never show a team's score below 5 answers.",
                "worked_example": "40% promoters, 25% detractors: +15.",
            },
            "it": {
                "how_to_read": "Promotori meno detrattori, da -100 a +100.",
                "when_it_moves": "Leggi i commenti insieme al punteggio e parlane con i team.",
                "pitfalls": "Team piccoli: mai mostrare il punteggio sotto le 5 risposte.",
                "worked_example": "40% promotori, 25% detrattori: +15.",
            },
        },
    },
]


def _people(workshop: Workshop) -> dict[str, Participant]:
    return {p.role: p for p in Participant.objects.filter(workshop=workshop, user__isnull=False)}


def _link(proposal: Proposal, spec: dict, organisation: Organisation, by: Participant) -> None:
    goals = {g.key: g for g in BusinessGoal.objects.filter(organisation=organisation)}
    audiences = {a.key: a for a in Audience.objects.filter(organisation=organisation)}
    for key, strength in spec["goals"]:
        if key in goals:
            GoalLink.objects.get_or_create(
                proposal=proposal,
                goal=goals[key],
                defaults={"strength": strength, "created_by": by},
            )
    for key, relation in spec["audiences"]:
        if key in audiences:
            AudienceLink.objects.get_or_create(
                proposal=proposal, audience=audiences[key], relation=relation,
                defaults={"created_by": by},
            )  # fmt: skip


#: The first contact resolution worked example once its target is raised to 80 %.
FCR_80_EXAMPLE = {
    "en": "820 requests closed, 672 without a repeat contact: 672 / 820 = 82%, above the "
    "80% target.",
    "it": "820 richieste chiuse, 672 senza ricontatto: 672 / 820 = 82%, sopra l'obiettivo "
    "dell'80%.",
}


def _with_example(notes: dict, examples: dict) -> dict:
    return {lang: text | {"worked_example": examples[lang]} for lang, text in notes.items()}


def _approve(proposal: Proposal, leader: Participant, facilitator: Participant, spec: dict, reason):
    Proposal.objects.filter(pk=proposal.pk).update(state=ProposalState.SHORTLISTED)
    proposal.refresh_from_db()
    approval_services.approval_decide(
        actor=leader, proposal=proposal, decision=Decision.APPROVE, reason=reason
    )
    for language, notes in spec["notes"].items():
        approval_services.training_notes_save(
            actor=facilitator, proposal=proposal, language=language, **notes
        )


#: The scorecard's KPIs computed over the demo's contacts dataset (the definitions of
#: datasets/demo.py), so the published releases export dbt metrics and SQL (issue 19). The
#: employee NPS has none: the contacts data cannot give it, and the exports say so.
COMPUTED = {
    "Chatbot escalation to a person": datasets_library.DEFINITIONS["chatbot-escalation-rate"],
    "First contact resolution": datasets_library.DEFINITIONS["first-contact-resolution"],
    # The scorecard states this one in minutes (target "6 minutes"); the library's is seconds.
    "Average handling time": {
        "numerator": {"agg": "avg", "expr": "handle_time_s / 60.0"},
        "filters": [{"column": "handled_by", "op": "is_not", "value": "chatbot"}],
        "where": "NOT abandoned",
    },
}


def demo_targets(name: str, today: datetime.date) -> list[dict]:
    """Dated targets (issue 20) for the demo KPIs, around ``today`` so the values of the last
    months fall in them: first contact resolution by quarter this year, rising to 80 %; the
    employee NPS for the year; average handling time (lower is better) with its bands above
    the target. Chatbot escalation has a range, which bands do not fit: none."""
    year = today.year
    if name == "First contact resolution":
        plan = [(f"{year - 1}", "74", "95", "90")]
        plan += [(f"{year}-Q{q}", v, "97.5", "95") for q, v in enumerate(DEMO_FCR, start=1)]
    elif name == "Employee Net Promoter Score":
        plan = [(f"{year - 1}", "12", "90", "80"), (f"{year}", "15", "90", "80")]
    elif name == "Average handling time":
        plan = [(f"{year}", "6", "105", "110")]
    else:
        return []
    rows = []
    for period, value, amber, red in plan:
        kind, start = period_read(period)
        rows.append(
            {
                "period_kind": kind,
                "period_start": start.isoformat(),
                "value": value,
                "amber_pct": amber,
                "red_pct": red,
            }
        )
    return targets_validate(rows, direction=None)


#: First contact resolution's quarterly targets in the demo's current year.
DEMO_FCR = ("76", "77", "78", "80")


def _definitions(workshop: Workshop, facilitator: Participant) -> None:
    dataset = Dataset.objects.filter(
        organisation_id=workshop.organisation_id, name="contacts"
    ).first()
    if dataset is None:
        return
    proposals = Proposal.objects.filter(
        workshop=workshop, current_revision__isnull=False
    ).select_related("current_revision", "workshop")
    for proposal in proposals:
        revision = proposal.current_revision
        computed = COMPUTED.get(revision.name)
        if computed is None or KpiDefinition.objects.filter(revision=revision).exists():
            continue
        spec = {
            "time_column": "started_at",
            "grain": "month",
            "dimensions": datasets_demo.DIMENSIONS,
            **computed,
        }
        dataset_services.definition_set(
            actor=facilitator.user, revision=revision, dataset=dataset, spec=spec
        )


def _publish(workshop: Workshop, facilitator: Participant, **kwargs) -> CatalogRelease:
    _definitions(workshop, facilitator)
    job = services.release_publish(actor=facilitator, workshop=workshop, **kwargs)
    # Built here rather than by the outbox's run after the commit, so that the next release
    # can build on this one within seed_demo's transaction (the outbox's run then finds it done).
    return services.release_build(job_id=job.pk)


def demo_seed(*, organisation: Organisation, users: dict[str, User] | None = None) -> int:
    """Publish the demo catalogue. Returns how many releases were published."""
    if CatalogRelease.objects.filter(organisation=organisation).exists():
        return 0
    defaults_ensure(organisation=organisation)
    scorecard = Workshop.objects.filter(organisation=organisation, title=SCORECARD).first()
    if scorecard is None:
        return 0
    people = _people(scorecard)
    if not {Role.FACILITATOR, Role.LEADERSHIP, Role.MANAGER} <= set(people):
        return 0
    facilitator, leader = people[Role.FACILITATOR], people[Role.LEADERSHIP]
    authors = [people[Role.MANAGER], people.get(Role.SUPERVISOR, people[Role.MANAGER])]
    proposals = []
    with stage_during(scorecard, Stage.PROPOSE):
        for i, spec in enumerate(KPIS):
            proposals.append(
                kpi_services.proposal_create(
                    actor=authors[i % 2],
                    workshop=scorecard,
                    definition=spec["definition"]
                    | {"targets": demo_targets(spec["definition"]["name"], datetime.date.today())},
                )
            )
    for proposal, spec in zip(proposals, KPIS, strict=True):
        _link(proposal, spec, organisation, facilitator)
    with stage_during(scorecard, Stage.APPROVE):
        for proposal, spec in zip(proposals, KPIS, strict=True):
            _approve(proposal, leader, facilitator, spec, "Agreed by the leadership team.")
        first = _publish(
            scorecard,
            facilitator,
            language="en",
            effective_date=datetime.date(2026, 1, 1),
            next_review=datetime.date(2026, 7, 1),
            release_notes="The scorecard agreed in the 2026 workshop.",
        )
    scorecard.refresh_from_db()

    # The mid-year review: first contact resolution gets a higher target, average handling
    # time is retired (it pushed agents to hang up).
    review, _ = Workshop.objects.get_or_create(
        organisation=organisation,
        title=REVIEW,
        defaults={
            "purpose": "Review the 2026 scorecard after six months.",
            "stage": Stage.PUBLISHED,
            "created_by": facilitator.user,
        },
    )
    for role, participant in people.items():
        Participant.objects.get_or_create(
            workshop=review,
            user=participant.user,
            defaults={"display_name": participant.display_name, "role": role},
        )
    rp = _people(review)
    entries = {e.name: e for e in first.entries.all()}
    fcr, aht = entries["First contact resolution"], entries["Average handling time"]
    with stage_during(review, Stage.PROPOSE):
        change = kpi_services.proposal_create(
            actor=rp[Role.MANAGER],
            workshop=review,
            definition=KPIS[0]["definition"] | {"target": "80%"},
            kind=ProposalKind.CHANGE,
            catalog_entry_id=fcr.pk,
        )
        retire = kpi_services.proposal_create(
            actor=rp[Role.MANAGER],
            workshop=review,
            definition=KPIS[1]["definition"],
            kind=ProposalKind.RETIRE,
            catalog_entry_id=aht.pk,
        )
    _link(change, KPIS[0], organisation, rp[Role.FACILITATOR])
    with stage_during(review, Stage.APPROVE):
        # The 2.0 notes quote the new target: notes quoting the old one would be flagged as
        # stale (and read wrong on the page next to the 80 % target).
        raised = KPIS[0] | {"notes": _with_example(KPIS[0]["notes"], FCR_80_EXAMPLE)}
        _approve(change, rp[Role.LEADERSHIP], rp[Role.FACILITATOR], raised, "75% was reached.")
        Proposal.objects.filter(pk=retire.pk).update(state=ProposalState.SHORTLISTED)
        retire.refresh_from_db()
        approval_services.approval_decide(
            actor=rp[Role.LEADERSHIP],
            proposal=retire,
            decision=Decision.APPROVE,
            reason="It pushed agents to end calls early; first contact resolution covers it.",
        )
        _publish(
            review,
            rp[Role.FACILITATOR],
            language="en",
            effective_date=datetime.date(2026, 7, 1),
            next_review=datetime.date(2027, 1, 1),
            release_notes="Mid-year review: a higher target for first contact resolution, "
            "average handling time retired.",
        )
    return 2
