"""The page's identity (name, public URL, time zone) as one value passed to services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app, g, has_request_context


@dataclass(frozen=True)
class Site:
    name: str
    url: str  # public base URL, no trailing slash
    zone: str  # IANA time zone the page shows times in

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Site:
        return cls(name=config["PAGE_NAME"], url=config["BASE_URL"], zone=config["TIMEZONE"])


# app.extensions key of a function giving the page name admins chose (services.branding), which
# create_app registers: core may not import services, yet every surface wants the chosen name.
PAGE_NAME_SOURCE = "statuspage.page_name"


def current_site() -> Site:
    """The running app's site, for requests, jobs and commands to hand to services.

    A request reads the chosen name once: its documents ask for the site per line (each time in
    the page's zone), and a site whose admins never chose a name has no row to keep in the
    session's identity map, so each asking would be a query."""
    if not has_request_context():
        return as_named(Site.from_config(current_app.config))
    if "statuspage_site" not in g:
        g.statuspage_site = as_named(Site.from_config(current_app.config))
    return g.statuspage_site


def forget_current_site() -> None:
    """After the chosen name changes: the rest of the request reads it again."""
    if has_request_context():
        g.pop("statuspage_site", None)


def as_named(site: Site) -> Site:
    """The site named as an admin chose in the console's branding, if they did."""
    source = current_app.extensions.get(PAGE_NAME_SOURCE)
    chosen = source() if source is not None else None
    return replace(site, name=chosen) if chosen else site
