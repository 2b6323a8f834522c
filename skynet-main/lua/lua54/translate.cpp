// The translator: a lexer that also tells whether the chunk has any 5.4-only
// token (most chunks have none and are returned untouched after that one
// pass), then a recursive-descent parser shaped like lparser.c that copies
// the source through, token by token with the whitespace and comments between
// them, rewriting only what LuaJIT lacks. A rewritten operator wraps its
// operands in a helper call; the opening text is inserted where the left
// operand began, so grouping follows 5.4's precedence table exactly while
// every original token keeps its line (inserted text has no newline).
#include "translate.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lua54 {

namespace {

enum class tk : uint8_t {
    eof,
    name,
    number,
    string,
    vararg,
    kw_and,
    kw_break,
    kw_do,
    kw_else,
    kw_elseif,
    kw_end,
    kw_false,
    kw_for,
    kw_function,
    kw_goto,
    kw_if,
    kw_in,
    kw_local,
    kw_nil,
    kw_not,
    kw_or,
    kw_repeat,
    kw_return,
    kw_then,
    kw_true,
    kw_until,
    kw_while,
    plus,
    minus,
    star,
    slash,
    idiv,
    percent,
    caret,
    hash,
    amp,
    tilde,
    pipe,
    shl,
    shr,
    concat,
    eq,
    ne,
    lt,
    le,
    gt,
    ge,
    assign,
    lparen,
    rparen,
    lbrace,
    rbrace,
    lbracket,
    rbracket,
    dbcolon,
    semi,
    colon,
    comma,
    dot,
};

struct token {
    tk kind;
    uint32_t start, end, line;
};

struct keyword {
    std::string_view text;
    tk kind;
};

constexpr keyword keywords[] = {
    {"and", tk::kw_and},     {"break", tk::kw_break},   {"do", tk::kw_do},
    {"else", tk::kw_else},   {"elseif", tk::kw_elseif}, {"end", tk::kw_end},
    {"false", tk::kw_false}, {"for", tk::kw_for},       {"function", tk::kw_function},
    {"goto", tk::kw_goto},   {"if", tk::kw_if},         {"in", tk::kw_in},
    {"local", tk::kw_local}, {"nil", tk::kw_nil},       {"not", tk::kw_not},
    {"or", tk::kw_or},       {"repeat", tk::kw_repeat}, {"return", tk::kw_return},
    {"then", tk::kw_then},   {"true", tk::kw_true},     {"until", tk::kw_until},
    {"while", tk::kw_while},
};

// Names are most tokens: only a lowercase first letter of a keyword and a
// keyword's length send one to the table.
tk word_kind(std::string_view w) {
    if (w.size() < 2 || w.size() > 8 || w[0] < 'a' || w[0] > 'w')
        return tk::name;
    for (const keyword &k : keywords)
        if (k.text.size() == w.size() && k.text[0] == w[0] && k.text == w)
            return k.kind;
    return tk::name;
}

// Internal only: caught in translate(), never crosses a C or Lua boundary.
struct syntax_error {
    std::string message;
};

bool is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}
bool is_name_start(unsigned char c) {
    unsigned char lower = c | 0x20;
    return c == '_' || (lower >= 'a' && lower <= 'z') || c >= 0x80;
}
bool is_name_char(unsigned char c) {
    return is_name_start(c) || is_digit(c);
}

class lexer {
  public:
    lexer(std::string_view src, std::string_view chunkname) : src_(src), chunkname_(chunkname) {}

    // One pass, storing nothing: true when a 5.4-only token is there. Most
    // chunks stop here.
    bool has_new_syntax() {
        skip_shebang();
        tk previous = tk::eof;
        for (;;) {
            token t = next();
            if (is_new(t, previous))
                return true;
            if (t.kind == tk::eof)
                return false;
            previous = t.kind;
        }
    }

    // Every token, for the translator.
    void run(std::vector<token> &out) {
        out.reserve(src_.size() / 5 + 16);
        skip_shebang();
        for (;;) {
            token t = next();
            out.push_back(t);
            if (t.kind == tk::eof)
                return;
        }
    }

  private:
    std::string_view text(const token &t) const { return src_.substr(t.start, t.end - t.start); }

    bool is_new(const token &t, tk previous) const {
        switch (t.kind) {
        case tk::amp:
        case tk::pipe:
        case tk::tilde:
        case tk::shl:
        case tk::shr:
        case tk::idiv:
            return true;
        case tk::name:
            return previous == tk::lt && (text(t) == "const" || text(t) == "close");
        default:
            return false;
        }
    }

    char at(size_t i) const { return i < src_.size() ? src_[i] : '\0'; }

    [[noreturn]] void fail(const char *what, size_t start) {
        size_t end = std::min(pos_, start + 40);
        std::string near(src_.substr(start, end - start));
        throw syntax_error{chunk_id(chunkname_) + ":" + std::to_string(line_) + ": " + what +
                           " near '" + near + "'"};
    }

    void skip_shebang() {
        if (at(0) == '#')
            while (pos_ < src_.size() && src_[pos_] != '\n')
                ++pos_;
    }

    void newline() {
        char c = src_[pos_++];
        if ((at(pos_) == '\n' || at(pos_) == '\r') && at(pos_) != c)
            ++pos_; // \r\n and \n\r count once, as in Lua
        ++line_;
    }

    // At '[': the level of a long bracket ([==[ is 2), or -1.
    int long_bracket_level() const {
        size_t p = pos_ + 1;
        while (at(p) == '=')
            ++p;
        return at(p) == '[' ? static_cast<int>(p - pos_ - 1) : -1;
    }

    void long_string(int level, const char *what, size_t start) {
        pos_ += static_cast<size_t>(level) + 2;
        for (;;) {
            if (pos_ >= src_.size())
                fail(what, start);
            char c = src_[pos_];
            if (c == ']') {
                size_t p = pos_ + 1;
                while (at(p) == '=')
                    ++p;
                if (at(p) == ']' && static_cast<int>(p - pos_ - 1) == level) {
                    pos_ = p + 1;
                    return;
                }
                pos_ = p;
            } else if (c == '\n' || c == '\r') {
                newline();
            } else {
                ++pos_;
            }
        }
    }

    void quoted_string(char quote, size_t start) {
        ++pos_;
        for (;;) {
            if (pos_ >= src_.size())
                fail("unfinished string", start);
            char c = src_[pos_];
            if (c == quote) {
                ++pos_;
                return;
            }
            if (c == '\n' || c == '\r')
                fail("unfinished string", start);
            if (c == '\\') {
                ++pos_;
                char e = at(pos_);
                if (e == '\n' || e == '\r') {
                    newline();
                } else if (e == 'z') {
                    ++pos_;
                    while (pos_ < src_.size() && std::strchr(" \t\v\f\r\n", src_[pos_])) {
                        if (src_[pos_] == '\n' || src_[pos_] == '\r')
                            newline();
                        else
                            ++pos_;
                    }
                } else if (pos_ < src_.size()) {
                    ++pos_;
                }
            } else {
                ++pos_;
            }
        }
    }

    void number() {
        char exp1 = 'e', exp2 = 'E';
        if (src_[pos_] == '0' && (at(pos_ + 1) == 'x' || at(pos_ + 1) == 'X')) {
            pos_ += 2;
            exp1 = 'p';
            exp2 = 'P';
        }
        for (;;) {
            char c = at(pos_);
            if ((c == exp1 || c == exp2) && (at(pos_ + 1) == '+' || at(pos_ + 1) == '-'))
                pos_ += 2;
            else if (is_name_char(static_cast<unsigned char>(c)) || c == '.')
                ++pos_;
            else
                break;
        }
    }

    // Skips whitespace and comments; false at the end.
    void skip_trivia() {
        while (pos_ < src_.size()) {
            char c = src_[pos_];
            if (c == '\n' || c == '\r') {
                newline();
            } else if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
                ++pos_;
            } else if (c == '-' && at(pos_ + 1) == '-') {
                size_t start = pos_;
                pos_ += 2;
                int level = at(pos_) == '[' ? long_bracket_level() : -1;
                if (level >= 0) {
                    long_string(level, "unfinished long comment", start);
                } else {
                    while (pos_ < src_.size() && src_[pos_] != '\n' && src_[pos_] != '\r')
                        ++pos_;
                }
            } else {
                return;
            }
        }
    }

    token next() {
        skip_trivia();
        size_t start = pos_;
        uint32_t line = line_;
        tk kind = scan(start);
        return token{kind, static_cast<uint32_t>(start), static_cast<uint32_t>(pos_), line};
    }

    tk two(char second, tk both, tk one) {
        if (at(pos_ + 1) == second) {
            pos_ += 2;
            return both;
        }
        ++pos_;
        return one;
    }

    tk scan(size_t start) {
        if (pos_ >= src_.size())
            return tk::eof;
        unsigned char c = static_cast<unsigned char>(src_[pos_]);
        if (is_name_start(c)) {
            while (pos_ < src_.size() && is_name_char(static_cast<unsigned char>(src_[pos_])))
                ++pos_;
            return word_kind(src_.substr(start, pos_ - start));
        }
        if (is_digit(c) || (c == '.' && is_digit(static_cast<unsigned char>(at(pos_ + 1))))) {
            number();
            return tk::number;
        }
        switch (c) {
        case '"':
        case '\'':
            quoted_string(static_cast<char>(c), start);
            return tk::string;
        case '[': {
            int level = long_bracket_level();
            if (level >= 0) {
                long_string(level, "unfinished long string", start);
                return tk::string;
            }
            ++pos_;
            return tk::lbracket;
        }
        case '+':
            ++pos_;
            return tk::plus;
        case '-':
            ++pos_;
            return tk::minus;
        case '*':
            ++pos_;
            return tk::star;
        case '%':
            ++pos_;
            return tk::percent;
        case '^':
            ++pos_;
            return tk::caret;
        case '#':
            ++pos_;
            return tk::hash;
        case '&':
            ++pos_;
            return tk::amp;
        case '|':
            ++pos_;
            return tk::pipe;
        case '(':
            ++pos_;
            return tk::lparen;
        case ')':
            ++pos_;
            return tk::rparen;
        case '{':
            ++pos_;
            return tk::lbrace;
        case '}':
            ++pos_;
            return tk::rbrace;
        case ']':
            ++pos_;
            return tk::rbracket;
        case ';':
            ++pos_;
            return tk::semi;
        case ',':
            ++pos_;
            return tk::comma;
        case '/':
            return two('/', tk::idiv, tk::slash);
        case '~':
            return two('=', tk::ne, tk::tilde);
        case '=':
            return two('=', tk::eq, tk::assign);
        case ':':
            return two(':', tk::dbcolon, tk::colon);
        case '<':
            if (at(pos_ + 1) == '<') {
                pos_ += 2;
                return tk::shl;
            }
            return two('=', tk::le, tk::lt);
        case '>':
            if (at(pos_ + 1) == '>') {
                pos_ += 2;
                return tk::shr;
            }
            return two('=', tk::ge, tk::gt);
        case '.':
            if (at(pos_ + 1) == '.') {
                if (at(pos_ + 2) == '.') {
                    pos_ += 3;
                    return tk::vararg;
                }
                pos_ += 2;
                return tk::concat;
            }
            ++pos_;
            return tk::dot;
        default:
            ++pos_;
            fail("unexpected symbol", start);
        }
    }

    std::string_view src_;
    std::string_view chunkname_;
    size_t pos_ = 0;
    uint32_t line_ = 1;
};

// lparser.c's priority table; 0 = not a binary operator.
struct priority {
    uint8_t left, right;
};

priority binary_priority(tk k) {
    switch (k) {
    case tk::kw_or:
        return {1, 1};
    case tk::kw_and:
        return {2, 2};
    case tk::lt:
    case tk::le:
    case tk::gt:
    case tk::ge:
    case tk::eq:
    case tk::ne:
        return {3, 3};
    case tk::pipe:
        return {4, 4};
    case tk::tilde:
        return {5, 5};
    case tk::amp:
        return {6, 6};
    case tk::shl:
    case tk::shr:
        return {7, 7};
    case tk::concat:
        return {9, 8};
    case tk::plus:
    case tk::minus:
        return {10, 10};
    case tk::star:
    case tk::slash:
    case tk::idiv:
    case tk::percent:
        return {11, 11};
    case tk::caret:
        return {14, 13};
    default:
        return {0, 0};
    }
}

constexpr int unary_priority = 12;

// The call a 5.4-only binary operator becomes, or empty. The call is
// parenthesized: `return a & b` must not become a tail call, or the helper's
// error(msg, 2) would find no line of the user's to name.
std::string_view helper_of(tk k) {
    switch (k) {
    case tk::amp:
        return "(__L54.band(";
    case tk::pipe:
        return "(__L54.bor(";
    case tk::tilde:
        return "(__L54.bxor(";
    case tk::shl:
        return "(__L54.shl(";
    case tk::shr:
        return "(__L54.shr(";
    case tk::idiv:
        return "(__L54.idiv(";
    default:
        return {};
    }
}

constexpr std::string_view bnot_call = "(__L54.bnot(";
static_assert(helpers_local == "__L54", "the helper calls above spell the helpers' local");

const char *token_text(tk k) {
    switch (k) {
    case tk::eof:
        return "<eof>";
    case tk::kw_do:
        return "do";
    case tk::kw_end:
        return "end";
    case tk::kw_then:
        return "then";
    case tk::kw_until:
        return "until";
    case tk::kw_in:
        return "in";
    case tk::assign:
        return "=";
    case tk::rparen:
        return ")";
    case tk::rbrace:
        return "}";
    case tk::rbracket:
        return "]";
    case tk::dbcolon:
        return "::";
    case tk::comma:
        return ",";
    case tk::name:
        return "<name>";
    default:
        return "?";
    }
}

struct local_var {
    std::string_view name;
    bool is_const;
};

// A <close> variable's scope: the rest of its block runs as a function, so
// return, break and goto that leave it become status codes for the code
// placed after it (see close_scope_end).
struct close_scope {
    int id;
    int loop_depth; // the function's loop depth where the variable was declared
    bool returns = false, breaks = false;
    struct jump {
        size_t start, end; // the goto statement's text in the output
        std::string_view label;
    };
    std::vector<jump> gotos;
    std::vector<std::string_view> labels; // declared inside the scope
    std::vector<std::string_view> escapes;
};

struct function_state {
    std::vector<local_var> vars;
    std::vector<close_scope> closes;
    int loop_depth = 0;
    bool vararg = false;
};

class translator {
  public:
    translator(std::string_view src, std::string_view chunkname, std::vector<token> &&tokens)
        : src_(src), chunkname_(chunkname), toks_(std::move(tokens)) {
        out_.reserve(src.size() + src.size() / 8 + 64);
    }

    // False when nothing needed rewriting.
    bool run(std::string &code) {
        functions_.push_back(function_state{});
        functions_.back().vararg = true;
        if (!src_.empty() && src_[0] == '#')
            out_.append("--"); // luaL_loadbuffer does not skip a #! line as loadfile does
        out_.append(src_.substr(0, toks_[0].start)); // #! line, leading trivia
        emitted_ = toks_[0].start;
        prelude_at_ = out_.size();
        statlist();
        if (cur().kind != tk::eof)
            error_expected(tk::eof);
        close_all_scopes();
        if (!changed_)
            return false;
        flush_to(src_.size());
        if (uses_helpers_) {
            // ("").x reads the string library table: no global, so neither
            // setfenv nor a sandboxed env can hide the helpers.
            std::string prelude = "local " + std::string(helpers_local) + "=(\"\")." +
                                  std::string(helpers_local) + ";";
            out_.insert(prelude_at_, prelude);
        }
        code = std::move(out_);
        return true;
    }

  private:
    // ---- tokens and output ----
    const token &cur() const { return toks_[pos_]; }
    const token &peek() const { return toks_[std::min(pos_ + 1, toks_.size() - 1)]; }
    std::string_view text(const token &t) const { return src_.substr(t.start, t.end - t.start); }

    void flush_to(size_t offset) {
        out_.append(src_.substr(emitted_, offset - emitted_));
        emitted_ = offset;
    }
    // The current token with the trivia before it.
    void copy() {
        flush_to(cur().end);
        ++pos_;
    }
    void replace(std::string_view with) {
        flush_to(cur().start);
        out_.append(with);
        emitted_ = cur().end;
        ++pos_;
    }
    // Where the current token will start in the output.
    size_t mark() {
        flush_to(cur().start);
        return out_.size();
    }
    void copy_expected(tk k) {
        if (cur().kind != k)
            error_expected(k);
        copy();
    }
    bool copy_if(tk k) {
        if (cur().kind != k)
            return false;
        copy();
        return true;
    }
    std::string helper(const char *name) {
        changed_ = uses_helpers_ = true;
        return std::string(helpers_local) + "." + name + "(";
    }

    // ---- errors, in lparser.c's words ----
    [[noreturn]] void error_at(const token &t, const std::string &what) {
        std::string near = t.kind == tk::eof ? "<eof>" : "'" + std::string(text(t)) + "'";
        throw syntax_error{chunk_id(chunkname_) + ":" + std::to_string(t.line) + ": " + what +
                           " near " + near};
    }
    [[noreturn]] void semantic_error(uint32_t line, const std::string &what) {
        throw syntax_error{chunk_id(chunkname_) + ":" + std::to_string(line) + ": " + what};
    }
    [[noreturn]] void error_expected(tk k) {
        error_at(cur(), std::string("'") + token_text(k) + "' expected");
    }
    void check_match_at(tk what, size_t who, uint32_t line) {
        if (cur().kind == what) {
            copy();
            return;
        }
        if (line == cur().line)
            error_expected(what);
        error_at(cur(), std::string("'") + token_text(what) + "' expected (to close '" +
                            std::string(text(toks_[who])) + "' at line " + std::to_string(line) +
                            ")");
    }
    std::string_view copy_name() {
        if (cur().kind != tk::name)
            error_expected(tk::name);
        std::string_view n = text(cur());
        copy();
        return n;
    }

    // ---- scopes ----
    function_state &fs() { return functions_.back(); }
    const local_var *find_local(std::string_view name) const {
        for (auto f = functions_.rbegin(); f != functions_.rend(); ++f)
            for (auto v = f->vars.rbegin(); v != f->vars.rend(); ++v)
                if (v->name == name)
                    return &*v;
        return nullptr;
    }

    // ---- blocks and statements ----
    static bool block_follow(tk k, bool with_until) {
        return k == tk::kw_else || k == tk::kw_elseif || k == tk::kw_end || k == tk::eof ||
               (k == tk::kw_until && with_until);
    }

    void statlist() {
        while (!block_follow(cur().kind, true)) {
            if (cur().kind == tk::kw_return) {
                retstat();
                return;
            }
            statement();
            copy_if(tk::semi); // a separator LuaJIT accepts
        }
    }

    // A block with its own scope; close scopes opened in it end with it.
    void block() {
        size_t vars = fs().vars.size();
        size_t closes = fs().closes.size();
        statlist();
        end_close_scopes(closes);
        fs().vars.resize(vars);
    }

    void statement() {
        level_guard level(*this);
        uint32_t line = cur().line;
        switch (cur().kind) {
        case tk::semi: // an empty statement, which LuaJIT does not have
            replace("do end");
            break;
        case tk::kw_if:
            ifstat(line);
            break;
        case tk::kw_while: {
            size_t who = pos_;
            copy();
            expr();
            copy_expected(tk::kw_do);
            loop_block();
            check_match_at(tk::kw_end, who, line);
            break;
        }
        case tk::kw_do: {
            size_t who = pos_;
            copy();
            block();
            check_match_at(tk::kw_end, who, line);
            break;
        }
        case tk::kw_for:
            forstat(line);
            break;
        case tk::kw_repeat:
            repeatstat(line);
            break;
        case tk::kw_function:
            funcstat(line);
            break;
        case tk::kw_local:
            copy();
            if (cur().kind == tk::kw_function) {
                size_t who = pos_;
                copy();
                fs().vars.push_back({copy_name(), false});
                body(false, who, line);
            } else {
                localstat();
            }
            break;
        case tk::dbcolon: {
            copy();
            std::string_view label = copy_name();
            copy_expected(tk::dbcolon);
            for (close_scope &c : fs().closes)
                c.labels.push_back(label);
            break;
        }
        case tk::kw_return:
            retstat();
            break;
        case tk::kw_break:
            breakstat();
            break;
        case tk::kw_goto:
            gotostat();
            break;
        default:
            exprstat();
            break;
        }
    }

    void loop_block() {
        ++fs().loop_depth;
        block();
        --fs().loop_depth;
    }

    void ifstat(uint32_t line) {
        size_t who = pos_;
        do { // if / elseif
            copy();
            expr();
            copy_expected(tk::kw_then);
            block();
        } while (cur().kind == tk::kw_elseif);
        if (copy_if(tk::kw_else))
            block();
        check_match_at(tk::kw_end, who, line);
    }

    void forstat(uint32_t line) {
        size_t who = pos_;
        copy();
        size_t vars = fs().vars.size();
        std::vector<std::string_view> names{copy_name()};
        if (copy_if(tk::assign)) {
            expr();
            copy_expected(tk::comma);
            expr();
            if (copy_if(tk::comma))
                expr();
        } else {
            while (copy_if(tk::comma))
                names.push_back(copy_name());
            copy_expected(tk::kw_in);
            explist();
        }
        copy_expected(tk::kw_do);
        for (std::string_view n : names)
            fs().vars.push_back({n, false});
        loop_block();
        fs().vars.resize(vars);
        check_match_at(tk::kw_end, who, line);
    }

    // The until condition sees the body's locals, so the scope ends after it.
    // With a <close> variable in the body, the condition must run inside the
    // body's function: `until c` becomes `if c then <break> end ... until
    // false`, the break leaving through the close scopes like any other.
    void repeatstat(uint32_t line) {
        size_t who = pos_;
        copy();
        size_t vars = fs().vars.size();
        size_t closes = fs().closes.size();
        ++fs().loop_depth;
        statlist();
        if (fs().closes.size() > closes && cur().kind == tk::kw_until) {
            replace("if");
            expr();
            close_scope &c = fs().closes.back();
            c.breaks = true;
            out_.append(" then do return 2 end end");
            end_close_scopes(closes);
            out_.append(" until false");
            --fs().loop_depth;
            fs().vars.resize(vars);
            return;
        }
        end_close_scopes(closes);
        --fs().loop_depth;
        check_match_at(tk::kw_until, who, line);
        expr();
        fs().vars.resize(vars);
    }

    void funcstat(uint32_t line) {
        size_t who = pos_;
        copy();
        copy_name();
        while (copy_if(tk::dot))
            copy_name();
        bool method = copy_if(tk::colon);
        if (method)
            copy_name();
        body(method, who, line);
    }

    void localstat() {
        struct declared {
            std::string_view name;
            bool is_const, is_close;
        };
        std::vector<declared> names;
        int closes = 0;
        do {
            declared d{copy_name(), false, false};
            if (cur().kind == tk::lt) {
                flush_to(cur().start);
                emitted_ = cur().end; // drop '<', keep the trivia before it
                ++pos_;
                if (cur().kind != tk::name)
                    error_expected(tk::name);
                std::string_view attrib = text(cur());
                d.is_const = attrib == "const" || attrib == "close";
                d.is_close = attrib == "close";
                if (!d.is_const)
                    semantic_error(cur().line, "unknown attribute '" + std::string(attrib) + "'");
                flush_to(cur().start);
                emitted_ = cur().end;
                ++pos_;
                if (cur().kind != tk::gt)
                    error_expected(tk::gt);
                flush_to(cur().start);
                emitted_ = cur().end;
                ++pos_;
                changed_ = true;
                if (d.is_close && ++closes > 1)
                    semantic_error(cur().line, "multiple to-be-closed variables in local list");
            }
            names.push_back(d);
        } while (copy_if(tk::comma));
        if (copy_if(tk::assign))
            explist();
        copy_if(tk::semi);
        for (const declared &d : names)
            fs().vars.push_back({d.name, d.is_const});
        for (const declared &d : names)
            if (d.is_close)
                open_close_scope(d.name);
    }

    void retstat() {
        bool escapes = !fs().closes.empty();
        if (escapes) {
            fs().closes.back().returns = true;
            replace("do return 1," + helper("pack"));
        } else {
            copy();
        }
        if (!block_follow(cur().kind, true) && cur().kind != tk::semi)
            explist();
        if (escapes)
            out_.append(") end");
        copy_if(tk::semi);
        if (!block_follow(cur().kind, true))
            error_at(cur(), "'<eof>' expected");
    }

    void breakstat() {
        close_scope *c = fs().closes.empty() ? nullptr : &fs().closes.back();
        if (fs().loop_depth == 0)
            semantic_error(cur().line,
                           "break outside a loop at line " + std::to_string(cur().line));
        if (c != nullptr && c->loop_depth == fs().loop_depth) {
            c->breaks = true;
            replace("do return 2 end");
        } else {
            replace("do break end");
        }
    }

    void gotostat() {
        size_t start = mark();
        copy();
        std::string_view label = copy_name();
        if (!fs().closes.empty())
            fs().closes.back().gotos.push_back({start, out_.size(), label});
    }

    void exprstat() {
        target t = suffixedexp();
        if (cur().kind == tk::assign || cur().kind == tk::comma) {
            check_assignable(t);
            while (copy_if(tk::comma)) {
                target next = suffixedexp();
                check_assignable(next);
            }
            copy_expected(tk::assign);
            explist();
        } else if (!t.is_call) {
            error_at(cur(), "syntax error");
        }
    }

    // ---- <close> ----
    void open_close_scope(std::string_view name) {
        close_scope c;
        c.id = ++close_count_;
        c.loop_depth = fs().loop_depth;
        std::string id = std::to_string(c.id);
        std::string n(name);
        out_.append(" " + helper("closable") + n + ",\"" + n + "\") local __L54s" + id + ",__L54r" +
                    id + "=" + helper("run") + n + ",function(" + (fs().vararg ? "..." : "") + ")");
        fs().closes.push_back(std::move(c));
    }

    void end_close_scopes(size_t keep) {
        while (fs().closes.size() > keep)
            close_scope_end();
    }

    void close_all_scopes() { end_close_scopes(0); }

    // Placed right after the scope's last token: its line is the block's last.
    void close_scope_end() {
        close_scope c = std::move(fs().closes.back());
        fs().closes.pop_back();
        resolve_gotos(c);
        std::string id = std::to_string(c.id);
        std::string s = "__L54s" + id, r = "__L54r" + id;
        out_.append(std::string(" end") + (fs().vararg ? ",...)" : ")"));
        if (c.returns) {
            out_.append(" if " + s + "==1 then ");
            if (!fs().closes.empty()) {
                fs().closes.back().returns = true;
                out_.append("do return 1," + r + " end");
            } else {
                out_.append("return " + helper("unpack") + r + ")");
            }
            out_.append(" end");
        }
        if (c.breaks) {
            out_.append(" if " + s + "==2 then ");
            close_scope *outer = fs().closes.empty() ? nullptr : &fs().closes.back();
            if (outer && outer->loop_depth == fs().loop_depth) {
                outer->breaks = true;
                out_.append("do return 2 end");
            } else {
                out_.append("do break end");
            }
            out_.append(" end");
        }
        for (std::string_view label : c.escapes) {
            out_.append(" if " + s + "==3 and " + r + "==\"" + std::string(label) + "\" then ");
            size_t start = out_.size();
            out_.append("goto " + std::string(label));
            if (!fs().closes.empty())
                fs().closes.back().gotos.push_back({start, out_.size(), label});
            out_.append(" end");
        }
    }

    // A goto to a label outside the scope leaves the function it runs in.
    void resolve_gotos(close_scope &c) {
        for (auto j = c.gotos.rbegin(); j != c.gotos.rend(); ++j) {
            if (std::find(c.labels.begin(), c.labels.end(), j->label) != c.labels.end())
                continue;
            if (std::find(c.escapes.begin(), c.escapes.end(), j->label) == c.escapes.end())
                c.escapes.push_back(j->label);
            auto newlines = std::count(out_.begin() + static_cast<std::ptrdiff_t>(j->start),
                                       out_.begin() + static_cast<std::ptrdiff_t>(j->end), '\n');
            std::string with = "do return 3,\"" + std::string(j->label) + "\" end";
            with.append(static_cast<size_t>(newlines), '\n');
            out_.replace(j->start, j->end - j->start, with);
        }
    }

    // ---- expressions ----
    struct target {
        bool is_name = false, is_call = false;
        std::string_view name;
    };

    void check_assignable(const target &t) {
        if (!t.is_name)
            return;
        const local_var *v = find_local(t.name);
        if (v != nullptr && v->is_const)
            semantic_error(cur().line,
                           "attempt to assign to const variable '" + std::string(t.name) + "'");
    }

    void explist() {
        expr();
        while (copy_if(tk::comma))
            expr();
    }

    void expr() { subexpr(0); }

    // Recursion is bounded as in LuaJIT's parser (LJ_MAX_XLEVEL).
    struct level_guard {
        translator &t;
        explicit level_guard(translator &owner) : t(owner) {
            if (++t.depth_ > 200)
                t.error_at(t.cur(), "chunk has too many syntax levels");
        }
        ~level_guard() { --t.depth_; }
        level_guard(const level_guard &) = delete;
        level_guard &operator=(const level_guard &) = delete;
    };

    void subexpr(int limit) {
        level_guard level(*this);
        size_t start = mark();
        tk k = cur().kind;
        if (k == tk::tilde) {
            changed_ = uses_helpers_ = true;
            replace(bnot_call);
            subexpr(unary_priority);
            out_.append("))");
        } else if (k == tk::kw_not || k == tk::minus || k == tk::hash) {
            copy();
            subexpr(unary_priority);
        } else {
            simpleexp();
        }
        for (;;) {
            tk op = cur().kind;
            priority p = binary_priority(op);
            if (p.left <= limit)
                break;
            if (std::string_view call = helper_of(op); !call.empty()) {
                changed_ = uses_helpers_ = true;
                out_.insert(start, call);
                replace(",");
                subexpr(p.right);
                out_.append("))");
            } else {
                copy();
                subexpr(p.right);
            }
        }
    }

    // 5.4 reads a hex integer numeral modulo 2^64 (0xFFFFFFFFFFFFFFFF is -1);
    // LuaJIT reads it as a float, so one that wraps negative is rewritten.
    void number() {
        std::string_view t = text(cur());
        if (t.size() < 18 || t[0] != '0' || (t[1] | 0x20) != 'x') {
            copy();
            return;
        }
        uint64_t v = 0;
        for (char c : t.substr(2)) {
            unsigned char d = static_cast<unsigned char>(c);
            unsigned digit = 0;
            if (is_digit(d))
                digit = d - '0';
            else if ((d | 0x20) >= 'a' && (d | 0x20) <= 'f')
                digit = (d | 0x20) - 'a' + 10;
            else {
                copy(); // a float or a LuaJIT suffix: as it is
                return;
            }
            v = v << 4 | digit;
        }
        if (static_cast<int64_t>(v) >= 0) {
            copy();
            return;
        }
        changed_ = true;
        replace("(-" + std::to_string(0 - v) + ")");
    }

    void simpleexp() {
        switch (cur().kind) {
        case tk::number:
            number();
            break;
        case tk::string:
        case tk::kw_nil:
        case tk::kw_true:
        case tk::kw_false:
        case tk::vararg:
            copy();
            break;
        case tk::lbrace:
            constructor();
            break;
        case tk::kw_function: {
            uint32_t line = cur().line;
            size_t who = pos_;
            copy();
            body(false, who, line);
            break;
        }
        default:
            suffixedexp();
            break;
        }
    }

    target primaryexp() {
        target t;
        if (cur().kind == tk::name) {
            t.is_name = true;
            t.name = copy_name();
        } else if (cur().kind == tk::lparen) {
            uint32_t line = cur().line;
            size_t who = pos_;
            copy();
            expr();
            check_match_at(tk::rparen, who, line);
        } else {
            error_at(cur(), "unexpected symbol");
        }
        return t;
    }

    target suffixedexp() {
        target t = primaryexp();
        for (;;) {
            switch (cur().kind) {
            case tk::dot:
                copy();
                copy_name();
                t = target{};
                break;
            case tk::lbracket:
                copy();
                expr();
                copy_expected(tk::rbracket);
                t = target{};
                break;
            case tk::colon:
                copy();
                copy_name();
                funcargs();
                t = target{false, true, {}};
                break;
            case tk::lparen:
            case tk::string:
            case tk::lbrace:
                funcargs();
                t = target{false, true, {}};
                break;
            default:
                return t;
            }
        }
    }

    void funcargs() {
        uint32_t line = cur().line;
        switch (cur().kind) {
        case tk::string:
            copy();
            break;
        case tk::lbrace:
            constructor();
            break;
        case tk::lparen: {
            size_t who = pos_;
            copy();
            if (cur().kind != tk::rparen)
                explist();
            check_match_at(tk::rparen, who, line);
            break;
        }
        default:
            error_at(cur(), "function arguments expected");
        }
    }

    void constructor() {
        uint32_t line = cur().line;
        size_t who = pos_;
        copy_expected(tk::lbrace);
        while (cur().kind != tk::rbrace) {
            if (cur().kind == tk::name && peek().kind == tk::assign) {
                copy();
                copy();
                expr();
            } else if (cur().kind == tk::lbracket) {
                copy();
                expr();
                copy_expected(tk::rbracket);
                copy_expected(tk::assign);
                expr();
            } else {
                expr();
            }
            if (!copy_if(tk::comma) && !copy_if(tk::semi))
                break;
        }
        check_match_at(tk::rbrace, who, line);
    }

    void body(bool method, size_t who, uint32_t line) {
        function_state f;
        if (method)
            f.vars.push_back({"self", false});
        copy_expected(tk::lparen);
        if (cur().kind != tk::rparen) {
            do {
                if (cur().kind == tk::vararg) {
                    copy();
                    f.vararg = true;
                    break;
                }
                f.vars.push_back({copy_name(), false});
            } while (copy_if(tk::comma));
        }
        copy_expected(tk::rparen);
        functions_.push_back(std::move(f));
        statlist();
        close_all_scopes();
        functions_.pop_back();
        check_match_at(tk::kw_end, who, line);
    }

    std::string_view src_;
    std::string_view chunkname_;
    std::vector<token> toks_;
    size_t pos_ = 0;
    size_t emitted_ = 0;
    size_t prelude_at_ = 0;
    int close_count_ = 0;
    int depth_ = 0;
    bool changed_ = false;      // anything rewritten
    bool uses_helpers_ = false; // the prelude is needed
    std::string out_;
    std::vector<function_state> functions_;
};

} // namespace

std::string chunk_id(std::string_view name) {
    constexpr size_t idsize = 60; // LUA_IDSIZE, with its terminating zero
    if (!name.empty() && name[0] == '=')
        return std::string(name.substr(1, idsize - 1));
    if (!name.empty() && name[0] == '@') {
        name.remove_prefix(1);
        if (name.size() <= idsize - 1)
            return std::string(name);
        return "..." + std::string(name.substr(name.size() - (idsize - 1 - 3)));
    }
    constexpr size_t room = idsize - 15; // [string "..."] and the zero
    size_t nl = name.find('\n');
    size_t len = std::min(nl, name.size());
    if (len == name.size() && len < room)
        return "[string \"" + std::string(name) + "\"]";
    return "[string \"" + std::string(name.substr(0, std::min(len, room))) + "...\"]";
}

outcome translate(std::string_view source, std::string_view chunkname, std::string &code) {
    if (!source.empty() && source[0] == '\x1b')
        return outcome::unchanged;
    std::vector<token> tokens;
    try {
        lexer scanner(source, chunkname);
        if (!scanner.has_new_syntax())
            return outcome::unchanged;
    } catch (const syntax_error &) {
        return outcome::unchanged; // before any 5.4 token: LuaJIT reports it
    }
    try {
        lexer(source, chunkname).run(tokens);
    } catch (const syntax_error &e) {
        code = e.message;
        return outcome::error;
    }
    try {
        std::string out;
        if (!translator(source, chunkname, std::move(tokens)).run(out))
            return outcome::unchanged;
        code = std::move(out);
        return outcome::translated;
    } catch (const syntax_error &e) {
        code = e.message;
        return outcome::error;
    }
}

} // namespace lua54
