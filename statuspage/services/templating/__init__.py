"""Message templates and late notices: what admins write, rendered in a confined sandbox.

context: the documented variables as plain data; rendering: sending a source and its context to
the sandbox's processes and reading the text or the refusal back; sandbox: the hardened Jinja that
runs in those processes (it imports nothing of the app). Each module's docstring gives its limits.
"""

from statuspage.services.templating.context import VARIABLES, message_context, sla_variables
from statuspage.services.templating.rendering import (
    RenderedMessage,
    check_late_notice,
    check_template,
    render_deadline,
    render_late_notice,
    render_late_notices,
    render_message,
    template_for,
)

__all__ = [
    "VARIABLES",
    "RenderedMessage",
    "check_late_notice",
    "check_template",
    "message_context",
    "render_deadline",
    "render_late_notice",
    "render_late_notices",
    "render_message",
    "sla_variables",
    "template_for",
]
