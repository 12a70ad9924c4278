# The tool and its plugins in one image: web processes, the worker and migrations all run it.
#   docker build -t lti-tool .
# See compose.yaml for a whole site, and docs/deploy.md for what each setting means.

FROM python:3.11-slim AS build
# LightFM (the recommender) compiles a C extension.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lti_tool ./lti_tool
COPY lti_tool_standalone ./lti_tool_standalone
COPY plugins ./plugins
RUN pip wheel --wheel-dir /wheels . ./plugins/* \
    && pip wheel --wheel-dir /wheels --no-deps recbole==1.2.1

FROM python:3.11-slim
RUN useradd --system --home-dir /srv/lti-tool --create-home lti-tool
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl gunicorn==23.0.0 && rm -rf /wheels
COPY config /srv/lti-tool/config
WORKDIR /srv/lti-tool
USER lti-tool
ENV LTI_TOOL_MODE=production \
    LTI_TOOL_TRUSTED_PROXIES=1 \
    LTI_TOOL_BIND=0.0.0.0:5000 \
    LTI_TOOL_WORKERS=1
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=2)"
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "lti_tool.wsgi:app"]
