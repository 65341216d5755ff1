// infer/classify.cpp - see classify.h.
#include "infer/classify.h"

#include <algorithm>
#include <cmath>
#include "infer/network.h"
#include "train/eval_report.h"
#include "train/scores.h"

namespace catdog::infer {

void predict_files(Network& net, const std::vector<std::string>& files, const train::InferenceOptions& opt,
                   const train::PredictionSink& emit) {
    const size_t batch = size_t(std::max(1, opt.batch_size)), k = net.labels().size();
    const unsigned threads = thread_count(opt.workers);
    std::vector<float> logits, probs;
    for (size_t begin = 0; begin < files.size(); begin += batch) {
        const std::vector<std::string> part(files.begin() + long(begin),
                                            files.begin() + long(std::min(files.size(), begin + batch)));
        const Prepared p = prepare_photos(part, net.run().transform, threads);
        logits.resize(size_t(p.rows) * k);
        probs.resize(logits.size());
        net.logits(p.x.data(), p.rows, logits.data());
        train::softmax_rows(logits.data(), size_t(p.rows), k, probs.data());
        for (size_t i = 0; i < part.size(); ++i) {
            train::Prediction out;
            out.file = part[i];
            out.error = p.error[i];
            if (p.row[i] >= 0) {
                const float* pr = probs.data() + size_t(p.row[i]) * k;
                out.probs.assign(pr, pr + k);
                out.label = int(std::max_element(out.probs.begin(), out.probs.end()) - out.probs.begin());
            }
            emit(out, net.labels());
        }
    }
}

train::EvalResult evaluate_samples(Network& net, const std::vector<data::Sample>& samples, size_t batch,
                                   unsigned threads, const std::function<void(const data::FailedSample&)>& on_fail) {
    const size_t k = net.labels().size();
    batch = std::max<size_t>(1, batch);
    train::EvalResult r;
    r.confusion = train::Confusion(k);
    double loss_sum = 0;
    std::vector<float> logits;
    for (size_t begin = 0; begin < samples.size(); begin += batch) {
        const size_t end = std::min(samples.size(), begin + batch);
        std::vector<std::string> files;
        for (size_t i = begin; i < end; ++i) files.push_back(samples[i].path);
        const Prepared p = prepare_photos(files, net.run().transform, threads);
        std::vector<int64_t> labels;
        std::vector<size_t> indices;
        for (size_t i = 0; i < files.size(); ++i) {
            if (p.row[i] < 0) {
                r.failed.push_back({begin + i, p.error[i]});
                if (on_fail) on_fail(r.failed.back());
                continue;
            }
            labels.push_back(samples[begin + i].label);
            indices.push_back(begin + i);
        }
        logits.resize(size_t(p.rows) * k);
        net.logits(p.x.data(), p.rows, logits.data());
        loss_sum += train::add_scores(r, logits.data(), size_t(p.rows), k, labels.data(), indices.data());
    }
    r.loss = r.n ? loss_sum / double(r.n) : std::nan("");
    return r;
}

train::EvalReport evaluate_folder(Network& net, const std::string& data_dir, bool all_files,
                                  const train::InferenceOptions& opt) {
    const train::EvalSamples s = train::eval_samples(net.run(), data_dir, all_files);
    const train::EvalResult r =
        evaluate_samples(net, s.samples, size_t(std::max(1, opt.batch_size)), thread_count(opt.workers));
    return train::eval_report(net.run(), s, r);
}

}  // namespace catdog::infer
