"""Shares by consent on the Servers page, in a real browser (issue 13): the owner offers a share and sees it pending,
then accepted; the recipient accepts or declines it; the owner is mailed about every new share."""

from selenium.webdriver.common.by import By

from browser import click_and_wait, fill, make_browser, shot, submit
from hubkit import register, sign_in, text_of
from test_servers_hub import FakeServer

PASSWORD = "quartz-meadow-lantern-58"


def browser_sign_in(driver, hub, identifier):
    driver.get(hub.url + "/sign-in")
    fill(driver, "identifier", identifier)
    fill(driver, "password", PASSWORD)
    submit(driver, "/sign-in")


def outgoing(driver):
    return sorted((li.get_attribute("data-username"), li.get_attribute("data-state"), li.text)
                  for li in driver.find_elements(By.CSS_SELECTOR, "li.outgoing-share"))


def test_offer_accept_decline_and_take_back_in_a_real_browser(hub):
    for name in ("olga", "finn", "gus"):
        register(hub, name, PASSWORD)
    owner_token = sign_in(hub, "olga", PASSWORD, "owner-laptop")
    finn_token = sign_in(hub, "finn", PASSWORD, "finn-phone")
    gus_token = sign_in(hub, "gus", PASSWORD, "gus-phone")
    server = FakeServer(hub)
    server_id = hub.api("POST", "/servers/claim", token=owner_token, json={"code": server.code}).json()["id"]

    owner = make_browser()
    finn = make_browser(width=390, height=844)
    gus = make_browser()
    try:
        # The owner offers two sections to finn and one to gus on the page.
        browser_sign_in(owner, hub, "olga")
        owner.get(hub.url + "/account/servers")
        fill(owner, "share_account", "finn")
        fill(owner, "share_sections", "Movies, Music")
        submit(owner, "/account/servers/share")
        assert "Offered." in owner.page_source
        fill(owner, "share_account", "gus")
        fill(owner, "share_sections", "Movies")
        submit(owner, "/account/servers/share")
        states = outgoing(owner)
        assert [(who, state) for who, state, _ in states] == [("finn", "pending"), ("finn", "pending"), ("gus", "pending")]
        shot(owner, "40-servers-outgoing-pending")
        # Mailed about each new share, with the "This wasn't me" link.
        mails = [m for m in hub.messages() if m["Subject"] == "Your media server was shared" and m["To"] == "olga@example.com"]
        if len(mails) < 2:
            hub.wait_for_mail(lambda m: m["Subject"] == "Your media server was shared" and "gus" in text_of(m))
            mails = [m for m in hub.messages() if m["Subject"] == "Your media server was shared"]
        assert len(mails) == 2
        assert any("finn" in text_of(m) and "Music" in text_of(m) for m in mails)
        assert all("This wasn't me: " in text_of(m) for m in mails)

        # Pending: no token for finn yet.
        assert hub.api("POST", f"/servers/{server_id}/token", token=finn_token).status_code == 403

        # finn sees the offer and accepts it.
        browser_sign_in(finn, hub, "finn")
        finn.get(hub.url + "/account/servers")
        offer = finn.find_element(By.CSS_SELECTOR, f'li.pending-share[data-server-id="{server_id}"]')
        assert "den" in offer.text and "olga" in offer.text and "Movies, Music" in offer.text
        shot(finn, "41-servers-offered")
        click_and_wait(finn, offer.find_element(By.CSS_SELECTOR, "button.accept-share"))
        assert "Accepted" in finn.page_source
        assert not finn.find_elements(By.CSS_SELECTOR, "li.pending-share")
        assert "Shared with you" in finn.page_source
        assert hub.api("POST", f"/servers/{server_id}/token", token=finn_token).status_code == 200

        # gus declines: the offer is gone, and so is any access.
        browser_sign_in(gus, hub, "gus")
        gus.get(hub.url + "/account/servers")
        offer = gus.find_element(By.CSS_SELECTOR, f'li.pending-share[data-server-id="{server_id}"]')
        click_and_wait(gus, offer.find_element(By.CSS_SELECTOR, "button.decline-share"))
        assert "Declined" in gus.page_source
        assert not gus.find_elements(By.CSS_SELECTOR, "li.pending-share")
        assert hub.api("POST", f"/servers/{server_id}/token", token=gus_token).status_code == 403
        assert hub.api("GET", "/servers", token=gus_token).json()["pending"] == []

        # The owner sees finn's shares accepted and gus's gone, then takes Movies back.
        owner.get(hub.url + "/account/servers")
        states = outgoing(owner)
        assert [(who, state) for who, state, _ in states] == [("finn", "accepted"), ("finn", "accepted")]
        shot(owner, "42-servers-outgoing-accepted")
        movies = next(li for li in owner.find_elements(By.CSS_SELECTOR, 'li.outgoing-share[data-username="finn"]')
                      if "Movies" in li.text)
        click_and_wait(owner, movies.find_element(By.CSS_SELECTOR, "button"))
        assert "The share was taken back." in owner.page_source
        states = outgoing(owner)
        assert len(states) == 1 and "Music" in states[0][2]
        token = hub.api("POST", f"/servers/{server_id}/token", token=finn_token)
        assert token.status_code == 200
    finally:
        owner.quit()
        finn.quit()
        gus.quit()
