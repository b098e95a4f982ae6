"""Typed SQLAlchemy models, one module per area; importing this package registers them all."""

from statuspage.models.alerts import AlertRecord, Integration
from statuspage.models.audiences import Audience, MessageTemplate
from statuspage.models.branding import SiteSettings
from statuspage.models.cadence import CadenceAlert, CadenceAlertRecipient, CadencePolicy, Promise
from statuspage.models.components import Component, ComponentGroup, ComponentStatusChange
from statuspage.models.enums import (
    CadenceAlertKind,
    ComponentStatus,
    DeliveryKind,
    DeliveryState,
    Impact,
    IncidentKind,
    IncidentStatus,
    IntegrationKind,
    IntegrationMode,
    MilestoneKind,
    NoteType,
    PromiseState,
    Role,
    RosterRole,
    Severity,
    SubscriberKind,
    TimelineKind,
    UpdateState,
    Visibility,
)
from statuspage.models.incidents import (
    Incident,
    IncidentComponent,
    IncidentMilestone,
    MaintenanceReminder,
    Postmortem,
    RosterAssignment,
)
from statuspage.models.people import ApiKey, LoginThrottle, RecoveryCode, User, UserSession
from statuspage.models.publication import Publication
from statuspage.models.records import AuditEntry, NoteAttachment, TimelineEvent
from statuspage.models.subscriptions import Delivery, Fanout, Subscriber, subscriber_component
from statuspage.models.updates import Update

__all__ = [
    "AlertRecord",
    "ApiKey",
    "Audience",
    "AuditEntry",
    "CadenceAlert",
    "CadenceAlertKind",
    "CadenceAlertRecipient",
    "CadencePolicy",
    "Component",
    "ComponentGroup",
    "ComponentStatus",
    "ComponentStatusChange",
    "Delivery",
    "DeliveryKind",
    "DeliveryState",
    "Fanout",
    "Impact",
    "Incident",
    "IncidentComponent",
    "IncidentKind",
    "IncidentMilestone",
    "IncidentStatus",
    "Integration",
    "IntegrationKind",
    "IntegrationMode",
    "LoginThrottle",
    "MaintenanceReminder",
    "MessageTemplate",
    "MilestoneKind",
    "NoteAttachment",
    "NoteType",
    "Postmortem",
    "Promise",
    "PromiseState",
    "Publication",
    "RecoveryCode",
    "Role",
    "RosterAssignment",
    "RosterRole",
    "Severity",
    "SiteSettings",
    "Subscriber",
    "SubscriberKind",
    "TimelineEvent",
    "TimelineKind",
    "Update",
    "UpdateState",
    "User",
    "UserSession",
    "Visibility",
    "subscriber_component",
]
