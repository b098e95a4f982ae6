"""Cadence: the updates each audience is owed. `promises` (made, kept, missed, what surfaces show),
`alerts` (the tick raising reminders, overdue marks, escalations and nudges once each), `notices`
(who hears of an alert and what they read), `figures` (promises kept and missed, and lateness)."""
