// Data: folder scan (flat Kaggle / ImageFolder, sklearn-LabelEncoder label order), the seeded
// stratified split, split.json, and the loader's determinism.
// References: the folder layouts and counts are made here from ../shared's photos; label
// order is sklearn's LabelEncoder rule (sorted unique strings); the batch tensors are checked
// against the shared core's val_tensor on the same file.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <torch/torch.h>
#include "data/dataset.h"
#include "data/loader.h"
// Torch pulls in glog, whose CHECK(cond) would shadow Catch's: Catch's must come last.
#undef CHECK
#include <catch2/catch.hpp>
#include "test_paths.h"

namespace fs = std::filesystem;
using namespace catdog::data;

namespace {

fs::path fresh_dir(const std::string& name) {
    fs::path d = fs::path(catdog_test::binary_dir()) / "tests" / "native" / "data_tmp" / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// n photos of each class from dogs-vs-cats-3k, linked flat or into class folders.
fs::path make_subset(const std::string& name, int per_class, bool imagefolder) {
    fs::path d = fresh_dir(name);
    const std::string src = catdog_test::dataset("dogs-vs-cats-3k");
    for (const char* cls : {"cat", "dog"}) {
        if (imagefolder) fs::create_directories(d / cls);
        for (int i = 1; i <= per_class; ++i) {
            std::string f = std::string(cls) + "." + std::to_string(i) + ".jpg";
            if (!fs::exists(fs::path(src) / f)) continue;
            fs::create_symlink(fs::path(src) / f, imagefolder ? d / cls / f : d / f);
        }
    }
    return d;
}

}  // namespace

TEST_CASE("flat Kaggle folder: label is the name before the first dot, sorted like LabelEncoder") {
    fs::path d = fresh_dir("flat3");
    for (const char* f : {"dog.1.jpg", "cat.2.jpg", "zebra.3.jpg", "cat.10.jpg", "ant.1.png", ".hidden.jpg"}) {
        std::ofstream(d / f) << "x";
    }
    Dataset ds = scan_folder(d.string());
    CHECK(ds.layout == "flat");
    CHECK(ds.labels == std::vector<std::string>{"ant", "cat", "dog", "zebra"});
    REQUIRE(ds.samples.size() == 5);  // the hidden file is ignored
    for (auto& s : ds.samples) {
        std::string name = fs::path(s.path).filename().string();
        CHECK(ds.labels[s.label] == name.substr(0, name.find('.')));
    }
}

TEST_CASE("ImageFolder layout: label is the subfolder") {
    fs::path d = make_subset("imagefolder", 5, true);
    Dataset ds = scan_folder(d.string());
    CHECK(ds.layout == "imagefolder");
    CHECK(ds.labels == std::vector<std::string>{"cat", "dog"});
    CHECK(class_counts(ds.samples, 2) == std::vector<int64_t>{5, 5});
}

TEST_CASE("missing, empty and single-class folders are clear errors") {
    CHECK_THROWS_WITH(scan_folder("/nonexistent/photos"), Catch::Contains("/nonexistent/photos") &&
                                                          Catch::Contains("does not exist"));
    fs::path empty = fresh_dir("empty");
    CHECK_THROWS_WITH(scan_folder(empty.string()), Catch::Contains("no image files"));
    fs::path one = fresh_dir("one");
    std::ofstream(one / "cat.1.jpg") << "x";
    std::ofstream(one / "cat.2.jpg") << "x";
    CHECK_THROWS_WITH(scan_folder(one.string()), Catch::Contains("only one class"));
    CHECK_NOTHROW(scan_folder(one.string(), /*allow_single_class=*/true));
}

TEST_CASE("relabel maps a folder onto a model's labels, refusing unknown classes") {
    fs::path d = fresh_dir("relabel");
    std::ofstream(d / "dog.1.jpg") << "x";
    std::ofstream(d / "cat.1.jpg") << "x";
    Dataset ds = scan_folder(d.string());
    relabel(ds, {"bird", "cat", "dog"});
    for (auto& s : ds.samples) {
        CHECK((fs::path(s.path).filename().string()[0] == 'c' ? 1 : 2) == s.label);
    }
    Dataset ds2 = scan_folder(d.string());
    CHECK_THROWS_WITH(relabel(ds2, {"cat", "horse"}), Catch::Contains("\"dog\""));
}

TEST_CASE("stratified split: 4:1 per class, seeded, disjoint, stable through split.json") {
    Dataset ds = scan_folder(catdog_test::dataset("dogs-vs-cats-3k"));
    REQUIRE(ds.samples.size() == 3000);
    Split a = stratified_split(ds, 0.2, 0);
    CHECK(class_counts(a.train, 2) == std::vector<int64_t>{1200, 1200});
    CHECK(class_counts(a.val, 2) == std::vector<int64_t>{300, 300});
    std::set<std::string> seen;
    for (auto* part : {&a.train, &a.val})
        for (auto& s : *part) CHECK(seen.insert(s.path).second);
    CHECK(seen.size() == 3000);

    Split again = stratified_split(ds, 0.2, 0);
    Split other = stratified_split(ds, 0.2, 1);
    auto paths = [](const std::vector<Sample>& v) {
        std::vector<std::string> p;
        for (auto& s : v) p.push_back(s.path);
        return p;
    };
    CHECK(paths(again.val) == paths(a.val));
    CHECK(paths(other.val) != paths(a.val));

    Split back = split_from_json(nlohmann::json::parse(split_to_json(a, ds.labels).dump()));
    CHECK(paths(back.train) == paths(a.train));
    CHECK(paths(back.val) == paths(a.val));

    // Odd class sizes round per class; a class of one stays in train.
    Dataset small;
    small.labels = {"a", "b"};
    for (int i = 0; i < 7; ++i) small.samples.push_back({"a" + std::to_string(i), 0});
    small.samples.push_back({"b0", 1});
    Split s = stratified_split(small, 0.2, 3);
    CHECK(class_counts(s.val, 2) == std::vector<int64_t>{1, 0});
    CHECK(class_counts(s.train, 2) == std::vector<int64_t>{6, 1});
}

TEST_CASE("shuffled order is a seeded permutation that changes per epoch") {
    auto a = shuffled_order(100, 0, 0), b = shuffled_order(100, 0, 0), c = shuffled_order(100, 0, 1);
    CHECK(a == b);
    CHECK(a != c);
    auto sorted = a;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == sequential_order(100));
}

TEST_CASE("loader: same batches whatever the worker count; bad files listed, not fatal") {
    fs::path d = make_subset("loader", 6, false);
    fs::create_symlink(fs::path(catdog_test::dataset("odd")) / "bad.truncated.png", d / "cat.bad.png");
    Dataset ds = scan_folder(d.string());
    REQUIRE(ds.samples.size() == 13);

    auto run = [&](int workers, bool train) {
        LoaderOptions o;
        o.batch_size = 4;
        o.workers = workers;
        o.train = train;
        o.seed = 5;
        o.epoch = 1;
        Loader l(ds.samples, shuffled_order(ds.samples.size(), 5, 1), o);
        std::vector<Batch> out;
        Batch b;
        while (l.next(b)) out.push_back(b);
        return out;
    };
    for (bool train : {false, true}) {
        auto one = run(1, train), three = run(3, train);
        REQUIRE(one.size() == 4);
        REQUIRE(three.size() == 4);
        size_t rows = 0, failed = 0;
        for (size_t i = 0; i < one.size(); ++i) {
            CHECK(one[i].number == (int64_t)i);
            CHECK(one[i].indices == three[i].indices);
            CHECK(torch::equal(one[i].images, three[i].images));
            CHECK(torch::equal(one[i].labels, three[i].labels));
            rows += one[i].indices.size();
            for (auto& f : one[i].failed) {
                ++failed;
                CHECK(f.message.rfind(ds.samples[f.index].path + ": ", 0) == 0);
            }
        }
        CHECK(rows == 12);
        CHECK(failed == 1);
    }
    // A val row is exactly the shared core's val transform of that file.
    auto batches = run(2, false);
    const Batch& b0 = batches[0];
    REQUIRE(!b0.indices.empty());
    catdog::TransformSpec spec;
    std::vector<float> ref(3 * 224 * 224);
    catdog::val_tensor(catdog::load_image(ds.samples[b0.indices[0]].path), spec, ref.data());
    CHECK(torch::equal(b0.images[0].reshape({-1}), torch::from_blob(ref.data(), {(int64_t)ref.size()})));
}

TEST_CASE("loader resumes in the middle of an epoch with the same batches") {
    fs::path d = make_subset("loader_resume", 6, false);
    Dataset ds = scan_folder(d.string());
    LoaderOptions o;
    o.batch_size = 4;
    o.train = true;
    auto order = shuffled_order(ds.samples.size(), 0, 0);
    Loader full(ds.samples, order, o), tail(ds.samples, order, o, 2);
    Batch a, b;
    full.next(a);
    full.next(a);
    REQUIRE(full.next(a));
    REQUIRE(tail.next(b));
    CHECK(b.number == 2);
    CHECK(torch::equal(a.images, b.images));
}
