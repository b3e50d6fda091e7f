"""Template filters are registered once, at start-up, and two domains cannot claim one name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tandem.app import create_app
from tandem.assessments.views.labels import FILTERS as NEED_FILTERS
from tandem.config import Settings
from tandem.web.pages import FILTERS as PAGE_FILTERS
from tandem.web.templating import register_filters, templates


@pytest.fixture
def scratch_name() -> Iterator[str]:
    yield "test_only_filter"
    templates.env.filters.pop("test_only_filter", None)


def test_registering_the_same_filter_again_is_harmless(scratch_name: str) -> None:
    def shout(value: object) -> str:
        return str(value).upper()

    register_filters({scratch_name: shout})
    register_filters({scratch_name: shout})
    assert templates.env.filters[scratch_name] is shout


def test_two_filters_with_one_name_are_refused(scratch_name: str) -> None:
    register_filters({scratch_name: lambda value: "one"})
    with pytest.raises(ValueError, match="test_only_filter"):
        register_filters({scratch_name: lambda value: "two"})


def test_the_app_gives_the_templates_every_domains_filters() -> None:
    create_app(Settings(environment="test", secret_key="x" * 32), check_migrations=False)
    for name, function in {**PAGE_FILTERS, **NEED_FILTERS}.items():
        assert templates.env.filters[name] is function, name
