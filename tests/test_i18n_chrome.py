"""Every page without parameters, opened in Dutch and in French by an admin (who sees every
menu): its header, navigation, breadcrumbs and footer hold no English left untranslated."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from cocourse.devtools import translations

from .conftest import admin_client_of

CHROME = {"header", "nav", "footer"}


def english_left(language: str) -> set[str]:
    """The interface's English messages whose translation into `language` differs."""
    found = set()
    for package in translations.packages():
        with translations.catalog_path(package, language).open("rb") as file:
            catalog = read_po(file, locale=language)
        found.update(
            message.id
            for message in catalog
            if isinstance(message.id, str)
            and message.id
            and "%(" not in message.id
            and message.string not in ("", message.id)
        )
    return found


class ChromeText(HTMLParser):
    """The text of the page's header, navigation and footer elements."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in CHROME:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in CHROME:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.texts.append(" ".join(data.split()))


def pages(app) -> list[str]:
    """Every GET page of the app that takes no parameters (not files, feeds or exports)."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        path = str(rule)
        if path.endswith((".csv", ".json", ".ics", ".xml", ".jsonl", ".css", ".js")):
            continue
        found.append(path)
    return sorted(found)


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_no_english_is_left_in_the_chrome_of_any_page(app, session, language):
    left = english_left(language)
    client = admin_client_of(app, session)
    seen = 0
    for path in pages(app):
        response = client.get(path, headers={"Accept-Language": language})
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        seen += 1
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in html, path
        parser = ChromeText()
        parser.feed(html)
        english = [text for text in parser.texts if text in left]
        assert not english, f"{path} in {language}: {english}"
    assert seen >= 20  # the check covered the site, not an empty list


def test_the_check_sees_english_chrome(app, session):
    """The same reading of an English page finds the words a Dutch page must not have."""
    client = admin_client_of(app, session)
    parser = ChromeText()
    parser.feed(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    found = {text for text in parser.texts if text in english_left("nl")}
    assert {"Courses", "Log out", "Language:"} <= found
