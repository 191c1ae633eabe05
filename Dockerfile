# syntax=docker/dockerfile:1
# One image for the API server, the workers and one-shot commands (`db upgrade`, `backup`):
#   docker build -t sideline .                      # API + CPU workers
#   docker build --build-arg EXTRAS=otel -t sideline .   # with OpenTelemetry tracing
# See docs/deploy.md.

# --- 1. The web app (React + Vite) -> src/sideline/api/static ---------------------------------
FROM node:20-bookworm-slim AS web
WORKDIR /build/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
# vite's outDir is ../src/sideline/api/static, i.e. /build/src/sideline/api/static here.
RUN npm run build

# --- 2. The Python package, installed into a virtual environment -----------------------------
FROM python:3.11-slim AS build
ARG EXTRAS=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
RUN python -m venv /opt/sideline
COPY pyproject.toml README.md requirements-nodeps.txt ./
COPY src/ src/
COPY --from=web /build/src/sideline/api/static/ src/sideline/api/static/
# Not editable: the image carries a plain wheel install, package data (migrations, web app) included.
RUN /opt/sideline/bin/pip install --upgrade pip \
 && /opt/sideline/bin/pip install ".${EXTRAS:+[$EXTRAS]}" \
 && /opt/sideline/bin/pip install --no-deps -r requirements-nodeps.txt

# --- 3. Runtime --------------------------------------------------------------------------------
FROM python:3.11-slim
# Extra Debian packages for heavier workers, e.g. --build-arg APT_PACKAGES="ffmpeg" for video queues.
ARG APT_PACKAGES="fonts-dejavu-core"  # DejaVu: accented names in rendered clips
RUN if [ -n "$APT_PACKAGES" ]; then \
      apt-get update && apt-get install -y --no-install-recommends $APT_PACKAGES && rm -rf /var/lib/apt/lists/*; \
    fi \
 && groupadd --system --gid 10001 sideline \
 && useradd --system --uid 10001 --gid sideline --home-dir /var/lib/sideline --create-home sideline
COPY --from=build /opt/sideline /opt/sideline
ENV PATH=/opt/sideline/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SIDELINE_HOME=/var/lib/sideline \
    NUMBA_CACHE_DIR=/var/lib/sideline/numba-cache \
    SIDELINE_HOST=0.0.0.0 \
    SIDELINE_PORT=8000 \
    SIDELINE_LOG_JSON=true
USER sideline
WORKDIR /var/lib/sideline
VOLUME ["/var/lib/sideline"]
EXPOSE 8000
# Liveness only (/healthz needs no database); orchestrators should gate traffic on /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('SIDELINE_PORT', '8000')}/healthz\", timeout=4)"]
ENTRYPOINT ["sideline"]
CMD ["serve"]
