"""A reader chooses which emails they get from the embed's Settings panel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_demo import FRAME, sign_up

pytestmark = pytest.mark.browser


def test_a_reader_turns_reply_emails_off_and_it_sticks(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    sign_up(frame, "Nell Notify", "nell.notify@example.com")
    frame.get_by_role("button", name="Settings", exact=True).click()

    replies = frame.get_by_label("when someone replies to my comments")
    expect(replies).to_be_checked()
    reports = frame.get_by_label("when a moderator decides on comments I reported")
    expect(reports).not_to_be_checked()
    # A new account has not confirmed its address yet: the panel says mail waits for that.
    expect(frame.get_by_text("Emails go only to a confirmed address")).to_be_visible()

    replies.uncheck()
    frame.get_by_role("button", name="Save email settings").click()
    expect(frame.get_by_text("Your email settings are saved.")).to_be_visible()

    page.reload()
    frame = page.frame_locator(FRAME)
    frame.get_by_role("button", name="Settings", exact=True).click()
    expect(frame.get_by_label("when a moderator decides on my comments")).to_be_checked()
    expect(frame.get_by_label("when someone replies to my comments")).not_to_be_checked()
