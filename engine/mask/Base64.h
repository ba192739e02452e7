#pragma once
// Standard base64 (RFC 4648 alphabet, '=' padding), used to store bit-packed
// masks inside JSON mask plans.
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

std::string base64Encode(const std::vector<uint8_t>& bytes);
// Throws Error naming the offending character and its position, or a length
// that is not a multiple of 4. Whitespace is not accepted.
std::vector<uint8_t> base64Decode(const std::string& text);

}  // namespace attnscope
