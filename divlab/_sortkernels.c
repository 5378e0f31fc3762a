/*
 * divlab._sortkernels: the two steps of the 1-D closed form that NumPy cannot do in linear
 * time or at memory speed (issue #10).
 *
 *   sort(src, dst)                      radix sort of finite floats
 *   sort_pairs(keys, w, keys_out, w_out[, cumulative])
 *                                       radix sort of keys, the weights (or their
 *                                       normalised cumulative sums) following
 *   merge_differences(us, cu, vs, cv, dt, d)
 *                                       one linear merge of two sorted CDFs giving the
 *                                       interval lengths dt and the quantile differences d
 *   uniform_differences(us, vs, d)      the same differences for two uniform measures, on
 *                                       the data-independent grid (no merge of floats)
 *
 * Arrays are passed through the buffer protocol (C-contiguous, format 'd' or 'f', one
 * dtype per call); no NumPy headers are needed to build this file. The Python wrapper
 * (divlab/_native.py) validates shapes and dtypes and falls back to NumPy when the
 * extension is not built. The GIL is released while a kernel runs.
 *
 * Sorting: least-significant-digit radix sort on the order-preserving integer image of the
 * IEEE bits (negative numbers: all bits flipped; non-negative: sign bit set), 11-bit digits
 * (6 passes for float64, 3 for float32), the histograms of every digit counted in one read,
 * and a pass skipped when one bucket holds every key. sort returns the values of np.sort on
 * finite input (-0.0 placed before +0.0). sort_pairs is stable, with both zeros one key,
 * so tied values keep their input order as under a stable np.argsort: it sorts
 * (key, 32-bit index) records and gathers the weights (and the values) by index.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Scratch buffers: large ones are 2 MiB-aligned and marked for transparent huge pages
 * (Linux), so that a call page-faults a few times instead of once per 4 KiB page (at
 * n = 1e6 the faults of fresh 4 KiB pages cost about as much as a radix pass).
 */
#if defined(__linux__)
#include <sys/mman.h>
#endif
#define HUGE_ALIGN ((size_t)2 << 20)

static void *scratch_alloc(size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= 2 * HUGE_ALIGN) {
        void *p = NULL;
        size_t rounded = (bytes + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
        if (posix_memalign(&p, HUGE_ALIGN, rounded) != 0) return NULL;
        madvise(p, rounded, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(bytes ? bytes : 1);
}

#define RADIX_BITS 8 /* 256 buckets: the scatter's write streams stay in L1 (11 bits: 2x slower at 1e6) */
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_MASK (RADIX_SIZE - 1u)

/* ---- order-preserving maps between float bits and unsigned keys ---- */

static inline uint64_t key_of_f64(double x) {
    uint64_t b;
    memcpy(&b, &x, 8);
    return (b >> 63) ? ~b : (b | 0x8000000000000000ull);
}

/* the same with both zeros one key (-0.0 + 0.0 == +0.0), for a stable sort: ties stay ties */
static inline uint64_t tie_key_of_f64(double x) { return key_of_f64(x + 0.0); }

static inline double f64_of_key(uint64_t k) {
    uint64_t b = (k >> 63) ? (k & 0x7fffffffffffffffull) : ~k;
    double x;
    memcpy(&x, &b, 8);
    return x;
}

static inline uint32_t key_of_f32(float x) {
    uint32_t b;
    memcpy(&b, &x, 4);
    return (b >> 31) ? ~b : (b | 0x80000000u);
}

static inline uint32_t tie_key_of_f32(float x) { return key_of_f32(x + 0.0f); }

static inline float f32_of_key(uint32_t k) {
    uint32_t b = (k >> 31) ? (k & 0x7fffffffu) : ~k;
    float x;
    memcpy(&x, &b, 4);
    return x;
}

/*
 * DEFINE_RADIX_SORT(NAME, UKEY, NPASS, PTYPE): sorts keys[0..n) (with pay[0..n) following
 * unless pay is NULL) using the ping-pong buffers keys2 / pay2 and NPASS * RADIX_SIZE
 * counters in hist. Returns 1 when the sorted data ended in the second buffers, else 0.
 */
#define DEFINE_RADIX_SORT(NAME, UKEY, NPASS, PTYPE)                                        \
    static int NAME(UKEY *keys, UKEY *keys2, PTYPE *pay, PTYPE *pay2, Py_ssize_t n,        \
                    size_t *hist) {                                                        \
        memset(hist, 0, sizeof(size_t) * RADIX_SIZE * (NPASS));                            \
        for (Py_ssize_t i = 0; i < n; i++) {                                               \
            UKEY k = keys[i];                                                              \
            for (int p = 0; p < (NPASS); p++)                                              \
                hist[p * RADIX_SIZE + ((k >> (p * RADIX_BITS)) & RADIX_MASK)]++;           \
        }                                                                                  \
        int swapped = 0;                                                                   \
        for (int p = 0; p < (NPASS); p++) {                                                \
            size_t *h = hist + p * RADIX_SIZE;                                             \
            UKEY first = keys[0];                                                          \
            if (h[(first >> (p * RADIX_BITS)) & RADIX_MASK] == (size_t)n) continue;        \
            size_t sum = 0;                                                                \
            for (unsigned b = 0; b < RADIX_SIZE; b++) {                                    \
                size_t c = h[b];                                                           \
                h[b] = sum;                                                                \
                sum += c;                                                                  \
            }                                                                              \
            const int shift = p * RADIX_BITS;                                              \
            if (pay) {                                                                     \
                for (Py_ssize_t i = 0; i < n; i++) {                                       \
                    UKEY k = keys[i];                                                      \
                    size_t pos = h[(k >> shift) & RADIX_MASK]++;                           \
                    keys2[pos] = k;                                                        \
                    pay2[pos] = pay[i];                                                    \
                }                                                                          \
                PTYPE *tp = pay;                                                           \
                pay = pay2;                                                                \
                pay2 = tp;                                                                 \
            } else {                                                                       \
                for (Py_ssize_t i = 0; i < n; i++) {                                       \
                    UKEY k = keys[i];                                                      \
                    keys2[h[(k >> shift) & RADIX_MASK]++] = k;                             \
                }                                                                          \
            }                                                                              \
            UKEY *tk = keys;                                                               \
            keys = keys2;                                                                  \
            keys2 = tk;                                                                    \
            swapped ^= 1;                                                                  \
        }                                                                                  \
        return swapped;                                                                    \
    }

DEFINE_RADIX_SORT(radix_u64, uint64_t, 8, double)
DEFINE_RADIX_SORT(radix_u32, uint32_t, 4, float)
DEFINE_RADIX_SORT(radix_u64_idx, uint64_t, 8, uint32_t)
DEFINE_RADIX_SORT(radix_u32_idx, uint32_t, 4, uint32_t)

/* ---- sort(src, dst) ---- */

#define DEFINE_SORT(NAME, FT, UKEY, RADIX, KEYOF, FOF, NPASS)                              \
    static int NAME(const FT *src, FT *dst, Py_ssize_t n) {                                \
        UKEY *a = (UKEY *)dst; /* same size as FT */                                       \
        UKEY *b = (UKEY *)scratch_alloc(sizeof(UKEY) * (size_t)n);                                \
        size_t *hist = (size_t *)malloc(sizeof(size_t) * RADIX_SIZE * (NPASS));            \
        if (!b || !hist) {                                                                 \
            free(b);                                                                       \
            free(hist);                                                                    \
            return -1;                                                                     \
        }                                                                                  \
        for (Py_ssize_t i = 0; i < n; i++) a[i] = KEYOF(src[i]);                           \
        int in_b = RADIX(a, b, NULL, NULL, n, hist);                                       \
        const UKEY *res = in_b ? b : a;                                                    \
        for (Py_ssize_t i = 0; i < n; i++) dst[i] = FOF(res[i]);                           \
        free(b);                                                                           \
        free(hist);                                                                        \
        return 0;                                                                          \
    }

DEFINE_SORT(sort_f64, double, uint64_t, radix_u64, key_of_f64, f64_of_key, 8)
DEFINE_SORT(sort_f32, float, uint32_t, radix_u32, key_of_f32, f32_of_key, 4)

#define DEFINE_SORT_PAIRS(NAME, FT, UKEY, RADIX, KEYOF, FOF, NPASS)                        \
    static int NAME(const FT *keys, const FT *w, FT *keys_out, FT *w_out, Py_ssize_t n,    \
                    int cumulative) {                                                      \
        UKEY *a = (UKEY *)keys_out;                                                        \
        UKEY *b = (UKEY *)scratch_alloc(sizeof(UKEY) * (size_t)n);                                \
        uint32_t *ia = (uint32_t *)scratch_alloc(sizeof(uint32_t) * (size_t)n);                   \
        uint32_t *ib = (uint32_t *)scratch_alloc(sizeof(uint32_t) * (size_t)n);                   \
        size_t *hist = (size_t *)malloc(sizeof(size_t) * RADIX_SIZE * (NPASS));            \
        if (!b || !ia || !ib || !hist) {                                                   \
            free(b);                                                                       \
            free(ia);                                                                      \
            free(ib);                                                                      \
            free(hist);                                                                    \
            return -1;                                                                     \
        }                                                                                  \
        for (Py_ssize_t i = 0; i < n; i++) {                                               \
            a[i] = KEYOF(keys[i]);                                                         \
            ia[i] = (uint32_t)i;                                                           \
        }                                                                                  \
        int in_b = RADIX(a, b, ia, ib, n, hist);                                           \
        const UKEY *rk = in_b ? b : a;                                                     \
        const uint32_t *ri = in_b ? ib : ia;                                               \
        FT acc = 0;                                                                        \
        for (Py_ssize_t i = 0; i < n; i++) {                                               \
            FT x = FOF(rk[i]);                                                             \
            keys_out[i] = x == 0 ? keys[ri[i]] : x; /* the zero's own sign */              \
            if (cumulative) {                                                              \
                acc += w[ri[i]]; /* sequential, as np.cumsum */                            \
                w_out[i] = acc;                                                            \
            } else {                                                                       \
                w_out[i] = w[ri[i]];                                                       \
            }                                                                              \
        }                                                                                  \
        if (cumulative) /* c / c[-1]: the last entry exactly 1 */                          \
            for (Py_ssize_t i = 0; i < n; i++) w_out[i] /= acc;                            \
        free(b);                                                                           \
        free(ia);                                                                          \
        free(ib);                                                                          \
        free(hist);                                                                        \
        return 0;                                                                          \
    }

DEFINE_SORT_PAIRS(sort_pairs_f64, double, uint64_t, radix_u64_idx, tie_key_of_f64, f64_of_key, 8)
DEFINE_SORT_PAIRS(sort_pairs_f32, float, uint32_t, radix_u32_idx, tie_key_of_f32, f32_of_key, 4)

/*
 * merge_differences: us (n), cu (n) sorted atoms and CDF values of u (cu non-decreasing,
 * last exactly 1), likewise vs, cv (m). For the k-th merged breakpoint t_k (u first on ties)
 * dt[k] = t_k - t_{k-1} (t_{-1} = 0) and d[k] = us[min(i, n-1)] - vs[min(j, m-1)], where i
 * and j count the breakpoints of u and v before position k. Same arithmetic, same order as
 * the NumPy path (a stable argsort of the concatenated CDFs).
 */
#define DEFINE_MERGE(NAME, FT)                                                             \
    static void NAME(const FT *us, const FT *cu, Py_ssize_t n, const FT *vs, const FT *cv, \
                     Py_ssize_t m, FT *dt, FT *d) {                                        \
        Py_ssize_t i = 0, j = 0, k = 0;                                                    \
        FT prev = 0;                                                                       \
        /* both runs open: branch-free step (the interleaving is data-dependent) */        \
        while (i < n && j < m) {                                                           \
            FT a = cu[i], b = cv[j];                                                       \
            int take_u = a <= b;                                                           \
            FT t = take_u ? a : b;                                                         \
            dt[k] = t - prev;                                                              \
            prev = t;                                                                      \
            d[k] = us[i] - vs[j]; /* i < n, j < m: no clipping needed */                \
            i += take_u;                                                                   \
            j += 1 - take_u;                                                               \
            k++;                                                                           \
        }                                                                                  \
        for (; i < n; i++, k++) {                                                          \
            dt[k] = cu[i] - prev;                                                          \
            prev = cu[i];                                                                  \
            d[k] = us[i] - vs[m - 1];                                                      \
        }                                                                                  \
        for (; j < m; j++, k++) {                                                          \
            dt[k] = cv[j] - prev;                                                          \
            prev = cv[j];                                                                  \
            d[k] = us[n - 1] - vs[j];                                                      \
        }                                                                                  \
    }

DEFINE_MERGE(merge_f64, double)
DEFINE_MERGE(merge_f32, float)

/*
 * uniform_differences: the quantile differences of two uniform measures on the merged grid
 * of divlab.ot.oned.uniform_quantile_grid (keys (i+1)m and (j+1)n on the integer grid
 * k / (nm), u first on ties): d[k] = us[iu_k] - vs[iv_k] with iu_k = prev // m and
 * iv_k = prev // n (clipped), prev the previous key. The counts of emitted keys give both
 * quotients without a division: every u key <= prev is emitted (u first on ties), and a v
 * key equal to prev is the next one when prev is a u key.
 */
#define DEFINE_UNIFORM(NAME, FT)                                                           \
    static void NAME(const FT *us, Py_ssize_t n, const FT *vs, Py_ssize_t m, FT *d) {      \
        int64_t i = 0, j = 0, prev = 0;                                                    \
        const int64_t nn = n, mm = m;                                                      \
        for (Py_ssize_t k = 0; k < n + m; k++) {                                           \
            int64_t ku = (i + 1) * mm, kv = (j + 1) * nn;                                  \
            int64_t iu = i < nn - 1 ? i : nn - 1;                                          \
            int64_t iv = j + (j < mm && kv == prev);                                       \
            iv = iv < mm - 1 ? iv : mm - 1;                                                \
            d[k] = us[iu] - vs[iv];                                                        \
            if (i < nn && (j >= mm || ku <= kv)) {                                         \
                prev = ku;                                                                 \
                i++;                                                                       \
            } else {                                                                       \
                prev = kv;                                                                 \
                j++;                                                                       \
            }                                                                              \
        }                                                                                  \
    }

DEFINE_UNIFORM(uniform_f64, double)
DEFINE_UNIFORM(uniform_f32, float)

/* ---- Python glue ---- */

static int get_buffer(PyObject *obj, Py_buffer *view, int writable, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    if (view->ndim != 1 || view->format == NULL ||
        !((strcmp(view->format, "d") == 0 && view->itemsize == 8) ||
          (strcmp(view->format, "f") == 0 && view->itemsize == 4))) {
        PyErr_Format(PyExc_TypeError, "%s: expected a 1-D C-contiguous float64 or float32 buffer",
                     name);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static Py_ssize_t length(const Py_buffer *v) { return v->len / v->itemsize; }

static int same_kind(Py_buffer *views, int count, Py_ssize_t *lens) {
    for (int i = 1; i < count; i++) {
        if (views[i].itemsize != views[0].itemsize) {
            PyErr_SetString(PyExc_TypeError, "all buffers must have one dtype");
            return -1;
        }
    }
    for (int i = 0; i < count; i++) {
        if (lens[i] >= 0 && length(&views[i]) != lens[i]) {
            PyErr_SetString(PyExc_ValueError, "buffer lengths do not match");
            return -1;
        }
    }
    return 0;
}

static void release_all(Py_buffer *views, int count) {
    for (int i = 0; i < count; i++) PyBuffer_Release(&views[i]);
}

static int get_all(PyObject **objs, Py_buffer *views, const int *writable, int count) {
    static const char *names[] = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5"};
    for (int i = 0; i < count; i++) {
        if (get_buffer(objs[i], &views[i], writable[i], names[i]) < 0) {
            release_all(views, i);
            return -1;
        }
    }
    return 0;
}

static PyObject *py_sort(PyObject *self, PyObject *args) {
    PyObject *objs[2];
    Py_buffer v[2];
    static const int wr[2] = {0, 1};
    if (!PyArg_ParseTuple(args, "OO:sort", &objs[0], &objs[1])) return NULL;
    if (get_all(objs, v, wr, 2) < 0) return NULL;
    Py_ssize_t n = length(&v[0]);
    Py_ssize_t lens[2] = {n, n};
    if (same_kind(v, 2, lens) < 0) {
        release_all(v, 2);
        return NULL;
    }
    int rc = 0;
    if (n > 0) {
        Py_BEGIN_ALLOW_THREADS
        rc = v[0].itemsize == 8 ? sort_f64((const double *)v[0].buf, (double *)v[1].buf, n)
                                : sort_f32((const float *)v[0].buf, (float *)v[1].buf, n);
        Py_END_ALLOW_THREADS
    }
    release_all(v, 2);
    if (rc < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *py_sort_pairs(PyObject *self, PyObject *args) {
    PyObject *objs[4];
    Py_buffer v[4];
    int cumulative = 0;
    static const int wr[4] = {0, 0, 1, 1};
    if (!PyArg_ParseTuple(args, "OOOO|p:sort_pairs", &objs[0], &objs[1], &objs[2], &objs[3],
                          &cumulative))
        return NULL;
    if (get_all(objs, v, wr, 4) < 0) return NULL;
    Py_ssize_t n = length(&v[0]);
    Py_ssize_t lens[4] = {n, n, n, n};
    if (same_kind(v, 4, lens) < 0) {
        release_all(v, 4);
        return NULL;
    }
    if ((uint64_t)n > (uint64_t)UINT32_MAX) {
        release_all(v, 4);
        PyErr_SetString(PyExc_ValueError, "sort_pairs: at most 2**32 - 1 values");
        return NULL;
    }
    int rc = 0;
    if (n > 0) {
        Py_BEGIN_ALLOW_THREADS
        if (v[0].itemsize == 8)
            rc = sort_pairs_f64((const double *)v[0].buf, (const double *)v[1].buf,
                                (double *)v[2].buf, (double *)v[3].buf, n, cumulative);
        else
            rc = sort_pairs_f32((const float *)v[0].buf, (const float *)v[1].buf,
                                (float *)v[2].buf, (float *)v[3].buf, n, cumulative);
        Py_END_ALLOW_THREADS
    }
    release_all(v, 4);
    if (rc < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *py_merge_differences(PyObject *self, PyObject *args) {
    PyObject *objs[6];
    Py_buffer v[6];
    static const int wr[6] = {0, 0, 0, 0, 1, 1};
    if (!PyArg_ParseTuple(args, "OOOOOO:merge_differences", &objs[0], &objs[1], &objs[2],
                          &objs[3], &objs[4], &objs[5]))
        return NULL;
    if (get_all(objs, v, wr, 6) < 0) return NULL;
    Py_ssize_t n = length(&v[0]), m = length(&v[2]);
    Py_ssize_t lens[6] = {n, n, m, m, n + m, n + m};
    if (same_kind(v, 6, lens) < 0) {
        release_all(v, 6);
        return NULL;
    }
    if (n == 0 || m == 0) {
        release_all(v, 6);
        PyErr_SetString(PyExc_ValueError, "merge_differences needs non-empty samples");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    if (v[0].itemsize == 8)
        merge_f64((const double *)v[0].buf, (const double *)v[1].buf, n,
                  (const double *)v[2].buf, (const double *)v[3].buf, m, (double *)v[4].buf,
                  (double *)v[5].buf);
    else
        merge_f32((const float *)v[0].buf, (const float *)v[1].buf, n,
                  (const float *)v[2].buf, (const float *)v[3].buf, m, (float *)v[4].buf,
                  (float *)v[5].buf);
    Py_END_ALLOW_THREADS
    release_all(v, 6);
    Py_RETURN_NONE;
}

static PyObject *py_uniform_differences(PyObject *self, PyObject *args) {
    PyObject *objs[3];
    Py_buffer v[3];
    static const int wr[3] = {0, 0, 1};
    if (!PyArg_ParseTuple(args, "OOO:uniform_differences", &objs[0], &objs[1], &objs[2]))
        return NULL;
    if (get_all(objs, v, wr, 3) < 0) return NULL;
    Py_ssize_t n = length(&v[0]), m = length(&v[1]);
    Py_ssize_t lens[3] = {n, m, n + m};
    if (same_kind(v, 3, lens) < 0) {
        release_all(v, 3);
        return NULL;
    }
    if (n == 0 || m == 0 || (double)n * (double)m > 4e18) {
        release_all(v, 3);
        PyErr_SetString(PyExc_ValueError, "uniform_differences: need 0 < n, m and n * m < 4e18");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    if (v[0].itemsize == 8)
        uniform_f64((const double *)v[0].buf, n, (const double *)v[1].buf, m, (double *)v[2].buf);
    else
        uniform_f32((const float *)v[0].buf, n, (const float *)v[1].buf, m, (float *)v[2].buf);
    Py_END_ALLOW_THREADS
    release_all(v, 3);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"sort", py_sort, METH_VARARGS,
     "sort(src, dst): radix sort of finite floats from src into dst (1-D, one dtype)."},
    {"sort_pairs", py_sort_pairs, METH_VARARGS,
     "sort_pairs(keys, w, keys_out, w_out, cumulative=False): stable radix sort of keys, w\n"
     "following; with cumulative, w_out is the CDF cumsum(w[order]) / sum, last entry 1."},
    {"merge_differences", py_merge_differences, METH_VARARGS,
     "merge_differences(us, cu, vs, cv, dt, d): merged CDF intervals and quantile differences."},
    {"uniform_differences", py_uniform_differences, METH_VARARGS,
     "uniform_differences(us, vs, d): quantile differences of two uniform measures on the\n"
     "merged grid of divlab.ot.oned.uniform_quantile_grid."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_sortkernels",
    "Compiled radix sort and CDF merge for the 1-D Wasserstein closed form (see divlab._native).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__sortkernels(void) { return PyModule_Create(&moduledef); }
