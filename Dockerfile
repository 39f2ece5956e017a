# syntax=docker/dockerfile:1
# The istio-operator image: the CLI, whose default command `run` is the operator.
#
# With Docker:      docker build -t istio-operator:dev .
# Without Docker:   npm run image -- --output istio-operator.tar
#   (scripts/image.ts assembles both bases from Debian packages and the npm
#   registry, then runs `podman build` on this same file with
#   --build-arg NODE_IMAGE=… --build-arg RUNTIME_IMAGE=… pointing at them.)

# The build stage: Node.js with npm and a shell, at /usr/local/bin/node.
ARG NODE_IMAGE=node:24-bookworm-slim
# The runtime stage: glibc and libstdc++ for the Node.js binary, a `nonroot`
# user 65532, no shell, no package manager.
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

# --- build: install everything, compile TypeScript, then drop dev dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# The pin of istio.io/api (go.mod, go.sum). Istio's CRDs come with src/ as
# src/render/generated/istio-crds.ts, extracted by the host's `npm ci` (which
# needs Go); the build below finds it current for this pin and needs no Go.
COPY tools/istio-api ./tools/istio-api
COPY src ./src
# scripts/build.ts: Istio's CRDs, tsc, then the offline-command bundle and its V8 code cache.
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: the Node.js binary, production dependencies and compiled code only
FROM ${RUNTIME_IMAGE} AS runtime
# The very binary that built dist/: the offline bundle's V8 code cache
# (dist/offline-cli-<node version>.v8cache) is only accepted by it.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
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
# server, so the container runs with a read-only root filesystem. Nothing
# runs a shell either: exec-form entrypoint, no RUN in this stage.
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/istio-operator.js"]
CMD ["run"]
