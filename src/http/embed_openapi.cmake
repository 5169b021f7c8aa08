# Generates a C file holding src/http/openapi.json as bytes (NUL-terminated).
# Invoked at build time: cmake -DSRC=file -DOUT=file -P embed_openapi.cmake
file(READ ${SRC} hex HEX)
file(SIZE ${SRC} size)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
set(body "/* Generated from src/http/openapi.json by src/http/embed_openapi.cmake. */\n")
string(APPEND body "#include \"http/openapi.h\"\n\n")
string(APPEND body "static const unsigned char bytes[] = {${bytes}0};\n")
string(APPEND body "const char *const ch_openapi_json = (const char *)bytes;\n")
string(APPEND body "const size_t ch_openapi_json_len = ${size};\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
