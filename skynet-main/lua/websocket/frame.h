// RFC 6455 frame headers: decoding what a peer sent and encoding what we
// send. Pure functions on bytes, shared by the Lua binding and the fuzzer.
#ifndef SKYNET_WEBSOCKET_FRAME_H
#define SKYNET_WEBSOCKET_FRAME_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace websocket {

enum class Opcode : uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

using MaskKey = std::array<uint8_t, 4>;

struct FrameHeader {
    bool fin = false;
    Opcode opcode = Opcode::continuation;
    bool masked = false;
    uint64_t length = 0; // payload bytes
    MaskKey mask{};
};

// The whole header size announced by its first two bytes (2 to 14).
size_t header_size(uint8_t byte0, uint8_t byte1);

// Decodes a complete header (exactly header_size bytes). On a protocol
// violation returns false with `error` set to a static message.
bool parse_header(std::span<const uint8_t> bytes, FrameHeader &out, const char *&error);

constexpr size_t kMaxHeader = 14;

// Encodes a header into `out`; returns its size.
size_t write_header(std::array<uint8_t, kMaxHeader> &out, const FrameHeader &h);

// XORs data with the mask key, as if data started `offset` bytes into the
// payload.
void apply_mask(std::span<uint8_t> data, const MaskKey &key, size_t offset = 0);

} // namespace websocket

#endif
