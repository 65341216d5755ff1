// PIL 9.4's antialiased bilinear resize (libImaging/Resample.c, ImagingResample with
// BILINEAR), reproduced bit for bit:
//   - per axis, support = 1.0 * max(1, in/out); per output sample a window of taps with
//     triangle weights, computed in double, normalised to sum 1, then converted to
//     fixed point with PRECISION_BITS = 22 (round half away from zero);
//   - horizontal pass first, rounded (+0.5 ulp) and clipped to uint8, then the vertical pass
//     on those uint8 values, rounded and clipped again;
//   - an axis whose size does not change is not resampled at all.
// Every output pixel depends only on its own taps, so a window of the output can be computed
// alone with the same bytes: that is how val/train crops skip most of the work.
#include "catdog/resize.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace catdog {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);

inline uint8_t clip8(int32_t v) {
    v >>= kPrecisionBits;  // arithmetic shift, like PIL's lookup index
    return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

inline double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

// Fixed-point taps for output samples [first, first + count) of one axis.
struct AxisTaps {
    int ksize = 0;
    std::vector<int> start;     // first input index of each output sample
    std::vector<int> len;       // number of taps
    std::vector<int32_t> k;     // count * ksize coefficients (zero beyond len)
};

AxisTaps axis_taps(int in_size, int out_size, int first, int count) {
    const double scale = static_cast<double>(in_size) / out_size;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = 1.0 * filterscale;
    const double ss = 1.0 / filterscale;
    AxisTaps t;
    t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
    t.start.resize(count);
    t.len.resize(count);
    t.k.assign(static_cast<size_t>(count) * t.ksize, 0);
    std::vector<double> w(t.ksize);
    for (int i = 0; i < count; ++i) {
        const int xx = first + i;
        const double center = (xx + 0.5) * scale;
        int xmin = static_cast<int>(center - support + 0.5);  // truncation, as PIL's (int)
        if (xmin < 0) xmin = 0;
        int xmax = static_cast<int>(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; ++x) {
            w[x] = bilinear_filter((x + xmin - center + 0.5) * ss);
            ww += w[x];
        }
        int32_t* kk = &t.k[static_cast<size_t>(i) * t.ksize];
        for (int x = 0; x < xmax; ++x) {
            const double v = ww != 0.0 ? w[x] / ww : w[x];
            kk[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                          : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
        }
        t.start[i] = xmin;
        t.len[i] = xmax;
    }
    return t;
}

// Pads every sample's taps to the same count K (the longest sample's, at most ksize), moving
// the window left at the right edge and zero-filling coefficients, so the horizontal inner loop
// has a fixed trip count. Extra taps add pixel * 0 to an integer sum: the result is unchanged.
// Afterwards the coefficient stride is K.
void pad_taps(AxisTaps& t, int K, int in_size) {
    std::vector<int32_t> k(t.start.size() * K, 0);
    for (size_t i = 0; i < t.start.size(); ++i) {
        const int shift = std::max(0, t.start[i] + K - in_size);
        for (int x = 0; x < t.len[i]; ++x) k[i * K + shift + x] = t.k[i * t.ksize + x];
        t.start[i] -= shift;
        t.len[i] = K;
    }
    t.k.swap(k);
    t.ksize = K;
}

// One row of the horizontal pass: `n` output pixels from an RGB source row. K > 0 is the
// fixed tap count (after pad_taps); K == 0 reads each sample's own length.
template <int K>
void horizontal_row(const uint8_t* src, const AxisTaps& t, uint8_t* out, int n) {
    const int ksize = t.ksize;
    for (int i = 0; i < n; ++i) {
        const int32_t* k = &t.k[static_cast<size_t>(i) * ksize];
        const uint8_t* p = src + static_cast<size_t>(t.start[i]) * 3;
        int32_t s0 = kHalf, s1 = kHalf, s2 = kHalf;
        const int len = K > 0 ? K : t.len[i];
        for (int x = 0; x < len; ++x) {
            s0 += p[3 * x + 0] * k[x];
            s1 += p[3 * x + 1] * k[x];
            s2 += p[3 * x + 2] * k[x];
        }
        out[3 * i + 0] = clip8(s0);
        out[3 * i + 1] = clip8(s1);
        out[3 * i + 2] = clip8(s2);
    }
}

#if defined(__x86_64__) || defined(__i386__)
// The same sums with SSE4.1, one pixel's three channels per vector: per tap one 4-byte load
// widened to int32 lanes (R, G, B, next R), one 32-bit multiply, one add. pmulld keeps the
// low 32 bits, exact here as in the scalar code; srai + two saturating packs are clip8.
// Reads one byte past each sample's last tap, so the image's last row uses the scalar code.
template <int K>
__attribute__((target("sse4.1"))) void horizontal_row_sse41(const uint8_t* src,
                                                             const AxisTaps& t, uint8_t* out,
                                                             int n) {
    for (int i = 0; i < n; ++i) {
        const int32_t* k = &t.k[static_cast<size_t>(i) * K];
        const uint8_t* p = src + static_cast<size_t>(t.start[i]) * 3;
        __m128i acc = _mm_set1_epi32(kHalf);
        for (int x = 0; x < K; ++x) {
            int32_t v;
            std::memcpy(&v, p + 3 * x, 4);
            const __m128i px = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(v));
            acc = _mm_add_epi32(acc, _mm_mullo_epi32(px, _mm_set1_epi32(k[x])));
        }
        __m128i r = _mm_srai_epi32(acc, kPrecisionBits);
        r = _mm_packus_epi16(_mm_packs_epi32(r, r), r);
        const uint32_t rgb = static_cast<uint32_t>(_mm_cvtsi128_si32(r));
        std::memcpy(out + 3 * i, &rgb, 3);
    }
}

// 0 generic, 1 SSE4.1, 2 AVX2: what the CPU has, lowered by CATDOG_RESIZE_ISA=generic|sse4.1
// (the tests run every kernel against PIL that way).
int isa_level() {
    static const int level = [] {
        int l = __builtin_cpu_supports("avx2") ? 2 : __builtin_cpu_supports("sse4.1") ? 1 : 0;
        if (const char* e = std::getenv("CATDOG_RESIZE_ISA")) {
            if (std::strcmp(e, "generic") == 0) l = 0;
            else if (std::strcmp(e, "sse4.1") == 0) l = std::min(l, 1);
        }
        return l;
    }();
    return level;
}
bool cpu_has_sse41() { return isa_level() >= 1; }
bool cpu_has_avx2() { return isa_level() >= 2; }
#define CATDOG_RESIZE_SSE41 1
#endif

using RowFn = void (*)(const uint8_t*, const AxisTaps&, uint8_t*, int);
struct RowFns { RowFn inner, last_row; };  // last_row never reads past the image

// Fixed-length kernels for up to 12 taps (downscales by up to ~5.5x); longer ones loop.
RowFns pick_horizontal(AxisTaps& t, int in_size) {
    const int K = *std::max_element(t.len.begin(), t.len.end());
    if (in_size < K) return {horizontal_row<0>, horizontal_row<0>};
    RowFns fns{};
    switch (K) {
#ifdef CATDOG_RESIZE_SSE41
#define CATDOG_K(K) \
        case K: fns = {cpu_has_sse41() ? horizontal_row_sse41<K> : horizontal_row<K>, horizontal_row<K>}; break;
#else
#define CATDOG_K(K) case K: fns = {horizontal_row<K>, horizontal_row<K>}; break;
#endif
        CATDOG_K(1) CATDOG_K(2) CATDOG_K(3) CATDOG_K(4) CATDOG_K(5) CATDOG_K(6)
        CATDOG_K(7) CATDOG_K(8) CATDOG_K(9) CATDOG_K(10) CATDOG_K(11) CATDOG_K(12)
#undef CATDOG_K
        default: return {horizontal_row<0>, horizontal_row<0>};
    }
    pad_taps(t, K, in_size);
    return fns;
}

// One output row of the vertical pass: taps outer, samples inner, so the inner loop is a plain
// vector multiply-accumulate the compiler vectorises (with AVX2 where the CPU has it).
#define CATDOG_VERTICAL_ROW_BODY                                                   \
    for (size_t i = 0; i < n; ++i) acc[i] = kHalf;                                 \
    for (int t = 0; t < len; ++t) {                                                \
        const uint8_t* __restrict p = first + static_cast<size_t>(t) * stride;     \
        const int32_t kt = k[t];                                                   \
        for (size_t i = 0; i < n; ++i) acc[i] += p[i] * kt;                        \
    }                                                                              \
    for (size_t i = 0; i < n; ++i) out[i] = clip8(acc[i]);

using VerticalFn = void (*)(const uint8_t*, size_t, const int32_t*, int, int32_t*, uint8_t*,
                            size_t);

void vertical_row(const uint8_t* first, size_t stride, const int32_t* k, int len,
                  int32_t* __restrict acc, uint8_t* __restrict out, size_t n) {
    CATDOG_VERTICAL_ROW_BODY
}

#ifdef CATDOG_RESIZE_SSE41
__attribute__((target("avx2"))) void vertical_row_avx2(const uint8_t* first, size_t stride,
                                                       const int32_t* k, int len,
                                                       int32_t* __restrict acc,
                                                       uint8_t* __restrict out, size_t n) {
    CATDOG_VERTICAL_ROW_BODY
}
VerticalFn pick_vertical() { return cpu_has_avx2() ? vertical_row_avx2 : vertical_row; }
#else
VerticalFn pick_vertical() { return vertical_row; }
#endif
#undef CATDOG_VERTICAL_ROW_BODY

void check_args(const Image& src, int out_w, int out_h, int x0, int y0, int cw, int ch) {
    if (src.empty() || src.rgb.size() != static_cast<size_t>(src.w) * src.h * 3)
        throw std::invalid_argument("resize: empty or inconsistent source image");
    if (out_w <= 0 || out_h <= 0)
        throw std::invalid_argument("resize: output size must be positive, got " +
                                    std::to_string(out_w) + "x" + std::to_string(out_h));
    if (cw <= 0 || ch <= 0 || x0 < 0 || y0 < 0 || x0 + cw > out_w || y0 + ch > out_h)
        throw std::invalid_argument("resize: window " + std::to_string(cw) + "x" +
                                    std::to_string(ch) + "+" + std::to_string(x0) + "+" +
                                    std::to_string(y0) + " outside " + std::to_string(out_w) +
                                    "x" + std::to_string(out_h));
}

}  // namespace

Size resize_shorter_side(int w, int h, int size) {
    if (w <= 0 || h <= 0 || size <= 0)
        throw std::invalid_argument("resize_shorter_side: sizes must be positive");
    const int64_t shorter = w <= h ? w : h, longer = w <= h ? h : w;
    // Python: int(size * long / short), a correctly rounded double division then truncation.
    const int new_long = static_cast<int>(static_cast<double>(int64_t{size} * longer) /
                                          static_cast<double>(shorter));
    return w <= h ? Size{size, new_long} : Size{new_long, size};
}

Image resize_bilinear(const Image& src, int out_w, int out_h) {
    return resize_bilinear_window(src, out_w, out_h, 0, 0, out_w, out_h);
}

Image resize_bilinear_window(const Image& src, int out_w, int out_h, int x0, int y0, int cw,
                             int ch) {
    check_args(src, out_w, out_h, x0, y0, cw, ch);
    const bool need_h = out_w != src.w;
    const bool need_v = out_h != src.h;
    const size_t src_stride = static_cast<size_t>(src.w) * 3;
    const size_t row_bytes = static_cast<size_t>(cw) * 3;

    Image dst;
    dst.w = cw;
    dst.h = ch;
    dst.rgb.resize(row_bytes * ch);

    // Source rows the vertical pass reads (taps are monotonic in the output index).
    AxisTaps vt;
    int r0 = y0, r1 = y0 + ch;
    if (need_v) {
        vt = axis_taps(src.h, out_h, y0, ch);
        r0 = vt.start.front();
        r1 = vt.start.back() + vt.len.back();
    }

    // Horizontal pass over those rows only, and only for the window's columns.
    // Scratch kept per thread: fresh large buffers each call cost page faults and zeroing
    // (half the resize time at 224x224). Oversized one-off requests don't stay resident.
    thread_local std::vector<uint8_t> tmp;
    thread_local std::vector<int32_t> acc;
    constexpr size_t kKeep = size_t{8} << 20;
    if (tmp.size() > kKeep) std::vector<uint8_t>().swap(tmp);
    if (acc.size() * 4 > kKeep) std::vector<int32_t>().swap(acc);
    const uint8_t* rows;  // row r (r0 <= r < r1) starts at rows + (r - r0) * stride
    size_t stride;
    if (need_h) {
        AxisTaps ht = axis_taps(src.w, out_w, x0, cw);
        const RowFns fns = pick_horizontal(ht, src.w);
        if (tmp.size() < row_bytes * (r1 - r0)) tmp.resize(row_bytes * (r1 - r0));
        for (int r = r0; r < r1; ++r)
            (r + 1 < src.h ? fns.inner : fns.last_row)(&src.rgb[r * src_stride], ht,
                                                       &tmp[(r - r0) * row_bytes], cw);
        rows = tmp.data();
        stride = row_bytes;
    } else {
        rows = &src.rgb[r0 * src_stride + static_cast<size_t>(x0) * 3];
        stride = src_stride;
    }

    if (!need_v) {
        for (int y = 0; y < ch; ++y)
            std::memcpy(&dst.rgb[y * row_bytes], rows + static_cast<size_t>(y) * stride, row_bytes);
        return dst;
    }

    // Vertical pass.
    const VerticalFn vertical = pick_vertical();
    if (acc.size() < row_bytes) acc.resize(row_bytes);
    for (int y = 0; y < ch; ++y)
        vertical(rows + static_cast<size_t>(vt.start[y] - r0) * stride, stride,
                 &vt.k[static_cast<size_t>(y) * vt.ksize], vt.len[y], acc.data(),
                 &dst.rgb[y * row_bytes], row_bytes);
    return dst;
}

}  // namespace catdog
