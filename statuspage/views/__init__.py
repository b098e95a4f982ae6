"""Blueprints, the edge of the app: a view parses, authorises, calls the services that do the work
(one for most pages), commits once and responds."""
