# One EdgeCluster node. Builds for the platform it runs on, including linux/arm64 for a Pi:
#   docker buildx build --platform linux/amd64,linux/arm64 -t edgecluster .
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY cluster-config/ cluster-config/
COPY src/ src/
RUN dotnet publish src/EdgeCluster.Node -c Release -a "$TARGETARCH" --self-contained false -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV EDGE_DATA_DIR=/data \
    EDGE_HTTP_PORT=5000 \
    EDGE_AKKA_PORT=4053
VOLUME /data
EXPOSE 5000 4053
ENTRYPOINT ["dotnet", "EdgeCluster.Node.dll"]
