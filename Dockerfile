# fleetmeter gateway image. `docker compose up` runs it against a ClickHouse server.
# `docker run IMAGE serve|migrate|simulate|apikey … [--help]`: the entry point is the fleetmeter command.
# Node 22 LTS: the lowest the dependencies accept (package.json engines); .ci/run runs the suite
# on this major too (it reads it from the line below).
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The embedded store (chDB, when no CLICKHOUSE_URL is given) writes here, as the unprivileged user.
RUN mkdir -p /app/data && chown node:node /app/data
ENV FLEETMETER_DATA_DIR=/app/data
VOLUME /app/data
# Healthy when the admin port's /ready answers 200 (storage reachable, listeners up). It listens
# inside the container, so the check reaches it on loopback whatever it is bound to.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FLEETMETER_ADMIN_PORT || 9464) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `serve`, `migrate` and `simulate` load; test/dockerfile.test.ts runs them from a copy of
# exactly these COPY lines, so a directory missing here fails the suite, not the deployment.
COPY bin ./bin
COPY app ./app
COPY billing ./billing
COPY bench ./bench
COPY cli ./cli
COPY protocols ./protocols
COPY ingest ./ingest
COPY store ./store
COPY rating ./rating
COPY api ./api
# The admin port (metrics, health, commands to devices) on loopback; see docs/configuration.md, Admin port.
ENV FLEETMETER_HOST=0.0.0.0 FLEETMETER_ADMIN_HOST=127.0.0.1
EXPOSE 5027/tcp 5027/udp 20332/tcp 20332/udp 1883/tcp 8080/tcp 9464/tcp
USER node
ENTRYPOINT ["node", "bin/fleetmeter.js"]
CMD ["serve"]
