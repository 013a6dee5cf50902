# cmake -DIN=<system .proto> -DOUT=<staged copy> -P stage_proto.cmake
#
# Every staged file is compiled for protobuf's lite runtime (optimize_for = LITE_RUNTIME): the
# shim, ttrpc and their tests only serialize and parse, and lite messages carry no descriptors,
# so nothing is registered in a descriptor pool at start-up and the shim links only
# libprotobuf-lite (the idle shim's memory: docs/architecture.md, shim section). Their type
# names (MessageLite::GetTypeName) are the full proto names containerd's typeurl uses.
#
# gogo.proto and containerd's fieldpath.proto only carry Go code-generation options and extend
# google.protobuf.*Options (descriptor.proto, which cannot be lite): their imports and every
# option from them are dropped, which changes nothing on the wire. (containerd's files import them
# `weak`, which protoc's C++ generator refuses anyway.)
file(READ "${IN}" content)
string(REGEX REPLACE "import (weak )?\"(github.com/gogo/protobuf/)?gogoproto/gogo.proto\";" ""
       content "${content}")
string(REGEX REPLACE
       "import (weak )?\"github.com/containerd/containerd/protobuf/plugin/fieldpath.proto\";" ""
       content "${content}")
string(REGEX REPLACE "option \\((gogoproto|containerd\\.plugin)\\.[a-z_]+\\) *= *[^;]*;" ""
       content "${content}")
# Field options: every [...] in these files holds gogoproto options only.
string(REGEX REPLACE " *\\[\\(gogoproto\\.[^;]*\\]" "" content "${content}")
if(content MATCHES "gogoproto|containerd\\.plugin")
  message(FATAL_ERROR "stage_proto: ${IN}: a gogoproto/fieldpath option is left after staging")
endif()
string(REGEX REPLACE "\npackage ([^;]*);" "\npackage \\1;\noption optimize_for = LITE_RUNTIME;"
       content "${content}")
if(NOT content MATCHES "LITE_RUNTIME")
  message(FATAL_ERROR "stage_proto: ${IN}: no package statement to add the lite option to")
endif()
file(WRITE "${OUT}" "${content}")
