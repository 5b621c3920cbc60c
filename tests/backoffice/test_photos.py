"""Photos: the real content checked, size limited, resized with a thumbnail, EXIF dropped,
alt text required, ordered, shown on the public pages."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from hosting_app.backoffice.models import Photo
from hosting_app.sites.models import Premises
from tests.backoffice.support import image_bytes, logged_in, post
from tests.helpers import csrf_token


def _send(client, url: str, content: bytes, name="photo.jpg", mimetype="image/jpeg",
          alt="Vue aérienne des lots"):  # fmt: skip
    page = url.removesuffix("/photos") + ("/modifier" if "/locaux/" in url else "")
    return post(
        client,
        url,
        {"photo": (io.BytesIO(content), name, mimetype), "alt_text": alt},
        page=page,
        content_type="multipart/form-data",
    )


def _photos(session, **owner) -> list[Photo]:
    column = Photo.site_id if "site_id" in owner else Photo.premises_id
    return session.scalars(
        sa.select(Photo).where(column == next(iter(owner.values()))).order_by(Photo.position)
    ).all()


def test_a_photo_is_resized_stripped_thumbnailed_and_shown(
    client, session, sympav_dev, villaroche, uploads
):
    logged_in(client, sympav_dev)
    response = _send(
        client, f"/gestion/sites/{villaroche.id}/photos", image_bytes(2400, 1600, exif=True)
    )
    assert response.status_code == 302
    (photo,) = _photos(session, site_id=villaroche.id)
    assert (photo.width, photo.height) == (1600, 1067)
    assert (photo.thumb_width, photo.thumb_height) == (480, 320)
    stored = Image.open(uploads / photo.file_name)
    assert stored.format == "JPEG" and stored.size == (1600, 1067)
    assert not stored.getexif()  # no camera make, no GPS position
    assert Image.open(uploads / photo.thumb_name).size == (480, 320)

    public = client.get(f"/sites/{villaroche.slug}").get_data(as_text=True)
    assert f'src="/medias/photos/{photo.thumb_name}"' in public
    assert 'alt="Vue aérienne des lots"' in public
    served = client.get(f"/medias/photos/{photo.file_name}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert client.get("/medias/photos/../secret_key").status_code == 404


def test_a_non_image_is_refused_even_when_it_claims_to_be_one(
    client, session, sympav_dev, villaroche
):
    logged_in(client, sympav_dev)
    fake = _send(client, f"/gestion/sites/{villaroche.id}/photos", b"%PDF-1.4 not an image")
    assert fake.status_code == 400
    page = fake.get_data(as_text=True)
    assert "n&#39;est pas une image JPEG, PNG ou WebP lisible" in page
    assert 'value="Vue aérienne des lots"' in page  # the alt text typed is kept
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    refused = _send(
        client,
        f"/gestion/sites/{villaroche.id}/photos",
        gif.getvalue(),
        name="a.gif",
        mimetype="image/gif",
    )
    assert refused.status_code == 400
    assert "Type de fichier refusé (image/gif)" in refused.get_data(as_text=True)
    assert _photos(session, site_id=villaroche.id) == []


def test_an_oversize_photo_is_refused_in_french(
    app, client, session, sympav_dev, villaroche, monkeypatch
):
    logged_in(client, sympav_dev)
    content = image_bytes(3000, 2000)
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", len(content) - 1)
    just_over = _send(client, f"/gestion/sites/{villaroche.id}/photos", content)
    assert just_over.status_code == 400
    assert "Mo au plus" in just_over.get_data(as_text=True)
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 10_000)
    far_over = _send(client, f"/gestion/sites/{villaroche.id}/photos", content)
    assert far_over.status_code == 413
    assert "dépasse la taille maximale" in far_over.get_data(as_text=True)
    assert _photos(session, site_id=villaroche.id) == []


def test_alt_text_is_required(client, session, sympav_dev, villaroche):
    logged_in(client, sympav_dev)
    response = _send(client, f"/gestion/sites/{villaroche.id}/photos", image_bytes(), alt="")
    assert response.status_code == 400
    assert "Décrivez la photo" in response.get_data(as_text=True)


def test_premises_photos_are_ordered_renamed_and_removed(
    client, session, sympav_dev, villaroche, uploads
):
    unit = session.scalar(sa.select(Premises).where(
        Premises.site_id == villaroche.id, Premises.label == "Lot 1"))  # fmt: skip
    logged_in(client, sympav_dev)
    for alt in ("Entrée du lot", "Façade"):
        png = image_bytes(800, 600, fmt="PNG")
        assert (
            _send(
                client,
                f"/gestion/locaux/{unit.id}/photos",
                png,
                name="p.png",
                mimetype="image/png",
                alt=alt,
            ).status_code
            == 302
        )
    first, second = _photos(session, premises_id=unit.id)
    refused = _send(client, f"/gestion/locaux/{unit.id}/photos", b"GIF89a not really")
    assert refused.status_code == 400
    assert "Modifier le local « Lot 1 »" in refused.get_data(as_text=True)
    edit = f"/gestion/locaux/{unit.id}/modifier"
    post(client, f"/gestion/photos/{second.id}/monter", {}, page=edit)
    session.expire_all()
    order = [p.alt_text for p in _photos(session, premises_id=unit.id)]
    assert order == ["Façade", "Entrée du lot"]
    post(client, f"/gestion/photos/{second.id}/texte", {"alt_text": "Façade sud"}, page=edit)
    public = client.get(f"/locaux/{unit.id}").get_data(as_text=True)
    assert public.index('alt="Façade sud"') < public.index('alt="Entrée du lot"')
    post(client, f"/gestion/photos/{first.id}/supprimer", {}, page=edit)
    assert not (uploads / first.file_name).exists() and not (uploads / first.thumb_name).exists()
    session.expire_all()
    assert [p.alt_text for p in _photos(session, premises_id=unit.id)] == ["Façade sud"]


def test_photos_of_another_organisations_site_are_out_of_reach(
    client, session, sympav_dev, epa_dev, ecopole
):
    logged_in(client, epa_dev)
    _send(client, f"/gestion/sites/{ecopole.id}/photos", image_bytes(400, 300))
    (photo,) = _photos(session, site_id=ecopole.id)
    other = client.application.test_client()
    logged_in(other, sympav_dev)
    gestion = other.get("/gestion").get_data(as_text=True)
    response = other.post(
        f"/gestion/photos/{photo.id}/supprimer", data={"csrf_token": csrf_token(gestion)}
    )
    assert response.status_code == 403
