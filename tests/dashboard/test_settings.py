"""Site settings: saving through sites.config, validation shown on the form, the preview,
and the site's moderators."""

from __future__ import annotations

import re

import pytest

from tests.dashboard.conftest import TOXIC_SCORES, make_comment
from townhall.accounts.models import Membership
from townhall.dashboard.forms import SettingsForm
from townhall.moderation.types import ATTRIBUTES, DEFAULT_HOLD
from townhall.review.models import AuditEntry

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
URL = "/dashboard/gazette/settings/"


def form_data(site, **changes):
    data = {k: ("" if v is None else v) for k, v in SettingsForm.initial_for(site).items()}
    if data["anonymous_posting"] is False:
        del data["anonymous_posting"]
    data.update(changes)
    return data


def test_the_settings_page_shows_the_current_values(desk, gazette):
    html = desk.get(URL).content.decode()
    assert 'value="Keep it Clean"' in html
    assert f'name="hold_threat" value="{DEFAULT_HOLD["threat"]}"' in html
    assert '<option value="off" selected>' in html
    assert "mallory@example.org" in html


def test_a_threshold_switched_off_shows_as_off(desk, gazette):
    gazette.hold_thresholds = {"spam": 1.01}
    gazette.save()
    html = desk.get(URL).content.decode()
    assert re.search(r'<input type="number" name="hold_spam"[^>]*placeholder="off"', html)
    assert not re.search(r'name="hold_spam"[^>]*value=', html)
    form = SettingsForm(form_data(gazette), site=gazette)
    assert form.is_valid(), form.errors
    assert form.changes()["hold_thresholds"] == {"spam": 1.01}


def test_saving_changes_the_site_and_records_it(desk, gazette):
    data = form_data(
        gazette,
        guideline_nice_title="Be Kind",
        hold_insult="0.6",
        premoderation="new_users",
        banned_words="Darn\nheck\n\ndarn",
        edit_window_minutes="30",
        close_after_days="14",
        anonymous_posting="on",
        report_hide_weight="4",
    )
    response = desk.post(URL, data)
    assert response.status_code == 302 and response["Location"] == URL + "?saved=1"
    gazette.refresh_from_db()
    assert next(g for g in gazette.guidelines if g["key"] == "nice")["title"] == "Be Kind"
    assert gazette.hold_thresholds == {"insult": 0.6}  # defaults are not copied in
    assert gazette.premoderation == "new_users"
    assert gazette.banned_words == ["darn", "heck"]
    assert (gazette.edit_window_minutes, gazette.close_after_days) == (30, 14)
    assert gazette.anonymous_posting is True and gazette.report_hide_weight == 4.0
    assert AuditEntry.objects.filter(action="site.settings_changed").count() == 1
    assert "Settings saved." in desk.get(URL + "?saved=1").content.decode()


def test_bad_values_are_shown_on_the_form_and_nothing_changes(desk, gazette):
    response = desk.post(URL, form_data(gazette, hold_threat="1.5", max_reply_depth="11"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Ensure this value is less than or equal to 1.0." in html
    assert "Ensure this value is less than or equal to 10." in html
    gazette.refresh_from_db()
    assert gazette.hold_thresholds == {} and gazette.max_reply_depth == 3


def test_a_hold_threshold_above_the_reject_one_is_refused(desk, gazette):
    response = desk.post(URL, form_data(gazette, hold_spam="0.99", reject_spam="0.9"))
    assert response.status_code == 422
    assert "A reject threshold cannot be below the hold one." in response.content.decode()


def test_the_services_refusal_is_shown_on_the_form(desk, gazette):
    response = desk.post(URL, form_data(gazette, suspect_words="x" * 101))
    assert response.status_code == 422
    assert "suspect_words: at most 2000 entries of 100 characters." in response.content.decode()
    gazette.refresh_from_db()
    assert gazette.suspect_words == []


def test_the_preview_replays_stored_scores(desk, alice, story, gazette):
    for _ in range(3):
        make_comment(alice, "insulting", story=story, scores=TOXIC_SCORES)
    make_comment(alice, "calm", story=story, scores=dict.fromkeys(ATTRIBUTES, 0.01))
    data = {f"hold_{a}": "0.95" for a in ATTRIBUTES} | {f"reject_{a}": "0.99" for a in ATTRIBUTES}
    html = desk.post(URL + "preview/", data, **HX).content.decode()
    assert "<strong data-held>0</strong> of the last 4 comments" in html
    data["hold_insult"] = "0.9"
    html = desk.post(URL + "preview/", data, **HX).content.decode()
    assert "<strong data-held>3</strong> of the last 4 comments" in html
    data["reject_insult"] = "0.9"
    html = desk.post(URL + "preview/", data, **HX).content.decode()
    assert "<strong data-rejected>3</strong> rejected" in html
    bad = desk.post(URL + "preview/", {**data, "hold_spam": "2"}, **HX).content.decode()
    assert "less than or equal to 1.0" in bad


def test_the_threshold_fieldset_asks_for_a_preview_as_you_type(desk):
    html = desk.get(URL).content.decode()
    assert (
        'hx-post="/dashboard/gazette/settings/preview/" hx-trigger="load, input delay:400ms"'
        in html
    )


def test_adding_and_removing_a_moderator(desk, gazette, alice, mallory):
    response = desk.post(URL + "moderators/", {"email": "ALICE@example.org"}, **HX)
    assert response.status_code == 200
    assert "Alice now moderates The Gazette." in response["HX-Trigger"]
    alice.refresh_from_db()
    assert alice.role == "moderator"
    again = desk.post(URL + "moderators/", {"email": "alice@example.org"}, **HX)
    assert again.status_code == 422 and b"already moderates" in again.content
    gone = desk.post(URL + "moderators/", {"remove": str(alice.user_id)}, **HX)
    assert gone.status_code == 200
    alice.refresh_from_db()
    assert alice.role == "commenter"
    assert list(
        AuditEntry.objects.filter(action__startswith="site.moderator")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == [
        "site.moderator_added",
        "site.moderator_removed",
    ]


def test_a_moderator_from_elsewhere_joins_the_site(desk, gazette, charlie):
    desk.post(URL + "moderators/", {"email": "charlie@example.org"}, **HX)
    joined = Membership.objects.get(site=gazette, user=charlie.user)
    assert joined.role == "moderator" and joined.display_name == "charlie"


def test_no_one_removes_themselves_or_adds_a_stranger(desk, mallory):
    own = desk.post(URL + "moderators/", {"remove": str(mallory.user_id)}, **HX)
    assert own.status_code == 422 and b"ask another moderator" in own.content
    stranger = desk.post(URL + "moderators/", {"email": "nobody@example.org"}, **HX)
    assert stranger.status_code == 422 and b"No account with that email" in stranger.content
