# fleetmeter gateway image. `docker compose up` runs it against a ClickHouse server.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY cli ./cli
COPY protocols ./protocols
COPY ingest ./ingest
COPY store ./store
COPY rating ./rating
COPY api ./api
ENV FLEETMETER_HOST=0.0.0.0 FLEETMETER_ADMIN_HOST=0.0.0.0
EXPOSE 5027/tcp 5027/udp 20332/tcp 20332/udp 1883/tcp 8080/tcp 9464/tcp
USER node
ENTRYPOINT ["node", "bin/fleetmeter.js"]
CMD ["serve"]
