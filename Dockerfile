# OpenACM as a container: a static binary on a distroless base, running as
# a non-root user, with its SQLite database in the /data volume.
#
# The default command is for tests on a developer machine or in CI: it
# listens on every interface in auto validation mode, which approves every
# name without checking it. See "Run it in a container" in README.md before
# running it anywhere else.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/openacm ./cmd/openacm \
    && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/openacm /usr/local/bin/openacm
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
EXPOSE 4566
ENV OPENACM_DATA_DIR=/data
HEALTHCHECK --interval=10s --timeout=6s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/openacm", "ready", "--url", "http://127.0.0.1:4566/readyz"]
ENTRYPOINT ["/usr/local/bin/openacm"]
# Both insecure flags are explicit: this image is for test environments,
# where any client that reaches port 4566 may use the built-in test credential
# and get certificates for any name. See the README for a real deployment.
CMD ["serve", "--listen", "0.0.0.0:4566", "--validation", "auto", "--insecure-auto-validation", "--insecure-test-credentials"]
