"""The language of the public site: one per page (STATUSPAGE_LANGUAGE), English for the console.

Public pages are cached and exported as the same bytes for every reader, like the page's zone, so
the language is a setting, never negotiated per reader. The console, the JSON APIs and messages
to staff stay English; subscriber emails are rendered in the page's language (page_language()).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, force_locale, get_locale

from statuspage.core.config import ConfigurationError

# The blueprints whose pages the public reads; an address no route matched is public too, unless
# it is under the console's or an API's prefix.
PUBLIC_BLUEPRINTS = frozenset({"public", "subscriptions"})
NOT_PUBLIC_PREFIXES = ("/admin", "/internal", "/login", "/logout", "/api/", "/hooks/", "/auth")
SOURCE_LANGUAGE = "en"
P = ParamSpec("P")
R = TypeVar("R")


def init_app(app: Flask, translations: Path) -> None:
    """Bind Flask-Babel with the page's language, refusing one the app has no catalog for."""
    language = str(app.config["LANGUAGE"])
    try:
        Locale.parse(language)
    except (UnknownLocaleError, ValueError) as error:
        raise ConfigurationError(f"STATUSPAGE_LANGUAGE {language!r} is not a language") from error
    if language != SOURCE_LANGUAGE and not (translations / language).is_dir():
        known = sorted(p.name for p in translations.iterdir() if p.is_dir())
        raise ConfigurationError(
            f"STATUSPAGE_LANGUAGE {language!r} has no translation: choose one of "
            f"{', '.join([SOURCE_LANGUAGE, *known])}"
        )
    compile_catalogs(translations)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    app.config["BABEL_DEFAULT_LOCALE"] = SOURCE_LANGUAGE
    Babel(app, locale_selector=_select_locale)
    app.jinja_env.globals["current_language"] = current_language


def _select_locale() -> str:
    if has_request_context() and _is_public_request():
        return str(current_app.config["LANGUAGE"])
    return SOURCE_LANGUAGE


def _is_public_request() -> bool:
    if request.blueprint is None:
        return not request.path.startswith(NOT_PUBLIC_PREFIXES)
    return request.blueprint in PUBLIC_BLUEPRINTS


def compile_catalogs(translations: Path) -> None:
    """Compile each translation (.po) whose .mo is missing or older: the .mo files are built, not
    kept in git, and `make`, the Dockerfile and the first app start of a checkout all build them."""
    for source in translations.glob("*/LC_MESSAGES/*.po"):
        compiled = source.with_suffix(".mo")
        if compiled.is_file() and compiled.stat().st_mtime >= source.stat().st_mtime:
            continue
        with source.open("rb") as po:
            catalog = read_po(po, locale=source.parents[1].name)
        # Written aside and moved into place: test workers may start apps at the same moment.
        partial = compiled.with_name(f"{compiled.name}.{os.getpid()}.tmp")
        with partial.open("wb") as mo:
            write_mo(mo, catalog)
        partial.replace(compiled)


@contextmanager
def page_language() -> Iterator[None]:
    """Write in the page's language whatever the request or job (subscriber emails)."""
    with force_locale(str(current_app.config["LANGUAGE"])):
        yield


def in_page_language(function: Callable[P, R]) -> Callable[P, R]:
    """The function, writing in the page's language whatever the request or job."""

    @functools.wraps(function)
    def in_language(*args: P.args, **kwargs: P.kwargs) -> R:
        with page_language():
            return function(*args, **kwargs)

    return in_language


def current_language() -> str:
    """The language being written, as `<html lang>` names it: 'en', 'de'."""
    return str(get_locale() or SOURCE_LANGUAGE).replace("_", "-")


def N_(message: str) -> str:
    """Mark a message for the catalog where it is defined (N_ is the name pybabel extracts by
    default); gettext() translates it where it is shown."""
    return message
