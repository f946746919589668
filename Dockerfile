# perfbudget's production image: the web workers by default; the same image runs the one-shot
# migration (`perfbudget db upgrade`) and the event deliverer (`perfbudget events deliver`).
#
#   docker build -t perfbudget .
#   docker build --build-arg BASE_IMAGE=perfbudget-base:bookworm -t perfbudget .  # no pulls
#
# BASE_IMAGE: a Debian bookworm image with Python 3.11 and its venv module: the official
# python image (python3 in /usr/local/bin), or one built locally by scripts/build-base-image
# (Debian's python3 in /usr/bin). Both stages use it, so the virtual environment's interpreter
# link holds. docs/deployment.md ("The image") has the rest.
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- build: the locked dependencies and the project into /opt/venv -------------------------
FROM ${BASE_IMAGE} AS build

# PEM certificates the build must trust besides the base's to reach the package index (a
# TLS-inspecting proxy); used by this stage's downloads only, never copied into the runtime.
ARG EXTRA_CA_CERTS=""
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy
WORKDIR /src

# the installer (uv, pinned and hashed), then the runtime lock: a layer that only the locks
# invalidate
COPY requirements/uv.lock requirements/runtime.lock requirements/
RUN set -eu; \
    if [ -n "$EXTRA_CA_CERTS" ]; then \
        { cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true; \
          printf '%s\n' "$EXTRA_CA_CERTS"; } >/tmp/build-ca.pem; \
        export PIP_CERT=/tmp/build-ca.pem SSL_CERT_FILE=/tmp/build-ca.pem; \
    fi; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/python -m pip install --quiet --require-hashes -r requirements/uv.lock; \
    /opt/venv/bin/uv pip install --python /opt/venv/bin/python --compile-bytecode \
        --require-hashes -r requirements/runtime.lock; \
    rm -f /tmp/build-ca.pem

# the project itself, not editable, with nothing more from the index (--no-deps, the build
# backend from the lock); then the installers and the build backend leave the environment
COPY pyproject.toml README.md ./
COPY src ./src
RUN set -eu; \
    /opt/venv/bin/uv pip install --python /opt/venv/bin/python --compile-bytecode \
        --no-deps --no-build-isolation .; \
    /opt/venv/bin/uv pip uninstall --quiet --python /opt/venv/bin/python uv pip setuptools; \
    /opt/venv/bin/perfbudget --help >/dev/null

# what the code reads at run time besides the package: Alembic's configuration and scripts
COPY alembic.ini /app/alembic.ini
COPY migrations /app/migrations
RUN set -eu; \
    /opt/venv/bin/python -m compileall -q /app/migrations; \
    chown -R root:root /opt/venv /app; \
    chmod -R u+rwX,go+rX,go-w /opt/venv /app

# ---- runtime ---------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PERFBUDGET_ENV=production \
    PERFBUDGET_ALEMBIC_INI=/app/alembic.ini \
    PERFBUDGET_ATTACHMENTS_DIR=/var/lib/perfbudget/attachments \
    PERFBUDGET_PORT=8000 \
    PERFBUDGET_WORKERS=4

# the runtime user owns nothing but the attachments directory
RUN set -eu; \
    groupadd --gid 10001 perfbudget; \
    useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin perfbudget; \
    install -d -o root -g root -m 0755 /var/lib/perfbudget; \
    install -d -o perfbudget -g perfbudget -m 0750 /var/lib/perfbudget/attachments

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

WORKDIR /app
USER 10001:10001
# shared by every host in production (docs/deployment.md); a named volume at the least
VOLUME ["/var/lib/perfbudget/attachments"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % os.environ.get('PERFBUDGET_PORT', '8000'); sys.exit(urllib.request.urlopen(url, timeout=4).status != 200)"]

# Serves only. Migrations run once per deploy, before the new workers start:
#   docker run --rm -e PERFBUDGET_DATABASE_URL=… -e PERFBUDGET_SECRET_KEY=… perfbudget perfbudget db upgrade
# Configure with PERFBUDGET_DATABASE_URL, PERFBUDGET_SECRET_KEY, PERFBUDGET_CORS_ORIGINS, …
CMD ["sh", "-c", "exec perfbudget serve --host 0.0.0.0 --port \"${PERFBUDGET_PORT}\" --workers \"${PERFBUDGET_WORKERS}\""]
