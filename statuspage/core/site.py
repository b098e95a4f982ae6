"""The page's identity (name, public URL, time zone) as one value passed to services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app


@dataclass(frozen=True)
class Site:
    name: str
    url: str  # public base URL, no trailing slash
    zone: str  # IANA time zone the page shows times in

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Site:
        return cls(name=config["PAGE_NAME"], url=config["BASE_URL"], zone=config["TIMEZONE"])


def current_site() -> Site:
    """The running app's site, for requests, jobs and commands to hand to services."""
    return Site.from_config(current_app.config)
