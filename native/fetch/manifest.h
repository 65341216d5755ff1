// fetch/manifest.h - models/<name>.json: where a backbone's weights come from and how to use them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace catdog::fetch {

struct Manifest {
    std::string name;              // "alexnet"
    std::string architecture;      // a backbone name (nets::backbone_names())
    std::string format;            // "pth" | "tflite"
    std::string url;
    std::string file;              // file name in the cache dir
    std::string sha256;            // full hex or a prefix (torchvision publishes 8 digits)
    uint64_t size = 0;             // bytes; 0 = unknown
    std::string license;
    double top1 = 0;               // published ImageNet top-1 (%), 0 = not given
    std::string local;             // a copy under ../shared (relative to it), "" = none
    // Preprocessing the weights expect.
    int resize = 256, crop = 224;
    std::vector<float> mean, std;
    std::string feature_layer;     // e.g. "classifier.5" / "pool"
    int feature_dim = 0;
    std::string source_json;       // the file's text, for recording in a run
};

// Parses one manifest file; throws FetchError naming the file.
Manifest read_manifest(const std::string& path);

// The folder holding the manifests: $CATDOG_MODELS, else <exe>/../../models (build tree),
// else <exe>/../share/catdog/models (install), else the source tree's models/ (configure
// time). Throws FetchError listing where it looked.
std::string models_dir();

// read_manifest(models_dir()/<name>.json); an unknown name lists the known ones.
Manifest find_manifest(const std::string& name);
std::vector<std::string> manifest_names();

}  // namespace catdog::fetch
