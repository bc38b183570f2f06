"""Every audit action the code can write has a label of its own app, in English and in Italian:
the history never shows an internal code such as ``catalog.notes``.

The actions are found by reading the source, not from a hand-kept list: a service that starts
writing a new action without a label makes this test fail."""

import ast
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

import kpiworkshop
from kpiworkshop.core.audit import audit_action_label
from kpiworkshop.core.models import AuditEvent

SOURCE = Path(kpiworkshop.__file__).parent
#: The writers in core.audit; wrappers that pass their own ``action`` on are found below.
CORE_WRITERS = {"audit_in_workshop": None, "audit_record": None}


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _action_argument(call: ast.Call, position: int | None) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _action_position(function: ast.FunctionDef) -> int | None:
    positional = [a.arg for a in function.args.posonlyargs + function.args.args]
    return positional.index("action") if "action" in positional else None


def _takes_action(function: ast.FunctionDef) -> bool:
    arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
    return any(a.arg == "action" for a in arguments)


def _wrappers(tree: ast.Module, writers: dict) -> dict:
    """Functions of a module that take ``action`` and hand it to a writer."""
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not _takes_action(node):
            continue
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and _called_name(call) in writers:
                argument = _action_argument(call, writers[_called_name(call)])
                if isinstance(argument, ast.Name) and argument.id == "action":
                    found[node.name] = _action_position(node)
    return found


def written_actions() -> tuple[dict[str, list[str]], list[str]]:
    """Every action code a call to a writer can pass, with where; and the calls whose action
    is not a literal (so cannot be checked here)."""
    trees = {
        path: ast.parse(path.read_text(), str(path))
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations" not in path.parts
    }
    writers = dict(CORE_WRITERS)
    while True:  # wrappers of wrappers, until nothing new turns up
        more = {}
        for tree in trees.values():
            more.update(_wrappers(tree, writers))
        if more.keys() <= writers.keys():
            break
        writers.update(more)
    actions: dict[str, list[str]] = {}
    unreadable = []
    for path, tree in trees.items():
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or _called_name(call) not in writers:
                continue
            argument = _action_argument(call, writers[_called_name(call)])
            where = f"{path.relative_to(SOURCE)}:{call.lineno}"
            if argument is None or (isinstance(argument, ast.Name) and argument.id == "action"):
                continue  # a wrapper forwarding its caller's action, counted at the caller
            codes = [
                n.value
                for n in ast.walk(argument)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            literal_only = all(
                isinstance(n, ast.Constant | ast.IfExp | ast.Compare | ast.Name | ast.Load)
                for n in ast.walk(argument)
            ) and not isinstance(argument, ast.Name)
            if not codes or not literal_only:
                unreadable.append(where)
            for code in codes:
                actions.setdefault(code, []).append(where)
    return actions, unreadable


ACTIONS, UNREADABLE = written_actions()


def test_the_walk_finds_the_actions_of_every_app():
    # Guards the walk itself: if it stopped seeing calls, every other test here would pass.
    for code in (
        "workshop.create",
        "proposal.create",  # through kpis' wrapper, positionally
        "ballot.open",  # through voting's wrapper
        "goal.update",  # a conditional expression
        "catalog.notes",
        "catalog.value",  # through the catalogue's organisation-level wrapper
    ):
        assert code in ACTIONS
    assert len(ACTIONS) > 50


def test_every_action_is_written_as_a_literal_code():
    assert UNREADABLE == []


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_written_action_has_an_english_and_an_italian_label(action):
    fallback = audit_action_label("no.such_action")
    with translation.override("en"):
        english = audit_action_label(action)
    with translation.override("it"):
        italian = audit_action_label(action)
    assert english not in (action, fallback), ACTIONS[action]
    assert italian != english, ACTIONS[action]
    assert action not in italian


def test_an_unlabelled_action_reads_as_a_change_not_as_its_code():
    with translation.override("it"):
        assert audit_action_label("gone.away") == "ha fatto una modifica"


def test_the_history_shows_no_action_code_in_either_language(workshop, facilitator):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=facilitator.user,
            actor_name="Fiona",
            action=action,
            organisation_id=workshop.organisation_id,
            workshop_id=workshop.pk,
            target_type="workshops.workshop",
            target_id=str(workshop.pk),
            target_label=workshop.title,
        )
        for action in ACTIONS
    )
    for language in ("en", "it-IT,it;q=0.9"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(facilitator.user)
        page = client.get(reverse("workshops:history", args=[workshop.pk])).content.decode()
        shown = [action for action in ACTIONS if action in page]
        assert shown == [], language
    assert "decided on a KPI" not in page and "ha deciso su un KPI" in page
