"""Flask-WTF forms: every form carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ComponentChoiceField(SelectMultipleField):
    """Components as checkboxes; the view fills the choices, the service checks them."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: object) -> None:
        # Unknown ids are the service's to refuse, with a message that names the field.
        pass


class SubscribeForm(FlaskForm):
    # Lengths and formats are checked by the subscriptions service, which words the messages.
    email = EmailField("Email address")
    components = ComponentChoiceField("Only these components (none chosen: all)", coerce=int)


class PreferencesForm(FlaskForm):
    components = ComponentChoiceField("Only these components (none chosen: all)", coerce=int)


class ConfirmForm(FlaskForm):
    """A button and its CSRF token: confirming needs a click, so link scanners confirm nothing."""


class SubscriberForm(FlaskForm):
    kind = RadioField(
        "Kind",
        choices=[SelectChoice("email", "Email address"), SelectChoice("webhook", "Webhook URL")],
        default="email",
    )
    audience = SelectField("Audience", coerce=int)
    address = StringField("Email address or URL")
    name = StringField("Name (optional)")
    components = ComponentChoiceField("Only these components (none chosen: all)", coerce=int)
