#!/usr/bin/env bash
# Builds the image of every process from the one Dockerfile at the repository root.
#   REGISTRY=<registry>/disputes VERSION=1.2.3 deploy/build-images.sh [process...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
registry="${REGISTRY:?set REGISTRY, e.g. registry.example.org/disputes}"
version="${VERSION:?set VERSION, e.g. 0.1.0}"

# process  project                                           gRPC  HTTP
processes="
challenge    services/challenge/Disputes.Challenge.csproj       5101  5102
escalation   services/escalation/Disputes.Escalation.csproj     5201  5202
notification services/notification/Disputes.Notification.csproj 5301  5302
records      services/records/Disputes.Records.csproj           5401  5402
gateway      gateway/Disputes.Gateway.csproj                    8080  8081
"

wanted=" $* "
while read -r name project grpc http; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && [[ "$wanted" != *" $name "* ]]; then continue; fi
  docker build "$root" \
    --build-arg PROJECT="$project" --build-arg GRPC_PORT="$grpc" --build-arg HTTP_PORT="$http" \
    -t "$registry/$name:$version"
done <<<"$processes"
