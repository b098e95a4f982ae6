"""Flask-WTF forms: every form carries a CSRF token, every id and number a range, every date a
year the app works with; each text a length, here or in the service that words the message."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation
from wtforms.widgets import HiddenInput

from statuspage.core.dbtypes import LARGEST_INTEGER
from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.core.times import WALL_CLOCK_FORMAT, check_input_year, read_wall_clock
from statuspage.models import (
    ComponentStatus,
    IntegrationKind,
    IntegrationMode,
    Role,
    RosterRole,
    Severity,
)


def record_id(value: object) -> int:
    """Coerce a chosen id (0 standing for none); a number no row can have is not a choice."""
    number = int(value)  # type: ignore[call-overload]
    if not 0 <= number <= LARGEST_INTEGER:
        raise ValueError(f"{number} is not an id")
    return number


class InInputYears:
    """A typed date or time falls in the years the app works with (core.times.INPUT_YEARS)."""

    def __call__(self, form: Form, field: DateField | DateTimeLocalField) -> None:
        if field.data is None:
            return
        try:
            check_input_year(field.data, field=str(field.label.text))
        except ValidationError as error:
            raise StopValidation(str(error)) from error


class LoginForm(FlaskForm):
    # Control characters never get this far (views.inputs answers 400 before any view).
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ComponentChoiceField(SelectMultipleField):
    """Components as checkboxes; the view fills the choices, the service checks them."""

    def __init__(self, label: str, **kwargs: object) -> None:
        super().__init__(label, coerce=record_id, **kwargs)  # type: ignore[arg-type]

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: object) -> None:
        # Unknown ids are the service's to refuse, with a message that names the field.
        pass


def chosen_ids(field: ComponentChoiceField) -> set[int]:
    """The ids ticked in a component field, for drawing the checkboxes again (none if unreadable)."""
    return {value for value in field.data or [] if isinstance(value, int)}


CHAT_CHOICES = [("slack", "Slack"), ("teams", "Microsoft Teams")]


class SubscribeForm(FlaskForm):
    # Lengths and formats are checked by the subscriptions service, which words the messages.
    email = EmailField(_l("Email address"))
    components = ComponentChoiceField("Only these components (none chosen: all)")
    # Set when following one incident from its public page (the view checks it).
    incident = HiddenField()


class ChatSubscribeForm(FlaskForm):
    channel = RadioField(
        _l("Chat"),
        choices=[SelectChoice(value, label) for value, label in CHAT_CHOICES],
        default="slack",
    )
    # Checked by the subscriptions service (hosts, https), which words the messages.
    hook_url = StringField(_l("Incoming webhook URL"))


class PreferencesForm(FlaskForm):
    components = ComponentChoiceField("Only these components (none chosen: all)")


class ConfirmForm(FlaskForm):
    """A button and its CSRF token: confirming needs a click, so link scanners confirm nothing."""


class SubscriberForm(FlaskForm):
    kind = RadioField(
        "Kind",
        choices=[
            SelectChoice("email", "Email address"),
            SelectChoice("webhook", "Webhook URL"),
            *(SelectChoice(value, f"{label} incoming webhook") for value, label in CHAT_CHOICES),
        ],
        default="email",
    )
    audience = SelectField("Audience", coerce=record_id)
    # Lengths and formats are checked by the subscriptions service, which words the messages.
    address = StringField("Email address or URL")
    name = StringField("Name (optional)")
    components = ComponentChoiceField("Only these components (none chosen: all)")


# Console forms. Choices that come from the database are filled in by the view.


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[arg-type]


SEVERITY_CHOICES = options((s.value, f"{s.value}: {s.description}") for s in Severity)
VISIBILITY_CHOICES = options([("public", "Public"), ("internal", "Internal only")])
ROLE_CHOICES = options((r.value, r.value.capitalize()) for r in Role)
LIAISON_CHOICES = options(
    [
        (RosterRole.CUSTOMER_LIAISON.value, "Customer liaison"),
        (RosterRole.INTERNAL_LIAISON.value, "Internal liaison"),
    ]
)


class VersionedForm(FlaskForm):
    """A form about an object someone else may change meanwhile: it carries what it was built from."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    loaded_at = HiddenField()


class DeclareForm(FlaskForm):
    title = StringField(
        "Working title (staff see this)", validators=[DataRequired(), Length(max=200)]
    )
    public_title = StringField(
        "Public title (optional; customers see this)", validators=[Length(max=200)]
    )
    severity = SelectField("Severity", choices=SEVERITY_CHOICES, default="SEV2")


class DetailsForm(VersionedForm):
    title = StringField("Working title", validators=[DataRequired(), Length(max=200)])
    public_title = StringField("Public title", validators=[Length(max=200)])
    severity = SelectField("Severity", choices=SEVERITY_CHOICES, validators=[Optional()])


class StatusForm(VersionedForm):
    status = SelectField("New status", choices=[])


class RosterForm(VersionedForm):
    role = SelectField("Duty", choices=options((r.value, r.label) for r in RosterRole))
    user_id = SelectField("Person", choices=[], coerce=record_id)


class InvitationForm(FlaskForm):
    password = PasswordField("Choose a password", validators=[DataRequired(), Length(max=200)])
    confirmation = PasswordField("The same again", validators=[DataRequired(), Length(max=200)])


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=40)])


class NoteForm(FlaskForm):
    text = TextAreaField("Note", validators=[DataRequired(), Length(max=5000)])


class PostmortemForm(FlaskForm):
    body = TextAreaField("Postmortem (Markdown)", validators=[DataRequired(), Length(max=50_000)])


class DraftForm(VersionedForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Message (Markdown)", validators=[DataRequired(), Length(max=20000)])


class TemplateForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Body", validators=[DataRequired(), Length(max=20000)])


class ComponentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Length(max=2000)])
    group_id = SelectField("Group", choices=[], coerce=record_id)
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES)
    status_by_hand = SelectField(
        "Status",
        choices=options(
            [("", "From its incidents and maintenance (automatic)")]
            + [(s.value, f"{s.label}, set by hand") for s in ComponentStatus]
        ),
        default="",  # automatic
    )
    availability_target = FloatField(
        "Availability target (% of each month)", validators=[Optional()]
    )


class GroupForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Length(max=2000)])
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES)


class AudienceForm(FlaskForm):
    slug = StringField("Short name (fixed once created)", validators=[Length(max=40)])
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("Description", validators=[Length(max=2000)])
    is_public = BooleanField("Public (its updates appear on the public page; fixed once created)")
    liaison_role = SelectField("Written by", choices=LIAISON_CHOICES)
    position = IntegerField("Position", default=10, validators=[NumberRange(min=0, max=1000)])
    maintenance_reminders = StringField(
        "Maintenance reminders (hours before a window starts)",
        default="72,24,1",
        validators=[Length(max=100)],
    )


class NewUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="viewer")


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    is_active = BooleanField("May sign in")


class WallClock:
    """A time typed on the page zone's clock, 24-hour ('2026-12-05 02:00'), read by core.times
    (a time the zone skips or repeats is an error); the instant is left on `field.instant`."""

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        try:
            field.instant = read_wall_clock(  # type: ignore[attr-defined]
                field.data, current_site().zone, field=str(field.label.text).lower()
            )
        except ValidationError as error:
            raise StopValidation(str(error)) from error


def wall_clock_field(label: str) -> StringField:
    """A 24-hour time field on the page zone's clock (not datetime-local, whose clock is the
    browser locale's: 12-hour in some)."""
    return StringField(
        label,
        validators=[DataRequired(), WallClock()],
        render_kw={"placeholder": WALL_CLOCK_FORMAT, "autocomplete": "off", "spellcheck": "false"},
    )


class MaintenanceForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    scheduled_for = wall_clock_field("Starts")
    scheduled_until = wall_clock_field("Ends")
    repeat = SelectField(
        "Repeat",
        choices=[
            SelectChoice("", "Does not repeat"),
            SelectChoice("daily", "Daily"),
            SelectChoice("weekly", "Weekly"),
        ],
        default="",
    )
    occurrences = IntegerField(
        "Occurrences in all",
        default=1,
        validators=[Optional(), NumberRange(min=1, max=52, message="Between 1 and 52.")],
    )


class MaintenanceEditForm(FlaskForm):
    """Editing or moving a window not yet started; a move tells its audiences (with the note)."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    scheduled_for = wall_clock_field("Starts")
    scheduled_until = wall_clock_field("Ends")
    note = TextAreaField("Note to the audiences (optional)", validators=[Length(max=2000)])


class MaintenanceExtendForm(FlaskForm):
    """A later end for a window underway."""

    scheduled_until = wall_clock_field("Ends")
    note = TextAreaField("Note to the audiences (optional)", validators=[Length(max=2000)])


# A sanity bound on a cadence time; the cadence service words the real limits of each one.
MINUTES = NumberRange(min=0, max=366 * 24 * 60, message="A number of minutes, at most a year.")


class PolicyRowForm(Form):
    """One severity's cadence for an audience, in minutes (a plain Form: the page's form has CSRF)."""

    is_owed = BooleanField("Owed updates")
    update_interval = IntegerField("Update every", validators=[Optional(), MINUTES])
    first_update_within = IntegerField("First update within", validators=[Optional(), MINUTES])
    remind_before = IntegerField("Remind before", validators=[Optional(), MINUTES])
    escalate_after = IntegerField("Escalate after", validators=[Optional(), MINUTES])
    requires_review = BooleanField("Second person reviews")
    # Checked by the configuration service, which words the message.
    pagerduty_routing_key = StringField("PagerDuty routing key")


class CadenceForm(FlaskForm):
    """An audience's cadence policy per severity (rows in Severity order) and its late notice."""

    policies = FieldList(
        FormField(PolicyRowForm), min_entries=len(Severity), max_entries=len(Severity)
    )
    late_notice = TextAreaField(
        "Late notice", validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 3}
    )


class PeriodForm(FlaskForm):
    """A period of whole days in the page's zone (a GET form: nothing changes, so no CSRF)."""

    class Meta:
        csrf = False

    start = DateField("From", validators=[Optional(), InInputYears()])
    end = DateField("To (included)", validators=[Optional(), InInputYears()])


class IntegrationForm(FlaskForm):
    kind = SelectField("Sends from", choices=options((k.value, k.label) for k in IntegrationKind))
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    mode = SelectField(
        "What an alert does", choices=options((m.value, m.label) for m in IntegrationMode)
    )
    component_label = StringField(
        "Label naming the component", default="component", validators=[Length(max=120)]
    )
    rules = TextAreaField("Rules, one a line", validators=[Length(max=10_000)])
    impacts = TextAreaField("Severity to status, one a line", validators=[Length(max=2000)])
    holddown_seconds = IntegerField(
        "Hold-down (seconds)", default=120, validators=[NumberRange(min=0, max=86_400)]
    )
    commander_id = SelectField("Commander of drafted incidents", choices=[], coerce=record_id)
    active = BooleanField("Active (its receiver takes alerts)", default=True)


class BrandingForm(FlaskForm):
    # The service words the messages (lengths, colours, links, files); here only the field sizes.
    page_name = StringField("Page name", validators=[Length(max=100)])
    logo = FileField("Logo (PNG or SVG, at most 200 kB)")
    remove_logo = BooleanField("Remove the logo")
    favicon = FileField("Favicon (PNG or SVG, at most 100 kB)")
    remove_favicon = BooleanField("Remove the favicon")
    accent_light = StringField("Accent colour, light scheme", validators=[Length(max=20)])
    accent_dark = StringField("Accent colour, dark scheme", validators=[Length(max=20)])
    home_url = StringField("Your company's home page", validators=[Length(max=500)])
    privacy_url = StringField("Privacy policy link", validators=[Length(max=500)])
    support_url = StringField("Support link", validators=[Length(max=500)])
    powered_by = BooleanField("Show “Powered by statuspage” in the footer")
