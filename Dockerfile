# syntax=docker/dockerfile:1
# Build: one static binary with the front end, templates and migrations embedded.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bazaar ./cmd/bazaar

# Run: distroless static image, no shell, non-root user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bazaar /usr/local/bin/bazaar
USER nonroot:nonroot
ENV BAZAAR_ENV=production
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bazaar"]
CMD ["serve"]
