// Byte-string helpers shared by the vector tests: the vector files store small
// strings as hex and large ones as a length, a hex head and a SHA-256 digest.
#pragma once

#include <string>
#include <string_view>

std::string to_hex(std::string_view bytes);
std::string from_hex(std::string_view hex); // lower-case hex, as the vectors are
std::string sha256_hex(std::string_view data);
