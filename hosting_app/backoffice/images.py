"""Uploaded photos: the real content checked, EXIF dropped, resized, a thumbnail made (Pillow).

Every photo is re-encoded as JPEG: nothing of the uploaded file (metadata, trailing bytes)
reaches the public pages.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from hosting_app.backoffice.models import thumb_name

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ALLOWED_TYPES = frozenset(ALLOWED_FORMATS.values()) | {"image/jpg", "image/pjpeg"}
MAX_PIXELS = 50_000_000  # a decompression bomb is refused long before memory runs out
JPEG_QUALITY = 85


class ImageRefused(ValueError):
    """The file is not an image the app accepts; the message says why, in French."""


@dataclass(frozen=True)
class Processed:
    """The resized photo and its thumbnail, encoded as JPEG."""

    image: bytes
    width: int
    height: int
    thumb: bytes
    thumb_width: int
    thumb_height: int


def max_bytes_label(max_bytes: int) -> str:
    """« 8 Mo » for 8 MiB."""
    return f"{max_bytes / (1024 * 1024):.0f} Mo"


def process(data: bytes, *, max_width: int, thumb_width: int) -> Processed:
    """Check that ``data`` is a JPEG, PNG or WebP image, then resize it and make a thumbnail."""
    image = _open(data)
    image = ImageOps.exif_transpose(image)  # keep the orientation the camera recorded
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image = image.convert("RGB")
    full = _fit(image, max_width)
    thumb = _fit(full, thumb_width)
    return Processed(
        image=_jpeg(full), width=full.width, height=full.height,
        thumb=_jpeg(thumb), thumb_width=thumb.width, thumb_height=thumb.height,
    )  # fmt: skip


def _open(data: bytes) -> Image.Image:
    refused = "Ce fichier n'est pas une image JPEG, PNG ou WebP lisible."
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise ImageRefused(f"{refused} (format reçu : {probe.format}).")
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageRefused("L'image a trop de pixels (50 millions au plus).")
                probe.verify()  # structure and checksums; the image must be reopened after
            image = Image.open(io.BytesIO(data))
            image.load()
        except ImageRefused:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise ImageRefused("L'image a trop de pixels (50 millions au plus).") from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise ImageRefused(refused) from error
    return image


def _fit(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image.copy()
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No exif= argument: the camera's metadata (GPS position, serial numbers) is not kept.
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


# --- Storage: files in UPLOAD_DIR (default: the instance folder's uploads/photos) ---------


def upload_dir() -> Path:
    """The folder of the photos' files, created when missing."""
    folder = Path(current_app.config["UPLOAD_DIR"]) / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_file_name() -> str:
    """A fresh, unguessable file name."""
    return f"{uuid.uuid4().hex}.jpg"


def store(file_name: str, processed: Processed) -> None:
    """Write the photo and its thumbnail."""
    folder = upload_dir()
    for name, content in ((file_name, processed.image), (thumb_name(file_name), processed.thumb)):
        partial = folder / f".{name}.part"
        partial.write_bytes(content)
        partial.replace(folder / name)


def remove(file_name: str) -> None:
    """Delete a photo's files (missing ones are ignored)."""
    folder = upload_dir()
    for name in (file_name, thumb_name(file_name)):
        (folder / name).unlink(missing_ok=True)
