"""What the cards of a group's page share: the group from the route, read in the caller's scope.

The group page `/admin/groups/[group_id]` is several small states (the group itself, its
results, "message this group"), each loading on its own. Each takes the group's id from
the route, never from the page's arguments, and reads or changes it through the caller's
scope (services/access.py): a teacher's request for another group reads as missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mockexam.admin.auth import AdminState, Failed
from mockexam.services import access
from mockexam.services.access import Scope
from mockexam.services.transactions import in_session

T = TypeVar("T")

NO_GROUP = (
    "Bunday guruh yo‘q.",
    "Такой группы нет.",
    "There is no such group.",
)


class GroupPageState(AdminState):
    """Base of the group page's states (it has no vars or handlers of its own)."""

    def _page_group(self) -> int | None:
        """The route's group id; None (the card forgotten, "no such group") when there is none."""
        group_id = self._route_id("groups")
        if group_id is None:
            self._forget()
            self._set_error(self._text(*NO_GROUP))
        return group_id

    def _set_error(self, text: str) -> None:
        if hasattr(self, "error"):
            self.error = text

    async def _in_group(
        self,
        me: int,
        work: Callable[[Any, int, Scope], T],
        *,
        readonly: bool = True,
    ) -> T | Failed | None:
        """`work(db, group_id, scope)` in one transaction for the route's group and the
        caller's scope; None without a group in the route, FAILED with the error shown."""
        group_id = self._page_group()
        if group_id is None:
            return None
        role = self._admin_role

        def run(db: Any) -> T:
            return work(db, group_id, access.scope_for(db, admin_id=me, role=role))

        return await self._service(in_session(run, readonly=readonly))
