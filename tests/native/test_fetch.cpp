// Downloads against a loopback HTTP server (tests/reference/range_server.py, 127.0.0.1 only):
// full download, resume after a dropped connection, a server that ignores Range, checksum
// mismatch cleanup, HTTP errors; sha256 against the FIPS 180-2 test vectors; the manifests;
// and (hidden tag [cli], run as its own ctest) `catdog fetch-weights` end to end.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "fetch/download.h"
#include "fetch/manifest.h"
#include "test_paths.h"

extern char** environ;
namespace fs = std::filesystem;
using namespace catdog::fetch;

namespace {

std::string work_root() { return CATDOG_FETCH_TMP; }

std::vector<char> read_all(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void write_all(const std::string& p, const std::vector<char>& b) {
    std::ofstream f(p, std::ios::binary);
    f.write(b.data(), std::streamsize(b.size()));
}

// The server, started once per test binary and stopped at exit.
class LoopbackServer {
public:
    static LoopbackServer& get() {
        static LoopbackServer s;
        return s;
    }
    std::string url(const std::string& mode, const std::string& name) const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/" + mode + "/" + name;
    }
    std::string root() const { return root_; }
    std::vector<char> blob;          // served as blob.bin
    std::string blob_sha;

    ~LoopbackServer() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
    }

private:
    LoopbackServer() {
        root_ = work_root() + "/server";
        fs::remove_all(root_);
        fs::create_directories(root_);
        std::mt19937 rng(42);
        blob.resize(3 * 1024 * 1024 + 17);
        for (auto& c : blob) c = char(rng());
        write_all(root_ + "/blob.bin", blob);
        blob_sha = sha256_file(root_ + "/blob.bin");
        const std::string portfile = root_ + "/port";
        std::string py = CATDOG_REF_PYTHON, script = catdog_test::source_dir() + "/tests/reference/range_server.py";
        std::vector<char*> argv = {py.data(), script.data(), root_.data(), const_cast<char*>(portfile.c_str()), nullptr};
        if (posix_spawn(&pid_, py.c_str(), nullptr, nullptr, argv.data(), environ) != 0) FAIL("cannot start " << py);
        for (int i = 0; i < 200 && !fs::exists(portfile); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::ifstream f(portfile);
        if (!(f >> port_)) FAIL("range_server.py did not start");
    }
    pid_t pid_ = -1;
    int port_ = 0;
    std::string root_;
};

// A fresh output folder per test.
std::string fresh_dir(const std::string& name) {
    std::string d = work_root() + "/out/" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

DownloadOptions opts(const std::string& url, const std::string& out, const std::string& sha) {
    DownloadOptions o;
    o.url = url;
    o.out = out;
    o.sha256 = sha;
    o.progress = catdog::ProgressMode::None;
    o.retries = 0;
    o.connect_timeout_s = 10;
    o.low_speed_timeout_s = 10;
    return o;
}

}  // namespace

TEST_CASE("sha256_file matches the FIPS 180-2 test vectors", "[fetch]") {
    const std::string d = fresh_dir("sha");
    write_all(d + "/abc", {'a', 'b', 'c'});
    CHECK(sha256_file(d + "/abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    write_all(d + "/empty", {});
    CHECK(sha256_file(d + "/empty") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    std::vector<char> million(1000000, 'a');
    write_all(d + "/million", million);
    CHECK(sha256_file(d + "/million") == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(sha256_matches("cdc76e5c9914fb92", "CDC76E5C"));
    CHECK_FALSE(sha256_matches("cdc76e5c9914fb92", "cdc76e5d"));
    CHECK_FALSE(sha256_matches("cdc76e5c", ""));
}

TEST_CASE("download: a full transfer, verified and moved into place", "[fetch]") {
    auto& srv = LoopbackServer::get();
    const std::string out = fresh_dir("full") + "/sub/blob.bin";
    std::vector<std::pair<uint64_t, uint64_t>> seen;
    auto o = opts(srv.url("file", "blob.bin"), out, srv.blob_sha.substr(0, 8));
    o.on_progress = [&](uint64_t done, uint64_t total) { seen.emplace_back(done, total); };
    DownloadResult r = download(o);
    CHECK(r.path == out);
    CHECK(r.bytes == srv.blob.size());
    CHECK(r.sha256 == srv.blob_sha);
    CHECK_FALSE(r.resumed);
    CHECK(read_all(out) == srv.blob);
    CHECK_FALSE(fs::exists(out + ".part"));
    REQUIRE(!seen.empty());
    CHECK(seen.back().first == srv.blob.size());
    CHECK(seen.back().second == srv.blob.size());
    for (size_t k = 1; k < seen.size(); ++k) CHECK(seen[k].first >= seen[k - 1].first);

    SECTION("a second call finds the verified file and downloads nothing") {
        DownloadResult again = download(opts(srv.url("file", "missing.bin"), out, srv.blob_sha));
        CHECK(again.already_present);
        CHECK(again.sha256 == srv.blob_sha);
    }
    SECTION("redirects are followed") {
        const std::string out2 = fresh_dir("redirect") + "/blob.bin";
        download(opts(srv.url("redirect", "blob.bin"), out2, srv.blob_sha));
        CHECK(read_all(out2) == srv.blob);
    }
}

TEST_CASE("download: an interrupted transfer keeps .part and the next run resumes it with Range", "[fetch]") {
    auto& srv = LoopbackServer::get();
    const std::string out = fresh_dir("resume") + "/blob.bin";
    std::remove((srv.root() + "/requests.log").c_str());
    auto o = opts(srv.url("drop", "blob.bin"), out, srv.blob_sha);
    try {
        download(o);
        FAIL("the dropped transfer was accepted");
    } catch (const FetchError& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find("run again to resume") != std::string::npos);
    }
    REQUIRE(fs::exists(out + ".part"));
    const auto partial = fs::file_size(out + ".part");
    CHECK(partial > 0);
    CHECK(partial < srv.blob.size());
    CHECK_FALSE(fs::exists(out));

    DownloadResult r = download(o);
    CHECK(r.resumed);
    CHECK(read_all(out) == srv.blob);
    CHECK_FALSE(fs::exists(out + ".part"));
    // The server saw a plain request, then a Range request starting where the part ended.
    std::ifstream log(srv.root() + "/requests.log");
    std::string l1, l2;
    std::getline(log, l1);
    std::getline(log, l2);
    CHECK(l1 == "GET /drop/blob.bin ");
    CHECK(l2 == "GET /drop/blob.bin bytes=" + std::to_string(partial) + "-");
}

TEST_CASE("download: with retries, one call resumes by itself", "[fetch]") {
    auto& srv = LoopbackServer::get();
    const std::string out = fresh_dir("retry") + "/blob.bin";
    auto o = opts(srv.url("drop", "blob.bin"), out, srv.blob_sha);
    o.retries = 2;
    DownloadResult r = download(o);
    CHECK(r.resumed);
    CHECK(read_all(out) == srv.blob);
}

TEST_CASE("download: a server that ignores Range restarts the file from zero", "[fetch]") {
    auto& srv = LoopbackServer::get();
    const std::string out = fresh_dir("norange") + "/blob.bin";
    write_all(out + ".part", std::vector<char>(1000, 'x'));  // wrong bytes: must not survive
    DownloadResult r = download(opts(srv.url("norange", "blob.bin"), out, srv.blob_sha));
    CHECK_FALSE(r.resumed);
    CHECK(read_all(out) == srv.blob);
}

TEST_CASE("download: a checksum mismatch deletes the partial file and names both digests", "[fetch]") {
    auto& srv = LoopbackServer::get();
    const std::string out = fresh_dir("mismatch") + "/blob.bin";
    try {
        download(opts(srv.url("file", "blob.bin"), out, "deadbeef"));
        FAIL("a wrong checksum was accepted");
    } catch (const FetchError& e) {
        std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("sha256 mismatch") != std::string::npos);
        CHECK(msg.find("deadbeef") != std::string::npos);
        CHECK(msg.find(srv.blob_sha) != std::string::npos);
    }
    CHECK_FALSE(fs::exists(out));
    CHECK_FALSE(fs::exists(out + ".part"));

    SECTION("a corrupt, already complete .part (server answers 416) is deleted too") {
        write_all(out + ".part", std::vector<char>(srv.blob.size() + 5, 'y'));
        CHECK_THROWS_WITH(download(opts(srv.url("file", "blob.bin"), out, srv.blob_sha)),
                          Catch::Contains("sha256 mismatch"));
        CHECK_FALSE(fs::exists(out + ".part"));
    }
}

TEST_CASE("download: HTTP and network errors are one clear line", "[fetch]") {
    auto& srv = LoopbackServer::get();
    const std::string d = fresh_dir("errors");
    CHECK_THROWS_WITH(download(opts(srv.url("file", "nope.bin"), d + "/nope.bin", "")),
                      Catch::EndsWith("/file/nope.bin: HTTP 404 (not found)"));
    CHECK_FALSE(fs::exists(d + "/nope.bin"));
    CHECK_FALSE(fs::exists(d + "/nope.bin.part"));
    // A closed port on loopback: connection refused.
    CHECK_THROWS_AS(download(opts("http://127.0.0.1:1/x.bin", d + "/x.bin", "")), FetchError);
    CHECK_THROWS_WITH(download(opts(srv.url("file", "blob.bin"), d + "/b.bin", "xyz")),
                      Catch::Contains("8 to 64 hex digits"));
}

TEST_CASE("manifests: alexnet and mobilenet_v2 name their files, checksums and preprocessing", "[fetch]") {
    Manifest a = find_manifest("alexnet");
    CHECK(a.url == "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth");
    CHECK(a.file == "alexnet-owt-7be5be79.pth");
    CHECK(sha256_matches(a.sha256, "7be5be79"));  // torchvision's published prefix
    CHECK(a.mean == std::vector<float>{0.485f, 0.456f, 0.406f});
    CHECK(a.feature_dim == 4096);

    Manifest m = find_manifest("mobilenet_v2");
    CHECK(m.format == "tflite");
    CHECK(m.mean == std::vector<float>{0.5f, 0.5f, 0.5f});
    CHECK(m.feature_dim == 1280);
    // The manifest's digest is the real file's (../shared holds a copy).
    const std::string local = catdog_test::shared_dir() + "/weights/mobilenet_v2_1.0_224_quant/" + m.file;
    CHECK(sha256_file(local) == m.sha256);
    CHECK(fs::file_size(local) == m.size);

    CHECK_THROWS_WITH(find_manifest("resnet9000"), Catch::Contains("known: alexnet"));
    CHECK_THROWS_AS(find_manifest("../etc/passwd"), FetchError);
}

// `catdog fetch-weights` end to end; needs the full `catdog` build (ctest: test_fetch_cli).
TEST_CASE("catdog fetch-weights: download, verify, print the path; wrong sha256 exits non-zero", "[.][cli]") {
    auto& srv = LoopbackServer::get();
    const std::string d = fresh_dir("cli");
    // Serve a copy of the real mobilenet file under a loopback URL; the manifest's sha256 applies.
    const std::string src = catdog_test::shared_dir() +
                            "/weights/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite";
    fs::copy_file(src, srv.root() + "/mnv2.tflite", fs::copy_options::overwrite_existing);
    const char* env = std::getenv("CATDOG_EXE");  // override: a catdog built elsewhere
    const std::string exe = env && *env ? env : CATDOG_EXE;
    auto run = [&](const std::string& args) {
        std::string cmd = exe + " " + args + " > " + d + "/stdout 2> " + d + "/stderr";
        int rc = std::system(cmd.c_str());
        return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    };
    CHECK(run("fetch-weights mobilenet_v2 --progress lines --url " + srv.url("file", "mnv2.tflite") + " --out " + d) == 0);
    const std::string dest = d + "/mobilenet_v2_1.0_224_quant.tflite";
    CHECK(fs::exists(dest));
    auto so = read_all(d + "/stdout");
    CHECK(std::string(so.begin(), so.end()) == dest + "\n");
    auto se = read_all(d + "/stderr");
    CHECK(std::string(se.begin(), se.end()).find("100%") != std::string::npos);

    CHECK(run("fetch-weights alexnet --url " + srv.url("file", "blob.bin") + " --out " + d) != 0);
    auto err_bytes = read_all(d + "/stderr");
    std::string err(err_bytes.begin(), err_bytes.end());
    REQUIRE(err.size() > 1);
    const std::string last_line = err.substr(err.rfind('\n', err.size() - 2) + 1);
    CHECK(last_line.rfind("catdog fetch-weights: ", 0) == 0);
    CHECK(last_line.find("sha256 mismatch") != std::string::npos);
    CHECK_FALSE(fs::exists(d + "/alexnet-owt-7be5be79.pth.part"));

    CHECK(run("fetch " + srv.url("file", "blob.bin") + " --sha256 " + srv.blob_sha + " --out " + d + "/b.bin") == 0);
    CHECK(read_all(d + "/b.bin") == srv.blob);
}

// torchvision's ResNet-18, SqueezeNet 1.1 and MobileNet V2: the URLs torchvision's weight enums
// name (tests/reference/check_backbones.py compares them with torchvision itself), checked
// as torch.hub's check_hash does: the 8 hex digits after the file name's '-' are a prefix of
// the file's sha256.
TEST_CASE("manifests: torchvision's resnet18, squeezenet1_1 and mobilenet_v2 with their hash prefixes", "[fetch]") {
    struct Want { const char* name; const char* file; };
    for (const Want& w : {Want{"resnet18", "resnet18-f37072fd.pth"}, Want{"squeezenet1_1", "squeezenet1_1-b8a52dc0.pth"},
                          Want{"mobilenet_v2_torchvision", "mobilenet_v2-b0353104.pth"}}) {
        INFO(w.name);
        Manifest m = find_manifest(w.name);
        CHECK(m.format == "pth");
        CHECK(m.file == w.file);
        CHECK(m.url == std::string("https://download.pytorch.org/models/") + w.file);
        const std::string f = m.file;
        const std::string prefix = f.substr(f.rfind('-') + 1, f.rfind('.') - f.rfind('-') - 1);
        CHECK(prefix.size() == 8);
        CHECK(m.sha256 == prefix);
        CHECK(m.mean == std::vector<float>{0.485f, 0.456f, 0.406f});
        CHECK(m.top1 > 50);
    }
    CHECK(find_manifest("squeezenet1_1").feature_dim == 512 * 13 * 13);
    CHECK(find_manifest("resnet18").feature_dim == 512);
}

// Each through the CLI and the loopback server: a file that is not torchvision's fails the
// hash prefix and leaves nothing behind; with its own digest it lands under the manifest's name.
TEST_CASE("catdog fetch-weights resnet18|squeezenet1_1|mobilenet_v2_torchvision over loopback", "[.][cli]") {
    auto& srv = LoopbackServer::get();
    const char* env = std::getenv("CATDOG_EXE");
    const std::string exe = env && *env ? env : CATDOG_EXE;
    for (const char* name : {"resnet18", "squeezenet1_1", "mobilenet_v2_torchvision"}) {
        INFO(name);
        const std::string d = fresh_dir(std::string("tv_") + name);
        auto run = [&](const std::string& args) {
            std::string cmd = exe + " " + args + " > " + d + "/stdout 2> " + d + "/stderr";
            int rc = std::system(cmd.c_str());
            return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
        };
        const Manifest m = find_manifest(name);
        CHECK(run(std::string("fetch-weights ") + name + " --progress none --url " + srv.url("file", "blob.bin") +
                  " --out " + d) != 0);
        auto eb = read_all(d + "/stderr");
        const std::string err(eb.begin(), eb.end());
        CHECK(err.find("sha256 mismatch") != std::string::npos);
        CHECK(err.find(m.sha256) != std::string::npos);
        CHECK_FALSE(fs::exists(d + "/" + m.file));
        CHECK_FALSE(fs::exists(d + "/" + m.file + ".part"));
        CHECK(run(std::string("fetch-weights ") + name + " --progress none --url " + srv.url("file", "blob.bin") +
                  " --sha256 " + srv.blob_sha.substr(0, 8) + " --out " + d) == 0);
        auto so = read_all(d + "/stdout");
        CHECK(std::string(so.begin(), so.end()) == d + "/" + m.file + "\n");
        CHECK(read_all(d + "/" + m.file) == srv.blob);
    }
}
