#include "frame.h"

namespace websocket {

namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kReserved = 0x70;
constexpr uint8_t kOpcodeBits = 0x0F;
constexpr uint8_t kMasked = 0x80;
constexpr uint8_t kLengthBits = 0x7F;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr uint64_t kMaxControlPayload = 125;

bool known_opcode(uint8_t op) {
    switch (static_cast<Opcode>(op)) {
    case Opcode::continuation:
    case Opcode::text:
    case Opcode::binary:
    case Opcode::close:
    case Opcode::ping:
    case Opcode::pong:
        return true;
    }
    return false;
}

bool is_control(Opcode op) {
    return (static_cast<uint8_t>(op) & 0x8) != 0;
}

uint64_t read_be(std::span<const uint8_t> bytes) {
    uint64_t v = 0;
    for (uint8_t b : bytes)
        v = (v << 8) | b;
    return v;
}

} // namespace

size_t header_size(uint8_t, uint8_t byte1) {
    size_t size = 2;
    uint8_t len = byte1 & kLengthBits;
    if (len == kLength16)
        size += 2;
    else if (len == kLength64)
        size += 8;
    if (byte1 & kMasked)
        size += 4;
    return size;
}

bool parse_header(std::span<const uint8_t> bytes, FrameHeader &out, const char *&error) {
    if (bytes.size() < 2 || bytes.size() != header_size(bytes[0], bytes[1])) {
        error = "incomplete frame header";
        return false;
    }
    uint8_t b0 = bytes[0], b1 = bytes[1];
    if (b0 & kReserved) {
        error = "reserved bits set";
        return false;
    }
    if (!known_opcode(b0 & kOpcodeBits)) {
        error = "unknown opcode";
        return false;
    }
    out.fin = (b0 & kFin) != 0;
    out.opcode = static_cast<Opcode>(b0 & kOpcodeBits);
    out.masked = (b1 & kMasked) != 0;
    size_t at = 2;
    uint8_t len = b1 & kLengthBits;
    if (len == kLength16) {
        out.length = read_be(bytes.subspan(at, 2));
        at += 2;
    } else if (len == kLength64) {
        out.length = read_be(bytes.subspan(at, 8));
        at += 8;
        if (out.length >> 63) {
            error = "payload length has the top bit set";
            return false;
        }
    } else {
        out.length = len;
    }
    if (is_control(out.opcode) && (!out.fin || out.length > kMaxControlPayload)) {
        error = "fragmented or oversized control frame";
        return false;
    }
    out.mask = {};
    if (out.masked) {
        for (size_t i = 0; i < out.mask.size(); ++i)
            out.mask[i] = bytes[at + i];
    }
    return true;
}

size_t write_header(std::array<uint8_t, kMaxHeader> &out, const FrameHeader &h) {
    out[0] = static_cast<uint8_t>((h.fin ? kFin : 0) | static_cast<uint8_t>(h.opcode));
    uint8_t mask_bit = h.masked ? kMasked : 0;
    size_t at = 2;
    if (h.length < kLength16) {
        out[1] = static_cast<uint8_t>(mask_bit | h.length);
    } else if (h.length <= 0xFFFF) {
        out[1] = mask_bit | kLength16;
        out[2] = static_cast<uint8_t>(h.length >> 8);
        out[3] = static_cast<uint8_t>(h.length);
        at = 4;
    } else {
        out[1] = mask_bit | kLength64;
        for (int i = 0; i < 8; ++i)
            out[2 + i] = static_cast<uint8_t>(h.length >> (56 - 8 * i));
        at = 10;
    }
    if (h.masked) {
        for (uint8_t b : h.mask)
            out[at++] = b;
    }
    return at;
}

void apply_mask(std::span<uint8_t> data, const MaskKey &key, size_t offset) {
    for (size_t i = 0; i < data.size(); ++i)
        data[i] ^= key[(offset + i) & 3];
}

} // namespace websocket
