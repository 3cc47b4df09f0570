# Shared by run.sh and test.sh: installs what the suite needs when it is missing.

ensure_redis() {
  # redis-cli (Debian's redis-tools, a dependency of redis-server) creates the test cluster.
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  echo "redis-server is not installed; installing it from Debian's packages..." >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq redis-server redis-tools >/dev/null
  # Debian starts a system Redis on 6379 where it can; the suite runs its own, so that one is left alone.
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || { echo "could not install redis-server and redis-cli" >&2; return 1; }
}

# The integration tests send email to a real SMTP server on loopback: Debian's aiosmtpd.
ensure_aiosmtpd() {
  /usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1 && return 0
  echo "python3-aiosmtpd is not installed; installing it from Debian's packages..." >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq python3-aiosmtpd >/dev/null
  /usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1 || { echo "could not install python3-aiosmtpd" >&2; return 1; }
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || { echo "the .NET 10 SDK is required (dotnet on PATH)" >&2; return 1; }
}
