"""The built-in run-sheet templates and their texts, by stable code.

A block made from a template keeps the codes of its title and instruction, so each reader (a
phone in Italian, the projector in English) sees them in their own language; the English text
is stored as well, for the admin and for a facilitator who edits it (editing drops the code).
"""

from django.utils.translation import gettext_lazy as _

#: code -> (title, instruction)
BLOCK_TEXTS = {
    "welcome": (
        _("Welcome and goals"),
        _(
            "Why we are here: KPIs that steer quality, support people and are fair to customers, "
            "not only speed. Join with the code on the screen."
        ),
    ),
    "propose": (
        _("Propose KPIs"),
        _(
            "Propose the indicators you would use, one per card: what it measures, why it "
            "matters, how it is computed. Start from the library if you like."
        ),
    ),
    "refine": (
        _("Refine together"),
        _(
            "Read the proposals. Comment with a stance (support, concern, question), suggest "
            "edits, point out duplicates."
        ),
    ),
    "break_vote": (
        _("Break"),
        _("A short break. The voting round opens right after it."),
    ),
    "vote": (
        _("Dot vote"),
        _(
            "Spend your dots on the KPIs you want to keep. You can move them until the round "
            "closes."
        ),
    ),
    "results": (
        _("Results and discussion"),
        _("What each group chose, and where groups disagree. What surprised you?"),
    ),
    "break": (
        _("Break"),
        _("A short break."),
    ),
    "map": (
        _("Map the KPIs"),
        _(
            "Tie each KPI to a business goal and to the people who see it, act on it and are "
            "accountable for it."
        ),
    ),
    "coverage": (
        _("What is missing"),
        _(
            "The coverage view: goals without KPIs, KPIs nobody acts on, audiences with too "
            "many KPIs."
        ),
    ),
    "wrap_up": (
        _("Next steps"),
        _(
            "What happens now: leadership approves the shortlist, then the catalogue is "
            "published with its training notes. Thank you!"
        ),
    ),
}

#: template code -> (name, [(block code, minutes, action, stage)])
TEMPLATES = {
    "two_hour": (
        _("Two-hour redesign"),
        [
            ("welcome", 10, "stage", "propose"),
            ("propose", 30, "", ""),
            ("refine", 20, "stage", "refine"),
            ("break_vote", 10, "stage", "vote"),
            ("vote", 10, "ballot_open", ""),
            ("results", 20, "ballot_reveal", ""),
            ("wrap_up", 20, "", ""),
        ],
    ),
    "half_day": (
        _("Half-day with mapping"),
        [
            ("welcome", 15, "stage", "propose"),
            ("propose", 40, "", ""),
            ("refine", 35, "stage", "refine"),
            ("break_vote", 15, "stage", "vote"),
            ("vote", 15, "ballot_open", ""),
            ("results", 20, "ballot_reveal", ""),
            ("break", 20, "", ""),
            ("map", 45, "stage", "map"),
            ("coverage", 20, "coverage", ""),
            ("wrap_up", 15, "", ""),
        ],
    ),
}


def block_title(code: str) -> str:
    texts = BLOCK_TEXTS.get(code) if code else None
    return str(texts[0]) if texts else ""


def block_instruction(code: str) -> str:
    texts = BLOCK_TEXTS.get(code) if code else None
    return str(texts[1]) if texts else ""


def template_choices() -> list[tuple[str, str]]:
    return [(code, name) for code, (name, _blocks) in TEMPLATES.items()]
