"""A real browser (Debian's chromium through chromedriver) for page tests."""

import os
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from hubkit import remember_secret

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output", "screenshots")


def make_browser(width=1100, height=1400):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def shot(driver, name):
    os.makedirs(OUTPUT, exist_ok=True)
    # Full-page screenshot: grow the window to the document's height first.
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(height + 120, 4000))
    driver.save_screenshot(os.path.join(OUTPUT, name + ".png"))


def fill(driver, field_id, text):
    if any(word in field_id for word in ("password", "code", "token")):
        remember_secret(text)
    for attempt in range(5):
        try:
            element = driver.find_element(By.ID, field_id)
            element.clear()
            element.send_keys(text)
            return
        except (StaleElementReferenceException, WebDriverException) as error:
            if attempt == 4 or not ("does not belong to the document" in str(error) or
                                    isinstance(error, StaleElementReferenceException)):
                raise
            time.sleep(0.3)


def submit(driver, form_action):
    """Submits a form and waits for the next page to load.

    Chromium now and then answers a click with "Node with given id does not belong to the document" when the
    element was looked up just as the page settled; the click did not happen then, so the lookup is retried.
    """
    selector = f'form[action="{form_action}"] button[type=submit]'
    for attempt in range(5):
        try:
            # Wait for the button to be in the document: a loaded machine once answered the lookup with "no such
            # element" right after the page's fields had been filled in.
            try:
                button = WebDriverWait(driver, 30).until(
                    expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector)))
            except TimeoutException:
                # Say where the browser was instead, so that a failure on a loaded machine can be understood.
                raise AssertionError(
                    f"no form posting to {form_action} on {driver.current_url}:\n{driver.page_source[-3000:]}")
            click_and_wait(driver, button)
            return
        except (StaleElementReferenceException, WebDriverException) as error:
            if attempt == 4 or not ("does not belong to the document" in str(error) or
                                    isinstance(error, StaleElementReferenceException)):
                raise
            time.sleep(0.3)


def click_and_wait(driver, element):
    html = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(html))
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
