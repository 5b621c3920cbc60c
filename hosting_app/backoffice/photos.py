"""Photos of sites and premises: add, describe, reorder, remove; each flushes and is audited."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from hosting_app.audit.models import AuditAction
from hosting_app.audit.service import record
from hosting_app.auth.models import User
from hosting_app.backoffice import images
from hosting_app.backoffice.models import Photo
from hosting_app.sites.models import Premises, Site


def owner_filter(owner: Site | Premises) -> sa.ColumnElement[bool]:
    """The photos of a site or of a premises unit."""
    if isinstance(owner, Site):
        return Photo.site_id == owner.id
    return Photo.premises_id == owner.id


def _owner_details(owner: Site | Premises) -> dict:
    if isinstance(owner, Site):
        return {"site_id": owner.id}
    return {"site_id": owner.site_id, "premises_id": owner.id}


def add_photo(
    session: Session, *, user: User, owner: Site | Premises, data: bytes, alt_text: str
) -> Photo:
    """Check, resize and store an uploaded photo, last in its owner's order."""
    config = current_app.config
    processed = images.process(
        data, max_width=config["PHOTO_MAX_WIDTH"], thumb_width=config["PHOTO_THUMB_WIDTH"]
    )
    last = session.scalar(sa.select(sa.func.max(Photo.position)).where(owner_filter(owner)))
    photo = Photo(
        site_id=owner.id if isinstance(owner, Site) else None,
        premises_id=owner.id if isinstance(owner, Premises) else None,
        file_name=images.new_file_name(),
        width=processed.width, height=processed.height,
        thumb_width=processed.thumb_width, thumb_height=processed.thumb_height,
        byte_size=len(processed.image), alt_text=alt_text,
        position=(last + 1) if last is not None else 0, created_by_id=user.id,
    )  # fmt: skip
    session.add(photo)
    session.flush()
    images.store(photo.file_name, processed)
    record(
        session, user=user, action=AuditAction.CREATE, entity_type="photo", entity_id=photo.id,
        changes={"alt_text": (None, alt_text), "file_name": (None, photo.file_name)},
        details={**_owner_details(owner), "width": photo.width, "height": photo.height},
    )  # fmt: skip
    return photo


def owner_of(session: Session, photo: Photo) -> Site | Premises:
    """The site or premises a photo shows."""
    if photo.site_id is not None:
        return session.get_one(Site, photo.site_id)
    return session.get_one(Premises, photo.premises_id)


def set_alt_text(session: Session, *, user: User, photo: Photo, alt_text: str) -> bool:
    """Change a photo's alternative text; whether it changed."""
    if photo.alt_text == alt_text:
        return False
    before, photo.alt_text = photo.alt_text, alt_text
    session.flush()
    record(
        session, user=user, action=AuditAction.UPDATE, entity_type="photo", entity_id=photo.id,
        changes={"alt_text": (before, alt_text)},
        details=_owner_details(owner_of(session, photo)),
    )  # fmt: skip
    return True


def move(session: Session, *, user: User, photo: Photo, offset: int) -> bool:
    """Swap a photo with its neighbour before (-1) or after (+1); whether it moved."""
    owner = owner_of(session, photo)
    query = sa.select(Photo).where(owner_filter(owner)).order_by(Photo.position, Photo.id)
    order = list(session.scalars(query))
    index = order.index(photo)
    target = index + offset
    if not 0 <= target < len(order):
        return False
    order[index], order[target] = order[target], order[index]
    before = [p.id for p in sorted(order, key=lambda p: (p.position, p.id))]
    for position, item in enumerate(order):
        item.position = position
    session.flush()
    record(
        session, user=user, action=AuditAction.UPDATE, entity_type="photo", entity_id=photo.id,
        changes={"order": (before, [p.id for p in order])}, details=_owner_details(owner),
    )  # fmt: skip
    return True


def delete(session: Session, *, user: User, photo: Photo) -> str:
    """Remove a photo's row; return its file name (delete the files once committed)."""
    owner = owner_of(session, photo)
    record(
        session, user=user, action=AuditAction.DELETE, entity_type="photo", entity_id=photo.id,
        changes={"alt_text": (photo.alt_text, None), "file_name": (photo.file_name, None)},
        details=_owner_details(owner),
    )  # fmt: skip
    session.delete(photo)
    session.flush()
    return photo.file_name
