# Beatwatch daemon image. Swap the base with --build-arg PYTHON_IMAGE=... (it must provide python3 with venv).
ARG PYTHON_IMAGE=python:3.12-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    MONITOR_CONFIG_DIR=/app/config \
    MONITOR_DATA_DIR=/data

RUN python3 -m venv $VIRTUAL_ENV \
 && groupadd --system beatwatch \
 && useradd --system --gid beatwatch --home-dir /app --shell /usr/sbin/nologin beatwatch

WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
RUN pip install --no-cache-dir . && rm -rf build *.egg-info
COPY config ./config

RUN mkdir -p /data && chown beatwatch:beatwatch /data
VOLUME ["/data"]
USER beatwatch

# The daemon handles SIGTERM itself as PID 1: the job in flight finishes its item and the process exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["monitor"]
CMD ["run"]
