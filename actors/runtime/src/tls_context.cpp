#include "workers/actors/tls_context.hpp"

#include <csignal>
#include <fstream>

#include <pthread.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "workers/error.hpp"

namespace workers {

using caf::io::network::rw_state;

namespace {

// Drains OpenSSL's error queue into one line.
std::string ssl_errors() {
  std::string result;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    result += (result.empty() ? "" : "; ") + std::string{buf};
  }
  return result.empty() ? "no details from OpenSSL" : result;
}

// The subject's common name, or empty if it has none (or an odd one).
std::string common_name(X509* cert) {
  auto name = X509_get_subject_name(cert);
  auto index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0)
    return {};
  auto data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  auto len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len <= 0)
    return {};
  std::string result(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  if (result.find('\0') != std::string::npos)
    return {};
  return result;
}

int passphrase_callback(char* buf, int size, int, void* user) {
  auto& pass = *static_cast<std::string*>(user);
  auto n = std::min(pass.size(), static_cast<size_t>(size));
  std::copy_n(pass.data(), n, buf);
  return static_cast<int>(n);
}

caf::error unreadable(const std::string& what, const std::string& key,
                      const std::string& path) {
  return make_error(
    errc::bad_argument,
    path.empty() ? "TLS needs " + what + " (" + key +
                     ", or [cluster] certificates; [cluster] insecure=true "
                     "turns TLS off for local development)"
                 : "cannot read " + what + " " + path + " (" + key + ")");
}

// OpenSSL writes to sockets with write(2): a peer that hung up would raise
// SIGPIPE and end the process. Blocking it in the I/O thread turns that into
// EPIPE, which fails the connection only.
void block_sigpipe_in_this_thread() {
  thread_local bool blocked = false;
  if (blocked)
    return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  blocked = true;
}

} // namespace

caf::expected<std::string> certificate_principal(const std::string& path) {
  auto file = fopen(path.c_str(), "r");
  if (file == nullptr)
    return unreadable("the certificate", "openssl.certificate", path);
  auto cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  fclose(file);
  if (cert == nullptr)
    return make_error(errc::bad_argument,
                      "no PEM certificate in " + path + ": " + ssl_errors());
  auto cn = common_name(cert);
  X509_free(cert);
  if (cn.empty())
    return make_error(errc::bad_argument,
                      "the certificate " + path +
                        " has no common name (CN), which names its principal");
  return cn;
}

caf::expected<std::shared_ptr<tls_context>> tls_context::make(tls_files files) {
  struct item {
    const std::string& path;
    const char* what;
    const char* key;
  };
  for (auto& x :
       {item{files.certificate, "the certificate", "openssl.certificate"},
        item{files.key, "the private key", "openssl.key"},
        item{files.cafile, "the CA file", "openssl.cafile"}})
    if (x.path.empty() || !std::ifstream{x.path})
      return unreadable(x.what, x.key, x.path);
  auto principal = certificate_principal(files.certificate);
  if (!principal)
    return principal.error();
  std::shared_ptr<tls_context> result{new tls_context};
  result->principal_ = std::move(*principal);
  result->passphrase_ = files.passphrase;
  auto ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr)
    return make_error(errc::bad_argument,
                      "cannot create a TLS context: " + ssl_errors());
  result->ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_default_passwd_cb(ctx, passphrase_callback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, &result->passphrase_);
  auto fail = [](const std::string& what) {
    return make_error(errc::bad_argument, what + ": " + ssl_errors());
  };
  if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate.c_str()) != 1)
    return fail("cannot use the certificate " + files.certificate);
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) !=
      1)
    return fail("cannot use the private key " + files.key);
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail("the private key " + files.key +
                " does not belong to the certificate " + files.certificate);
  if (SSL_CTX_load_verify_locations(ctx, files.cafile.c_str(), nullptr) != 1)
    return fail("cannot use the CA file " + files.cafile);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  return result;
}

tls_context::~tls_context() {
  SSL_CTX_free(ctx_);
}

std::unique_ptr<tls_session>
tls_context::open(caf::io::network::native_socket fd, bool accepting) {
  auto ssl = SSL_new(ctx_);
  if (ssl == nullptr)
    return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  if (accepting)
    SSL_set_accept_state(ssl);
  else
    SSL_set_connect_state(ssl);
  return std::make_unique<tls_session>(shared_from_this(), ssl);
}

tls_session::tls_session(std::shared_ptr<tls_context> owner, ssl_st* ssl)
  : owner_(std::move(owner)), ssl_(ssl) {
  // nop
}

tls_session::~tls_session() {
  SSL_free(ssl_);
}

rw_state tls_session::failed(int ret, size_t& result) {
  result = 0;
  switch (SSL_get_error(ssl_, ret)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return rw_state::success;
  default:
    ERR_clear_error();
    return rw_state::failure;
  }
}

rw_state tls_session::handshake(size_t& result) {
  block_sigpipe_in_this_thread();
  auto ret = SSL_do_handshake(ssl_);
  if (ret != 1)
    return failed(ret, result);
  auto cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr || SSL_get_verify_result(ssl_) != X509_V_OK) {
    X509_free(cert);
    result = 0;
    return rw_state::failure;
  }
  peer_principal_ = common_name(cert);
  X509_free(cert);
  result = 0;
  if (peer_principal_.empty())
    return rw_state::failure;
  established_ = true;
  return rw_state::success;
}

rw_state tls_session::read_some(size_t& result, void* buf, size_t len) {
  if (!established_) {
    auto state = handshake(result);
    if (!established_)
      return state;
  }
  if (len == 0) {
    result = 0;
    return rw_state::indeterminate;
  }
  auto ret = SSL_read(ssl_, buf, static_cast<int>(len));
  if (ret <= 0)
    return failed(ret, result);
  result = static_cast<size_t>(ret);
  return rw_state::success;
}

rw_state tls_session::write_some(size_t& result, const void* buf, size_t len) {
  if (!established_) {
    auto state = handshake(result);
    if (!established_) {
      // Nothing to write and the handshake waits for the peer: stop
      // polling for writability (the read side drives it on).
      if (state == rw_state::success && len == 0 && SSL_want_read(ssl_))
        return rw_state::indeterminate;
      return state;
    }
  }
  if (len == 0) {
    result = 0;
    return rw_state::indeterminate;
  }
  block_sigpipe_in_this_thread();
  auto ret = SSL_write(ssl_, buf, static_cast<int>(len));
  if (ret <= 0)
    return failed(ret, result);
  result = static_cast<size_t>(ret);
  return rw_state::success;
}

bool tls_session::wants_write() const {
  return SSL_want_write(ssl_);
}

bool tls_session::must_read_more(size_t threshold) const {
  return established_ && static_cast<size_t>(SSL_pending(ssl_)) >= threshold;
}

} // namespace workers
