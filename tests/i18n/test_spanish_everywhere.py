"""Spanish wherever a reader, a moderator or an admin reads townhall's words.

The first test keeps it so: every string the source marks for translation must be in
the shipped catalog, and the catalog must hold nothing the source no longer says.
"""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD
from tests.webhooks.conftest import settle, worker  # noqa: F401 - real background workers
from townhall.accounts.models import User
from townhall.comments.models import Comment, Status
from townhall.comments.services import NewComment, post_comment
from townhall.webhooks.models import Attempt, Delivery, DeliveryState, Endpoint, Event

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "townhall"
SHIPPED = PACKAGE / "locale" / "es" / "LC_MESSAGES"
STORY = "budget-vote"
# The same options docs/translations.md gives translators.
MAKEMESSAGES = {
    "django": {"ignore_patterns": ["static/*", "moderation/*"]},
    "djangojs": {"ignore_patterns": ["*/static/vendor/*"]},
}


def msgids(po: polib.POFile) -> set[tuple[str, str, str]]:
    return {(e.msgctxt or "", e.msgid, e.msgid_plural or "") for e in po if not e.obsolete}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The catalogs makemessages writes from the source as it is now, in a scratch copy."""
    assert shutil.which("xgettext"), "makemessages needs GNU gettext: apt-get install gettext"
    copy = tmp_path_factory.mktemp("source") / "townhall"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("model", "__pycache__", "*.mo"))
    return copy


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_marked_string_is_in_the_shipped_catalog(extracted, domain, settings, monkeypatch):
    settings.LOCALE_PATHS = [str(extracted / "locale")]
    monkeypatch.chdir(extracted)
    call_command(
        "makemessages",
        locale=["es"],
        domain=domain,
        no_location=True,
        verbosity=0,
        **MAKEMESSAGES[domain],
    )
    fresh = msgids(polib.pofile(str(extracted / "locale" / "es" / "LC_MESSAGES" / f"{domain}.po")))
    shipped = msgids(polib.pofile(str(SHIPPED / f"{domain}.po")))

    assert sorted(fresh - shipped) == [], "run makemessages and translate the new strings"
    assert sorted(shipped - fresh) == [], "the catalog has strings the source no longer uses"


@pytest.fixture
def spanish_desk(mallory) -> Client:
    desk = Client(headers={"accept-language": "es"})
    desk.force_login(mallory.user)
    return desk


def test_the_settings_form_is_spanish(spanish_desk, gazette):
    html = spanish_desk.get("/dashboard/gazette/settings/").content.decode()

    assert '<th scope="row">Toxicidad</th>' in html  # the thresholds table
    assert 'placeholder="desactivado"' in html  # an empty threshold is switched off
    assert '<option value="off"' in html and ">Desactivada</option>" in html
    assert ">Comentarios con enlaces</option>" in html
    assert ">Retener para un moderador</option>" in html
    for english in ("Hold for a moderator", "Comments with links", "Toxicity", ">Off<"):
        assert english not in html


def test_a_refused_threshold_is_explained_in_spanish(spanish_desk, gazette):
    response = spanish_desk.post(
        "/dashboard/gazette/settings/", {"hold_toxicity": "0.9", "reject_toxicity": "0.5"}
    )
    html = response.content.decode()
    assert "El umbral de rechazo no puede ser menor que el de retención." in html


def test_a_moderation_card_says_its_status_in_spanish(spanish_desk, gazette, alice):
    comment = post_comment(
        NewComment(site=gazette, story_key=STORY, body="Held for the desk.", user=alice.user)
    )
    Comment.objects.filter(pk=comment.pk).update(status=Status.PENDING)

    html = spanish_desk.get("/dashboard/gazette/queue/pending/").content.decode()

    assert '<span class="status status-pending">Pendiente</span>' in html
    assert ">pending<" not in html


def test_the_webhook_log_is_spanish(spanish_desk, gazette):
    endpoint = Endpoint.objects.create(
        site=gazette, url="https://newsroom.example/hooks", events=["comment.created"]
    )
    event = Event.objects.create(site=gazette, name="comment.created", payload={})
    delivery = Delivery.objects.create(
        endpoint=endpoint, event=event, state=DeliveryState.FAILED, attempts=1
    )
    Attempt.objects.create(
        delivery=delivery,
        number=1,
        error="timed out",
        next_retry_at=timezone.now() + timedelta(minutes=5),
    )

    html = spanish_desk.get("/dashboard/gazette/webhooks/").content.decode()

    for spanish in ("Registro de envíos", "Añadir un destino", "sin respuesta", "Fallido"):
        assert spanish in html
    assert "siguiente intento" in html and "Reintentar ahora" in html
    for english in ("Delivery log", "no answer", "next retry", "Retry now", ">Failed<"):
        assert english not in html

    refused = spanish_desk.post(
        "/dashboard/gazette/webhooks/", {"url": "ftp://x.example/", "events": ["user.banned"]}
    ).content.decode()
    assert "La URL de un webhook debe empezar por http:// o https://" in refused


def test_the_statistics_charts_get_spanish_words(spanish_desk, gazette):
    html = spanish_desk.get("/dashboard/gazette/stats/").content.decode()
    text = re.search(r'<script id="stats-text" type="application/json">(.*?)</script>', html)
    assert text, "stats.js reads its words from this block"
    assert '"rejected_moderator": "Rechazados por un moderador"' in text.group(1)


def test_api_errors_reach_the_embed_in_its_language(client, gazette):
    """frame.js sends the frame's language as Accept-Language and shows the message
    (in Chromium: tests/browser/test_languages.py)."""
    spanish = client.post(
        "/api/v1/comments",
        {"site": "gazette", "story": STORY, "body": "Anyone?"},
        content_type="application/json",
        headers={"accept-language": "es"},
    )
    assert spanish.status_code == 401
    assert spanish.json()["error"] == {
        "code": "not_authenticated",
        "message": "Inicia sesión o regístrate para comentar.",
    }
    assert "Accept-Language" in spanish.get("Vary", "")

    plain = client.post(
        "/api/v1/comments",
        {"site": "gazette", "story": STORY, "body": "Anyone?"},
        content_type="application/json",
    )
    assert plain.json()["error"]["message"] == "Log in or sign up to comment."


def test_the_frame_title_is_spanish(client, gazette):
    # embed.js names the iframe with this title (tests/browser/test_languages.py).
    html = client.get(
        "/embed/", {"site": "gazette", "story": STORY, "url": "https://g.example/b", "lang": "es"}
    ).content.decode()
    assert "<title>Comentarios · The Gazette</title>" in html


def test_the_unsubscribe_page_is_spanish(gazette, bob):
    from townhall.notifications.preferences import unsubscribe_url

    path = unsubscribe_url(bob.user, "replies").split("://", 1)[1].split("/", 1)[1]
    html = Client(headers={"accept-language": "es"}).get("/" + path).content.decode()
    assert '<html lang="es"' in html
    assert "Te has dado de baja" in html
    assert "Respuestas a mis comentarios" in html


@pytest.mark.django_db(transaction=True)
def test_a_reader_who_signed_in_in_spanish_is_mailed_in_spanish(
    worker,  # noqa: F811
    mailoutbox,
    gazette,
    alice,
    bob,
    api_for,
):
    # Bob signs in from a Spanish page: frame.js sends Accept-Language: es.
    frame = Client(headers={"accept-language": "es"})
    signed_in = frame.post(
        "/api/v1/auth/login",
        {"email": "bob@example.org", "password": PASSWORD, "site": "gazette"},
        content_type="application/json",
    )
    assert signed_in.status_code == 200, signed_in.content
    story = {"site": "gazette", "story": STORY, "story_url": "https://gazette.example/budget"}
    status, first = api_for(bob).post("/comments", {**story, "body": "Too much for roads."})
    assert status == 201
    settle()
    # Alice's reply comes through the English API; Bob still reads Spanish.
    status, _ = api_for(alice).post(
        "/comments", {**story, "body": "Roads flood every winter.", "parent_id": first["id"]}
    )
    assert status == 201
    settle()

    [message] = mailoutbox
    assert message.subject == "Alice respondió a tu comentario en The Gazette"
    assert "Alice respondió a tu comentario" in message.body
    assert "Tu comentario era:" in message.body
    assert "Recibes esto porque lo elegiste: Respuestas a mis comentarios." in message.body
    assert "replied" not in message.body


def test_a_right_to_left_comment_reads_right_to_left_on_the_dashboard(spanish_desk, gazette, alice):
    comment = post_comment(
        NewComment(site=gazette, story_key=STORY, body="שלום לכולם", user=alice.user)
    )
    Comment.objects.filter(pk=comment.pk).update(status=Status.PENDING)

    html = spanish_desk.get("/dashboard/gazette/queue/pending/").content.decode()

    assert re.search(r'<blockquote class="body" dir="auto">\s*(<p>)?שלום לכולם', html)
    assert 'dir="auto">Alice</a>' in html


def test_a_database_outage_is_explained_in_the_reader_language():
    from django.db import OperationalError
    from django.utils import translation

    from townhall.lib.dbfaults import describe

    with translation.override("es"):
        fault = describe(OperationalError("database is locked"))
    assert fault.code == "database_busy"
    assert (
        fault.message
        == "La base de datos está ocupada; vuelve a intentarlo dentro de unos segundos."
    )


def test_the_admin_names_its_sections_in_spanish(gazette, alice):
    """An install admin reading Spanish sees every section and table of /admin/ in Spanish."""
    root = User.objects.create_superuser("root@example.org", PASSWORD)
    admin = Client(headers={"accept-language": "es"})
    admin.force_login(root)

    html = admin.get("/admin/").content.decode()
    for spanish in ("Cuentas y tokens de API", "Usuarios", "Tokens de API", "Comentarios"):
        assert spanish in html
    assert "Sitios y noticias" in html and ">Sitios<" in html and ">Noticias<" in html
    for english in ("Accounts", ">Users<", "Api tokens", ">Comments<", ">Sites<", ">Story<"):
        assert english not in html
    # A table's own page names one row in the singular.
    listing = admin.get("/admin/comments/comment/").content.decode()
    assert "Seleccione comentario a modificar" in listing

    page = admin.get(f"/admin/accounts/user/{alice.user_id}/change/").content.decode()
    assert "Pertenencias a sitios" in page and "Site memberships" not in page
