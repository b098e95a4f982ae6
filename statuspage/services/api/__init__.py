"""The management API's domain side: keys (made, rotated, revoked; a request's key found in the
database on every request)."""
