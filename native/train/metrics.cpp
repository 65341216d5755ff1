// train/metrics.cpp - confusion matrix arithmetic and formatting.
#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace catdog::train {

int64_t Confusion::total() const {
    int64_t n = 0;
    for (auto& r : m) for (auto v : r) n += v;
    return n;
}

double Confusion::accuracy() const {
    int64_t n = total(), ok = 0;
    for (size_t i = 0; i < m.size(); ++i) ok += m[i][i];
    return n ? (double)ok / (double)n : std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> Confusion::per_class_acc() const {
    std::vector<double> acc;
    for (size_t i = 0; i < m.size(); ++i) {
        int64_t n = 0;
        for (auto v : m[i]) n += v;
        acc.push_back(n ? (double)m[i][i] / (double)n : std::numeric_limits<double>::quiet_NaN());
    }
    return acc;
}

std::string format_per_class(const std::vector<double>& acc, const std::vector<std::string>& labels) {
    std::string s;
    char buf[64];
    for (size_t i = 0; i < acc.size(); ++i) {
        if (std::isnan(acc[i])) std::snprintf(buf, sizeof buf, "n/a");
        else std::snprintf(buf, sizeof buf, "%.4f", acc[i]);
        s += (i ? "  " : "") + labels[i] + " " + buf;
    }
    return s;
}

std::string format_confusion(const Confusion& c, const std::vector<std::string>& labels) {
    const std::string corner = "true\\pred";
    size_t first = corner.size(), w = 6;
    for (auto& l : labels) first = std::max(first, l.size()), w = std::max(w, l.size() + 1);
    for (auto& r : c.m) for (auto v : r) w = std::max(w, std::to_string(v).size() + 1);
    auto pad = [](const std::string& s, size_t width) { return std::string(width - std::min(width, s.size()), ' ') + s; };
    std::string out = pad(corner, first);
    for (auto& l : labels) out += pad(l, w);
    out += "\n";
    for (size_t i = 0; i < c.m.size(); ++i) {
        out += pad(labels[i], first);
        for (auto v : c.m[i]) out += pad(std::to_string(v), w);
        out += "\n";
    }
    return out;
}

nlohmann::json json_number(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

nlohmann::json per_class_json(const std::vector<double>& acc, const std::vector<std::string>& labels) {
    nlohmann::json j = nlohmann::json::object();
    for (size_t i = 0; i < acc.size(); ++i) j[labels[i]] = json_number(acc[i]);
    return j;
}

}  // namespace catdog::train
