// onednn/trunk.cpp - NetSpec -> a oneDNN primitive list, planned once per batch size.
//
// Index of this file:
// [SECTION] Plan structures
// [SECTION] Layer planning (conv + folded BatchNorm, linear, pooling, activations, add, concat)
// [SECTION] Trunk
#include "onednn/trunk.h"

#include <dnnl.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <unordered_map>

namespace catdog::onednn {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using nets::Layer;
using nets::Op;

//-----------------------------------------------------------------------------
// [SECTION] Plan structures
//-----------------------------------------------------------------------------
struct Trunk::Engine {
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{eng};
    // Weights reordered into the layouts the plans chose, by parameter name: a second plan
    // (another batch size) usually wants the same layout and shares it.
    std::unordered_map<std::string, std::vector<memory>> reordered;
    // Convs with their BatchNorm folded in (w * gamma / sqrt(var + eps), a new bias), dense
    // row-major, by "<conv>@<bn>": computed once, the source of those convs' reorders.
    std::unordered_map<std::string, std::vector<float>> folded;
    // The activation arena the plans share: blocks grow to the largest plan's need.
    std::vector<std::pair<std::shared_ptr<void>, size_t>> arena;
};

struct Trunk::Plan {
    struct Step {
        dnnl::primitive prim;
        std::unordered_map<int, memory> args;
        std::string what;  // layer name and implementation, in errors and when debugging
        bool scratch = false;  // takes the plan's scratchpad
        // Set for a step that runs `prim` in pieces (a batch-invariant Linear): called with
        // the step's args instead of executing it once.
        std::function<void(dnnl::stream&, const std::unordered_map<int, memory>&)> run;
    };
    size_t scratch_bytes = 0;
    // Activations (and the scratchpad) have no storage of their own: planning packs them
    // into a few blocks by lifetime, and run() points them into the Trunk's arena, which
    // every plan shares (plans never run at once). AlexNet, 64 images: ~100 MB in all.
    struct Buffer {
        memory mem;
        size_t bytes;
        size_t birth;  // index of the step that writes it
    };
    std::vector<Buffer> buffers;
    std::vector<size_t> block_bytes;               // per arena block: the size this plan needs
    std::vector<std::vector<size_t>> block_users;  // per arena block: indices into buffers
    memory input, output;  // user memories: their handles are set at each run
    std::vector<Step> steps;
    uint64_t last_used = 0;
};

namespace {

// A layer's output inside a plan: its memory and whether a Flatten made it logically 2-D
// (the memory stays 4-D: a following Linear reads it with 4-D weights, in NCHW order).
struct Value {
    memory mem;
    bool flat = false;
};

bool is_activation(Op op) { return op == Op::Relu || op == Op::Relu6; }

dnnl::post_ops activation_post_op(std::optional<Op> op) {
    dnnl::post_ops po;
    if (!op) return po;
    if (op == Op::Relu) po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    if (op == Op::Relu6) po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f);
    return po;
}

std::string why(const dnnl::error& e) { return e.what(); }

}  // namespace

bool supports(const nets::NetSpec& spec, int last) {
    if (last < 0 || last >= (int)spec.layers.size()) return false;
    for (int i = 0; i <= last; ++i) {
        const Layer& l = spec.layers[i];
        if (l.op == Op::AdaptiveAvgPool) {
            const auto& in = i == 0 ? std::vector<int64_t>{} : spec.layers[i - 1].out_shape;
            if (in.size() != 3 || in[1] % l.out_h || in[2] % l.out_w) return false;  // uneven bins
        }
        if (l.op == Op::Linear && i > 0 && spec.layers[i - 1].out_shape.size() == 3) return false;  // no Flatten
        // A BatchNorm is folded into the conv before it, which nothing else may read.
        if (l.op == Op::BatchNorm) {
            if (!l.inputs.empty() || i == 0 || spec.layers[i - 1].op != Op::Conv) return false;
            for (const Layer& o : spec.layers)
                for (int j : o.inputs)
                    if (j == i - 1) return false;
        }
    }
    return true;
}

//-----------------------------------------------------------------------------
// [SECTION] Layer planning
//-----------------------------------------------------------------------------
namespace {

struct Planner {
    const ParamLookup& params;
    Trunk::Engine& E;
    Trunk::Plan& P;
    int64_t n;
    bool winograd;
    bool batch_invariant;

    // The user memory of a parameter, viewed with `dims` (a Linear after a Flatten reads its
    // [O, C*H*W] weight as [O, C, H, W]).
    memory user_param(const std::string& name, const memory::dims& dims) {
        const ParamRef r = params(name);
        if (!r.data) throw std::runtime_error("onednn trunk: no parameter " + name);
        memory::dims st(dims.size(), 1);
        for (int k = (int)dims.size() - 2; k >= 0; --k) st[k] = st[k + 1] * dims[k + 1];  // row-major
        const auto& rs = r.strides;
        if (rs.size() == dims.size()) {
            st.assign(rs.begin(), rs.end());
        } else if (dims.size() == 5 && rs.size() == 4) {  // grouped conv: [G, O/G, I/G, kh, kw]
            st = {rs[0] * dims[1], rs[0], rs[1], rs[2], rs[3]};
        } else if (!rs.empty() && rs.back() != 1) {
            throw std::runtime_error("onednn trunk: " + name + " is not row-major");
        }
        return memory(memory::desc(dims, dt::f32, st), E.eng, const_cast<float*>(r.data));
    }

    // The parameter in the layout `want`, reordered once and shared between plans.
    memory param_as(const std::string& name, const memory::dims& dims, const memory::desc& want) {
        return reordered(name, want, [&] { return user_param(name, dims); });
    }

    // A BatchNorm folded into the conv `c` before it: the conv's weight and bias (dense
    // row-major, grouped or not) rescaled per output channel. Computed once per Trunk.
    const std::vector<float>& folded(const Layer& c, const Layer& bn, bool want_bias) {
        const std::string key = c.name + "@" + bn.name + (want_bias ? ".bias" : ".weight");
        auto it = E.folded.find(key);
        if (it != E.folded.end()) return it->second;
        const int64_t O = c.out_ch, I = c.in_ch / c.groups, K = (int64_t)c.kh * c.kw;
        auto vec = [&](const std::string& name) {
            const ParamRef r = params(name);
            if (!r.data) throw std::runtime_error("onednn trunk: no parameter " + name);
            const int64_t st = r.strides.empty() ? 1 : r.strides[0];
            std::vector<double> v((size_t)O);
            for (int64_t o = 0; o < O; ++o) v[(size_t)o] = r.data[o * st];
            return v;
        };
        const std::vector<double> gamma = vec(bn.name + ".weight"), beta = vec(bn.name + ".bias"),
                                  mean = vec(bn.name + ".running_mean"), var = vec(bn.name + ".running_var");
        std::vector<double> scale((size_t)O);
        for (int64_t o = 0; o < O; ++o) scale[(size_t)o] = gamma[(size_t)o] / std::sqrt(var[(size_t)o] + double(bn.eps));
        std::vector<float> out;
        if (want_bias) {
            const std::vector<double> b = c.bias ? vec(c.name + ".bias") : std::vector<double>((size_t)O, 0.0);
            for (int64_t o = 0; o < O; ++o)
                out.push_back(float((b[(size_t)o] - mean[(size_t)o]) * scale[(size_t)o] + beta[(size_t)o]));
        } else {
            const ParamRef r = params(c.name + ".weight");
            if (!r.data) throw std::runtime_error("onednn trunk: no parameter " + c.name + ".weight");
            std::vector<int64_t> st = r.strides;
            if (st.size() != 4) st = {I * K, K, c.kw, 1};
            out.resize((size_t)(O * I * K));
            for (int64_t o = 0; o < O; ++o)
                for (int64_t i = 0; i < I; ++i)
                    for (int64_t y = 0; y < c.kh; ++y)
                        for (int64_t x = 0; x < c.kw; ++x)
                            out[(size_t)(((o * I + i) * c.kh + y) * c.kw + x)] =
                                float(r.data[o * st[0] + i * st[1] + y * st[2] + x * st[3]] * scale[(size_t)o]);
        }
        return E.folded.emplace(key, std::move(out)).first->second;
    }

    memory dense(const std::vector<float>& v, const memory::dims& dims) {
        memory::dims st(dims.size(), 1);
        for (int k = (int)dims.size() - 2; k >= 0; --k) st[k] = st[k + 1] * dims[k + 1];
        return memory(memory::desc(dims, dt::f32, st), E.eng, const_cast<float*>(v.data()));
    }

    // `key` in the layout `want`: a reorder of make_src() done once, shared between plans.
    template <class MakeSrc>
    memory reordered(const std::string& key, const memory::desc& want, MakeSrc make_src) {
        auto& have = E.reordered[key];
        for (const memory& m : have)
            if (m.get_desc() == want) return m;
        memory src = make_src();
        const memory::dims dims = src.get_desc().dims();
        memory dst(want, E.eng);
        try {
            dnnl::reorder(src, dst).execute(E.stream, src, dst);
        } catch (const dnnl::error&) {
            // Some targets (Winograd weights) reorder only from a dense row-major layout.
            const memory::format_tag plain = dims.size() == 5 ? tag::goihw : dims.size() == 4 ? tag::oihw
                                             : dims.size() == 2 ? tag::oi : tag::x;
            memory dense(memory::desc(dims, dt::f32, plain), E.eng);
            dnnl::reorder(src, dense).execute(E.stream, src, dense);
            dnnl::reorder(dense, dst).execute(E.stream, dense, dst);
        }
        E.stream.wait();
        have.push_back(dst);
        return dst;
    }

    // Scratchpads are the plan's (one buffer, as large as the largest step needs: steps run
    // one after another), not oneDNN's per-call allocation: Winograd's transform buffers
    // were paged in at every call otherwise (conv3 ~60 ms instead of ~33 ms).
    static dnnl::primitive_attr user_scratchpad() {
        dnnl::primitive_attr a;
        a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        return a;
    }
    void push(dnnl::primitive prim, std::unordered_map<int, memory> args, const memory::desc& scratch,
              std::string what) {
        P.scratch_bytes = std::max(P.scratch_bytes, scratch.get_size());
        P.steps.push_back({std::move(prim), std::move(args), std::move(what), scratch.get_size() > 0, {}});
    }

    // An activation written by the next step pushed; storage comes in assign_storage().
    memory fresh(const memory::desc& d) {
        memory m(d, E.eng, DNNL_MEMORY_NONE);
        P.buffers.push_back({m, d.get_size(), P.steps.size()});
        return m;
    }

    // `v` in the layout `want`: itself, or a reorder step into a new memory.
    memory as(const memory& v, const memory::desc& want, const std::string& what) {
        if (v.get_desc() == want) return v;
        memory dst = fresh(want);
        P.steps.push_back({dnnl::reorder(v, dst), {{DNNL_ARG_FROM, v}, {DNNL_ARG_TO, dst}}, what + ": reorder", false, {}});
        return dst;
    }

    // `bn`: a BatchNorm folded into this conv (its weights rescaled, a bias added).
    Value conv(const Layer& l, const Value& in, std::optional<Op> fused, const Layer* bn = nullptr) {
        const bool has_bias = l.bias || bn;
        const auto& os = l.out_shape;
        const memory::dims src_d = in.mem.get_desc().dims();
        const memory::dims dst_d{n, os[0], os[1], os[2]};
        memory::dims w_d{l.out_ch, l.in_ch / l.groups, l.kh, l.kw};
        memory::dims w_grouped = w_d;
        if (l.groups > 1) w_grouped = {l.groups, l.out_ch / l.groups, l.in_ch / l.groups, l.kh, l.kw};
        const memory::desc src_any(src_d, dt::f32, tag::any), w_any(w_grouped, dt::f32, tag::any),
            b_md({l.out_ch}, dt::f32, tag::x), dst_any(dst_d, dt::f32, tag::any);
        dnnl::primitive_attr attr = user_scratchpad();
        attr.set_post_ops(activation_post_op(fused));
        const memory::dims strides{l.stride, l.stride}, pad_l{l.pad[0], l.pad[1]}, pad_r{l.pad[2], l.pad[3]};
        auto make = [&](dnnl::algorithm alg) {
            auto d = has_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, alg, src_any, w_any,
                                                              b_md, dst_any, strides, pad_l, pad_r)
                            : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, alg, src_any, w_any,
                                                              dst_any, strides, pad_l, pad_r);
            return dnnl::convolution_forward::primitive_desc(d, attr, E.eng);
        };
        // Winograd: 3x3, stride 1, dense. oneDNN has it only for some ISAs; else direct.
        dnnl::convolution_forward::primitive_desc pd;
        bool have = false;
        if (winograd && l.kh == 3 && l.kw == 3 && l.stride == 1 && l.groups == 1) {
            try {
                pd = make(dnnl::algorithm::convolution_winograd);
                have = true;
            } catch (const dnnl::error&) {
            }
        }
        if (!have) {
            try {
                pd = make(dnnl::algorithm::convolution_direct);
            } catch (const dnnl::error& e) {
                throw std::runtime_error("onednn trunk: no convolution for " + l.name + " (" + why(e) + ")");
            }
        }
        memory src = as(in.mem, pd.src_desc(), l.name);
        memory w, b;
        if (bn) {
            const std::string key = l.name + "@" + bn->name;
            w = reordered(key + ".weight", pd.weights_desc(), [&] { return dense(folded(l, *bn, false), w_grouped); });
            b = reordered(key + ".bias", pd.bias_desc(), [&] { return dense(folded(l, *bn, true), {l.out_ch}); });
        } else {
            w = param_as(l.name + ".weight", w_grouped, pd.weights_desc());
            if (l.bias) b = param_as(l.name + ".bias", {l.out_ch}, pd.bias_desc());
        }
        memory dst = fresh(pd.dst_desc());
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
        if (has_bias) args[DNNL_ARG_BIAS] = b;
        push(dnnl::convolution_forward(pd), std::move(args), pd.scratchpad_desc(),
             l.name + (bn ? " + " + bn->name : std::string()) + ": " + pd.impl_info_str());
        return {dst, false};
    }

    // Batch-invariant Linear layers run on fixed blocks of kRowBlock rows of row-major memory,
    // the last block zero-padded: oneDNN's inner product sums in an order that depends on how
    // many rows it is given (its convolutions do not), so this makes a photo's logits the same
    // alone and inside any batch. Rows do not affect each other within a block, nor does a
    // row's place in it.
    static constexpr int64_t kRowBlock = 16;

    // Runs `prim` (planned for kRowBlock rows of K inputs, O outputs) over `rows` rows.
    static std::function<void(dnnl::stream&, const std::unordered_map<int, memory>&)> row_blocks(
        const dnnl::primitive& prim, const memory::desc& src_blk, const memory::desc& dst_blk, const dnnl::engine& eng,
        int64_t rows, int64_t K, int64_t O) {
        const memory bs(src_blk, eng, DNNL_MEMORY_NONE), bd(dst_blk, eng, DNNL_MEMORY_NONE);
        auto pad = std::make_shared<std::vector<float>>(size_t(kRowBlock * (K + O)));
        return [prim, bs, bd, pad, rows, K, O](dnnl::stream& s, const std::unordered_map<int, memory>& a) {
            const float* x = static_cast<const float*>(a.at(DNNL_ARG_SRC).get_data_handle());
            float* y = static_cast<float*>(a.at(DNNL_ARG_DST).get_data_handle());
            std::unordered_map<int, memory> b = a;
            b[DNNL_ARG_SRC] = bs;
            b[DNNL_ARG_DST] = bd;
            float* ps = pad->data();
            float* py = ps + kRowBlock * K;
            for (int64_t r = 0; r < rows; r += kRowBlock) {
                const int64_t m = std::min(kRowBlock, rows - r);
                const bool full = m == kRowBlock;
                if (!full) {
                    std::copy(x + r * K, x + (r + m) * K, ps);
                    std::fill(ps + m * K, ps + kRowBlock * K, 0.f);
                }
                bs.set_data_handle(full ? const_cast<float*>(x + r * K) : ps);
                bd.set_data_handle(full ? y + r * O : py);
                prim.execute(s, b);
                if (!full) {
                    s.wait();
                    std::copy(py, py + m * O, y + r * O);
                }
            }
        };
    }

    Value linear(const Layer& l, const Value& in, std::optional<Op> fused) {
        const memory::dims src_d = in.mem.get_desc().dims();
        memory::dims w_d{l.out_ch};
        for (size_t k = 1; k < src_d.size(); ++k) w_d.push_back(src_d[k]);  // [O, C, H, W] after a Flatten
        // Batch-invariant: kRowBlock rows, row-major. Otherwise n rows in the layouts oneDNN picks.
        const int64_t rows = batch_invariant ? kRowBlock : n;
        memory::dims ip_src = src_d;
        ip_src[0] = rows;
        const auto plain = src_d.size() == 4 ? tag::nchw : tag::nc;
        const memory::desc src_md(ip_src, dt::f32, batch_invariant ? plain : tag::any),
            dst_md({rows, l.out_ch}, dt::f32, batch_invariant ? tag::nc : tag::any), w_any(w_d, dt::f32, tag::any),
            b_md({l.out_ch}, dt::f32, tag::x);
        dnnl::primitive_attr attr = user_scratchpad();
        attr.set_post_ops(activation_post_op(fused));
        auto make = [&](const memory::desc& w_md) {
            auto d = l.bias ? dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md, w_md,
                                                                b_md, dst_md)
                            : dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_md, w_md,
                                                                dst_md);
            return dnnl::inner_product_forward::primitive_desc(d, attr, E.eng);
        };
        // Blocked weights (a copy: 218 MB for AlexNet's two big layers) run 1.6x faster than
        // torch's row-major ones here (brgemm vs gemm), which suits the trainer's long runs.
        // Inference processes are short: they take the weights as they lie in the file (no
        // reordered copy at every start, ~0.1 s for AlexNet), blocked ones as the fallback.
        const memory w_user = user_param(l.name + ".weight", w_d);
        const memory::desc& first = batch_invariant ? w_user.get_desc() : w_any;
        const memory::desc& second = batch_invariant ? w_any : w_user.get_desc();
        dnnl::inner_product_forward::primitive_desc pd;
        try {
            pd = make(first);
        } catch (const dnnl::error&) {
            try {
                pd = make(second);
            } catch (const dnnl::error& e) {
                throw std::runtime_error("onednn trunk: no inner product for " + l.name + " (" + why(e) + ")");
            }
        }
        memory src = as(in.mem, batch_invariant ? memory::desc(src_d, dt::f32, plain) : pd.src_desc(), l.name);
        memory w = pd.weights_desc() == w_user.get_desc() ? w_user : param_as(l.name + ".weight", w_d, pd.weights_desc());
        memory dst = fresh(batch_invariant ? memory::desc({n, l.out_ch}, dt::f32, tag::nc) : pd.dst_desc());
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
        if (l.bias) args[DNNL_ARG_BIAS] = param_as(l.name + ".bias", {l.out_ch}, pd.bias_desc());
        const std::string blocks = batch_invariant ? " (blocks of " + std::to_string(kRowBlock) + " rows)" : "";
        push(dnnl::inner_product_forward(pd), std::move(args), pd.scratchpad_desc(),
             l.name + blocks + ": " + pd.impl_info_str());
        if (batch_invariant) {
            int64_t K = 1;
            for (size_t k = 1; k < src_d.size(); ++k) K *= src_d[k];
            P.steps.back().run = row_blocks(P.steps.back().prim, src_md, dst_md, E.eng, n, K, l.out_ch);
        }
        return {dst, true};
    }

    Value pool(const Layer& l, const Value& in, dnnl::algorithm alg, int kh, int kw, int stride,
               std::array<int, 4> pad) {
        const auto& os = l.out_shape;
        const memory::desc src = in.mem.get_desc();
        const memory::desc dst_any({n, os[0], os[1], os[2]}, dt::f32, tag::any);
        dnnl::pooling_forward::primitive_desc pd;
        try {
            dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, alg, src, dst_any, {stride, stride},
                                          {kh, kw}, {pad[0], pad[1]}, {pad[2], pad[3]});
            pd = dnnl::pooling_forward::primitive_desc(d, user_scratchpad(), E.eng);
        } catch (const dnnl::error& e) {
            throw std::runtime_error("onednn trunk: no pooling for " + l.name + " (" + why(e) + ")");
        }
        memory dst = fresh(pd.dst_desc());
        push(dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, in.mem}, {DNNL_ARG_DST, dst}}, pd.scratchpad_desc(),
             l.name + ": " + pd.impl_info_str());
        return {dst, false};
    }

    Value activation(const Layer& l, const Value& in) {
        const dnnl::algorithm alg = l.op == Op::Relu ? dnnl::algorithm::eltwise_relu : dnnl::algorithm::eltwise_clip;
        const float beta = l.op == Op::Relu ? 0.f : 6.f;
        dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, in.mem.get_desc(), 0.f, beta);
        dnnl::eltwise_forward::primitive_desc pd(d, user_scratchpad(), E.eng);
        memory dst = fresh(pd.dst_desc());
        push(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, in.mem}, {DNNL_ARG_DST, dst}}, pd.scratchpad_desc(),
             l.name + ": " + pd.impl_info_str());
        return {dst, in.flat};
    }

    Value concat(const Layer& l, const std::vector<Value>& ins) {
        std::vector<memory::desc> srcs;
        for (const Value& v : ins) srcs.push_back(v.mem.get_desc());
        dnnl::concat::primitive_desc pd;
        try {
            pd = dnnl::concat::primitive_desc(1, srcs, E.eng, user_scratchpad());
        } catch (const dnnl::error& e) {
            throw std::runtime_error("onednn trunk: no concat for " + l.name + " (" + why(e) + ")");
        }
        memory dst = fresh(pd.dst_desc());
        std::unordered_map<int, memory> args{{DNNL_ARG_DST, dst}};
        for (size_t k = 0; k < ins.size(); ++k) args[DNNL_ARG_MULTIPLE_SRC + (int)k] = ins[k].mem;
        push(dnnl::concat(pd), std::move(args), pd.scratchpad_desc(), l.name + ": " + pd.impl_info_str());
        return {dst, false};
    }

    Value add(const Layer& l, const Value& a, const Value& b) {
        const memory::desc md = a.mem.get_desc();
        memory rhs = as(b.mem, md, l.name);
        dnnl::binary::desc d(dnnl::algorithm::binary_add, md, md, md);
        dnnl::binary::primitive_desc pd(d, user_scratchpad(), E.eng);
        memory dst = fresh(pd.dst_desc());
        push(dnnl::binary(pd), {{DNNL_ARG_SRC_0, a.mem}, {DNNL_ARG_SRC_1, rhs}, {DNNL_ARG_DST, dst}},
             pd.scratchpad_desc(), l.name + ": " + pd.impl_info_str());
        return {dst, a.flat};
    }
};

// Greedy lifetime packing: a buffer takes a block whose last reader ran before the buffer's
// writer, growing it if needed; else a new block.
void assign_storage(Trunk::Plan& P) {
    std::vector<size_t> last_use(P.buffers.size(), 0);
    for (size_t b = 0; b < P.buffers.size(); ++b) {
        last_use[b] = P.buffers[b].birth;
        for (size_t st = P.buffers[b].birth; st < P.steps.size(); ++st)
            for (const auto& [arg, m] : P.steps[st].args)
                if (m.get() == P.buffers[b].mem.get()) last_use[b] = st;
    }
    struct Block { size_t bytes = 0; size_t free_after = 0; std::vector<size_t> users; };
    std::vector<Block> blocks;
    for (size_t b = 0; b < P.buffers.size(); ++b) {
        Block* pick = nullptr;
        for (Block& k : blocks)
            if (k.free_after < P.buffers[b].birth && (!pick || k.bytes > pick->bytes)) pick = &k;
        if (!pick) pick = &blocks.emplace_back();
        pick->bytes = std::max(pick->bytes, P.buffers[b].bytes);
        pick->free_after = last_use[b];
        pick->users.push_back(b);
    }
    for (const Block& k : blocks) {
        P.block_bytes.push_back(k.bytes);
        P.block_users.push_back(k.users);
    }
}

}  // namespace

//-----------------------------------------------------------------------------
// [SECTION] Trunk
//-----------------------------------------------------------------------------
Trunk::Trunk(const nets::NetSpec& spec, const ParamLookup& params, TrunkOptions opt)
    : spec_(spec), params_(params), opt_(opt), engine_(std::make_unique<Engine>()) {
    if (spec_.layers.empty() || spec_.layers.front().out_shape.empty()) spec_.infer_shapes();
}

Trunk::~Trunk() = default;

Trunk::Plan& Trunk::plan_for(int64_t n, int last) {
    if (!supports(spec_, last)) {
        throw std::runtime_error("onednn trunk: " + spec_.backbone + " up to layer " + std::to_string(last) +
                                 " has a layer this engine does not implement");
    }
    auto it = plans_.find({n, last});
    if (it != plans_.end()) {
        it->second->last_used = ++tick_;
        return *it->second;
    }
    // Four cover a run: full and last batches, in train mode and for validation.
    while (plans_.size() >= 4) {
        auto lru = plans_.begin();
        for (auto p = plans_.begin(); p != plans_.end(); ++p)
            if (p->second->last_used < lru->second->last_used) lru = p;
        plans_.erase(lru);
    }
    auto plan = std::make_unique<Plan>();
    plan->last_used = ++tick_;
    Engine& E = *engine_;
    Planner pl{params_, E, *plan, n, opt_.winograd, opt_.batch_invariant};
    const int64_t S = spec_.input_size;
    plan->input = memory(memory::desc({n, 3, S, S}, dt::f32, tag::nhwc), E.eng, DNNL_MEMORY_NONE);

    // Which outputs are read through an explicit input list (a residual): those convs keep
    // their own output, so their activation is not fused into them.
    std::vector<bool> read_explicitly(spec_.layers.size(), false);
    for (const Layer& l : spec_.layers)
        for (int j : l.inputs) read_explicitly[j] = true;

    std::vector<Value> out(last + 1);
    Value x{plan->input, false};
    for (int i = 0; i <= last; ++i) {
        const Layer& l = spec_.layers[i];
        const int from = spec_.input_of(i);
        const Value& in = from < 0 ? x : out[size_t(from)];
        // A BatchNorm right after a conv is folded into it (supports() checked that nothing
        // else reads the conv); then an activation right after a conv/linear (or its
        // BatchNorm) that nothing else reads becomes its post-op.
        const Layer* bn = nullptr;
        if (l.op == Op::Conv && i + 1 <= last && spec_.layers[i + 1].op == Op::BatchNorm &&
            spec_.layers[i + 1].inputs.empty())
            bn = &spec_.layers[i + 1];
        const int tail = bn ? i + 1 : i;  // the layer whose output the step produces
        std::optional<Op> fused;
        if ((l.op == Op::Conv || l.op == Op::Linear) && tail + 1 <= last && !read_explicitly[tail]) {
            const Layer& next = spec_.layers[tail + 1];
            if (is_activation(next.op) && next.inputs.empty()) fused = next.op;
        }
        switch (l.op) {
        case Op::Conv: out[i] = pl.conv(l, in, fused, bn); break;
        case Op::BatchNorm:  // folded into the conv before it (supports() allows no other place)
            throw std::runtime_error("onednn trunk: " + l.name + " is not after a conv it can fold into");
        case Op::Concat: {
            std::vector<Value> ins;
            for (int j : l.inputs) ins.push_back(out[j]);
            out[i] = pl.concat(l, ins);
            break;
        }
        case Op::Linear: out[i] = pl.linear(l, in, fused); break;
        case Op::MaxPool:
            out[i] = pl.pool(l, in, dnnl::algorithm::pooling_max, l.kh, l.kw, l.stride, l.pad);
            break;
        case Op::AdaptiveAvgPool: {
            const auto& is = in.mem.get_desc().dims();  // [n, C, H, W]
            const int kh = (int)(is[2] / l.out_h), kw = (int)(is[3] / l.out_w);
            out[i] = kh == 1 && kw == 1 ? in
                                        : pl.pool(l, in, dnnl::algorithm::pooling_avg_exclude_padding, kh, kw, kh,
                                                  {0, 0, 0, 0});
            break;
        }
        case Op::Flatten: out[i] = {in.mem, true}; break;
        case Op::Dropout: out[i] = in; break;  // inference: the identity
        case Op::Relu:
        case Op::Relu6: out[i] = pl.activation(l, in); break;
        case Op::Add: out[i] = pl.add(l, out[l.inputs[0]], out[l.inputs[1]]); break;
        }
        if (bn) {
            out[i + 1] = out[i];
            ++i;
        }
        if (fused) {
            out[i + 1] = out[i];
            ++i;
        }
    }

    // The output in torch's order: NCHW for a 4-D result (also when flattened), [n, F] else.
    const memory& res = out[last].mem;
    const memory::dims rd = res.get_desc().dims();
    const memory::desc user_md(rd, dt::f32, rd.size() == 4 ? tag::nchw : tag::nc);
    plan->output = memory(user_md, E.eng, DNNL_MEMORY_NONE);
    plan->steps.push_back({dnnl::reorder(res, plan->output), {{DNNL_ARG_FROM, res}, {DNNL_ARG_TO, plan->output}},
                           "output: reorder", false, {}});
    assign_storage(*plan);
    if (plan->scratch_bytes > 0) {  // one more block, for every step's scratchpad
        memory scratch(memory::desc({(memory::dim)plan->scratch_bytes}, dt::u8, tag::x), E.eng, DNNL_MEMORY_NONE);
        for (auto& st : plan->steps)
            if (st.scratch) st.args[DNNL_ARG_SCRATCHPAD] = scratch;
        plan->buffers.push_back({scratch, plan->scratch_bytes, 0});
        plan->block_bytes.push_back(plan->scratch_bytes);
        plan->block_users.push_back({plan->buffers.size() - 1});
    }
    return *plans_.emplace(std::make_pair(n, last), std::move(plan)).first->second;
}

void Trunk::run(const float* x, int64_t n, int last, float* out) {
    if (n <= 0) return;
    Plan& p = plan_for(n, last);
    auto& arena = engine_->arena;
    if (arena.size() < p.block_bytes.size()) arena.resize(p.block_bytes.size());
    for (size_t k = 0; k < p.block_bytes.size(); ++k) {
        if (arena[k].second < p.block_bytes[k]) {
            const size_t bytes = (p.block_bytes[k] + 63) / 64 * 64;
            arena[k] = {std::shared_ptr<void>(std::aligned_alloc(64, bytes), std::free), bytes};
            if (!arena[k].first) throw std::bad_alloc();
        }
        for (size_t b : p.block_users[k]) p.buffers[b].mem.set_data_handle(arena[k].first.get());
    }
    p.input.set_data_handle(const_cast<float*>(x));
    p.output.set_data_handle(out);
    for (auto& s : p.steps) {
        if (s.run) s.run(engine_->stream, s.args);
        else s.prim.execute(engine_->stream, s.args);
    }
    engine_->stream.wait();
}

}  // namespace catdog::onednn
