//===- CudaRuntimeWrappers.c - the mgpu* functions over the CUDA driver ---===//
//
// The host code upstream's gpu-to-llvm generates (MLIR 22.1) calls mgpu*
// functions: module load, kernel launch, streams, events, memory. Upstream
// implements them in CudaRuntimeWrappers.cpp, which needs cuda.h and links
// libcuda at build time. This library keeps the same ABI (the signatures are
// those gpu-to-llvm declares in 22.1.8) but opens the driver with dlopen when
// first used, so it builds on a machine with no CUDA headers or driver (this
// one) and runs wherever a driver is (a lent GPU). $FOURFOLD_LIBCUDA names
// another driver library (the tests use a recording stand-in).
//
// Errors: a failing driver call is printed (as upstream does) and the first
// one is kept; fourfold_cuda_error() returns it so the Python caller can raise
// after the call instead of returning garbage. Not provided: the cuSPARSE /
// cuSPARSELt wrappers and mgpuTensorMapEncodeTiledMemref (TMA), which fourfold
// never emits.
//
//===----------------------------------------------------------------------===//

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The slice of the driver API used here, declared by hand (no cuda.h).
typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void *CUcontext, *CUmodule, *CUfunction, *CUstream, *CUevent;

enum {
  CU_STREAM_NON_BLOCKING = 1,
  CU_EVENT_DISABLE_TIMING = 2,
  CU_MEM_ATTACH_GLOBAL = 1,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_OPTIMIZATION_LEVEL = 7,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
  CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION = 4,
};

// cuLaunchKernelEx's configuration (cuda.h 12.x/13.x layout).
typedef struct {
  int id;
  char pad[4];
  union {
    char raw[64];
    struct {
      unsigned x, y, z;
    } clusterDim;
  } value;
} CUlaunchAttribute;

typedef struct {
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  CUstream hStream;
  CUlaunchAttribute *attrs;
  unsigned numAttrs;
} CUlaunchConfig;

// One table of driver entry points, filled once. The _v2 names are the ones
// cuda.h maps the plain names to.
#define FOURFOLD_DRIVER_FUNCTIONS(X)                                           \
  X(cuInit, "cuInit", (unsigned))                                              \
  X(cuDeviceGet, "cuDeviceGet", (CUdevice *, int))                             \
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain",                      \
    (CUcontext *, CUdevice))                                                   \
  X(cuCtxPushCurrent, "cuCtxPushCurrent_v2", (CUcontext))                      \
  X(cuCtxPopCurrent, "cuCtxPopCurrent_v2", (CUcontext *))                      \
  X(cuModuleLoadData, "cuModuleLoadData", (CUmodule *, const void *))          \
  X(cuModuleLoadDataEx, "cuModuleLoadDataEx",                                  \
    (CUmodule *, const void *, unsigned, int *, void **))                      \
  X(cuModuleUnload, "cuModuleUnload", (CUmodule))                              \
  X(cuModuleGetFunction, "cuModuleGetFunction",                                \
    (CUfunction *, CUmodule, const char *))                                    \
  X(cuFuncSetAttribute, "cuFuncSetAttribute", (CUfunction, int, int))          \
  X(cuLaunchKernel, "cuLaunchKernel",                                          \
    (CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,   \
     unsigned, CUstream, void **, void **))                                    \
  X(cuLaunchKernelEx, "cuLaunchKernelEx",                                      \
    (const CUlaunchConfig *, CUfunction, void **, void **))                    \
  X(cuStreamCreate, "cuStreamCreate", (CUstream *, unsigned))                  \
  X(cuStreamDestroy, "cuStreamDestroy_v2", (CUstream))                         \
  X(cuStreamSynchronize, "cuStreamSynchronize", (CUstream))                    \
  X(cuStreamWaitEvent, "cuStreamWaitEvent", (CUstream, CUevent, unsigned))     \
  X(cuEventCreate, "cuEventCreate", (CUevent *, unsigned))                     \
  X(cuEventDestroy, "cuEventDestroy_v2", (CUevent))                            \
  X(cuEventSynchronize, "cuEventSynchronize", (CUevent))                       \
  X(cuEventRecord, "cuEventRecord", (CUevent, CUstream))                       \
  X(cuMemAlloc, "cuMemAlloc_v2", (CUdeviceptr *, size_t))                      \
  X(cuMemAllocManaged, "cuMemAllocManaged", (CUdeviceptr *, size_t, unsigned)) \
  X(cuMemFree, "cuMemFree_v2", (CUdeviceptr))                                  \
  X(cuMemcpyAsync, "cuMemcpyAsync",                                            \
    (CUdeviceptr, CUdeviceptr, size_t, CUstream))                              \
  X(cuMemsetD32Async, "cuMemsetD32Async",                                      \
    (CUdeviceptr, unsigned, size_t, CUstream))                                 \
  X(cuMemsetD16Async, "cuMemsetD16Async",                                      \
    (CUdeviceptr, unsigned short, size_t, CUstream))                           \
  X(cuMemHostRegister, "cuMemHostRegister_v2", (void *, size_t, unsigned))     \
  X(cuMemHostUnregister, "cuMemHostUnregister", (void *))                      \
  X(cuGetErrorName, "cuGetErrorName", (CUresult, const char **))

#define DECLARE(field, symbol, params) CUresult(*field) params;
static struct {
  FOURFOLD_DRIVER_FUNCTIONS(DECLARE)
} driver;
#undef DECLARE

static pthread_once_t loadOnce = PTHREAD_ONCE_INIT;
static pthread_mutex_t errorLock = PTHREAD_MUTEX_INITIALIZER;
static char firstError[512];
static int driverLoaded;

static void recordError(const char *message) {
  fprintf(stderr, "fourfold cuda runtime: %s\n", message);
  pthread_mutex_lock(&errorLock);
  if (!firstError[0])
    snprintf(firstError, sizeof(firstError), "%s", message);
  pthread_mutex_unlock(&errorLock);
}

static void loadDriver(void) {
  const char *path = getenv("FOURFOLD_LIBCUDA");
  void *handle = dlopen(path && *path ? path : "libcuda.so.1",
                        RTLD_NOW | RTLD_LOCAL);
  if (!handle && !(path && *path))
    handle = dlopen("libcuda.so", RTLD_NOW | RTLD_LOCAL);
  char message[400];
  if (!handle) {
    snprintf(message, sizeof(message),
             "no CUDA driver: cannot open %s (%s)",
             path && *path ? path : "libcuda.so.1", dlerror());
    recordError(message);
    return;
  }
#define RESOLVE(field, symbol, params)                                         \
  driver.field = (CUresult(*) params)dlsym(handle, symbol);                    \
  if (!driver.field) {                                                         \
    snprintf(message, sizeof(message),                                         \
             "the CUDA driver has no %s (too old?)", symbol);                  \
    recordError(message);                                                      \
    return;                                                                    \
  }
  FOURFOLD_DRIVER_FUNCTIONS(RESOLVE)
#undef RESOLVE
  driverLoaded = 1;
}

static int haveDriver(void) {
  pthread_once(&loadOnce, loadDriver);
  return driverLoaded;
}

// Returns 1 when the call succeeded; otherwise records "'call' failed with
// 'NAME'" and returns 0.
static int check(CUresult result, const char *call) {
  if (result == 0)
    return 1;
  const char *name = NULL;
  if (driverLoaded)
    driver.cuGetErrorName(result, &name);
  char message[400];
  snprintf(message, sizeof(message), "'%s' failed with '%s' (%d)", call,
           name ? name : "<unknown>", result);
  recordError(message);
  return 0;
}
#define CHECK(call) check(driver.call, #call)

static _Thread_local int32_t defaultDevice = 0;
static CUcontext primaryContext;
static pthread_mutex_t contextLock = PTHREAD_MUTEX_INITIALIZER;

// Make the default device's primary context current for one call (what
// upstream's ScopedContext does). Returns 0 when there is no usable driver.
static int pushContext(void) {
  if (!haveDriver())
    return 0;
  pthread_mutex_lock(&contextLock);
  if (!primaryContext) {
    CUdevice device;
    if (CHECK(cuInit(0)) && CHECK(cuDeviceGet(&device, defaultDevice)))
      CHECK(cuDevicePrimaryCtxRetain(&primaryContext, device));
  }
  CUcontext context = primaryContext;
  pthread_mutex_unlock(&contextLock);
  return context && CHECK(cuCtxPushCurrent(context));
}
static void popContext(void) { CHECK(cuCtxPopCurrent(NULL)); }

// ---- what the Python runtime asks --------------------------------------- //

// The first error since the last clear, or NULL.
const char *fourfold_cuda_error(void) {
  return firstError[0] ? firstError : NULL;
}
void fourfold_cuda_clear_error(void) {
  pthread_mutex_lock(&errorLock);
  firstError[0] = 0;
  pthread_mutex_unlock(&errorLock);
}
// 1 when a driver with every entry point used here could be opened.
int fourfold_cuda_driver_available(void) { return haveDriver(); }

// ---- the mgpu* ABI (MLIR 22.1 gpu-to-llvm) ------------------------------- //

void *mgpuModuleLoad(void *data, size_t size) {
  (void)size; // cuModuleLoadData reads the cubin's own header
  CUmodule module = NULL;
  if (pushContext()) {
    CHECK(cuModuleLoadData(&module, data));
    popContext();
  }
  return module;
}

// PTX (gpu-module-to-binary format=isa): the driver compiles it at load.
void *mgpuModuleLoadJIT(void *data, int optLevel) {
  CUmodule module = NULL;
  if (!pushContext())
    return NULL;
  char log[4096] = {0};
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, (void *)(uintptr_t)sizeof(log),
                    (void *)(uintptr_t)optLevel};
  if (!CHECK(cuModuleLoadDataEx(&module, data, 3, options, values)) && log[0])
    fprintf(stderr, "fourfold cuda runtime: PTX JIT log: %s\n", log);
  popContext();
  return module;
}

void mgpuModuleUnload(void *module) {
  if (module && haveDriver())
    CHECK(cuModuleUnload(module));
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  CUfunction function = NULL;
  if (!haveDriver())
    return NULL;
  if (!module) {
    char message[400];
    snprintf(message, sizeof(message),
             "no module holds kernel %s (its load failed or never ran)", name);
    recordError(message);
    return NULL;
  }
  CHECK(cuModuleGetFunction(&function, module, name));
  return function;
}

// Dynamic shared memory above the 48 KiB default needs the kernel's opt-in.
static void allowSharedMemory(CUfunction function, int32_t smem) {
  if (smem > 48 * 1024)
    CHECK(cuFuncSetAttribute(function,
                             CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                             smem));
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount) {
  (void)paramsCount;
  if (!function) { // already reported by mgpuModuleGetFunction
    recordError("launch of a kernel that was not found");
    return;
  }
  if (!pushContext())
    return;
  allowSharedMemory(function, smem);
  CHECK(cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                       smem, stream, params, extra));
  popContext();
}

void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                             intptr_t clusterY, intptr_t clusterZ,
                             intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                             intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                             int32_t smem, void *stream, void **params,
                             void **extra) {
  if (!function) {
    recordError("launch of a kernel that was not found");
    return;
  }
  if (!pushContext())
    return;
  allowSharedMemory(function, smem);
  CUlaunchAttribute attribute;
  memset(&attribute, 0, sizeof(attribute));
  attribute.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
  attribute.value.clusterDim.x = clusterX;
  attribute.value.clusterDim.y = clusterY;
  attribute.value.clusterDim.z = clusterZ;
  CUlaunchConfig config = {gridX, gridY, gridZ, blockX, blockY, blockZ,
                           smem,  stream, &attribute, 1};
  CHECK(cuLaunchKernelEx(&config, function, params, extra));
  popContext();
}

void *mgpuStreamCreate(void) {
  CUstream stream = NULL;
  if (pushContext()) {
    CHECK(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
    popContext();
  }
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  if (stream && haveDriver())
    CHECK(cuStreamDestroy(stream));
}

void mgpuStreamSynchronize(void *stream) {
  if (haveDriver())
    CHECK(cuStreamSynchronize(stream));
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  if (haveDriver())
    CHECK(cuStreamWaitEvent(stream, event, 0));
}

void *mgpuEventCreate(void) {
  CUevent event = NULL;
  if (pushContext()) {
    CHECK(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
    popContext();
  }
  return event;
}

void mgpuEventDestroy(void *event) {
  if (event && haveDriver())
    CHECK(cuEventDestroy(event));
}

void mgpuEventSynchronize(void *event) {
  if (haveDriver())
    CHECK(cuEventSynchronize(event));
}

void mgpuEventRecord(void *event, void *stream) {
  if (haveDriver())
    CHECK(cuEventRecord(event, stream));
}

// isHostShared: managed memory, reachable from host code and kernels alike
// (gpu.alloc host_shared).
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, int8_t isHostShared) {
  (void)stream;
  CUdeviceptr pointer = 0;
  if (!pushContext())
    return NULL;
  if (isHostShared)
    CHECK(cuMemAllocManaged(&pointer, sizeBytes ? sizeBytes : 1,
                            CU_MEM_ATTACH_GLOBAL));
  else
    CHECK(cuMemAlloc(&pointer, sizeBytes ? sizeBytes : 1));
  popContext();
  return (void *)(uintptr_t)pointer;
}

void mgpuMemFree(void *pointer, void *stream) {
  (void)stream;
  if (pointer && haveDriver())
    CHECK(cuMemFree((CUdeviceptr)(uintptr_t)pointer));
}

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream) {
  if (haveDriver())
    CHECK(cuMemcpyAsync((CUdeviceptr)(uintptr_t)dst,
                        (CUdeviceptr)(uintptr_t)src, sizeBytes, stream));
}

void mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  if (haveDriver())
    CHECK(cuMemsetD32Async((CUdeviceptr)(uintptr_t)dst, value, count, stream));
}

void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  void *stream) {
  if (haveDriver())
    CHECK(cuMemsetD16Async((CUdeviceptr)(uintptr_t)dst, value, count, stream));
}

void mgpuMemHostRegister(void *pointer, uint64_t sizeBytes) {
  if (pushContext()) {
    CHECK(cuMemHostRegister(pointer, sizeBytes, 0));
    popContext();
  }
}

void mgpuMemHostUnregister(void *pointer) {
  if (pushContext()) {
    CHECK(cuMemHostUnregister(pointer));
    popContext();
  }
}

// A ranked memref descriptor: {allocated, aligned, offset, sizes[rank],
// strides[rank]}. Only dense memrefs can be registered as one range.
typedef struct {
  char *allocated, *aligned;
  int64_t offset;
  int64_t sizesAndStrides[];
} Descriptor;

static char *denseRange(int64_t rank, Descriptor *d, int64_t elementSize,
                        uint64_t *bytes) {
  int64_t expected = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    if (d->sizesAndStrides[rank + i] != expected && d->sizesAndStrides[i] != 1) {
      recordError("mgpuMemHostRegisterMemRef: only dense memrefs can be "
                  "registered");
      return NULL;
    }
    expected *= d->sizesAndStrides[i];
  }
  *bytes = (uint64_t)expected * elementSize;
  return d->aligned + d->offset * elementSize;
}

void mgpuMemHostRegisterMemRef(int64_t rank, Descriptor *descriptor,
                               int64_t elementSizeBytes) {
  uint64_t bytes = 0;
  char *pointer = denseRange(rank, descriptor, elementSizeBytes, &bytes);
  if (pointer)
    mgpuMemHostRegister(pointer, bytes);
}

void mgpuMemHostUnregisterMemRef(int64_t rank, Descriptor *descriptor,
                                 int64_t elementSizeBytes) {
  uint64_t bytes = 0;
  char *pointer = denseRange(rank, descriptor, elementSizeBytes, &bytes);
  if (pointer)
    mgpuMemHostUnregister(pointer);
}

void mgpuSetDefaultDevice(int32_t device) { defaultDevice = device; }
