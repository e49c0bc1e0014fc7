# The bot in a container: `docker compose up -d` builds and starts it beside PostgreSQL (compose.yaml).
# Both stages use the same Python, so the environment built in the first runs unchanged in the second.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/outreach-bot
WORKDIR /src
# What building the package reads (pyproject.toml: its packages, package-data and data-files); the
# tests, benchmarks and held-out sets stay out of the image (.dockerignore).
COPY pyproject.toml README.md ./
COPY bot bot
COPY nlu nlu
COPY handover handover
COPY faq faq
COPY locales locales
# Not editable: the package, the FAQ and the bot's sentences (share/outreach-bot) go into the environment.
RUN /opt/outreach-bot/bin/pip install '.[postgres]'

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/outreach-bot /opt/outreach-bot
# A user without a login and without root; /data is its home and the one place it writes (a volume in compose.yaml).
RUN groupadd --system --gid 10001 outreach \
    && useradd --system --uid 10001 --gid outreach --home-dir /data --no-create-home --shell /usr/sbin/nologin outreach \
    && mkdir /data && chown outreach:outreach /data && chmod 0700 /data
ENV PATH=/opt/outreach-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    HEALTH_CHECK=true \
    DATABASE_URL=sqlite:////data/outreach-bot.sqlite3 \
    SENT_JOURNAL=/data/outreach-bot-sent
WORKDIR /data
USER 10001:10001
EXPOSE 8080
# GET /healthz answers 200 while the bot runs (bot/web.py); no curl in a slim image, so Python's own urllib,
# straight to the port (never through an HTTP_PROXY the operator may set): a refused connection or a 503
# ends in an exception, and so in exit status 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.build_opener(r.ProxyHandler({})).open('http://127.0.0.1:%s/healthz' % os.environ.get('HTTP_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["outreach-bot"]
CMD ["run"]
