"""Incident response: `lifecycle` (declaring, scheduling, roster, components, status), `edits` (the
console's versioned edits and the scribe's notes), `publishing` (an update from draft through
review to published), `telling` (what an update tells, and the public learning it), `impacts`
(each component's status, derived from the incidents' own impacts), `compose` (one message per
audience, written once), `maintenance` (planning windows and moving them on time), `postmortem`
(the Markdown drafts), `writeup` (the postmortem as written, saved and published)."""
