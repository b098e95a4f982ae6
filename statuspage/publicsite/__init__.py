"""The public site as one thing: how each surface renders, the response cache, the exported files
and links between them, and the static export (and the snapshot folder kept from it).

The public and api blueprints serve these surfaces through the cache; `flask export` and snapshot
mode write the same surfaces to files.
"""
