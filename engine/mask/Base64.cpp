#include "engine/mask/Base64.h"

#include "engine/core/Error.h"

namespace attnscope {

namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string printable(char c) {
  if (c >= 32 && c < 127) return std::string("'") + c + "'";
  return "byte " + std::to_string(static_cast<unsigned char>(c));
}

}  // namespace

std::string base64Encode(const std::vector<uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t chunk = uint32_t(bytes[i]) << 16;
    size_t n = bytes.size() - i;
    if (n > 1) chunk |= uint32_t(bytes[i + 1]) << 8;
    if (n > 2) chunk |= uint32_t(bytes[i + 2]);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += n > 1 ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

std::vector<uint8_t> base64Decode(const std::string& text) {
  if (text.size() % 4 != 0)
    throw Error("base64 text has length " + std::to_string(text.size()) + ", not a multiple of 4");
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    // '=' may only pad the final group: "xx==" or "xxx=".
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t chunk = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + j];
      int v = j >= 4 - pad ? 0 : sextet(c);
      if (v < 0)
        throw Error("invalid base64 character " + printable(c) + " at position " + std::to_string(i + j));
      chunk = (chunk << 6) | uint32_t(v);
    }
    out.push_back(uint8_t(chunk >> 16));
    if (pad < 2) out.push_back(uint8_t(chunk >> 8));
    if (pad < 1) out.push_back(uint8_t(chunk));
  }
  return out;
}

}  // namespace attnscope
