/*
 * divlab._knnkernel: exact k-nearest-neighbour search by blocked brute force (issue #11).
 *
 *   search(ref_t, n, d, query, nq, k, self_base, out_d2, out_idx)
 *
 * ref_t is the reference sample transposed, (d, n) C-contiguous float64; query is (nq, d)
 * C-contiguous float64. For every query row the k smallest squared Euclidean distances
 * sum_j (q_j - r_j)^2 (accumulated over j = 0 .. d-1 in that order, no fused multiply-add:
 * the same bits on every CPU) and their reference indices are written, sorted by
 * (distance, index): among equal distances the lower index comes first, so the result is
 * fully determined. With self_base >= 0, query row i is reference row self_base + i and that
 * index (only that one: duplicates at distance 0 stay neighbours) is left out.
 *
 * Work: n * nq * d subtractions and multiplications, done on blocks of references that stay
 * in the L1/L2 cache while a block of queries runs over them; the compiler vectorises the
 * loop over references (an AVX-512, an AVX2 and a baseline version are built on x86-64 Linux
 * with GCC, picked at load time). Keeping the k best is a threshold test per distance and a
 * rare insertion. The GIL is released; the Python wrapper (divlab/_native.py) splits the
 * queries over threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

#define QUERY_BLOCK 16

typedef double vec8 __attribute__((vector_size(64)));

static inline vec8 load8(const double *p) {
    vec8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* out[r] = sum_j (q[j] - R[j][r0 + r])^2 for r < len, summed over j in order. Thirty-two
 * references at a time in four 8-wide accumulators (registers), so every reference value is
 * loaded once and each sum stays in a register through all d coordinates. */
MULTIVERSION
static void block_d2(const double *R, Py_ssize_t n, Py_ssize_t d, const double *q,
                     Py_ssize_t r0, Py_ssize_t len, double *out) {
    Py_ssize_t r = 0;
    for (; r + 32 <= len; r += 32) {
        vec8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        for (Py_ssize_t j = 0; j < d; j++) {
            const double *row = R + j * n + r0 + r;
            const vec8 qj = {q[j], q[j], q[j], q[j], q[j], q[j], q[j], q[j]};
            vec8 t0 = qj - load8(row), t1 = qj - load8(row + 8);
            vec8 t2 = qj - load8(row + 16), t3 = qj - load8(row + 24);
            a0 += t0 * t0;
            a1 += t1 * t1;
            a2 += t2 * t2;
            a3 += t3 * t3;
        }
        memcpy(out + r, &a0, sizeof a0);
        memcpy(out + r + 8, &a1, sizeof a1);
        memcpy(out + r + 16, &a2, sizeof a2);
        memcpy(out + r + 24, &a3, sizeof a3);
    }
    for (; r < len; r++) { /* same sums, same order */
        double acc = 0.0;
        for (Py_ssize_t j = 0; j < d; j++) {
            double t = q[j] - R[j * n + r0 + r];
            acc += t * t;
        }
        out[r] = acc;
    }
}

/* how many of buf[0..len) are below thr (a vectorisable gate before the insertion scan) */
MULTIVERSION
static Py_ssize_t count_below(const double *buf, Py_ssize_t len, double thr) {
    Py_ssize_t c = 0;
    for (Py_ssize_t r = 0; r < len; r++) c += buf[r] < thr;
    return c;
}

static int search(const double *R, Py_ssize_t n, Py_ssize_t d, const double *Q, Py_ssize_t nq,
                  Py_ssize_t k, Py_ssize_t self_base, double *out_d2, int64_t *out_idx) {
    /* references per block: a multiple of 32 (the vector loop's step), about 32 KiB of
     * reference data, 64 .. 512 rows */
    Py_ssize_t rb = (4096 / d) / 32 * 32;
    rb = rb < 64 ? 64 : (rb > 512 ? 512 : rb);
    double *buf = (double *)malloc(sizeof(double) * (size_t)rb);
    if (!buf) return -1;
    for (Py_ssize_t i = 0; i < nq * k; i++) {
        out_d2[i] = INFINITY;
        out_idx[i] = -1;
    }
    for (Py_ssize_t qb = 0; qb < nq; qb += QUERY_BLOCK) {
        Py_ssize_t qe = qb + QUERY_BLOCK < nq ? qb + QUERY_BLOCK : nq;
        for (Py_ssize_t r0 = 0; r0 < n; r0 += rb) {
            Py_ssize_t len = n - r0 < rb ? n - r0 : rb;
            for (Py_ssize_t qi = qb; qi < qe; qi++) {
                block_d2(R, n, d, Q + qi * d, r0, len, buf);
                if (self_base >= 0) {
                    Py_ssize_t own = self_base + qi - r0;
                    if (own >= 0 && own < len) buf[own] = INFINITY;
                }
                double *bd = out_d2 + qi * k;
                int64_t *bi = out_idx + qi * k;
                double thr = bd[k - 1];
                /* 32 references at a time: a vectorised count below the current k-th
                 * distance, and the insertion scan only where it found any */
                for (Py_ssize_t c = 0; c < len; c += 32) {
                    Py_ssize_t e = c + 32 < len ? c + 32 : len;
                    if (count_below(buf + c, e - c, thr) == 0) continue;
                    for (Py_ssize_t r = c; r < e; r++) {
                        double v = buf[r];
                        if (v < thr) { /* strict: an equal later index never displaces */
                            Py_ssize_t pos = k - 1;
                            while (pos > 0 && bd[pos - 1] > v) {
                                bd[pos] = bd[pos - 1];
                                bi[pos] = bi[pos - 1];
                                pos--;
                            }
                            bd[pos] = v;
                            bi[pos] = (int64_t)(r0 + r);
                            thr = bd[k - 1];
                        }
                    }
                }
            }
        }
    }
    free(buf);
    return 0;
}

static int get_buffer(PyObject *obj, Py_buffer *view, int writable, const char *fmt,
                      Py_ssize_t count, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    int ok = view->format != NULL && view->itemsize == 8 && view->len == count * 8;
    if (ok && fmt[0] == 'd') ok = strcmp(view->format, "d") == 0;
    if (ok && fmt[0] == 'q')
        ok = strcmp(view->format, "q") == 0 || strcmp(view->format, "l") == 0;
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "%s: expected a C-contiguous %s buffer of %zd items",
                     name, fmt[0] == 'd' ? "float64" : "int64", count);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *py_search(PyObject *self, PyObject *args) {
    PyObject *o_ref, *o_q, *o_d2, *o_idx;
    Py_ssize_t n, d, nq, k, self_base;
    if (!PyArg_ParseTuple(args, "OnnOnnnOO:search", &o_ref, &n, &d, &o_q, &nq, &k, &self_base,
                          &o_d2, &o_idx))
        return NULL;
    if (n < 1 || d < 1 || nq < 0 || k < 1 || k > n - (self_base >= 0 ? 1 : 0) ||
        (self_base >= 0 && self_base + nq > n)) {
        PyErr_SetString(PyExc_ValueError, "search: need n, d, k >= 1 and k <= the neighbours "
                                          "available (n, or n - 1 for a self query)");
        return NULL;
    }
    Py_buffer vr, vq, vd, vi;
    if (get_buffer(o_ref, &vr, 0, "d", n * d, "ref_t") < 0) return NULL;
    if (get_buffer(o_q, &vq, 0, "d", nq * d, "query") < 0) {
        PyBuffer_Release(&vr);
        return NULL;
    }
    if (get_buffer(o_d2, &vd, 1, "d", nq * k, "out_d2") < 0) {
        PyBuffer_Release(&vr);
        PyBuffer_Release(&vq);
        return NULL;
    }
    if (get_buffer(o_idx, &vi, 1, "q", nq * k, "out_idx") < 0) {
        PyBuffer_Release(&vr);
        PyBuffer_Release(&vq);
        PyBuffer_Release(&vd);
        return NULL;
    }
    int rc = 0;
    if (nq > 0) {
        Py_BEGIN_ALLOW_THREADS
        rc = search((const double *)vr.buf, n, d, (const double *)vq.buf, nq, k, self_base,
                    (double *)vd.buf, (int64_t *)vi.buf);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&vr);
    PyBuffer_Release(&vq);
    PyBuffer_Release(&vd);
    PyBuffer_Release(&vi);
    if (rc < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"search", py_search, METH_VARARGS,
     "search(ref_t, n, d, query, nq, k, self_base, out_d2, out_idx): exact k-NN by blocked\n"
     "brute force; squared distances and indices sorted by (distance, index)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_knnkernel",
    "Exact k-nearest-neighbour search by blocked brute force (see divlab._native).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__knnkernel(void) { return PyModule_Create(&moduledef); }
