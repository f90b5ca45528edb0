"""The reader UI and the dashboard in the reader's language; the API stays English."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.test import Client

from townhall.comments.models import Comment, Status
from townhall.comments.services import NewComment, post_comment

LOCALE = Path(__file__).resolve().parents[2] / "src" / "townhall" / "locale"
STORY = "budget-vote"


def frame(client: Client, **query: str) -> str:
    params = {"site": "gazette", "story": STORY, "url": "https://gazette.example/budget", **query}
    response = client.get("/embed/", params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def discussion(gazette, alice, bob) -> Comment:
    """Alice has said something on the budget story; Bob reads it."""
    return post_comment(
        NewComment(
            site=gazette, story_key=STORY, body="The budget looks fair to me.", user=alice.user
        )
    )


def test_the_frame_speaks_the_language_the_page_asked_for(client, discussion):
    html = frame(client, lang="es")

    assert '<html lang="es" dir="ltr">' in html
    assert "Bienvenido a la conversación." in html
    assert "Welcome to the discussion." not in html
    assert ">Responder</button>" in html
    assert ">Denunciar</button>" in html
    assert "(1) comentario" in html
    # frame.js gets the same language's catalog
    assert "/embed/jsi18n/?lang=es" in html


def test_a_regional_tag_falls_back_to_the_shipped_language(client, discussion):
    assert "Bienvenido a la conversación." in frame(client, lang="es-MX")


def test_without_lang_the_browser_language_decides(client, discussion):
    spanish = Client(headers={"accept-language": "es-ES,es;q=0.9,en;q=0.5"})
    assert "Bienvenido a la conversación." in frame(spanish)
    assert "Welcome to the discussion." in frame(client)


def test_a_language_we_do_not_ship_falls_back_to_accept_language(client, discussion):
    html = frame(Client(headers={"accept-language": "es"}), lang="xx")
    assert "Bienvenido a la conversación." in html


def test_the_fragments_and_links_keep_the_frame_language(client, discussion):
    html = frame(client, lang="es")
    # the sort form (htmx and no-JS) carries the language on
    assert '<input type="hidden" name="lang" value="es">' in html
    fragment = client.get(
        "/embed/thread/", {"site": "gazette", "story": STORY, "lang": "es", "sort": "oldest"}
    ).content.decode()
    assert ">Responder</button>" in fragment
    assert "Más antiguos primero" in fragment


def test_the_javascript_catalog_is_spanish(client, discussion):
    js = client.get("/embed/jsi18n/", {"lang": "es"})
    assert js.status_code == 200
    body = js.content.decode()
    # the catalog is JSON inside the script: non-ASCII letters come escaped
    assert '"Your comment was deleted.": "Tu comentario se elimin\\u00f3."' in body
    assert "Responder" not in body  # the server-rendered strings stay out of it
    english = client.get("/embed/jsi18n/", {"lang": "en"}).content.decode()
    assert "Tu comentario se elimin" not in english


def test_count_js_gets_its_phrase_as_json_from_any_origin(client, db):
    response = client.get("/embed/jsi18n.json", {"lang": "es"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["catalog"]["%(count)s comment"] == [
        "%(count)s comentario",
        "%(count)s comentarios",
    ]


def test_the_report_form_reasons_are_translated(client, discussion):
    html = frame(client, lang="es")
    assert "¿Qué norma incumple este comentario?" in html
    assert "Otra cosa" in html  # Reason.OTHER, a label stored in English


def test_api_errors_follow_the_caller_language_and_keep_their_code(client, discussion):
    response = client.post(
        "/api/v1/auth/login",
        {"email": "nobody@example.org", "password": "wrong-password-1", "site": "gazette"},
        content_type="application/json",
        headers={"accept-language": "es"},
    )
    assert response.status_code in (400, 401)
    error = response.json()["error"]
    assert error["code"] == "invalid_credentials"
    assert error["message"] == "El correo electrónico o la contraseña no son correctos."
    english = client.post(
        "/api/v1/auth/login",
        {"email": "nobody@example.org", "password": "wrong-password-1", "site": "gazette"},
        content_type="application/json",
    )
    assert english.json()["error"]["message"] == "Email or password is not right."


def test_cached_api_reads_do_not_vary_by_language(client, discussion):
    response = client.get(
        "/api/v1/comments", {"site": "gazette", "story": STORY}, headers={"accept-language": "es"}
    )
    assert response.status_code == 200
    assert "Accept-Language" not in response.get("Vary", "")


def test_a_right_to_left_comment_reads_right_to_left(client, gazette, alice):
    post_comment(NewComment(site=gazette, story_key=STORY, body="مرحبا بالجميع", user=alice.user))
    html = frame(client)
    assert re.search(r'<div class="text" dir="auto">\s*<p>مرحبا بالجميع</p>', html)
    assert '<span class="author" id="c' in html and 'dir="auto">Alice</span>' in html


def test_a_right_to_left_interface_language_turns_the_page(client, discussion, settings):
    # Only en and es ship; an install that adds Arabic gets a right-to-left page.
    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "العربية")]
    assert '<html lang="ar" dir="rtl">' in frame(client, lang="ar")


def test_the_dashboard_speaks_spanish(gazette, mallory, alice):
    comment = post_comment(
        NewComment(site=gazette, story_key=STORY, body="Held for the desk.", user=alice.user)
    )
    Comment.objects.filter(pk=comment.pk).update(status=Status.PENDING)
    desk = Client(headers={"accept-language": "es"})
    desk.force_login(mallory.user)

    html = desk.get("/dashboard/gazette/queue/pending/").content.decode()

    assert '<html lang="es"' in html
    assert "Saltar al contenido" in html
    assert "Registro de auditoría" in html
    assert "Aprobar seleccionados" in html
    assert ">Pendientes <span" in html
    assert "Atajos de teclado" in html


def test_the_dashboard_sign_in_error_is_spanish(gazette, mallory):
    browser = Client(headers={"accept-language": "es"})
    response = browser.post(
        "/dashboard/login/", {"email": "mallory@example.org", "password": "not-it-at-all"}
    )
    assert "El correo electrónico o la contraseña no son correctos." in response.content.decode()


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_spanish_catalogs_are_complete_and_compiled(domain):
    po = polib.pofile(str(LOCALE / "es" / "LC_MESSAGES" / f"{domain}.po"))
    assert len(po) > 40
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po:
        # every placeholder of the English survives in the Spanish
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text:
                wanted = set(re.findall(r"%\(\w+\)[sd]", entry.msgid))
                assert set(re.findall(r"%\(\w+\)[sd]", text)) == wanted, entry.msgid
    mo = LOCALE / "es" / "LC_MESSAGES" / f"{domain}.mo"
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(mo))}
    assert all(e.msgid in compiled for e in po), "compile the .mo: townhall compilemessages"
