# Every dependency comes from a Debian 12 package (scripts/install-deps.sh installs them).

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(GTest REQUIRED)
pkg_check_modules(LIBSECCOMP REQUIRED IMPORTED_TARGET libseccomp)
# protoc and libprotobuf (libprotobuf-dev, protobuf-compiler) for proto/ (see_proto).
find_package(Protobuf REQUIRED)
# libcrypto (libssl-dev): seectl's WebSocket handshake (exec -it). The shim does not link it.
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
# yaml-cpp (libyaml-cpp-dev): the shim config file, Pod manifests.
find_package(yaml-cpp REQUIRED)
