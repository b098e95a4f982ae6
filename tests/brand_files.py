"""Logos as admins upload them (a PNG is tests.factories.make_png): a plain SVG, and SVGs that
try to script."""

from __future__ import annotations

from statuspage.services.branding.settings import BrandingChoice

SVG_LOGO = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 32" width="120" height="32">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#0b57d0"/>'
    b'<stop offset="1" stop-color="#116329"/></linearGradient></defs>'
    b'<rect width="32" height="32" rx="6" fill="url(#g)"/>'
    b'<text x="40" y="22" font-family="sans-serif" font-size="16">Acme</text></svg>'
)
SCRIPTING_SVGS = {
    "script element": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "event handler": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "javascript link": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<a xlink:href="javascript:alert(1)"><rect width="9" height="9"/></a></svg>'
    ),
    "foreign object": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe src="https://x.test"/>'
        b"</foreignObject></svg>"
    ),
    "entity": (
        b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    ),
    "outside stylesheet": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://x.test/a.css);'
        b"</style></svg>"
    ),
}

# A page branded with everything an admin can set.
BRAND = BrandingChoice(
    page_name="Acme Cloud status",
    accent_light="#0a5c36",
    accent_dark="#8ddb8c",
    home_url="https://acme.example",
    privacy_url="https://acme.example/privacy",
    support_url="https://help.acme.example/",
    logo=SVG_LOGO,
)
