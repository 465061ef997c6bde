"""The learning plugin's Markdown: a table scrolls inside a region the keyboard can reach."""

from __future__ import annotations

from cocourse.content.markdown import make_markdown
from cocourse.learning.plugin import configure_markdown

REGION = '<div class="table-scroll" role="region" tabindex="0" aria-label="'


def test_a_table_scrolls_in_a_focusable_region_named_by_its_columns():
    md = make_markdown([configure_markdown])
    html = md.render("| Step | Who **decides** | `a<b>` |\n|---|---|---|\n| 1 | 2 | 3 |\n")
    assert html.startswith(REGION + 'Table: Step, Who decides, a&lt;b&gt;">\n<table>\n')
    assert html.endswith("</table>\n</div>\n")


def test_a_table_without_column_names_is_named_table():
    md = make_markdown([configure_markdown])
    assert md.render("| |\n|---|\n| 1 |\n").startswith(REGION + 'Table">\n')


def test_lesson_pages_show_their_tables_in_the_region(client, auth):
    auth.create()
    auth.login()
    page = client.get("/modules/intro/first").get_data(as_text=True)
    assert REGION + "Table: " in page and "<table>" in page
