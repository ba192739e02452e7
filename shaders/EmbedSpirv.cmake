# Wraps glslc's -mfmt=num word list into a C++ header:
#   cmake -DWORDS=x.spv.inc -DHEADER=x.spv.h -DSYMBOL=name -P EmbedSpirv.cmake
file(READ ${WORDS} _words)
file(WRITE ${HEADER}
  "// Generated from ${WORDS} by shaders/EmbedSpirv.cmake; do not edit.\n"
  "#pragma once\n#include <cstdint>\n"
  "inline constexpr uint32_t ${SYMBOL}[] = {\n${_words}\n};\n")
