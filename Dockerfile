# Beatwatch daemon image: `make image` builds it, `make image-test` proves it (see "Running in a container").
#
# Build arguments (none of them is kept in the final image: they live in the build stage only):
#   PYTHON_IMAGE         the base image; it must provide python3 (3.11, as requirements.lock is made for it) with venv
#   PIP_INDEX_URL        a package index to install from instead of PyPI (a mirror or proxy)
#   PIP_EXTRA_INDEX_URL  another index to look in as well
#   PIP_TRUSTED_HOST     an index host reached over plain http or with a certificate pip cannot check
# and a build secret (a bundle is too big for an argument, and a secret is never written to a layer):
#   --secret id=index_ca,src=FILE   a PEM file of the CA certificates that the index's certificate is signed by
# `make image` passes these from variables of the same names, and CA_BUNDLE=FILE for the secret.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_TRUSTED_HOST=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY monitor ./monitor
# Every version comes from requirements.lock, so the image has what a venv made on the same commit has. The pip of an
# older base may not read some packages' metadata: a current one installs, then leaves with setuptools.
RUN --mount=type=secret,id=index_ca set -eu; \
    if [ -s /run/secrets/index_ca ]; then export PIP_CERT=/run/secrets/index_ca; fi; \
    [ -n "$PIP_INDEX_URL" ] || unset PIP_INDEX_URL; \
    [ -n "$PIP_EXTRA_INDEX_URL" ] || unset PIP_EXTRA_INDEX_URL; \
    [ -n "$PIP_TRUSTED_HOST" ] || unset PIP_TRUSTED_HOST; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/pip install --upgrade pip; \
    /opt/venv/bin/pip install --constraint requirements.lock '.[postgres]'; \
    /opt/venv/bin/pip uninstall --yes setuptools pip

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    MONITOR_CONFIG_DIR=/app/config \
    MONITOR_DATA_DIR=/data \
    MONITOR_HTTP_LISTEN=0.0.0.0:9464
RUN groupadd --system --gid 999 beatwatch \
 && useradd --system --uid 999 --gid beatwatch --home-dir /app --shell /usr/sbin/nologin beatwatch \
 && mkdir -p /data && chown beatwatch:beatwatch /data
COPY --from=build /opt/venv /opt/venv
COPY config /app/config
WORKDIR /app
VOLUME ["/data"]
USER beatwatch
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["monitor", "health"]
# The daemon handles SIGTERM itself as PID 1: the job in flight finishes its item and the process exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["monitor"]
CMD ["run"]
