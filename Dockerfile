# One image for the API and the worker (docker-compose chooses the command).
FROM node:20-bookworm-slim
WORKDIR /app
RUN corepack enable
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY packages/config/package.json packages/config/
COPY packages/contract/package.json packages/contract/
COPY packages/core/package.json packages/core/
COPY packages/jobs/package.json packages/jobs/
COPY packages/store/package.json packages/store/
COPY packages/test-helpers/package.json packages/test-helpers/
COPY packages/webhooks/package.json packages/webhooks/
RUN pnpm install --frozen-lockfile
COPY tsconfig.base.json ./
COPY apps apps
COPY packages packages
# The worker runs as one bundled file (`pnpm build:worker`): without tsx it needs ~55 MiB less memory.
RUN pnpm build:worker
USER node
EXPOSE 3000 9464
