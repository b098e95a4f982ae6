"""The outbox: every message owed to someone, written as a row when its cause commits and sent later.

`enqueue` writes the rows (publishing, component changes, subscriptions, cadence reminders);
`worker` claims and records them, `sending` sends a claimed batch over `mailer` (SMTP) and
`webhooks` (signed HTTP POSTs) as `messages` builds them, with `settings` from the configuration;
`status` is what the console shows of it.
"""
