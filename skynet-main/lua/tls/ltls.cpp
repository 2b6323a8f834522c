// ltls.c: TLS on OpenSSL over memory BIOs, for http.tlshelper. The socket
// stays with skynet.socket; a connection object only turns ciphertext that
// Lua read into plaintext and back:
//   newctx() -> ctx          ctx:set_cert(certfile, keyfile), ctx:set_ciphers(list)
//   newtls("client"|"server", ctx [, servername]) -> tls
//   tls:handshake([bytes]) -> bytes to send, or nothing
//   tls:finished()  tls:read(bytes) -> plaintext  tls:write(plaintext) -> bytes
//   tls:set_ext_host_name(name)  tls:close()
// Certificates are not verified (as upstream): the module gives privacy, not
// authentication.
#include "modules.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <new>
#include <string_view>

namespace {

constexpr const char *kCtxMeta = "ltls.ctx";
constexpr const char *kTlsMeta = "ltls.connection";

// The newest queued OpenSSL error as text (and the queue emptied), for
// messages that say more than a number.
std::string_view ssl_error_text(std::array<char, 256> &buf) {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "no OpenSSL error queued";
    ERR_error_string_n(code, buf.data(), buf.size());
    return buf.data();
}

int raise_ssl(lua_State *L, const char *what, int detail) {
    std::array<char, 256> buf;
    std::string_view text = ssl_error_text(buf);
    return luaL_error(L, "%s error:%d (%s)", what, detail, text.data());
}

// ------------------------------------------------------------ contexts

struct Context {
    SSL_CTX *ctx = nullptr;
};

Context &check_ctx(lua_State *L, int idx) {
    auto *c = static_cast<Context *>(luaL_checkudata(L, idx, kCtxMeta));
    if (!c->ctx)
        luaL_error(L, "tls context is freed");
    return *c;
}

int ctx_gc(lua_State *L) {
    auto *c = static_cast<Context *>(luaL_checkudata(L, 1, kCtxMeta));
    SSL_CTX_free(c->ctx); // connections made from it hold their own reference
    c->ctx = nullptr;
    return 0;
}

int ctx_set_cert(lua_State *L) {
    Context &c = check_ctx(L, 1);
    const char *cert = luaL_checkstring(L, 2);
    const char *key = luaL_checkstring(L, 3);
    if (SSL_CTX_use_certificate_chain_file(c.ctx, cert) != 1)
        return raise_ssl(L, "SSL_CTX_use_certificate_chain_file", 0);
    if (SSL_CTX_use_PrivateKey_file(c.ctx, key, SSL_FILETYPE_PEM) != 1)
        return raise_ssl(L, "SSL_CTX_use_PrivateKey_file", 0);
    if (SSL_CTX_check_private_key(c.ctx) != 1)
        return raise_ssl(L, "SSL_CTX_check_private_key", 0);
    return 0;
}

int ctx_set_ciphers(lua_State *L) {
    Context &c = check_ctx(L, 1);
    const char *list = luaL_checkstring(L, 2);
    if (SSL_CTX_set_cipher_list(c.ctx, list) != 1)
        return raise_ssl(L, "SSL_CTX_set_cipher_list", 0);
    return 0;
}

int new_ctx(lua_State *L) {
    auto *c = static_cast<Context *>(lua_newuserdata(L, sizeof(Context)));
    new (c) Context{};
    luaL_getmetatable(L, kCtxMeta);
    lua_setmetatable(L, -2);
    c->ctx = SSL_CTX_new(TLS_method());
    if (!c->ctx)
        return raise_ssl(L, "SSL_CTX_new", 0);
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    return 1;
}

// --------------------------------------------------------- connections

// The SSL owns both BIOs: `incoming` holds ciphertext from the peer,
// `outgoing` what must be sent to it.
struct Connection {
    SSL *ssl = nullptr;
    BIO *incoming = nullptr;
    BIO *outgoing = nullptr;

    void close() {
        SSL_free(ssl);
        ssl = nullptr;
        incoming = outgoing = nullptr;
    }
};

Connection &check_tls(lua_State *L, int idx) {
    auto *t = static_cast<Connection *>(luaL_checkudata(L, idx, kTlsMeta));
    if (!t->ssl)
        luaL_error(L, "context is closed");
    return *t;
}

int tls_close(lua_State *L) {
    static_cast<Connection *>(luaL_checkudata(L, 1, kTlsMeta))->close();
    return 0;
}

// Feeds the Lua string at idx (if any) to the SSL as received ciphertext.
void feed(lua_State *L, Connection &t, int idx) {
    size_t len = 0;
    const char *data = lua_tolstring(L, idx, &len);
    while (data && len > 0) {
        int n = BIO_write(t.incoming, data, static_cast<int>(len));
        if (n <= 0)
            luaL_error(L, "BIO_write error:%d", n);
        data += n;
        len -= static_cast<size_t>(n);
    }
}

// Pushes every pending outgoing byte as one string ("" when none).
void push_outgoing(lua_State *L, Connection &t) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    std::array<char, 4096> chunk;
    while (BIO_ctrl_pending(t.outgoing) > 0) {
        int n = BIO_read(t.outgoing, chunk.data(), static_cast<int>(chunk.size()));
        if (n <= 0)
            break;
        luaL_addlstring(&b, chunk.data(), static_cast<size_t>(n));
    }
    luaL_pushresult(&b);
}

bool wants_io(int err) {
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
}

int tls_handshake(lua_State *L) {
    Connection &t = check_tls(L, 1);
    if (SSL_is_init_finished(t.ssl))
        return luaL_error(L, "handshake is finished");
    feed(L, t, 2);
    int ret = SSL_do_handshake(t.ssl);
    if (ret != 1) {
        int err = SSL_get_error(t.ssl, ret);
        if (!wants_io(err))
            return raise_ssl(L, "SSL_do_handshake", err);
        ERR_clear_error();
    }
    // also after success: a TLS 1.3 client's Finished is still to be sent
    push_outgoing(L, t);
    if (lua_objlen(L, -1) == 0)
        return 0;
    return 1;
}

int tls_finished(lua_State *L) {
    lua_pushboolean(L, SSL_is_init_finished(check_tls(L, 1).ssl));
    return 1;
}

int tls_read(lua_State *L) {
    Connection &t = check_tls(L, 1);
    feed(L, t, 2);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    std::array<char, 4096> chunk;
    for (;;) {
        int n = SSL_read(t.ssl, chunk.data(), static_cast<int>(chunk.size()));
        if (n > 0) {
            luaL_addlstring(&b, chunk.data(), static_cast<size_t>(n));
            continue;
        }
        int err = SSL_get_error(t.ssl, n);
        if (wants_io(err) || err == SSL_ERROR_ZERO_RETURN) {
            ERR_clear_error();
            break;
        }
        return raise_ssl(L, "SSL_read", err);
    }
    luaL_pushresult(&b);
    return 1;
}

int tls_write(lua_State *L) {
    Connection &t = check_tls(L, 1);
    size_t len = 0;
    const char *data = luaL_optlstring(L, 2, "", &len);
    while (len > 0) {
        int n = SSL_write(t.ssl, data, static_cast<int>(len));
        if (n <= 0)
            return raise_ssl(L, "SSL_write", SSL_get_error(t.ssl, n));
        data += n;
        len -= static_cast<size_t>(n);
    }
    push_outgoing(L, t);
    return 1;
}

int tls_set_host_name(lua_State *L) {
    Connection &t = check_tls(L, 1);
    const char *name = luaL_checkstring(L, 2);
    lua_pushboolean(L, SSL_set_tlsext_host_name(t.ssl, name) == 1);
    return 1;
}

int new_tls(lua_State *L) {
    std::string_view method = luaL_optstring(L, 1, "nil");
    Context &c = check_ctx(L, 2);
    bool client = method == "client";
    if (!client && method != "server")
        return luaL_error(L, "invalid method:%s e.g[server, client]", method.data());
    auto *t = static_cast<Connection *>(lua_newuserdata(L, sizeof(Connection)));
    new (t) Connection{};
    luaL_getmetatable(L, kTlsMeta);
    lua_setmetatable(L, -2);
    t->ssl = SSL_new(c.ctx);
    if (!t->ssl)
        return raise_ssl(L, "SSL_new", 0);
    t->incoming = BIO_new(BIO_s_mem());
    t->outgoing = BIO_new(BIO_s_mem());
    if (!t->incoming || !t->outgoing) {
        BIO_free(t->incoming);
        BIO_free(t->outgoing);
        t->incoming = t->outgoing = nullptr;
        return raise_ssl(L, "BIO_new", 0);
    }
    // an empty memory BIO means "retry later", not end of stream
    BIO_set_mem_eof_return(t->incoming, -1);
    BIO_set_mem_eof_return(t->outgoing, -1);
    SSL_set_bio(t->ssl, t->incoming, t->outgoing);
    if (client) {
        SSL_set_connect_state(t->ssl);
        if (!lua_isnoneornil(L, 3))
            SSL_set_tlsext_host_name(t->ssl, luaL_checkstring(L, 3));
    } else {
        SSL_set_accept_state(t->ssl);
    }
    return 1;
}

void new_metatable(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc) {
    luaL_newmetatable(L, name);
    lua_newtable(L);
    luaL_register(L, nullptr, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
}

// OpenSSL 1.1+ initialises and cleans up after itself; these stay for
// configs and code that call them (bootstrap with enablessl = "true").
int init_constructor(lua_State *) {
    return 0;
}

int init_destructor(lua_State *) {
    return 0;
}

} // namespace

extern "C" int luaopen_ltls_c(lua_State *L) {
    const luaL_Reg ctx_methods[] = {
        {"set_cert", ctx_set_cert},
        {"set_ciphers", ctx_set_ciphers},
        {nullptr, nullptr},
    };
    const luaL_Reg tls_methods[] = {
        {"close", tls_close}, {"finished", tls_finished}, {"handshake", tls_handshake},
        {"read", tls_read},   {"write", tls_write},       {"set_ext_host_name", tls_set_host_name},
        {nullptr, nullptr},
    };
    new_metatable(L, kCtxMeta, ctx_methods, ctx_gc);
    new_metatable(L, kTlsMeta, tls_methods, tls_close);
    const luaL_Reg funcs[] = {
        {"newctx", new_ctx},
        {"newtls", new_tls},
        {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_register(L, nullptr, funcs);
    return 1;
}

extern "C" int luaopen_ltls_init_c(lua_State *L) {
    const luaL_Reg funcs[] = {
        {"constructor", init_constructor},
        {"destructor", init_destructor},
        {nullptr, nullptr},
    };
    lua_newtable(L);
    luaL_register(L, nullptr, funcs);
    return 1;
}
