# syntax=docker/dockerfile:1
# The bot's image: `docker build -t backfill-bot .`, then run `backfill-bot serve` (the
# default), `backfill-bot worker` or `backfill-bot migrate` with the settings in the
# environment (README: "Containers"). Nothing secret is baked in: tokens, keys and the
# database URL come from the environment at run time.
ARG PYTHON_VERSION=3.12

# --- build: the locked dependencies and the bot's wheel, into one virtualenv -------------
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# the lock first, so this layer is rebuilt only when requirements.txt changes
COPY requirements.txt ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.txt
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY migrations ./migrations
# the wheel is what ships: migrations inside (bot_migrations), no source tree needed
RUN /opt/venv/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-cache-dir --no-deps /wheels/backfill_bot-*.whl

# --- runtime: the virtualenv alone, run as an unprivileged user --------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000 \
    BOT_DATA_DIR=/data
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/bot bot \
    && mkdir /data \
    && chown 10001:10001 /data
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /home/bot
# the default SQLite file would live in /data and be lost with the container: use
# PostgreSQL (DATABASE_URL), or mount a volume at /data for a single-container setup
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
CMD ["backfill-bot", "serve"]
