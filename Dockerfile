# syntax=docker/dockerfile:1
# The istio-operator image: the CLI, whose default command `run` is the operator.
# Build: docker build -t istio-operator:dev .

ARG NODE_IMAGE=node:24-bookworm-slim
# The build stage takes the Go toolchain from here: the build extracts Istio's
# CRDs from the Go module istio.io/api (`go mod download`, no compilation).
ARG GO_IMAGE=golang:1.24-bookworm

FROM ${GO_IMAGE} AS go

# --- build: install everything, compile TypeScript, then drop dev dependencies
FROM ${NODE_IMAGE} AS build
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
# The pin of istio.io/api (go.mod, go.sum), from which the build takes Istio's CRDs.
COPY tools/istio-api ./tools/istio-api
COPY src ./src
# scripts/build.ts: Istio's CRDs, tsc, then the offline-command bundle and its V8 code cache.
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --ignore-scripts

# --- runtime: production dependencies and compiled code only
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY crds ./crds
COPY manifests ./manifests
# A numeric non-root user, so runAsNonRoot can verify it without /etc/passwd.
# Nothing is written at run time: logs go to stderr, state lives in the API
# server, so the container runs with a read-only root filesystem.
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/istio-operator.js"]
CMD ["run"]
