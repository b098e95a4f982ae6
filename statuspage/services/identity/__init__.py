"""Who someone is: the second factor after the password (and, to come, single sign-on and
invitations)."""
