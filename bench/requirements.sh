# Sourced by bench/rpc.sh and bench/scale.sh: makes sure libzmq (with pkg-config, to build the
# libzmq peers against it) and taskset are there, installing libzmq3-dev with apt-get when
# running as root. `$1` names the calling script in the messages.
need_libzmq_and_taskset() {
  if ! pkg-config --exists libzmq 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get install -y -qq libzmq3-dev pkg-config >/dev/null
    else
      echo "$1: please install libzmq3-dev and pkg-config" >&2
      exit 1
    fi
  fi
  command -v taskset >/dev/null || { echo "$1: taskset (util-linux) is missing" >&2; exit 1; }
}
