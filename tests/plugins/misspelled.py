"""A plugin with a typo in a hook name: loading it must fail loudly."""

from cocourse.hookspecs import hookimpl


@hookimpl
def lesson_complete(user_id, module_slug, lesson_slug):  # missing "d"
    pass
