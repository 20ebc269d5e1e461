"""A jurisdiction's directory: units, their groups, and their people by role."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models import Base, utcnow


class Unit(Base):
    """A unit of one jurisdiction's directory: names are unique within a jurisdiction."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("jurisdiction", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(100), default="", server_default="")
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # place in the directory as the office wrote it, a group's units together
    # (``ledger.order``); lists of units are read in this order
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="Contact.role"
    )
    groups: Mapped[list[Group]] = relationship(secondary="group_members", back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("jurisdiction", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(100), default="", server_default="")
    name: Mapped[str] = mapped_column(String(200))
    units: Mapped[list[Unit]] = relationship(secondary="group_members", back_populates="groups")


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Contact(Base):
    """A person of a unit by role: 经办人 (contact), 分管领导 (leader), 主要负责人 (head)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), default="")
    mobile: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    wecom_id: Mapped[str | None] = mapped_column(String(100))
    dingtalk_id: Mapped[str | None] = mapped_column(String(100))
    channels: Mapped[list[str]] = mapped_column(default=list)

    unit: Mapped[Unit] = relationship(back_populates="contacts")
