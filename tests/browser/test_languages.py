"""A Spanish news page in a browser that asks for English: the iframe is named in
Spanish and the API's refusals read Spanish."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FRAME = "#townhall iframe"


def test_the_iframe_is_named_in_the_page_language(page, server, publisher):
    publisher.pages["/noticia"] = (
        '<div id="townhall" data-site="periodico" data-story="pleno-del-martes"'
        ' data-lang="es"></div>'
        f'<script src="{server.url}/embed.js" async></script>'
    )
    server.townhall(
        "createsite", "periodico", "--name", "El Periódico", "--origin", publisher.origin
    )

    page.goto(publisher.origin + "/noticia")

    expect(page.frame_locator(FRAME).get_by_text("Bienvenido a la conversación.")).to_be_visible()
    # embed.js names the iframe with the title the frame reported, in Spanish.
    expect(page.locator(FRAME)).to_have_attribute(
        "title", "Comentarios sobre «Publisher» · El Periódico"
    )


def test_an_api_refusal_reads_in_the_frame_language(page, demo_server):
    # Chromium sends Accept-Language: en-US; frame.js asks the API in the frame's language.
    query = urlencode({"site": "demo", "story": "mill-lane-footbridge-reopens", "lang": "es"})
    # Opened on its own, the frame page makes Chromium ask for /favicon.ico (a 404).
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{demo_server}/embed/?{query}")
    page.locator("#login-email").fill("nadie@example.com")
    page.locator("#login-password").fill("no-es-la-clave")
    page.locator('[data-form="login"] button[type="submit"]').click()

    message = page.locator('[data-form="login"] .msg')
    expect(message).to_have_text("El correo electrónico o la contraseña no son correctos.")
