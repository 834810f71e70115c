# bumper: `bumper serve` in a small image. Build: docker build -t bumper .
# Run: docker run -e GITHUB_TOKEN -v ./config/bumper.yaml:/etc/bumper/bumper.yaml:ro \
#        -v bumper-state:/var/lib/bumper -p 8080:8080 bumper
# The HEALTHCHECK asks /healthz on port 8080: keep --port 8080 inside the container.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bumper ./bumper
# Wheels for bumper and every dependency, so the final stage needs no compiler or cache.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# git: `bumper sandbox` serves repositories through git http-backend, and checkouts use it.
# Not pinned to a version: Debian's security updates should land on every rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
# Only the wheels built above (--no-index), whose versions pyproject.toml already bounds.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels bumper-pins \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/bumper --create-home \
       --shell /usr/sbin/nologin bumper \
    && mkdir -p /etc/bumper
USER 10001:10001
WORKDIR /var/lib/bumper
# The state is a cache (GitHub is the source of truth); a volume keeps the status page's history.
VOLUME ["/var/lib/bumper"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["bumper"]
CMD ["serve", "--config", "/etc/bumper/bumper.yaml", "--state", "/var/lib/bumper/state.sqlite", "--port", "8080"]
