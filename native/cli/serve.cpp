// cli/serve.cpp - `catdog serve --model RUN`: the browser app plus one run's model, on loopback.
//
//   /                  the built app folder (--web, default: the wasm build beside this binary)
//   /model/<file>      RUN's model.web.onnx, model.explain.onnx, model.json, metrics.csv, summary.json,
//                      val_results.json (nothing else)
//   /samples/index.json, /samples/<name>   a few photos from RUN's validation split
//   /model/photos/<file>  a photo listed in RUN's val_results.json, from the run's data folder
//
// Every response carries COOP: same-origin + COEP: require-corp, so the page is cross-origin
// isolated and ORT-web can use wasm threads, and the same Content-Security-Policy as the page.
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>
#include <algorithm>
#include <sstream>
#include <unistd.h>
#include "cli/command.h"

namespace catdog::cli {
namespace {
namespace fs = std::filesystem;

const char* kCsp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; "
    "img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'none'";

// Files of the run folder the page may read, with their types.
const std::map<std::string, std::string> kModelFiles = {
    {"model.web.onnx", "application/octet-stream"},
    {"model.json", "application/json"},
    {"metrics.csv", "text/csv; charset=utf-8"},
    {"summary.json", "application/json"},
    {"model.explain.onnx", "application/octet-stream"},
    {"val_results.json", "application/json"},
};

// The folder val_results.json's paths are relative to: the run's val folder, else its data.
fs::path photo_root(const fs::path& run) {
    std::ifstream in(run / "config.json");
    auto c = nlohmann::json::parse(in, nullptr, false);
    if (c.is_discarded() || !c.is_object()) return {};
    for (const char* k : {"val_dir", "data"})
        if (c.contains(k) && c[k].is_string() && !c[k].get<std::string>().empty()) return c[k].get<std::string>();
    return {};
}

// True when `file` is one of the photos val_results.json lists (only those are served).
bool listed_photo(const fs::path& run, const std::string& file) {
    std::ifstream in(run / "val_results.json");
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.contains("photos") || !j["photos"].is_array()) return false;
    for (const auto& p : j["photos"])
        if (p.is_object() && p.contains("file") && p["file"].is_string() && p["file"].get<std::string>() == file)
            return true;
    return false;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The built app: --web, else the wasm build folders a source checkout has beside this binary.
fs::path find_web_dir(const std::string& given) {
    std::vector<fs::path> tried;
    auto ok = [](const fs::path& d) { return fs::exists(d / "index.html") && fs::exists(d / "app.wasm"); };
    if (!given.empty()) {
        if (!ok(given)) throw Failure("--web " + given + ": no built app there (index.html and app.wasm)");
        return fs::canonical(given);
    }
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec).parent_path();  // BUILD/bin
    for (fs::path d : {exe / "../web", exe / "../share/catdog/web", exe / "../../build-wasm/web",
                       fs::current_path() / "build-wasm/web"}) {
        tried.push_back(d.lexically_normal());
        if (ok(d)) return fs::canonical(d);
    }
    std::string msg = "the built web app was not found (looked in";
    for (auto& t : tried) msg += " " + t.string();
    throw Failure(msg + "); build it with `make wasm` or pass --web DIR");
}

// Up to `per_class` photos of each class from the run's validation split (split.json), by the
// Kaggle naming rule (label = file name before the first dot).
std::vector<fs::path> pick_samples(const fs::path& run, int per_class) {
    std::vector<fs::path> out;
    std::ifstream in(run / "split.json");
    if (!in) return out;
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return out;
    fs::path data_dir;
    std::ifstream cin_(run / "config.json");
    if (cin_) {
        auto c = nlohmann::json::parse(cin_, nullptr, false);
        for (const char* k : {"data", "data_dir"})
            if (!c.is_discarded() && c.contains(k) && c[k].is_string()) data_dir = c[k].get<std::string>();
    }
    const nlohmann::json* val = nullptr;
    for (const char* k : {"val", "validation", "val_files"})
        if (j.contains(k) && j[k].is_array()) val = &j[k];
    if (!val) return out;
    std::map<std::string, int> taken;
    for (auto& e : *val) {
        std::string s = e.is_string() ? e.get<std::string>()
                        : e.is_object() && e.contains("path") ? e["path"].get<std::string>()
                        : e.is_object() && e.contains("file") ? e["file"].get<std::string>() : "";
        if (s.empty()) continue;
        fs::path p = s;
        if (p.is_relative() && !data_dir.empty()) p = data_dir / p;
        std::string name = p.filename().string();
        std::string label = name.substr(0, name.find('.'));
        if (taken[label] >= per_class || !fs::is_regular_file(p)) continue;
        ++taken[label];
        out.push_back(p);
    }
    std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    return out;
}

std::atomic<httplib::Server*> g_server{nullptr};
void on_signal(int) {
    if (auto* s = g_server.load()) s->stop();
}

struct ServeOptions {
    std::string model, host = "127.0.0.1", web;
    int port = 8080;
    int samples = 4;
};

void serve(const ServeOptions& o) {
    fs::path run = o.model;
    if (!fs::is_directory(run)) throw Failure(o.model + ": not a folder");
    for (const char* f : {"model.web.onnx", "model.json"})
        if (!fs::is_regular_file(run / f))
            throw Failure(o.model + ": no " + f + " (run `catdog export --model " + o.model + "` first)");
    fs::path web = find_web_dir(o.web);
    std::vector<fs::path> samples = pick_samples(run, o.samples);

    httplib::Server svr;
    svr.set_default_headers({
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Embedder-Policy", "require-corp"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Content-Security-Policy", kCsp},
        {"X-Content-Type-Options", "nosniff"},
        {"Cache-Control", "no-cache"},
    });
    for (auto [ext, type] : std::map<std::string, std::string>{
             {"wasm", "application/wasm"}, {"mjs", "text/javascript"}, {"js", "text/javascript"},
             {"html", "text/html; charset=utf-8"}, {"css", "text/css"}, {"json", "application/json"},
             {"onnx", "application/octet-stream"}, {"webp", "image/webp"}, {"jpg", "image/jpeg"},
             {"jpeg", "image/jpeg"}, {"png", "image/png"}})
        svr.set_file_extension_and_mimetype_mapping(ext, type);

    svr.Get(R"(/model/([A-Za-z0-9_.\-]+))", [run](const httplib::Request& req, httplib::Response& res) {
        auto it = kModelFiles.find(req.matches[1]);
        fs::path p = run / req.matches[1].str();
        if (it == kModelFiles.end() || !fs::is_regular_file(p)) {
            res.status = 404;
            res.set_content("not found", "text/plain");
            return;
        }
        // Streamed in chunks: model.web.onnx can be tens of MB.
        auto size = size_t(fs::file_size(p));
        res.set_content_provider(size, it->second.c_str(),
                                 [p](size_t offset, size_t length, httplib::DataSink& sink) {
                                     std::ifstream in(p, std::ios::binary);
                                     in.seekg(std::streamoff(offset));
                                     std::vector<char> buf(std::min<size_t>(length, 1 << 20));
                                     in.read(buf.data(), std::streamsize(buf.size()));
                                     if (in.gcount() <= 0) return false;
                                     sink.write(buf.data(), size_t(in.gcount()));
                                     return true;
                                 });
    });
    svr.Get(R"(/model/photos/(.+))", [run](const httplib::Request& req, httplib::Response& res) {
        const std::string file = req.matches[1].str();
        auto not_found = [&res](const std::string& why) {
            res.status = 404;
            res.set_content(why, "text/plain; charset=utf-8");
        };
        if (!listed_photo(run, file)) return not_found(file + ": not a photo of this run's val_results.json");
        const fs::path root = photo_root(run);
        const fs::path p = fs::path(file).is_absolute() ? fs::path(file) : root / file;
        if (root.empty() || !fs::is_regular_file(p))
            return not_found(file + ": the photo is gone from " + (root.empty() ? "the run's data folder" : root.string()));
        std::string ext = p.extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        const std::map<std::string, std::string> types = {{".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
                                                          {".png", "image/png"},  {".webp", "image/webp"},
                                                          {".gif", "image/gif"},  {".bmp", "image/bmp"}};
        auto t = types.find(ext);
        res.set_content(read_file(p), t == types.end() ? "application/octet-stream" : t->second.c_str());
    });
    svr.Get("/samples/index.json", [samples](const httplib::Request&, httplib::Response& res) {
        nlohmann::json names = nlohmann::json::array();
        for (auto& s : samples) names.push_back(s.filename().string());
        res.set_content(names.dump(), "application/json");
    });
    svr.Get(R"(/samples/([^/]+))", [samples](const httplib::Request& req, httplib::Response& res) {
        for (auto& s : samples)
            if (s.filename() == req.matches[1].str()) {
                res.set_content(read_file(s), "image/jpeg");
                return;
            }
        res.status = 404;
        res.set_content("not found", "text/plain");
    });
    if (!svr.set_mount_point("/", web.string())) throw Failure(web.string() + ": cannot serve this folder");
    svr.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        if (res.status >= 400) std::fprintf(stderr, "catdog serve: %d %s\n", res.status, req.path.c_str());
    });

    int port = o.port;
    if (port == 0) {
        port = svr.bind_to_any_port(o.host);
        if (port < 0) throw Failure("cannot listen on " + o.host);
    } else if (!svr.bind_to_port(o.host, port)) {
        throw Failure("cannot listen on " + o.host + ":" + std::to_string(port) + " (in use? try --port 0)");
    }
    g_server = &svr;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("catdog serve: %s (%zu sample photos), app from %s\n", run.string().c_str(), samples.size(),
                web.string().c_str());
    std::printf("Open http://%s:%d/ (Ctrl-C to stop)\n", o.host == "0.0.0.0" ? "localhost" : o.host.c_str(), port);
    std::fflush(stdout);
    svr.listen_after_bind();
    g_server = nullptr;
}

RegisterCommand reg{{"serve", "Serve the browser app and a run's web model (offline page, COOP/COEP headers)", 90,
                     [](CLI::App& app) {
                         auto o = std::make_shared<ServeOptions>();
                         app.add_option("--model", o->model, "run folder with model.web.onnx and model.json")
                             ->required();
                         app.add_option("--port", o->port, "TCP port (0: any free port)")->capture_default_str();
                         app.add_option("--host", o->host, "address to listen on")->capture_default_str();
                         app.add_option("--web", o->web, "the built app folder (default: the wasm build)");
                         app.add_option("--samples", o->samples, "sample photos per class from the val split")
                             ->capture_default_str();
                         app.callback([o] { serve(*o); });
                     }}};

}  // namespace
}  // namespace catdog::cli
