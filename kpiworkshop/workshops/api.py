from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from . import selectors

router = Router(tags=["workshops"])


class WorkshopOut(Schema):
    id: int
    title: str
    organisation: str
    stage: str
    stage_label: str
    participant_count: int
    created_at: datetime
    stage_changed_at: datetime


@router.get("/workshops", response=list[WorkshopOut], summary="Workshops you may see")
def list_workshops(request: HttpRequest):
    """The workshops of every organisation the caller belongs to, with their stage and how
    many people take part."""
    return [
        WorkshopOut(
            id=w.pk,
            title=w.title,
            organisation=w.organisation.name,
            stage=w.stage,
            stage_label=str(w.get_stage_display()),
            participant_count=w.participant_count,
            created_at=w.created_at,
            stage_changed_at=w.stage_changed_at,
        )
        for w in selectors.workshops_for_user(user=request.auth)
    ]
