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

    Chromium (156) now and then answers a click with "Node with given id does not belong to the document", for an
    element it has just found, and keeps doing so for that document. So the page is marked with a script variable
    (no node ids involved), the click falls back to clicking by selector inside the page, and the next page is the
    one without the mark.
    """
    selector = f'form[action="{form_action}"] button[type=submit]'
    try:
        button = WebDriverWait(driver, 30).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector)))
    except TimeoutException:
        # Say where the browser was instead, so that a failure on a loaded machine can be understood.
        raise AssertionError(
            f"no form posting to {form_action} on {driver.current_url}:\n{driver.page_source[-3000:]}")
    _mark(driver)
    try:
        button.click()
    except (StaleElementReferenceException, WebDriverException) as error:
        if not _is_node_trouble(error):
            raise
        if not _left(driver):
            driver.execute_script("document.querySelector(arguments[0]).click()", selector)
    _wait_for_next_page(driver)


def click_and_wait(driver, element):
    """Clicks and waits for the next page (see `submit` for Chromium's node-id trouble: a click that reports it may
    still have gone through; one that did not is tried once more)."""
    _mark(driver)
    try:
        element.click()
    except (StaleElementReferenceException, WebDriverException) as error:
        if not _is_node_trouble(error):
            raise
        if not _left(driver):
            time.sleep(0.5)
            element.click()
    _wait_for_next_page(driver)


def _is_node_trouble(error):
    return "does not belong to the document" in str(error) or isinstance(error, StaleElementReferenceException)


def _mark(driver):
    driver.execute_script("window.__gatehouseTestPage = true")


def _on_new_page(driver):
    return driver.execute_script(
        "return window.__gatehouseTestPage !== true && document.readyState === 'complete'")


def _left(driver):
    """Whether the browser leaves the marked page (a click that went through). A form post (an Argon2 hash, say)
    can take seconds to answer on a loaded machine, and clicking again meanwhile would send it twice (a second
    factor code used twice, two sign-ins), so the wait is generous; it is only paid when the click was lost."""
    try:
        WebDriverWait(driver, 10, ignored_exceptions=[WebDriverException]).until(_on_new_page)
        return True
    except TimeoutException:
        return False


def _wait_for_next_page(driver):
    WebDriverWait(driver, 20, ignored_exceptions=[WebDriverException]).until(_on_new_page)
