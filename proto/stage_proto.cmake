# cmake -DIN=<system .proto> -DOUT=<staged copy> -P stage_proto.cmake
#
# protoc's C++ generator aborts on `import weak` (a Google-internal feature: "CHECK failed:
# !options_.opensource_runtime"). containerd's files weakly import gogo.proto and fieldpath.proto
# only for Go code-generation options, so a plain import is equivalent for C++.
file(READ "${IN}" content)
string(REGEX REPLACE "import weak " "import " content "${content}")
# pkg/runtimeoptions imports gogo.proto by its full Go path; a second copy under another path
# would define the gogoproto extensions twice in the one descriptor pool.
string(REPLACE "\"github.com/gogo/protobuf/gogoproto/gogo.proto\"" "\"gogoproto/gogo.proto\""
       content "${content}")
file(WRITE "${OUT}" "${content}")
