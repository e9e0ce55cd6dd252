# syntax=docker/dockerfile:1
# cliproxy-ts container image.
#   docker build -t cliproxy-ts .
#   docker run -p 127.0.0.1:8317:8317 -v "$PWD/config:/config" -v cliproxy-auths:/auths -v cliproxy-data:/data cliproxy-ts
#
# Where things live in the container (see README "Deploy with Docker"):
#   /config/config.yaml   the config (--config); mount the folder so the management
#                         API can write it back (the write is a rename in that folder)
#   /auths                OAuth token files (auth-dir: /auths; ~/.cli-proxy-api points here too)
#   /data                 WRITABLE_PATH: logs/ (logging-to-file, request-log), usage
#                         statistics, the store mirror (PGSTORE_LOCAL_PATH=/data)
#
# Base: Debian 12 (bookworm) has glibc 2.36; the uWebSockets.js 20.56 binary
# wants 2.38 for three C23 libc symbols. lib/server/glibc-compat.ts writes a
# patched copy of the binary that loads on 2.36; this image makes that copy at
# build time (as root, into node_modules/.cache/cliproxy-ts) so the non-root
# runtime user never needs to write under node_modules, and the build fails
# if the native server does not load. The patch rebinds to the architecture's
# base libc version (x86-64 and aarch64 alike; only x86-64 was run here), so
# the check insists on the 20.56 build on x64 only: elsewhere the 20.30 native
# build is accepted (the gateway warns at start).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency (TypeScript), compile to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
COPY pipelines ./pipelines
COPY workers ./workers
RUN npm run build

# ---- deps: production dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# uWebSockets.js ships binaries for every platform and Node version (about 110 MB
# per package): keep only this platform's.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && keep="uws_linux_$(node -p process.arch)_$(node -p process.versions.modules).node" \
 && find node_modules/@btc-vision/uwebsockets.js node_modules/uWebSockets.js -name 'uws_*.node' ! -name "$keep" -delete

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    WRITABLE_PATH=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The control panel's page and scripts are not TypeScript: tsc leaves them out of dist/.
COPY lib/management/panel ./dist/lib/management/panel
COPY package.json config.example.yaml ./
# Load the server once: on glibc < 2.38 this writes the patched binary next to
# the packages; refuse to build an image that would run on the slow fallback.
RUN node --input-type=module -e "const m = await import('/app/dist/lib/server/uws.js'); console.log('uWebSockets.js:', m.uwsBuild, m.uwsProblem ?? ''); if (m.uwsBuild === 'js-fallback' || (process.arch === 'x64' && m.uwsBuild !== 'native')) process.exit(1);" \
 && mkdir -p /config /auths /data \
 && chown node:node /config /auths /data \
 && ln -s /auths /home/node/.cli-proxy-api
USER node
VOLUME ["/config", "/auths", "/data"]
# 8317: the API. 8085 (Gemini CLI), 1455 (Codex), 54545 (Claude), 11451 (iFlow):
# OAuth callback ports of the login flows (see README about logins in a container).
EXPOSE 8317 8085 1455 54545 11451
# /readyz: config loaded, listening, not draining, store and Redis reachable when configured.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL || 'http://127.0.0.1:8317/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains (shutdown-timeout-seconds, default 30): give `docker stop -t` / stop_grace_period more than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/lib/cli.js"]
CMD ["--config", "/config/config.yaml"]
