"""Links follow renumbered lesson files (content/relinking.py)."""

from __future__ import annotations

from cocourse.content.relinking import relinked

RENAMES = {"m/02-b.md": "m/01-b.md", "m/01-a.md": "m/02-a.md"}


def test_inline_and_reference_links_follow_the_file_with_their_anchor_and_title():
    text = (
        'See [b](02-b.md), [b\'s part](02-b.md#part "Part") and [a][ref].\n\n[ref]: 01-a.md#top\n'
    )
    assert relinked(text, "m/03-c.md", RENAMES) == (
        'See [b](01-b.md), [b\'s part](01-b.md#part "Part") and [a][ref].\n\n[ref]: 02-a.md#top\n'
    )


def test_links_from_another_folder_keep_their_way_there():
    text = "[b](../m/02-b.md) [module](../m/module.md)\n"
    assert (
        relinked(text, "other/01-x.md", RENAMES) == "[b](../m/01-b.md) [module](../m/module.md)\n"
    )


def test_what_is_not_a_link_to_a_renamed_file_stays_as_it_is():
    text = (
        "[site](https://example.org/02-b.md) [top](/m/02-b.md) [here](#02-b) "
        "[mail](mailto:a@example.org) [other](02-b.md.bak) [gone](03-z.md)\n"
        "```markdown\n[b](02-b.md)\n```\n"
        "~~~~\n[b](02-b.md)\n~~~\n[b](02-b.md)\n~~~~\n"
    )
    assert relinked(text, "m/03-c.md", RENAMES) == text
