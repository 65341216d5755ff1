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
#include <unistd.h>
#include "catdog/files.h"
#include "cli/command.h"
#include "train/run_info.h"

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

// True when `file` is one of the photos val_results.json lists (only those are served).
bool listed_photo(const fs::path& run, const std::string& file) {
    std::string text;
    try {
        text = read_file((run / "val_results.json").string());
    } catch (const FileError&) {
        return false;
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.contains("photos") || !j["photos"].is_array()) return false;
    for (const auto& p : j["photos"])
        if (p.is_object() && p.contains("file") && p["file"].is_string() && p["file"].get<std::string>() == file)
            return true;
    return false;
}

// A photo's content type by its extension (the decoders sniff, but browsers trust the header).
const char* photo_type(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    static const std::map<std::string, const char*> types = {
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},
        {".webp", "image/webp"}, {".gif", "image/gif"},   {".bmp", "image/bmp"}};
    auto t = types.find(ext);
    return t == types.end() ? "application/octet-stream" : t->second;
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

// A sample the page can ask for by name: photos of an ImageFolder run may share a file name
// across classes, so every name that repeats gets its label in front ("dog-1.png").
struct SamplePhoto {
    std::string name;
    fs::path path;
};

// Up to `per_class` photos of each class from the run's validation split, labelled as the
// trainer labelled them (train::read_split), sorted by name.
std::vector<SamplePhoto> pick_samples(const train::RunInfo& run, int per_class) {
    std::vector<SamplePhoto> out;
    data::Split split;
    try {
        split = train::read_split(run.dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "catdog serve: no sample photos (%s)\n", e.what());
        return out;
    }
    std::map<int, int> taken;
    std::map<std::string, int> uses;
    std::vector<int> labels;
    for (const data::Sample& v : split.val) {
        if (taken[v.label] >= per_class || !fs::is_regular_file(v.path)) continue;
        ++taken[v.label];
        out.push_back({fs::path(v.path).filename().string(), v.path});
        labels.push_back(v.label);
        ++uses[out.back().name];
    }
    for (size_t i = 0; i < out.size(); ++i)
        if (uses[out[i].name] > 1 && labels[i] >= 0 && size_t(labels[i]) < run.labels.size())
            out[i].name = run.labels[size_t(labels[i])] + "-" + out[i].name;
    std::sort(out.begin(), out.end(), [](const SamplePhoto& a, const SamplePhoto& b) { return a.name < b.name; });
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
    const train::RunInfo info = train::read_run(o.model);
    const std::vector<SamplePhoto> samples = pick_samples(info, o.samples);
    const fs::path root = train::val_photo_root(info);

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
    svr.Get(R"(/model/photos/(.+))", [run, root](const httplib::Request& req, httplib::Response& res) {
        const std::string file = req.matches[1].str();
        auto not_found = [&res](const std::string& why) {
            res.status = 404;
            res.set_content(why, "text/plain; charset=utf-8");
        };
        if (!listed_photo(run, file)) return not_found(file + ": not a photo of this run's val_results.json");
        const fs::path p = fs::path(file).is_absolute() ? fs::path(file) : root / file;
        if (root.empty() || !fs::is_regular_file(p))
            return not_found(file + ": the photo is gone from " + (root.empty() ? "the run's data folder" : root.string()));
        res.set_content(read_file(p.string()), photo_type(p));
    });
    svr.Get("/samples/index.json", [samples](const httplib::Request&, httplib::Response& res) {
        nlohmann::json names = nlohmann::json::array();
        for (auto& s : samples) names.push_back(s.name);
        res.set_content(names.dump(), "application/json");
    });
    svr.Get(R"(/samples/([^/]+))", [samples](const httplib::Request& req, httplib::Response& res) {
        for (auto& s : samples)
            if (s.name == req.matches[1].str()) {
                res.set_content(read_file(s.path.string()), photo_type(s.path));
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
