# apply-image-policies as a KRM function image (kpt `--image`, kustomize `container:`).
#
# Public build:   docker build -t apply-image-policies .
# Offline build on machines that cannot pull node:20 (see scripts/container/build-image.sh):
#   podman build --network host --build-arg BASE_IMAGE=localhost/node-base:20 \
#     -t localhost/apply-image-policies:dev .
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
# The lockfile alone decides this layer, so a source edit rebuilds in about a second.
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied yet.
RUN npm ci --no-audit --no-fund --ignore-scripts
# .dockerignore is an allow-list: this brings src/, the tsconfigs and fn-config/schema (if any).
COPY . ./
# fn-config/schema may be absent and COPY of a missing path fails, hence the mkdir. kpt and
# kustomize run the function as `--user nobody`, so everything is made world-readable whatever
# umask the checkout was made with.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p fn-config/schema \
 && chmod -R a+rX,go-w dist node_modules package.json fn-config

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/fn-config/schema ./fn-config/schema
# Numeric, so Kubernetes' runAsNonRoot can check it; 1000 is `node` in both base images. The
# files above stay root-owned: the function cannot modify itself.
USER 1000:1000
ENTRYPOINT ["node", "/app/dist/main.js"]
