FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PERFBUDGET_ENV=production \
    PERFBUDGET_WORKERS=4 \
    PERFBUDGET_ALEMBIC_INI=/app/alembic.ini

RUN useradd --create-home --uid 10001 perfbudget
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
COPY openapi ./openapi
RUN pip install --no-cache-dir . && chown -R perfbudget /app

USER perfbudget
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

# Configure with PERFBUDGET_DATABASE_URL, PERFBUDGET_SECRET_KEY, PERFBUDGET_CORS_ORIGINS …
CMD ["sh", "-c", "perfbudget db upgrade && exec perfbudget serve --host 0.0.0.0 --port 8000 --workers ${PERFBUDGET_WORKERS}"]
