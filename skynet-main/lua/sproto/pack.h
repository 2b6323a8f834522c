// sproto's 0-packing: each 8-byte group becomes a bitmap byte of its nonzero
// bytes followed by those bytes; runs of (nearly) full groups become 0xff, a
// group count - 1, and the raw groups. The last group is padded with zeros.
#ifndef SKYNET_SPROTO_PACK_H
#define SKYNET_SPROTO_PACK_H

#include <cstdint>
#include <span>
#include <vector>

namespace sproto {

void pack(std::span<const uint8_t> src, std::vector<uint8_t> &out);

// False when the stream is truncated.
bool unpack(std::span<const uint8_t> src, std::vector<uint8_t> &out);

} // namespace sproto

#endif
