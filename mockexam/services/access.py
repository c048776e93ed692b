"""Who may do what in the admin panel: roles, capabilities, and a teacher's groups.

Three roles (models.AdminRole):

- **owner**: everything, and the admin accounts (create, roles, deactivate);
- **admin**: exams, answer keys, students, groups, practice bank, broadcasts;
- **teacher**: reads exams; sees, exports and messages only the students of
  their own groups (GroupTeacher rows).

A handler asks for a *capability*, never a role, so the table below is the one
place the rules live. The default a handler gets when it names none is `MANAGE`
(admins and owners): a handler nobody has reviewed for teachers refuses them.

A teacher's reach is a `Scope`: the ids of their groups. Everyone else's scope
is everything (`Scope.everything()`). Services take a scope and filter their
queries with `student_filter` / `group_filter`; they never read the role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, col, select

from mockexam.errors import NotFoundError, PermissionDeniedError, ValidationError, msg
from mockexam.models import AdminRole, GroupMember, GroupTeacher, StudentGroup


class Capability(StrEnum):
    VIEW = "view"  # exams, results, analysis, analytics, students (scoped for teachers)
    MESSAGE = "message"  # send a message to a group's students (teachers: their groups)
    MANAGE = "manage"  # create and change exams, keys, students, groups, practice, broadcasts
    OWN = "own"  # the admin accounts and their roles


ROLE_CAPABILITIES: dict[AdminRole, frozenset[Capability]] = {
    AdminRole.OWNER: frozenset(Capability),
    AdminRole.ADMIN: frozenset({Capability.VIEW, Capability.MESSAGE, Capability.MANAGE}),
    AdminRole.TEACHER: frozenset({Capability.VIEW, Capability.MESSAGE}),
}

ROLE_NAMES: dict[AdminRole, tuple[str, str, str]] = {
    AdminRole.OWNER: ("Egasi", "Владелец", "Owner"),
    AdminRole.ADMIN: ("Admin", "Администратор", "Admin"),
    AdminRole.TEACHER: ("O‘qituvchi", "Преподаватель", "Teacher"),
}


def parse_role(value: object) -> AdminRole:
    """The role named by `value` (owner, admin, teacher); ValidationError otherwise."""
    try:
        if not isinstance(value, str) or len(value) > 16:
            raise ValueError(value)
        return AdminRole(value.strip().lower())
    except ValueError:
        raise ValidationError(
            msg(
                "Rol owner, admin yoki teacher bo‘lishi kerak.",
                "Роль должна быть owner, admin или teacher.",
                "The role must be owner, admin or teacher.",
            )
        ) from None


def known_role(value: object) -> AdminRole:
    """A stored role, read defensively: anything unknown is a teacher (the least reach)."""
    try:
        return AdminRole(value) if isinstance(value, str) else AdminRole.TEACHER
    except ValueError:
        return AdminRole.TEACHER


def allows(role: object, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES[known_role(role)]


def require(role: object, capability: Capability) -> None:
    """PermissionDeniedError unless `role` has `capability` (for services called from routes)."""
    if not allows(role, capability):
        raise PermissionDeniedError(
            msg(
                "Bu amal sizning rolingiz uchun emas.",
                "Это действие недоступно для вашей роли.",
                "Your role does not allow this.",
            )
        )


@dataclass(frozen=True, slots=True)
class Scope:
    """The students an admin account may see: all of them, or those of `group_ids`."""

    group_ids: frozenset[int] | None  # None: everything

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @property
    def is_everything(self) -> bool:
        return self.group_ids is None

    def student_filter(self, student_id_column: object) -> ColumnElement[bool]:
        """A WHERE clause keeping the rows whose student is in scope."""
        if self.group_ids is None:
            return true()
        if not self.group_ids:
            return false()
        members = select(GroupMember.student_id).where(
            col(GroupMember.group_id).in_(sorted(self.group_ids))
        )
        return col(student_id_column).in_(members)

    def group_filter(self, group_id_column: object) -> ColumnElement[bool]:
        """A WHERE clause keeping the rows of groups in scope."""
        if self.group_ids is None:
            return true()
        if not self.group_ids:
            return false()
        return col(group_id_column).in_(sorted(self.group_ids))

    def covers_group(self, group_id: int) -> bool:
        return self.group_ids is None or group_id in self.group_ids


def scope_for(session: Session, *, admin_id: int, role: object) -> Scope:
    """Everything for owners and admins; a teacher's own groups for a teacher."""
    if known_role(role) != AdminRole.TEACHER:
        return Scope.everything()
    ids = session.exec(select(GroupTeacher.group_id).where(GroupTeacher.admin_id == admin_id)).all()
    return Scope(frozenset(int(i) for i in ids))


def group_scope(session: Session, *, admin_id: int, role: object, group_id: int | None) -> Scope:
    """The students an account sees when it filters by `group_id` (None: no filter).

    A group its scope does not cover is refused (PermissionDeniedError), an unknown one
    is a NotFoundError; an archived group's results stay readable.
    """
    scope = scope_for(session, admin_id=admin_id, role=role)
    if group_id is None:
        return scope
    if session.get(StudentGroup, group_id) is None:
        raise NotFoundError(
            msg("Bunday guruh yo‘q.", "Такой группы нет.", "There is no such group.")
        )
    if not scope.covers_group(group_id):
        raise PermissionDeniedError(
            msg(
                "Bu guruh sizniki emas.",
                "Это не ваша группа.",
                "This group is not one of yours.",
            )
        )
    return Scope(frozenset({group_id}))
