#!/bin/sh
# web (default): apply migrations and defaults, then serve (granian, `flask serve`).
# scheduler: run the one scheduler process. Anything else runs as given (e.g. flask commands).
set -eu
flask="flask --app statuspage"
case "${1:-web}" in
  web)
    $flask db upgrade
    $flask setup
    exec $flask serve
    ;;
  scheduler)
    exec $flask scheduler
    ;;
  *)
    exec "$@"
    ;;
esac
