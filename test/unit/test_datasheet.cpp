// The datasheet blob: a tree survives encode/decode, and damaged blobs are
// refused with a reason instead of being read out of bounds.
#include "lua/sharedata/blob.h"

#include <catch2/catch.hpp>

#include <string>

using namespace sharedata;

namespace {

std::unique_ptr<Tree> sample() {
    Builder b;
    Node *list = b.table(2, 0);
    b.set_array(list, 0, b.string("a"));
    b.set_array(list, 1, Value::of(false));
    Node *root = b.table(1, 3);
    b.set_array(root, 0, Value::of(3.5));
    b.set(root, b.string("list"), Builder::of(list));
    b.set(root, b.string("n"), Value::of(-7.0));
    b.set(root, Value::of(1000.0), b.string(std::string("bin\0ary", 7)));
    return b.finish(root);
}

} // namespace

TEST_CASE("datasheet blob: encode then decode keeps every value", "[datasheet]") {
    std::string blob = encode(*sample());
    REQUIRE(blob.substr(0, 4) == "SKDS");
    std::string error;
    auto tree = decode(blob, error);
    REQUIRE(tree);
    const Node &root = tree->root();
    REQUIRE(root.array.size() == 1);
    REQUIRE(root.find(1.0)->number == 3.5);
    REQUIRE(root.find("n")->number == -7.0);
    REQUIRE(root.find(1000.0)->text() == std::string("bin\0ary", 7));
    const Node &list = *root.find("list")->table;
    REQUIRE(list.array.size() == 2);
    REQUIRE(list.find(1.0)->text() == "a");
    REQUIRE(list.find(2.0)->type == Type::boolean);
    REQUIRE(encode(*tree) == blob);
}

TEST_CASE("datasheet blob: every truncation is refused", "[datasheet]") {
    std::string blob = encode(*sample());
    for (size_t n = 0; n < blob.size(); ++n) {
        std::string error;
        REQUIRE_FALSE(decode(std::string_view(blob).substr(0, n), error));
        REQUIRE(error.find("Invalid datasheet blob") == 0);
    }
}

TEST_CASE("datasheet blob: bad header, tags, keys and trailing bytes", "[datasheet]") {
    std::string blob = encode(*sample());
    std::string error;
    REQUIRE_FALSE(decode("XKDS\1", error));
    REQUIRE(error == "Invalid datasheet blob (bad header)");
    std::string v = blob;
    v[4] = 9;
    REQUIRE_FALSE(decode(v, error));
    REQUIRE(error == "Invalid datasheet blob (version)");
    REQUIRE_FALSE(decode(blob + "x", error));
    REQUIRE(error == "Invalid datasheet blob (trailing bytes)");
    // a root that is not a table
    REQUIRE_FALSE(decode(std::string("SKDS\1\1", 6), error));
    // a table claiming more entries than bytes left
    std::string huge("SKDS\1\4\xff\xff\xff\x7f\0\0\0\0", 14);
    REQUIRE_FALSE(decode(huge, error));
    REQUIRE(error == "Invalid datasheet blob (truncated)");
    // a boolean key
    std::string boolkey("SKDS\1\4\0\0\0\0\1\0\0\0\1\1", 16);
    REQUIRE_FALSE(decode(boolkey, error));
    REQUIRE(error == "Invalid datasheet blob (bad key)");
}
