// TLS between BeastHttpClient and HttpServer, with self-signed certificates made at test time.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <boost/asio/io_context.hpp>

#include "net/beast_http_client.hpp"
#include "net/http_server.hpp"
#include "net/io_runner.hpp"

namespace csync {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

struct TempDir {
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() /
               ("csync-tls-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path path;
};

struct CertFiles {
    std::string cert;
    std::string key;
};

// A self-signed P-256 certificate for `subject_alt_names` ("DNS:localhost,IP:127.0.0.1"),
// usable as its own trust anchor.
CertFiles make_self_signed(const fs::path& dir, const std::string& stem,
                           const std::string& subject_alt_names) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    if (!key || !cert) {
        throw std::runtime_error("OpenSSL could not allocate a key or certificate");
    }
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("csync test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] :
         {std::pair{NID_subject_alt_name, subject_alt_names},
          std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        if (ext == nullptr) {
            throw std::runtime_error("bad certificate extension " + value);
        }
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        throw std::runtime_error("cannot sign the test certificate");
    }
    CertFiles files{(dir / (stem + ".crt")).string(), (dir / (stem + ".key")).string()};
    std::unique_ptr<FILE, decltype(&std::fclose)> cert_out(std::fopen(files.cert.c_str(), "w"),
                                                           std::fclose);
    std::unique_ptr<FILE, decltype(&std::fclose)> key_out(std::fopen(files.key.c_str(), "w"),
                                                          std::fclose);
    if (!cert_out || !key_out || !PEM_write_X509(cert_out.get(), cert.get()) ||
        !PEM_write_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
        throw std::runtime_error("cannot write the test certificate to " + dir.string());
    }
    return files;
}

class TlsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        good_ = make_self_signed(dir_.path, "good", "DNS:localhost,IP:127.0.0.1");
        other_ = make_self_signed(dir_.path, "other", "DNS:other.example");
    }

    void serve_with(const CertFiles& files) {
        HttpServerOptions options;
        options.tls_cert_file = files.cert;
        options.tls_key_file = files.key;
        server_ = std::make_unique<HttpServer>(
            ioc_.get_executor(), options, [](ServerRequest r) -> asio::awaitable<ServerResponse> {
                ServerResponse resp;
                resp.body = "secure " + r.path;
                co_return resp;
            });
        auto started = server_->start();
        ASSERT_TRUE(started.ok()) << started.error().describe();
    }

    Result<HttpResponse> get(HttpClientOptions options, const std::string& path = "/hello") {
        BeastHttpClient client(ioc_.get_executor(), std::move(options));
        return get_with(client, path);
    }

    Result<HttpResponse> get_with(BeastHttpClient& client, const std::string& path) {
        HttpRequest request;
        request.url = "https://127.0.0.1:" + std::to_string(server_->port()) + path;
        request.timeout = std::chrono::seconds(10);
        return testing::run(ioc_, client.send(request));
    }

    TempDir dir_;
    CertFiles good_;
    CertFiles other_;
    asio::io_context ioc_;
    std::unique_ptr<HttpServer> server_;
};

TEST_F(TlsTest, VerifiedAgainstTheGivenCaFile) {
    serve_with(good_);
    HttpClientOptions options;
    options.ca_file = good_.cert;
    BeastHttpClient client(ioc_.get_executor(), options);
    auto r = get_with(client, "/hello");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "secure /hello");
    // TLS connections are pooled like plain ones.
    ASSERT_TRUE(get_with(client, "/again").ok());
    EXPECT_EQ(server_->connections_accepted(), 1u);
}

TEST_F(TlsTest, SystemStoreRejectsASelfSignedCertificateAsConfigError) {
    serve_with(good_);
    auto r = get(HttpClientOptions{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    EXPECT_EQ(r.error().message.rfind("TLS certificate of 127.0.0.1 not trusted: ", 0), 0u)
        << r.error().message;
    EXPECT_NE(r.error().message.find("set tls.ca_file or fix the server certificate"),
              std::string::npos);
}

TEST_F(TlsTest, VerificationOffAcceptsAnyCertificate) {
    serve_with(other_);
    HttpClientOptions options;
    options.verify_tls = false;
    auto r = get(options);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->body, "secure /hello");
}

TEST_F(TlsTest, HostNameMismatchIsConfigErrorEvenWhenTheCaIsTrusted) {
    serve_with(other_);
    HttpClientOptions options;
    options.ca_file = other_.cert;
    auto r = get(options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    EXPECT_EQ(r.error().message,
              "TLS certificate of 127.0.0.1 not trusted: the certificate is not valid for "
              "127.0.0.1; set tls.ca_file or fix the server certificate");
}

TEST_F(TlsTest, ACaFileThatDoesNotExistIsConfigError) {
    serve_with(good_);
    HttpClientOptions options;
    options.ca_file = (dir_.path / "missing.pem").string();
    auto r = get(options);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    EXPECT_EQ(r.error().message,
              "tls.ca_file " + *options.ca_file + " does not exist or is not a file");
}

TEST_F(TlsTest, ServerWithAMissingKeyRefusesToStart) {
    HttpServerOptions options;
    options.tls_cert_file = good_.cert;
    options.tls_key_file = (dir_.path / "nokey.pem").string();
    HttpServer server(
        ioc_.get_executor(), options,
        [](ServerRequest) -> asio::awaitable<ServerResponse> { co_return ServerResponse{}; });
    auto r = server.start();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::config);
    EXPECT_EQ(r.error().message.rfind("cannot load TLS private key " + *options.tls_key_file, 0),
              0u)
        << r.error().message;
}

}  // namespace
}  // namespace csync
