# syntax=docker/dockerfile:1
# One image recipe for every process of the suite: the build arguments name the project and its ports.
# Build from the repository root (deploy/build-images.sh builds all five):
#   docker build --build-arg PROJECT=services/challenge/Disputes.Challenge.csproj \
#     --build-arg GRPC_PORT=5101 --build-arg HTTP_PORT=5102 -t <registry>/disputes/challenge:<version> .
#
# Base images are pinned to a patch release; bump both together (the SDK's runtime must not be older
# than the runtime image). Pin by digest (image:tag@sha256:...) in a registry that mirrors them.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401-noble
# "-extra": chiseled (no shell, no package manager, non-root) plus ICU and tzdata, which the services
# need (globalization is not invariant; timescales run on Europe/London time).
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled-extra

FROM ${SDK_IMAGE} AS build
# The project to publish, relative to the repository root, e.g. gateway/Disputes.Gateway.csproj.
ARG PROJECT
ARG GRPC_PORT
ARG HTTP_PORT
RUN test -n "$PROJECT" && test -n "$GRPC_PORT" && test -n "$HTTP_PORT" \
    || { echo "PROJECT, GRPC_PORT and HTTP_PORT build arguments are required (see deploy/build-images.sh)" >&2; exit 1; }
WORKDIR /src
# Build inputs shared by every project: props, central package versions, the API protos and the
# building blocks, then the processes' projects.
COPY Directory.Build.props Directory.Packages.props Directory.Build.targets* .editorconfig global.json* nuget.config* NuGet.config* ./
COPY protos/ protos/
COPY building-blocks/ building-blocks/
COPY services/ services/
COPY gateway/ gateway/
RUN test -f "$PROJECT" || { echo "No project at $PROJECT" >&2; exit 1; }
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet restore "$PROJECT"
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish "$PROJECT" \
      --configuration Release \
      --no-restore \
      --output /app \
      -p:UseAppHost=true \
      -p:DebugType=none
# One entry point whatever the project: the app host, which runs the project's own assembly (its name
# is built into the host), renamed to "process". The assembly keeps its name, so the application
# name (and the default service name in telemetry) stays the project's.
RUN mv "/app/$(basename "$PROJECT" .csproj)" /app/process

FROM ${RUNTIME_IMAGE} AS final
ARG GRPC_PORT
ARG HTTP_PORT
WORKDIR /app
COPY --from=build /app ./
# The app host finds the shared runtime here (where the runtime images install it).
# Bind all interfaces inside the container (appsettings.json binds 127.0.0.1 for local runs).
# ASPNETCORE_HTTP_PORTS from the base image is cleared: the endpoints come from configuration.
ENV DOTNET_ROOT=/usr/share/dotnet \
    ASPNETCORE_HTTP_PORTS= \
    Kestrel__Endpoints__Grpc__Url=http://0.0.0.0:${GRPC_PORT} \
    Kestrel__Endpoints__Http__Url=http://0.0.0.0:${HTTP_PORT}
# gRPC (h2c); HTTP/1.1 (health, REST/JSON, Dapr subscriptions).
EXPOSE ${GRPC_PORT} ${HTTP_PORT}
# The image's non-root "app" user, by number so that Kubernetes can verify runAsNonRoot.
USER $APP_UID
ENTRYPOINT ["/app/process"]
