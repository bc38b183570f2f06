"""The "How it is computed" page of a KPI: its preview (aggregates, for everyone who may see
the workshop) and, for the facilitator and data stewards, the guided form."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from kpiworkshop.core.htmx import form_errors_from
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops.access import load_workshop

from . import charts, library, permissions, selectors, services
from .definition import AGGREGATIONS, GRAINS, OPERATORS, Definition
from .forms import DefinitionForm, FeasibilityForm, UploadForm
from .models import DatasetVersion
from .preview import definition_preview


def _describe(spec: dict) -> dict:
    """The definition in words, for the page."""
    d = Definition.from_dict(spec)

    def measure(m):
        if m is None:
            return ""
        what = str(AGGREGATIONS[m.agg])
        if m.column or m.expr:
            what += f" {m.column or m.expr}"
        return what + "".join(
            f" · {f.column} {OPERATORS[f.op]}{'' if f.value is None else f' {f.value}'}"
            for f in m.filters
        )

    return {
        "numerator": measure(d.numerator),
        "denominator": measure(d.denominator),
        "filters": [
            f"{f.column} {OPERATORS[f.op]}{'' if f.value is None else f' {f.value}'}"
            for f in d.filters
        ],
        "where": d.where,
        "time": f"{d.time_column} · {GRAINS[d.grain]}",
        "dimensions": d.dimensions,
    }


def _chart(preview: dict | None, proposal: Proposal) -> str:
    """The last periods as a small chart against the revision's baseline, target and
    thresholds (those a number can be read from)."""
    if not preview or not preview.get("series"):
        return ""
    revision = proposal.current_revision
    refs = charts.references(revision)
    dated = charts.dated_references(revision, preview["series"])
    if dated:
        refs = [r for r in refs if r[0] == "baseline"] + dated
    return charts.series_chart(preview["series"], refs)


def _kpi_access(request, pk: int, proposal_id: int):
    """The workshop access, the proposal, the viewer's data role and whether they may manage
    datasets; 404 for anyone who may neither manage nor preview."""
    access = load_workshop(request, pk)
    proposal = (
        Proposal.objects.select_related("current_revision", "workshop", "library_kpi")
        .filter(workshop=access.workshop, pk=proposal_id)
        .first()
    )
    if proposal is None or proposal.current_revision is None:
        raise Http404
    workshop = access.workshop
    organisation_id = workshop.organisation_id
    role = selectors.data_role(user=request.user, organisation_id=organisation_id)
    can_manage = permissions.can_manage_datasets(role, organisation_id)
    viewer = permissions.can_preview(
        access.participant, workshop, organisation_id, access.membership
    )
    if not (can_manage or viewer):
        raise Http404
    return access, proposal, role, can_manage


@require_GET
def kpi_summary(request, pk: int, proposal_id: int) -> HttpResponse:
    """The "How it is computed" summary the proposal page loads lazily: the definition in
    words, the latest value and the last periods, the not-computable flag and the link to the
    full page. Loaded by htmx so the proposal page's own queries stay as they are."""
    access, proposal, _role, can_manage = _kpi_access(request, pk, proposal_id)
    kpi = selectors.definition_for_revision(revision_id=proposal.current_revision_id)
    preview = None
    if kpi is not None:
        preview = definition_preview(
            actor=access.participant, kpi_definition=kpi, membership=access.membership
        )
    context = {
        "workshop": access.workshop,
        "proposal": proposal,
        "kpi": kpi,
        "described": _describe(kpi.spec) if kpi else None,
        "preview": preview,
        "chart": _chart(preview, proposal),
        "can_manage": can_manage,
        "feasibility": selectors.feasibility_for_proposals(proposal_ids=[proposal.pk]).get(
            proposal.pk
        ),
    }
    return render(request, "datasets/_kpi_summary.html", context)


@require_http_methods(["GET", "POST"])
def kpi_computed(request, pk: int, proposal_id: int) -> HttpResponse:
    access, proposal, role, can_manage = _kpi_access(request, pk, proposal_id)
    workshop = access.workshop
    organisation_id = workshop.organisation_id
    kpi = selectors.definition_for_revision(revision_id=proposal.current_revision_id)
    form = None
    library_spec = None
    if proposal.library_kpi_id:
        library_spec = library.library_spec(
            proposal.library_kpi.slug, breakdowns=proposal.library_kpi.breakdowns
        )
    prefilled = False
    if can_manage and kpi is None:
        datasets = selectors.datasets_for_organisation(organisation_id=organisation_id)
        initial = None
        if request.method == "GET" and request.GET.get("start") == "library" and library_spec:
            # A GET that only pre-fills the form: saving is the POST below, as always.
            initial = library.form_initial(library_spec)
            contacts = [d for d in datasets if d.name == "contacts"] or datasets
            if contacts:
                initial["dataset"] = contacts[0].pk
            prefilled = True
        form = DefinitionForm(request.POST or None, initial=initial, datasets=datasets)
        if request.method == "POST" and form.is_valid():
            try:
                services.definition_set(
                    actor=request.user,
                    revision=proposal.current_revision,
                    dataset=form.cleaned_data["dataset"],
                    spec=form.spec(),
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                url = reverse("datasets:kpi", args=[workshop.pk, proposal.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    elif request.method == "POST":
        raise Http404
    preview = None
    if kpi is not None:
        preview = definition_preview(
            actor=access.participant, kpi_definition=kpi, membership=access.membership
        )
    can_review = permissions.can_review_feasibility(role, organisation_id)
    context = {
        "workshop": workshop,
        "proposal": proposal,
        "feasibility": selectors.feasibility_for_proposals(proposal_ids=[proposal.pk]).get(
            proposal.pk
        ),
        "feasibility_form": FeasibilityForm() if can_review else None,
        "kpi": kpi,
        "described": _describe(kpi.spec) if kpi else None,
        "preview": preview,
        "chart": _chart(preview, proposal),
        "form": form,
        "library_spec": library_spec,
        "prefilled": prefilled,
        "data_needed": (
            library.data_needed(proposal.library_kpi.slug)
            if proposal.library_kpi_id and not library_spec
            else ""
        ),
    }
    template = "datasets/kpi_computed.html"
    if request.htmx and request.method == "GET":
        template += "#definition-form" if prefilled else "#preview"
    return render(request, template, context)


def _manager_access(request, pk: int):
    access = load_workshop(request, pk)
    organisation_id = access.workshop.organisation_id
    role = selectors.data_role(user=request.user, organisation_id=organisation_id)
    if not permissions.can_manage_datasets(role, organisation_id):
        raise Http404
    return access, role


@require_http_methods(["GET", "POST"])
def dataset_list(request, pk: int) -> HttpResponse:
    """The organisation's datasets and their versions; uploading a new version. For the
    facilitator and data stewards only (row-level data)."""
    access, role = _manager_access(request, pk)
    workshop = access.workshop
    datasets = selectors.datasets_for_organisation(organisation_id=workshop.organisation_id)
    form = UploadForm(request.POST or None, request.FILES or None, datasets=datasets)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                dataset = form.cleaned_data["dataset"] or services.dataset_create(
                    actor=request.user,
                    organisation_id=workshop.organisation_id,
                    name=form.cleaned_data["new_name"],
                )
                services.dataset_version_upload(
                    actor=request.user,
                    dataset=dataset,
                    upload=form.cleaned_data["file"],
                    descriptions=form.column_descriptions(),
                )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            return redirect(reverse("datasets:list", args=[workshop.pk]))
    context = {
        "workshop": workshop,
        "datasets": datasets,
        "versions": selectors.versions_for_organisation(organisation_id=workshop.organisation_id),
        "form": form,
        "members": (
            selectors.members_with_steward_flag(organisation_id=workshop.organisation_id)
            if permissions.can_name_stewards(role, workshop.organisation_id)
            else None
        ),
    }
    return render(request, "datasets/dataset_list.html", context)


@require_POST
def steward_toggle(request, pk: int, membership_id: int) -> HttpResponse:
    """The facilitator names a member data steward (``steward=on``) or removes them; htmx gets
    the member's row back, a plain form goes back to the list."""
    access = load_workshop(request, pk)
    organisation_id = access.workshop.organisation_id
    role = selectors.data_role(user=request.user, organisation_id=organisation_id)
    if not permissions.can_name_stewards(role, organisation_id):
        raise Http404
    member = selectors.member_with_steward_flag(
        organisation_id=organisation_id, membership_id=membership_id
    )
    if member is None:
        raise Http404
    try:
        services.steward_set(
            actor=request.user,
            organisation_id=organisation_id,
            user=member.user,
            steward=request.POST.get("steward") == "on",
        )
    except (PermissionDenied, ValidationError) as exc:
        raise Http404 from exc
    if not request.htmx:
        return redirect(reverse("datasets:list", args=[access.workshop.pk]) + "#stewards")
    member = selectors.member_with_steward_flag(
        organisation_id=organisation_id, membership_id=membership_id
    )
    context = {"workshop": access.workshop, "member": member}
    return render(request, "datasets/dataset_list.html#member", context)


@require_GET
def version_status(request, pk: int, version_id: int) -> HttpResponse:
    """One version's row, polled while it converts."""
    access, _role = _manager_access(request, pk)
    version = (
        DatasetVersion.objects.select_related("dataset")
        .filter(pk=version_id, dataset__organisation_id=access.workshop.organisation_id)
        .first()
    )
    if version is None:
        raise Http404
    context = {"workshop": access.workshop, "version": version}
    return render(request, "datasets/dataset_list.html#version", context)


@require_POST
def feasibility(request, pk: int, proposal_id: int) -> HttpResponse:
    """A data steward's verdict on the KPI's feasibility."""
    access = load_workshop(request, pk)
    proposal = (
        Proposal.objects.select_related("workshop")
        .filter(workshop=access.workshop, pk=proposal_id, current_revision__isnull=False)
        .first()
    )
    if proposal is None:
        raise Http404
    form = FeasibilityForm(request.POST)
    url = reverse("datasets:kpi", args=[access.workshop.pk, proposal.pk])
    if form.is_valid():
        try:
            services.feasibility_record(
                actor=request.user,
                proposal=proposal,
                verdict=form.cleaned_data["verdict"],
                note=form.cleaned_data["note"],
            )
        except PermissionDenied as exc:
            raise Http404 from exc
    return redirect(url + "#feasibility")
