"""A reader signs up through the bot checks, downloads their data and deletes their
account from the embed's Settings panel."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FRAME = "#townhall iframe"


def test_a_reader_downloads_their_data_then_deletes_their_account(page, demo_server):
    page.goto(demo_server + "/")
    frame = page.frame_locator(FRAME)
    # The honeypot is in the form but out of sight and out of the tab order.
    honeypot = frame.locator("input[name=website]")
    expect(honeypot).to_have_count(1)
    expect(honeypot).to_have_attribute("tabindex", "-1")
    wrapper = honeypot.locator("xpath=..")
    expect(wrapper).to_have_attribute("aria-hidden", "true")
    box = wrapper.bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1  # clipped to a pixel: nothing to see

    started = time.monotonic()
    frame.locator("#signup-name").fill("Robin Leaving")
    frame.locator("#signup-email").fill("robin.leaving@example.com")
    frame.locator("#signup-password").fill("ferry-road-lantern-42")
    frame.get_by_role("button", name="Sign up").click()
    expect(frame.get_by_text("Signed in as")).to_contain_text("Robin Leaving")
    expect(frame.locator("#status")).to_have_text("Welcome, Robin Leaving.")
    # The embed solved the proof of work and waited as long as the server asks.
    assert time.monotonic() - started >= 2

    demo_comment = frame.locator(".comments > .comment").filter(has_text="Marguerite P.").first
    demo_comment.get_by_role("button", name="Reply").first.click()
    frame.get_by_label("Reply to Marguerite P.").fill("I will miss this bridge.")
    frame.get_by_role("button", name="Post reply").click()
    mine = frame.locator(".replies .comment").filter(has_text="I will miss this bridge.")
    expect(mine).to_be_visible()
    expect(mine.locator("> article")).to_be_focused()  # posted, and the page scrolled to it

    frame.get_by_role("button", name="Settings", exact=True).click()
    with page.expect_download() as info:
        frame.get_by_role("button", name="Download my data").click()
    data = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert data["account"]["email"] == "robin.leaving@example.com"
    assert [c["body"] for c in data["comments"]] == ["I will miss this bridge."]

    frame.locator("#erase-password").fill("ferry-road-lantern-42")
    page.once("dialog", lambda d: d.accept())
    frame.get_by_role("button", name="Delete my account").click()
    expect(frame.get_by_text("Your account is deleted.")).to_be_visible()
    expect(frame.locator("#signup-email")).to_be_visible()
    expect(frame.get_by_text("I will miss this bridge.")).to_have_count(0)
    expect(frame.get_by_text("Robin Leaving")).to_have_count(0)
