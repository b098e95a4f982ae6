"""Blueprints: thin views that parse, authorise, call one service, commit and respond."""
