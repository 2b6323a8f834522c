// libFuzzer target: the harbor link reader (service-src/harbor_wire), which
// reads what another harbor sends: the handshake byte, then framed packets.
// The first input byte picks how the rest is split into socket reads, so
// splits inside the length and the body are explored too. Errors must be
// reported as events; anything else (crash, leak, sanitizer report) is a
// finding.
#include "harbor_wire.h"
#include "skynet_malloc.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    size_t step = size_t(data[0] % 32) + 1;
    std::span<const uint8_t> rest(data + 1, size - 1);
    harbor_wire::reader r(data[0] & 0x80);
    while (!rest.empty()) {
        size_t n = std::min(step, rest.size());
        std::span<const uint8_t> chunk = rest.first(n);
        rest = rest.subspan(n);
        for (;;) {
            harbor_wire::reader::event e = r.next(chunk);
            if (e.kind == harbor_wire::reader::event_kind::need_more)
                break;
            if (e.kind == harbor_wire::reader::event_kind::error)
                return 0;
            if (e.kind == harbor_wire::reader::event_kind::packet) {
                harbor_wire::trailer t = harbor_wire::decode_trailer(e.body, e.size);
                // a round trip through the encoder must give the same frame
                harbor_wire::frame f =
                    harbor_wire::encode(e.body, e.size - harbor_wire::TRAILER_SIZE, t);
                if (f.data == nullptr)
                    __builtin_trap();
                skynet_free(f.data);
                skynet_free(e.body);
            }
        }
    }
    return 0;
}
