"""Computable definitions of the KPI library (fixtures/kpi_library.json), by library slug.

Each definition reads the "contacts" dataset (one row per contact: see ``synthetic``) and says
the same thing as the library KPI's numerator and denominator in words, in English and Italian
(a test holds them together). A KPI that cannot be computed from contact records has no
definition but a note of the data it needs (``DATA_NEEDED``), in both languages.

Every definition fits the guided form as it is (one filter on both parts plus an SQL condition,
at most two filters on the numerator, a column or an expression on the numerator, a plain
denominator), so "Start from the library's definition" pre-fills it without losing anything.
"""

from typing import Any

from django.utils.translation import get_language

from .definition import Definition

DIGITAL = ["chat", "email", "social", "chatbot"]
QUEUED = ["voice", "chat"]
AGENTS = ["in_house_agent", "outsourced_agent", "chatbot_agent"]

#: The library's breakdowns as columns of the contacts dataset.
BREAKDOWN_COLUMNS = {
    "channel": "channel",
    "request_type": "request_type",
    "segment": "customer_segment",
    "handler": "handled_by",
}


def _count_where(*filters: dict) -> dict:
    return {"agg": "count", "filters": list(filters)}


_COUNT = {"agg": "count"}

#: Definitions without their time column, grain and dimensions (see ``library_spec``).
DEFINITIONS: dict[str, dict[str, Any]] = {
    "average-handling-time": {
        "numerator": {"agg": "sum", "column": "handle_time_s"},
        "denominator": _COUNT,
        "filters": [{"column": "handled_by", "op": "not_in", "value": ["chatbot"]}],
        "where": "NOT abandoned",
    },
    "time-to-first-response": {
        "numerator": {"agg": "sum", "expr": "wait_time_s / 60.0"},
        "denominator": _COUNT,
        "filters": [{"column": "channel", "op": "in", "value": ["chat", "email", "social"]}],
        "where": "NOT abandoned",
    },
    "average-speed-of-answer": {
        "numerator": {"agg": "sum", "column": "wait_time_s"},
        "denominator": _COUNT,
        "filters": [{"column": "channel", "op": "in", "value": QUEUED}],
        "where": "NOT abandoned",
    },
    "service-level": {
        "numerator": _count_where(
            {"column": "abandoned", "op": "is_false"},
            {"column": "wait_time_s", "op": "lte", "value": 20},
        ),
        "denominator": _COUNT,
        "filters": [{"column": "channel", "op": "in", "value": QUEUED}],
        "where": "NOT (abandoned AND wait_time_s < 5)",
        "scale": 100,
    },
    "first-contact-resolution": {
        "numerator": _count_where({"column": "resolved_first_contact", "op": "is_true"}),
        "denominator": _COUNT,
        "filters": [{"column": "abandoned", "op": "is_false"}],
        "scale": 100,
    },
    "repeat-contact-rate-digital": {
        "numerator": _count_where({"column": "repeat_contact_7d", "op": "is_true"}),
        "denominator": _COUNT,
        "filters": [{"column": "channel", "op": "in", "value": DIGITAL}],
        "scale": 100,
    },
    "self-care-containment-rate": {
        "numerator": _count_where(
            {"column": "handled_by", "op": "is", "value": "chatbot"},
            {"column": "repeat_contact_7d", "op": "is_false"},
        ),
        "denominator": _COUNT,
        "filters": [{"column": "channel", "op": "is", "value": "chatbot"}],
        "scale": 100,
    },
    "chatbot-escalation-rate": {
        "numerator": _count_where({"column": "handled_by", "op": "is", "value": "chatbot_agent"}),
        "denominator": _COUNT,
        "filters": [{"column": "channel", "op": "is", "value": "chatbot"}],
        "scale": 100,
    },
    "abandonment-rate": {
        "numerator": _count_where(
            {"column": "abandoned", "op": "is_true"},
            {"column": "wait_time_s", "op": "gte", "value": 5},
        ),
        "denominator": _COUNT,
        "filters": [{"column": "channel", "op": "in", "value": QUEUED}],
        "scale": 100,
    },
    "transfer-rate": {
        "numerator": _count_where({"column": "transferred", "op": "is_true"}),
        "denominator": _COUNT,
        "filters": [{"column": "handled_by", "op": "in", "value": AGENTS}],
        "where": "NOT abandoned",
        "scale": 100,
    },
    "csat": {
        "numerator": _count_where({"column": "csat_score", "op": "gte", "value": 4}),
        "denominator": _COUNT,
        "filters": [{"column": "csat_score", "op": "is_not_empty"}],
        "scale": 100,
    },
    "nps": {
        # Promoters count +100, detractors -100, passives 0: the average is %P - %D.
        "numerator": {
            "agg": "avg",
            "expr": "CASE WHEN nps_score >= 9 THEN 100 WHEN nps_score <= 6 THEN -100 ELSE 0 END",
        },
        "filters": [{"column": "nps_score", "op": "is_not_empty"}],
    },
    "time-to-reach-a-human": {
        "numerator": {"agg": "sum", "column": "wait_time_s"},
        "denominator": _COUNT,
        "filters": [{"column": "channel", "op": "in", "value": QUEUED}],
        "where": "NOT abandoned",
    },
}


def _needs(en: str, it: str) -> dict[str, str]:
    return {"en": en, "it": it}


_COST = _needs(
    "Costs by channel and period (finance, outsourcing invoices, licences): contact records "
    "hold no costs.",
    "Costi per canale e periodo (contabilità, fatture dell'outsourcer, licenze): i contatti "
    "non riportano costi.",
)
_REQUEST = _needs(
    "A request (case) identifier linking each contact to its request, with the request's "
    "creation and resolution times.",
    "Un identificativo di richiesta (pratica) che colleghi ogni contatto alla sua richiesta, "
    "con gli orari di apertura e risoluzione della richiesta.",
)
_HR = _needs(
    "HR and workforce-management records (headcount, schedules, absences): contact records "
    "say nothing about agents as employees.",
    "Dati HR e di workforce management (organico, turni, assenze): i contatti non dicono "
    "nulla degli operatori come dipendenti.",
)
_EMPLOYEE_SURVEY = _needs(
    "The answers of an employee survey (pulse or eNPS), anonymous and aggregated.",
    "Le risposte di un'indagine ai dipendenti (pulse o eNPS), anonime e aggregate.",
)

#: Why a library KPI has no definition over contact records: the data it needs.
DATA_NEEDED: dict[str, dict[str, str]] = {
    "contacts-per-resolution": _REQUEST,
    "channel-switch-rate": _needs(
        "A request identifier across channels, to see a request move from one channel to "
        "another, and whether the switch was planned.",
        "Un identificativo di richiesta comune ai canali, per vedere una richiesta passare da "
        "un canale all'altro, e se il passaggio era previsto.",
    ),
    "backlog-age": _needs(
        "Snapshots of open items (tickets, cases) with their creation time: contact records "
        "hold closed contacts only.",
        "Istantanee delle pratiche aperte (ticket, casi) con l'orario di apertura: i contatti "
        "riportano solo contatti chiusi.",
    ),
    "time-to-resolution": _REQUEST,
    "cost-per-contact": _COST,
    "self-care-vs-assisted-cost-ratio": _COST,
    "cost-per-resolution": _COST,
    "failure-demand-cost": _needs(
        "A contact-reason taxonomy that marks failure demand (or speech/text analytics), and "
        "costs per contact for the cost view.",
        "Una tassonomia dei motivi di contatto che marchi la domanda di fallimento (o analisi "
        "del parlato/testo), e i costi per contatto per la vista dei costi.",
    ),
    "cross-up-sell-conversion": _needs(
        "Offers made and sales closed per interaction (CRM, order system), with cancellations.",
        "Offerte fatte e vendite chiuse per interazione (CRM, sistema ordini), con le disdette.",
    ),
    "leads-captured": _needs(
        "Qualified leads captured per interaction (CRM).",
        "I lead qualificati raccolti per interazione (CRM).",
    ),
    "lead-conversion-rate": _needs(
        "Leads and their outcome in sales (CRM).",
        "I lead e il loro esito nelle vendite (CRM).",
    ),
    "profile-enrichment-rate": _needs(
        "Profile changes per interaction (CRM audit log).",
        "Le modifiche del profilo cliente per interazione (registro modifiche del CRM).",
    ),
    "save-desk-revenue-retained": _needs(
        "Cancellation requests, retention outcomes and recurring revenue (billing).",
        "Richieste di disdetta, esiti della retention e ricavi ricorrenti (fatturazione).",
    ),
    "post-contact-churn-rate": _needs(
        "Customer cancellations or inactivity after the contact (billing, CRM).",
        "Disdette o inattività dei clienti dopo il contatto (fatturazione, CRM).",
    ),
    "customer-effort-score": _needs(
        "Customer effort (CES) answers from the post-contact survey.",
        "Le risposte sullo sforzo del cliente (CES) dell'indagine post-contatto.",
    ),
    "online-review-rating": _needs(
        "Published reviews and their ratings (review sites, app stores).",
        "Le recensioni pubblicate e i loro voti (siti di recensioni, store delle app).",
    ),
    "social-sentiment": _needs(
        "Social mentions classified by sentiment (social listening tool).",
        "Le menzioni social classificate per sentiment (strumento di social listening).",
    ),
    "social-engagement-rate": _needs(
        "Interactions and impressions of the service's posts and replies (social platforms).",
        "Interazioni e visualizzazioni di post e risposte del servizio (piattaforme social).",
    ),
    "journey-completion-rate": _needs(
        "Journey events (task started, success event reached) from web and app analytics.",
        "Gli eventi dei percorsi (attività iniziata, evento di successo raggiunto) dalle "
        "analytics di web e app.",
    ),
    "self-care-content-helpfulness": _needs(
        "'Was this helpful?' answers per content item (knowledge base, help centre).",
        "Le risposte a 'Ti è stato utile?' per contenuto (knowledge base, help center).",
    ),
    "community-answer-rate": _needs(
        "Community questions and accepted answers with their times (community platform).",
        "Le domande della community e le risposte accettate con i loro orari (piattaforma "
        "della community).",
    ),
    "complaint-rate": _needs(
        "Formal complaints from every channel (complaints register) and the number of active "
        "customers (billing): contact records know only customers who got in touch.",
        "I reclami formali di ogni canale (registro reclami) e il numero di clienti attivi "
        "(fatturazione): i contatti conoscono solo i clienti che si sono fatti sentire.",
    ),
    "agent-attrition": _HR,
    "concurrent-conversations-per-agent": _needs(
        "Agent states and conversation assignments over time (digital platform, WFM).",
        "Stati degli operatori e assegnazioni delle conversazioni nel tempo (piattaforma "
        "digitale, WFM).",
    ),
    "concurrent-channels-per-agent": _needs(
        "Agent shifts and the channels each agent handled in them (WFM, routing).",
        "I turni degli operatori e i canali gestiti da ciascuno in ogni turno (WFM, routing).",
    ),
    "schedule-adherence": _HR,
    "cognitive-load-pulse": _EMPLOYEE_SURVEY,
    "enps": _EMPLOYEE_SURVEY,
    "absenteeism": _HR,
    "time-to-proficiency": _HR,
    "training-hours-per-agent": _HR,
    "quality-monitoring-score": _needs(
        "Quality evaluations of interactions (quality monitoring tool).",
        "Le valutazioni di qualità delle interazioni (strumento di quality monitoring).",
    ),
    "occupancy": _needs(
        "Agent available and idle time (ACD, WFM): contact records hold handling time only.",
        "Il tempo disponibile e inattivo degli operatori (ACD, WFM): i contatti riportano solo "
        "il tempo di gestione.",
    ),
    "systems-per-interaction": _needs(
        "Applications used per interaction (desktop analytics or observation).",
        "Le applicazioni usate per interazione (desktop analytics o osservazione).",
    ),
}


def library_spec(slug: str, *, breakdowns: list[str] | tuple[str, ...] = ()) -> dict | None:
    """The library KPI's full definition over the contacts dataset (validated), its
    breakdowns as dimensions; ``None`` when it has none."""
    spec = DEFINITIONS.get(slug)
    if spec is None:
        return None
    dimensions = [BREAKDOWN_COLUMNS[b] for b in breakdowns if b in BREAKDOWN_COLUMNS]
    full = {"time_column": "started_at", "grain": "month", "dimensions": dimensions, **spec}
    return Definition.from_dict(full).to_dict()


def data_needed(slug: str, language: str | None = None) -> str:
    """Why the library KPI has no definition, in the active language (English otherwise)."""
    note = DATA_NEEDED.get(slug)
    if note is None:
        return ""
    lang = (language or get_language() or "en").split("-")[0]
    return note.get(lang) or note["en"]


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def form_initial(spec: dict) -> dict[str, Any]:
    """The guided form's fields for a definition that fits it (see the module's note)."""
    d = Definition.from_dict(spec)
    initial: dict[str, Any] = {
        "numerator_agg": d.numerator.agg,
        "numerator_column": d.numerator.column,
        "numerator_expr": d.numerator.expr,
        "time_column": d.time_column,
        "grain": d.grain,
        "where": d.where,
        "dimensions": list(d.dimensions),
        "scale": "100" if d.scale == 100 else "1",
    }
    # At most two numerator filters fit the form (a test checks every library definition).
    prefixes = ("numerator_filter", "numerator_filter2")
    for prefix, f in zip(prefixes, d.numerator.filters, strict=False):
        initial |= {
            f"{prefix}_column": f.column,
            f"{prefix}_op": f.op,
            f"{prefix}_value": _value(f.value),
        }
    if d.filters:
        f = d.filters[0]
        initial |= {"filter_column": f.column, "filter_op": f.op, "filter_value": _value(f.value)}
    if d.denominator is not None:
        den = d.denominator
        initial |= {"denominator_agg": den.agg, "denominator_column": den.column}
    return initial
