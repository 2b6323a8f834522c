// The sproto schema language, compiled to the schema binary that upstream's
// sprotoparser.lua (LPeg) produces for the same text, byte for byte: types
// sorted by name, fields and protocols by tag, nested types named
// Parent.Child, inline request/response types named proto.request and
// proto.response.
//
// Native rather than LPeg so that no service needs lpeg.so on its lua_cpath.
#ifndef SKYNET_SPROTO_PARSER_H
#define SKYNET_SPROTO_PARSER_H

#include <string>
#include <string_view>

namespace sproto {

struct ParseResult {
    std::string binary;
    std::string error; // empty on success
};

// `name` appears in syntax errors: "syntax error at [name] line (N)".
ParseResult parse(std::string_view text, std::string_view name);

} // namespace sproto

#endif
