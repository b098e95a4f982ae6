"""Domain services: plain functions per area that take explicit inputs and raise domain errors.

Services add and flush; the caller (a view, job or command) owns the transaction and commits once.
The areas are subpackages (public, incidents, cadence, outbox, templating); the modules beside
them are the smaller areas: accounts, components, configuration, dashboards, defaults, records,
signin, subscriptions, validation.
"""
