// The harbor link's byte stream (service-src/harbor_wire): frames as upstream
// lays them out, and the incremental reader fed in every split.
#include "harbor_wire.h"
#include "skynet_malloc.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using harbor_wire::reader;
using kind = reader::event_kind;

std::vector<uint8_t> framed(const std::string &payload, harbor_wire::trailer t) {
    harbor_wire::frame f = harbor_wire::encode(payload.data(), payload.size(), t);
    REQUIRE(f.data != nullptr);
    auto *p = static_cast<uint8_t *>(f.data);
    std::vector<uint8_t> out(p, p + f.size);
    skynet_free(f.data);
    return out;
}

struct packet {
    std::string payload;
    harbor_wire::trailer t;
};

// Feeds `bytes` in chunks of `step`; collects handshakes and packets.
std::vector<packet> feed(reader &r, const std::vector<uint8_t> &bytes, size_t step,
                         std::vector<int> *handshakes = nullptr, std::string *error = nullptr) {
    std::vector<packet> got;
    for (size_t at = 0; at < bytes.size(); at += step) {
        std::span<const uint8_t> in(bytes.data() + at, std::min(step, bytes.size() - at));
        for (;;) {
            reader::event e = r.next(in);
            if (e.kind == kind::need_more)
                break;
            if (e.kind == kind::error) {
                if (error)
                    *error = e.why;
                return got;
            }
            if (e.kind == kind::handshake) {
                if (handshakes)
                    handshakes->push_back(e.harbor_id);
                continue;
            }
            harbor_wire::trailer t = harbor_wire::decode_trailer(e.body, e.size);
            got.push_back(
                {std::string(reinterpret_cast<char *>(e.body), e.size - harbor_wire::TRAILER_SIZE),
                 t});
            skynet_free(e.body);
        }
    }
    return got;
}

} // namespace

TEST_CASE("harbor frame layout: BE length, payload, BE source/type|handle/session", "[harbor]") {
    auto bytes = framed("ab", {0x01000009, 10u << 24 | 0x000007, 0x11223344});
    std::vector<uint8_t> expect = {0,    0,  0, 14, 'a', 'b',  0x01, 0x00, 0x00,
                                   0x09, 10, 0, 0,  7,   0x11, 0x22, 0x33, 0x44};
    CHECK(bytes == expect);
}

TEST_CASE("harbor reader: handshake then packets, any split", "[harbor]") {
    std::vector<uint8_t> stream = {3};
    for (int i = 0; i < 5; i++) {
        auto f = framed(std::string(static_cast<size_t>(i * 37), char('a' + i)),
                        {uint32_t(i), 10u << 24 | uint32_t(i + 1), uint32_t(1000 + i)});
        stream.insert(stream.end(), f.begin(), f.end());
    }
    for (size_t step : {1, 2, 3, 5, 13, 64, 100000}) {
        reader r(true);
        std::vector<int> hs;
        std::string error;
        auto got = feed(r, stream, step, &hs, &error);
        INFO("step " << step);
        CHECK(error.empty());
        REQUIRE(hs == std::vector<int>{3});
        REQUIRE(got.size() == 5);
        for (int i = 0; i < 5; i++) {
            CHECK(got[i].payload == std::string(static_cast<size_t>(i * 37), char('a' + i)));
            CHECK(got[i].t.source == uint32_t(i));
            CHECK(got[i].t.destination == (10u << 24 | uint32_t(i + 1)));
            CHECK(got[i].t.session == uint32_t(1000 + i));
        }
    }
}

TEST_CASE("harbor reader: a length of 16 MiB or more, or shorter than the trailer, is an error",
          "[harbor]") {
    std::string error;
    reader big(false);
    feed(big, {1, 0, 0, 0}, 1, nullptr, &error);
    CHECK(error == "message is too long");

    reader small(false);
    error.clear();
    feed(small, {0, 0, 0, 11, 1, 2, 3}, 2, nullptr, &error);
    CHECK(error == "message is shorter than its header");

    // once broken, it stays broken
    std::span<const uint8_t> none;
    CHECK(small.next(none).kind == kind::error);
}

TEST_CASE("harbor reader: a packet cut short keeps its body until freed", "[harbor]") {
    auto f = framed("partial", {1, 2, 3});
    f.erase(f.end() - 4, f.end()); // not resize: GCC -O1 (ASan build) misjudges its bound
    reader r(false);
    auto got = feed(r, f, 3);
    CHECK(got.empty()); // the reader frees the partial body (checked under ASan)
}

TEST_CASE("harbor encode refuses a payload that does not fit the length", "[harbor]") {
    harbor_wire::frame f = harbor_wire::encode("", 0xffffff, {0, 0, 0});
    CHECK(f.data == nullptr);
}
