#include "harbor_wire.h"

#include "skynet_malloc.h"

#include <algorithm>
#include <cstring>

namespace harbor_wire {

namespace {

constexpr size_t MAX_LENGTH = 0xffffff; // the length's first byte must be 0

void put_u32(uint8_t *out, uint32_t v) {
    out[0] = static_cast<uint8_t>(v >> 24);
    out[1] = static_cast<uint8_t>(v >> 16);
    out[2] = static_cast<uint8_t>(v >> 8);
    out[3] = static_cast<uint8_t>(v);
}

uint32_t get_u32(const uint8_t *in) {
    return uint32_t(in[0]) << 24 | uint32_t(in[1]) << 16 | uint32_t(in[2]) << 8 | uint32_t(in[3]);
}

} // namespace

frame encode(const void *payload, size_t sz, const trailer &t) {
    size_t length = sz + TRAILER_SIZE;
    if (sz > MAX_LENGTH || length > MAX_LENGTH)
        return {nullptr, 0};
    auto *out = static_cast<uint8_t *>(skynet_malloc(LENGTH_SIZE + length));
    put_u32(out, static_cast<uint32_t>(length));
    if (sz > 0)
        std::memcpy(out + LENGTH_SIZE, payload, sz);
    uint8_t *tail = out + LENGTH_SIZE + sz;
    put_u32(tail, t.source);
    put_u32(tail + 4, t.destination);
    put_u32(tail + 8, t.session);
    return {out, LENGTH_SIZE + length};
}

trailer decode_trailer(const uint8_t *body, size_t size) {
    const uint8_t *tail = body + size - TRAILER_SIZE;
    return {get_u32(tail), get_u32(tail + 4), get_u32(tail + 8)};
}

reader::reader(bool expect_handshake)
    : state_(expect_handshake ? state::handshake : state::length) {}

reader::~reader() {
    skynet_free(body_);
}

reader::event reader::fail(const char *why) {
    state_ = state::broken;
    skynet_free(body_);
    body_ = nullptr;
    return {event_kind::error, 0, nullptr, 0, why};
}

reader::event reader::next(std::span<const uint8_t> &input) {
    for (;;) {
        switch (state_) {
        case state::broken:
            input = {};
            return {event_kind::error, 0, nullptr, 0, "link already broken"};
        case state::handshake: {
            if (input.empty())
                return {event_kind::need_more};
            uint8_t id = input[0];
            input = input.subspan(1);
            state_ = state::length;
            return {event_kind::handshake, id};
        }
        case state::length: {
            size_t n = std::min(input.size(), LENGTH_SIZE - have_);
            if (n > 0)
                std::memcpy(length_bytes_ + have_, input.data(), n);
            input = input.subspan(n);
            have_ += n;
            if (have_ < LENGTH_SIZE)
                return {event_kind::need_more};
            if (length_bytes_[0] != 0)
                return fail("message is too long");
            length_ = get_u32(length_bytes_);
            if (length_ < TRAILER_SIZE)
                return fail("message is shorter than its header");
            have_ = 0;
            body_ = static_cast<uint8_t *>(skynet_malloc(length_));
            state_ = state::body;
            break;
        }
        case state::body: {
            size_t n = std::min(input.size(), length_ - have_);
            if (n > 0)
                std::memcpy(body_ + have_, input.data(), n);
            input = input.subspan(n);
            have_ += n;
            if (have_ < length_)
                return {event_kind::need_more};
            event e{event_kind::packet, 0, body_, length_};
            body_ = nullptr;
            have_ = 0;
            state_ = state::length;
            return e;
        }
        }
    }
}

} // namespace harbor_wire
