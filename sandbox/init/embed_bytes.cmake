# cmake -DINPUT=<file> -DOUTPUT=<file.inc> -P embed_bytes.cmake
# Writes the bytes of INPUT as C initialisers ("0x7f,0x45,...") for an array
# the sandbox library compiles in (init_binary.cpp).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" length)
if(length EQUAL 0)
  message(FATAL_ERROR "embed_bytes: ${INPUT} is empty")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by embed_bytes.cmake.\n${bytes}\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
