# statuspage: one image for the web processes (default) and the scheduler (`scheduler` command).
# Build: docker build -t statuspage .   Run: see README "Deploying".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 statuspage \
    && useradd --system --uid 10001 --gid statuspage --home-dir /app --shell /usr/sbin/nologin statuspage

WORKDIR /app
COPY pyproject.toml README.md ./
COPY statuspage ./statuspage
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY translations ./translations
COPY docker/entrypoint.sh /usr/local/bin/statuspage-entrypoint

# Editable install: the package finds templates/, static/ and migrations/ beside it in /app.
# The translation catalogs are compiled here: the app compiles a missing one at start, but the
# image's /app is not the app user's to write.
RUN pip install --no-cache-dir -e . \
    && pybabel -q compile -d translations \
    && mkdir -p /app/instance \
    && chown 10001:10001 /app/instance

USER 10001:10001
ENV STATUSPAGE_ENV=production \
    STATUSPAGE_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/statuspage-metrics
# The SQLite database lives here when STATUSPAGE_DATABASE_URL is not set.
VOLUME ["/app/instance"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["statuspage-entrypoint"]
CMD ["web"]
