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

# Static archives for the shim. containerd-shim-see-v2 runs once per pod and its idle memory is a
# target (docs/architecture.md, shim): a target with the property SEE_STATIC_DEPS set to ON links
# these from Debian's .a archives instead of the shared libraries, whose symbol tables and
# relocations the dynamic loader would touch at every start. --gc-sections then drops unreferenced
# objects and COMDAT (inline/template) sections only: Debian builds libprotobuf-lite.a without
# -ffunction-sections, so every object that is referenced comes in whole. libstdc++, spdlog and fmt stay shared (no .a for spdlog/fmt;
# the pod's see-sentry maps the same copies). Every other target links the shared libraries.
#   see_dep_protobuf_lite  libprotobuf-lite (see_proto)
#   see_dep_yaml_cpp       yaml-cpp (the shim's config file, seectl's manifests)
find_library(SEE_PROTOBUF_LITE_A NAMES libprotobuf-lite.a)
find_library(SEE_YAML_CPP_A NAMES libyaml-cpp.a)
function(_see_static_or_shared name archive shared)
  add_library(${name} INTERFACE)
  if(archive)
    target_link_libraries(${name} INTERFACE
      "$<IF:$<BOOL:$<TARGET_PROPERTY:SEE_STATIC_DEPS>>,${archive},${shared}>")
    # Headers come from the shared target's package either way.
    target_include_directories(${name} SYSTEM INTERFACE
      $<TARGET_PROPERTY:${shared},INTERFACE_INCLUDE_DIRECTORIES>)
  else()
    target_link_libraries(${name} INTERFACE ${shared})
  endif()
endfunction()
_see_static_or_shared(see_dep_protobuf_lite "${SEE_PROTOBUF_LITE_A}" protobuf::libprotobuf-lite)
_see_static_or_shared(see_dep_yaml_cpp "${SEE_YAML_CPP_A}" yaml-cpp)
