// The sharedata native store: tree build and lookup, iteration, reference
// counts, and proxies in Lua states (two states reading one tree).
#include "lua/modules.h"
#include "lua/sharedata/tree.h"

#include <catch2/catch.hpp>

#include "lua_chunk.h"

#include <set>
#include <string>

using namespace sharedata;

namespace {

// {1, 2, 3, name = "x", sub = {k = true}, [100] = -1.5}
std::unique_ptr<Tree> sample() {
    Builder b;
    Node *sub = b.table(0, 1);
    b.set(sub, b.string("k"), Value::of(true));
    Node *root = b.table(3, 3);
    for (int i = 0; i < 3; ++i)
        b.set_array(root, i, Value::of(static_cast<double>(i + 1)));
    b.set(root, b.string("name"), b.string("x"));
    b.set(root, b.string("sub"), Builder::of(sub));
    b.set(root, Value::of(100.0), Value::of(-1.5));
    return b.finish(root);
}

struct lua_state {
    lua_State *L;
    lua_state() : L(luaL_newstate()) {
        luaL_openlibs(L);
        skynet_lua_compat(L);
        lua_pushcfunction(L, luaopen_skynet_sharedata_core);
        lua_call(L, 0, 1);
        lua_setglobal(L, "core");
    }
    ~lua_state() { lua_close(L); }
    lua_state(const lua_state &) = delete;
    lua_state &operator=(const lua_state &) = delete;
    std::string run(const char *code) { return run_chunk(L, code); }
};

} // namespace

TEST_CASE("sharedata tree: lookup by string, array index and number key", "[sharedata]") {
    auto tree = sample();
    const Node &root = tree->root();
    REQUIRE(root.array.size() == 3);
    REQUIRE(root.find(2.0)->number == 2.0);
    REQUIRE(root.find("name")->text() == "x");
    REQUIRE(root.find(100.0)->number == -1.5);
    REQUIRE(root.find("nope") == nullptr);
    REQUIRE(root.find(4.0) == nullptr);
    REQUIRE(root.find(1.5) == nullptr);
    const Value *sub = root.find("sub");
    REQUIRE(sub->type == Type::table);
    REQUIRE(sub->table->find("k")->boolean);
}

TEST_CASE("sharedata tree: iteration visits every entry once, array first", "[sharedata]") {
    auto tree = sample();
    const Node &root = tree->root();
    std::set<std::string> keys;
    size_t n = 0;
    for (auto e = root.next(std::nullopt); e; e = root.next(e)) {
        Value k = root.key_at(*e);
        if (n < 3)
            REQUIRE(k.number == static_cast<double>(n + 1));
        keys.insert(k.type == Type::string ? std::string(k.text()) : std::to_string(k.number));
        REQUIRE(root.position(k) == e);
        ++n;
    }
    REQUIRE(n == 6);
    REQUIRE(keys.size() == 6);
}

TEST_CASE("sharedata tree: a duplicate key is refused", "[sharedata]") {
    Builder b;
    Node *root = b.table(0, 2);
    REQUIRE(b.set(root, b.string("a"), Value::of(1.0)));
    REQUIRE_FALSE(b.set(root, b.string("a"), Value::of(2.0)));
    auto tree = b.finish(root);
    REQUIRE(tree->root().count == 1);
}

TEST_CASE("sharedata tree: many keys hash apart", "[sharedata]") {
    Builder b;
    Node *root = b.table(0, 5000);
    for (int i = 0; i < 5000; ++i)
        b.set(root, b.string("key" + std::to_string(i)), Value::of(static_cast<double>(i)));
    auto tree = b.finish(root);
    for (int i = 0; i < 5000; ++i)
        REQUIRE(tree->root().find("key" + std::to_string(i))->number == i);
    REQUIRE(tree->root().slots.size() >= 5000 * 4 / 3);
}

TEST_CASE("sharedata tree: reference counts free the tree at zero", "[sharedata]") {
    size_t before = Tree::live_trees();
    Tree *t = sample().release();
    REQUIRE(Tree::live_trees() == before + 1);
    REQUIRE(Tree::live_bytes() >= t->bytes());
    t->retain();
    REQUIRE(t->refs() == 2);
    REQUIRE_FALSE(Tree::release(t));
    REQUIRE_FALSE(t->dirty());
    t->mark_dirty();
    REQUIRE(t->dirty());
    REQUIRE(Tree::release(t));
    REQUIRE(Tree::live_trees() == before);
}

TEST_CASE("sharedata.core: build from Lua, proxies in two states, update", "[sharedata]") {
    lua_state a, b;
    REQUIRE(a.run(R"(
        tree = core.new { 1, 2, name = "x", sub = { deep = { v = 7 } } }
        p = core.box(tree)
        assert(p.name == "x" and #p == 2 and p[2] == 2)
        assert(p.sub.deep.v == 7)
        assert(p.sub == p.sub)
        assert(type(p) == "userdata")
    )") == "");
    lua_getglobal(a.L, "tree");
    void *tree = lua_touserdata(a.L, -1);
    lua_pushlightuserdata(b.L, tree);
    lua_setglobal(b.L, "tree");
    REQUIRE(b.run(R"(
        q = core.box(tree)
        deep = q.sub.deep
        assert(deep.v == 7)
        assert(core.getref(tree) == 3)
        local n = 0
        for k, v in pairs(q) do n = n + 1 end
        assert(n == 4)
    )") == "");
    // a newer version: b's proxies move over on their next read
    REQUIRE(a.run(R"(
        newtree = core.new { name = "y", sub = { deep = { v = 8 } } }
        core.markdirty(tree)
        core.decref(tree)   -- the creator's reference
    )") == "");
    lua_getglobal(a.L, "newtree");
    lua_pushlightuserdata(b.L, lua_touserdata(a.L, -1));
    lua_setglobal(b.L, "newtree");
    REQUIRE(b.run(R"(
        assert(q.name == "x", "old data until the new tree arrives")
        core.update(q, newtree)
        assert(q.name == "y")
        assert(deep.v == 8, "held sub-proxy follows")
        assert(#q == 0)
        assert(core.getref(tree) == 1, "b released the old tree")
    )") == "");
    REQUIRE(a.run(R"(
        assert(p.name == "x")
        p = nil
        collectgarbage()
        collectgarbage()
        assert(core.getref(newtree) == 2)
        core.decref(newtree)   -- the creator's; b's root holds the last one
    )") == "");
}

TEST_CASE("sharedata.core: errors on bad data and on writes", "[sharedata]") {
    lua_state s;
    REQUIRE(s.run(R"(
        local function raises(pattern, f, ...)
            local ok, err = pcall(f, ...)
            assert(not ok and tostring(err):find(pattern, 1, true), tostring(err))
        end
        raises("Invalid key 0.5", core.new, { [0.5] = 1 })
        raises("Invalid key type table", core.new, { [{}] = 1 })
        raises("Unsupport value type userdata", core.new, { io.stdout })
        local tree = core.new { a = { b = 1 } }
        local p = core.box(tree)
        core.decref(tree)
        raises("Error newindex, the key [.a]", function() p.a.c = 1 end)
        assert(core.copy(p, "a").b == 1)
        assert(core.copy(p, "a", "b") == 1)
        assert(core.copy(p, "x") == nil)
    )") == "");
}
