"""Helpers of the back-office tests: forms with their CSRF token, images, shapes."""

from __future__ import annotations

import io

from PIL import Image

from hosting_app.auth.models import User
from tests.helpers import csrf_token, login


def post(client, url: str, data: dict, page: str | None = None, **kwargs):
    """POST a form with the CSRF token of ``page`` (default: the same URL)."""
    token = csrf_token(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def logged_in(client, user: User):
    """The client, logged in as ``user``."""
    login(client, user.email)
    return client


def image_bytes(width: int = 2400, height: int = 1600, fmt: str = "JPEG", exif: bool = False):
    """An image made here, optionally with EXIF metadata (a camera's make and GPS tag)."""
    image = Image.new("RGB", (width, height), (40, 120, 200))
    out = io.BytesIO()
    if exif:
        info = Image.Exif()
        info[0x010F] = "Appareil de test"  # Make
        info[0x8825] = {1: "N"}  # GPS IFD
        image.save(out, fmt, exif=info)
    else:
        image.save(out, fmt)
    return out.getvalue()


# A square of about 200 m inside the Villaroche park (lon, lat).
SQUARE = [[2.664, 48.603], [2.667, 48.603], [2.667, 48.605], [2.664, 48.605], [2.664, 48.603]]
BOWTIE = [[2.664, 48.603], [2.667, 48.605], [2.667, 48.603], [2.664, 48.605], [2.664, 48.603]]
