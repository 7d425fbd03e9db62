/* fourfold._fastcall: the CPU runtime's per-call path in C.
 *
 * A compiled CPU function is called through its packed C interface: an array of pointers to
 * memref descriptors (one per argument and result), each descriptor's allocated / aligned fields
 * set to the data of the array passed or allocated for that call. Done from Python with ctypes
 * this took ~2.6 us of a 4.4 us call of a 37x53x29 matmul (numpy: 2.5 us); here the checks (exact
 * ndarray, dtype, shape, C order), the pointer stores, the result allocation and the call take a
 * fraction of that. Anything unusual (a view, another dtype, a scalar argument) returns
 * NotImplemented and the Python path handles it, with its messages. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <string.h>

#define MAX_RANK 16

typedef struct {
  void **allocated, **aligned; /* the descriptor's first two fields */
  int typenum, ndim;
  npy_intp shape[MAX_RANK];
  PyObject *allocate; /* results: a Python callable returning the array, or NULL (numpy's own) */
} Slot;

typedef struct {
  PyObject_HEAD
  void (*fn)(void **);
  void **packed;
  Py_ssize_t nin, nout;
  Slot *slots; /* inputs, then results */
} Caller;

static void Caller_dealloc(Caller *self) {
  if (self->slots)
    for (Py_ssize_t i = 0; i < self->nin + self->nout; ++i)
      Py_XDECREF(self->slots[i].allocate);
  PyMem_Free(self->slots);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A slot from (descriptor address, typenum, shape, allocate-or-None). */
static int read_slot(PyObject *spec, Slot *slot) {
  unsigned long long address;
  PyObject *shape, *allocate;
  if (!PyArg_ParseTuple(spec, "KiOO", &address, &slot->typenum, &shape, &allocate))
    return -1;
  PyObject *seq = PySequence_Fast(shape, "shape must be a sequence");
  if (!seq)
    return -1;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  if (n > MAX_RANK) {
    Py_DECREF(seq);
    PyErr_SetString(PyExc_ValueError, "rank above 16");
    return -1;
  }
  slot->ndim = (int)n;
  for (Py_ssize_t d = 0; d < n; ++d)
    slot->shape[d] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, d));
  Py_DECREF(seq);
  if (PyErr_Occurred())
    return -1;
  slot->allocated = (void **)(uintptr_t)address;
  slot->aligned = slot->allocated + 1;
  slot->allocate = allocate == Py_None ? NULL : (Py_INCREF(allocate), allocate);
  return 0;
}

/* Caller(function address, packed address, [input slots], [result slots]) */
static int Caller_init(Caller *self, PyObject *args, PyObject *kwds) {
  unsigned long long fn, packed;
  PyObject *ins, *outs;
  if (!PyArg_ParseTuple(args, "KKO!O!", &fn, &packed, &PyList_Type, &ins, &PyList_Type, &outs))
    return -1;
  self->fn = (void (*)(void **))(uintptr_t)fn;
  self->packed = (void **)(uintptr_t)packed;
  self->nin = PyList_GET_SIZE(ins);
  self->nout = PyList_GET_SIZE(outs);
  if (self->nout > MAX_RANK) {
    PyErr_SetString(PyExc_ValueError, "more than 16 results");
    return -1;
  }
  self->slots = PyMem_Calloc(self->nin + self->nout + 1, sizeof(Slot));
  if (!self->slots)
    return -1;
  for (Py_ssize_t i = 0; i < self->nin + self->nout; ++i) {
    PyObject *spec = i < self->nin ? PyList_GET_ITEM(ins, i) : PyList_GET_ITEM(outs, i - self->nin);
    if (read_slot(spec, &self->slots[i]) < 0)
      return -1;
  }
  return 0;
}

/* Allocates the results, calls the function, returns the result(s). */
static PyObject *finish(Caller *self) {
  PyObject *results[MAX_RANK];
  Py_ssize_t nout = self->nout; /* at most MAX_RANK: checked when made */
  for (Py_ssize_t j = 0; j < nout; ++j) {
    Slot *s = &self->slots[self->nin + j];
    PyObject *r = s->allocate ? PyObject_CallNoArgs(s->allocate)
                              : PyArray_SimpleNew(s->ndim, s->shape, s->typenum);
    if (!r) {
      for (Py_ssize_t k = 0; k < j; ++k)
        Py_DECREF(results[k]);
      return NULL;
    }
    results[j] = r;
    *s->allocated = *s->aligned = PyArray_DATA((PyArrayObject *)r);
  }
  /* Inputs and results stay referenced (args, results) for the whole call. */
  Py_BEGIN_ALLOW_THREADS
  self->fn(self->packed);
  Py_END_ALLOW_THREADS
  if (nout == 1)
    return results[0];
  PyObject *tuple = PyTuple_New(nout);
  if (!tuple) {
    for (Py_ssize_t k = 0; k < nout; ++k)
      Py_DECREF(results[k]);
    return NULL;
  }
  for (Py_ssize_t k = 0; k < nout; ++k)
    PyTuple_SET_ITEM(tuple, k, results[k]);
  return tuple;
}

static PyObject *Caller_call(Caller *self, PyObject *args, PyObject *kwds) {
  Py_ssize_t n = PyTuple_GET_SIZE(args);
  if (n != self->nin || (kwds && PyDict_GET_SIZE(kwds)))
    Py_RETURN_NOTIMPLEMENTED;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject *o = PyTuple_GET_ITEM(args, i);
    Slot *s = &self->slots[i];
    if (!PyArray_CheckExact(o))
      Py_RETURN_NOTIMPLEMENTED;
    PyArrayObject *a = (PyArrayObject *)o;
    if (PyArray_TYPE(a) != s->typenum || PyArray_NDIM(a) != s->ndim ||
        !PyArray_IS_C_CONTIGUOUS(a) ||
        memcmp(PyArray_DIMS(a), s->shape, sizeof(npy_intp) * s->ndim) != 0)
      Py_RETURN_NOTIMPLEMENTED;
    *s->allocated = *s->aligned = PyArray_DATA(a);
  }
  return finish(self);
}

/* call_addresses(addresses): the first len(addresses) inputs by data address, as the caller has
 * already checked them (fourfold.model's torch path: tensor.data_ptr()); the rest were bound. */
static PyObject *Caller_call_addresses(Caller *self, PyObject *addresses) {
  PyObject *seq = PySequence_Fast(addresses, "addresses must be a sequence");
  if (!seq)
    return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  if (n > self->nin) {
    Py_DECREF(seq);
    PyErr_SetString(PyExc_TypeError, "more addresses than arguments");
    return NULL;
  }
  for (Py_ssize_t i = 0; i < n; ++i) {
    void *p = PyLong_AsVoidPtr(PySequence_Fast_GET_ITEM(seq, i));
    if (!p && PyErr_Occurred()) {
      Py_DECREF(seq);
      return NULL;
    }
    *self->slots[i].allocated = *self->slots[i].aligned = p;
  }
  Py_DECREF(seq);
  return finish(self);
}

static PyMethodDef Caller_methods[] = {
    {"call_addresses", (PyCFunction)Caller_call_addresses, METH_O,
     "Call with the first inputs given by data address (already checked), the rest bound"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject CallerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fourfold._fastcall.Caller",
    .tp_basicsize = sizeof(Caller),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Calls a compiled CPU function on exact, C-ordered ndarrays of its argument types; "
              "NotImplemented for anything else",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Caller_init,
    .tp_dealloc = (destructor)Caller_dealloc,
    .tp_call = (ternaryfunc)Caller_call,
    .tp_methods = Caller_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastcall",
                                    "The CPU runtime's per-call path in C", -1, NULL};

PyMODINIT_FUNC PyInit__fastcall(void) {
  import_array();
  if (PyType_Ready(&CallerType) < 0)
    return NULL;
  PyObject *m = PyModule_Create(&module);
  if (!m)
    return NULL;
  Py_INCREF(&CallerType);
  if (PyModule_AddObject(m, "Caller", (PyObject *)&CallerType) < 0) {
    Py_DECREF(&CallerType);
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
