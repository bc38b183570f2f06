"""Each write the Map stage's shared fragments show moves their version, in its transaction
(``core.versions``): links, comments, settings, goals, a KPI's counter-metric; a write
outside them does not."""

from kpiworkshop.mapping import fragments, services
from kpiworkshop.workshops.access import WorkshopAccess


def key(workshop):
    fresh = type(workshop).objects.get(pk=workshop.pk)  # a new request's workshop
    return fragments.map_cards.key(
        WorkshopAccess(fresh, None, None), workshop=fresh, page=1, more=False
    )


def test_every_mapping_write_moves_the_map_version(map_workshop, facilitator, kpi, goal, audience):
    seen = [key(map_workshop)]
    link = services.goal_link_set(actor=facilitator, proposal=kpi, goal_id=goal.pk)
    seen.append(key(map_workshop))
    services.link_comment_create(actor=facilitator, goal_link=link, stance="concern", body="Hm")
    seen.append(key(map_workshop))
    services.audience_link_set(
        actor=facilitator, proposal=kpi, audience_id=audience.pk, relation="sees"
    )
    seen.append(key(map_workshop))
    services.map_settings_update(actor=facilitator, workshop=map_workshop, act_on_limit=3)
    seen.append(key(map_workshop))
    services.goal_save(actor=facilitator, workshop=map_workshop, goal=goal, name="Loyalty, renamed")
    seen.append(key(map_workshop))
    services.goal_link_remove(actor=facilitator, link=link)
    seen.append(key(map_workshop))
    assert len(set(seen)) == len(seen)


def test_a_read_does_not_move_it(map_workshop, facilitator, kpi):
    assert key(map_workshop) == key(map_workshop)
