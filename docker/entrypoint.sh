#!/bin/sh
# web (default): apply migrations and defaults, then serve with gunicorn.
# scheduler: run the one scheduler process. Anything else runs as given (e.g. flask commands).
set -eu
flask="flask --app statuspage"
case "${1:-web}" in
  web)
    $flask db upgrade
    $flask setup
    exec gunicorn --config gunicorn.conf.py "statuspage:create_app()"
    ;;
  scheduler)
    exec $flask scheduler
    ;;
  *)
    exec "$@"
    ;;
esac
