// Lua tables to sproto messages and back, following upstream's lsproto rules
// (which values are accepted, error texts, how arrays, keyed arrays and maps
// look in Lua).
//
// LuaJIT numbers are doubles. Integers encode from numbers with an integral
// value in [-2^63, 2^63), or exactly from decimal strings ("9007199254740993");
// decoding gives doubles, exact up to 2^53.
#ifndef SKYNET_SPROTO_CODEC_H
#define SKYNET_SPROTO_CODEC_H

#include "schema.h"

#include <lua.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace sproto {

constexpr int max_depth = 64;
constexpr size_t max_message = 0x1000000;

// Appends the encoding of the table at `index` (type t) to out; raises Lua
// errors for values of the wrong type.
void encode(lua_State *L, const Type &t, int index, std::vector<uint8_t> &out);

// Decodes bytes into the table at `result`; the bytes consumed, or -1 when
// the message is malformed. Raises Lua errors for a missing main index.
long decode(lua_State *L, const Type &t, std::span<const uint8_t> bytes, int result);

// Pushes upstream's default table for t.
void push_default(lua_State *L, const Type &t);

} // namespace sproto

#endif
