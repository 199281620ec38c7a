"""Builders shared by the service request page tests: one shop per customer organisation, and
requests rich enough (approvals, tasks, comments, clocks of two agreements, an assignee) that
a query per row would show."""

from __future__ import annotations

import re

from accord.core.choices import Role
from accord.core.models import Organisation
from accord.service_requests import services
from accord.service_requests.models import ServiceRequest
from tests.factories import PersonFactory
from tests.service_requests.conftest import Shop, make_shop

HTMX = {"HTTP_HX_REQUEST": "true"}

_shops: dict[int, Shop] = {}


def forget_shops() -> None:
    _shops.clear()


def shop_for(organisation: Organisation) -> Shop:
    """The organisation's shop, made on first use (its codes are unique per organisation)."""
    if organisation.pk not in _shops:
        _shops[organisation.pk] = make_shop(organisation)
    return _shops[organisation.pk]


def request_for(organisation: Organisation, *, laptop: bool = False, **kwargs) -> ServiceRequest:
    """A request of the organisation's requester: a laptop waits for approval, a mailbox not."""
    shop = shop_for(organisation)
    return shop.request(item=shop.laptop if laptop else shop.mailbox, **kwargs)


def rich_request(organisation: Organisation, n: int) -> ServiceRequest:
    """Every other one waits for approval; the others are assigned, with a task and notes."""
    shop = shop_for(organisation)
    requester = PersonFactory(organisation=organisation, roles=[Role.CUSTOMER_USER])
    if n % 2:
        return shop.request(item=shop.laptop, actor=requester, title=f"Laptop {n}")
    made = shop.request(item=shop.mailbox, actor=requester, title=f"Mailbox {n}")
    made = services.request_update(actor=shop.worker, request=made, data={"assignee": shop.worker})
    services.task_add(actor=shop.worker, request=made, title="Create it", assignee=shop.worker)
    services.comment_add(actor=shop.worker, request=made, body="On it", is_public=False)
    return ServiceRequest.objects.get(pk=made.pk)


def text(response) -> str:
    return response.content.decode()


def rows_of(response) -> list[str]:
    """References of the request list's rows, in order."""
    return re.findall(r'<tr data-reference="([^"]+)"', text(response))


def buttons(content: str) -> list[str]:
    """Labels of the quick action buttons and of the forms that open in place."""
    section = re.search(r'data-testid="quick-actions">(.*?)</section>', content, re.S)
    if section is None:
        return []
    found = re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', section[1])
    return [label for label in found if label != "Mark fulfilled"] + re.findall(
        r"<summary>([^<]+)</summary>", section[1]
    )
