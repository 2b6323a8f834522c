// The byte stream between two harbor services (upstream's wire format).
//
// Each side first sends one byte, its harbor id. Then every message is a
// packet: a u32 big-endian length whose first byte must be 0 (so < 16 MiB),
// the payload, and a 12-byte trailer of big-endian u32s: source,
// type << 24 | destination handle (without harbor id), session.
#ifndef SKYNET_HARBOR_WIRE_H
#define SKYNET_HARBOR_WIRE_H

#include <cstddef>
#include <cstdint>
#include <span>

namespace harbor_wire {

constexpr size_t TRAILER_SIZE = 12;
constexpr size_t LENGTH_SIZE = 4;

struct trailer {
    uint32_t source;
    uint32_t destination; // type << 24 | handle & 0xffffff
    uint32_t session;
};

// A packet ready for skynet_socket_sendbuffer: length, payload, trailer in
// one skynet_malloc'd block that the caller owns.
struct frame {
    void *data;
    size_t size;
};

// Null when the payload is too large for the length field.
frame encode(const void *payload, size_t sz, const trailer &t);

// Reads the trailer at the end of a packet body (size >= TRAILER_SIZE).
trailer decode_trailer(const uint8_t *body, size_t size);

// Incremental decoder of one link's inbound stream; bytes may arrive split
// anywhere. Ownership of a packet body passes to whoever takes the event.
class reader {
  public:
    enum class event_kind { need_more, handshake, packet, error };
    struct event {
        event_kind kind;
        uint8_t harbor_id = 0;     // handshake
        uint8_t *body = nullptr;   // packet: skynet_malloc'd, payload + trailer
        size_t size = 0;           // packet
        const char *why = nullptr; // error
    };

    explicit reader(bool expect_handshake);
    ~reader();
    reader(const reader &) = delete;
    reader &operator=(const reader &) = delete;

    // Consumes bytes from the front of `input` until one event is complete
    // (the rest stays in `input`) or the input is used up (need_more). After
    // an error the reader stays broken.
    event next(std::span<const uint8_t> &input);

  private:
    enum class state { handshake, length, body, broken };
    state state_;
    uint8_t length_bytes_[LENGTH_SIZE] = {};
    size_t have_ = 0; // bytes of the current length field or body
    size_t length_ = 0;
    uint8_t *body_ = nullptr;

    event fail(const char *why);
};

} // namespace harbor_wire

#endif
