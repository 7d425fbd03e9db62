// A stand-in for the CUDA driver, for testing fourfold's mgpu* runtime on a machine with no GPU:
// memory calls work on host memory, module loads and launches are checked and written to the log
// named by $FAKE_CUDA_LOG (one line per call), kernels do not run. $FAKE_CUDA_FAIL names one
// entry point that fails with CUDA_ERROR_ILLEGAL_ADDRESS (700).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void logf_(const char *fmt, ...) {
  const char *path = getenv("FAKE_CUDA_LOG");
  if (!path) return;
  FILE *f = fopen(path, "a");
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fclose(f);
}
static int fails(const char *name) {
  const char *f = getenv("FAKE_CUDA_FAIL");
  return f && strcmp(f, name) == 0;
}
#define FAIL_IF(name) if (fails(name)) return 700

struct module { char kind[8]; };
struct function { char name[256]; };

CUresult cuInit(unsigned flags) { (void)flags; FAIL_IF("cuInit"); return 0; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return 0; }
CUresult cuDevicePrimaryCtxRetain(void **ctx, int d) { (void)d; *ctx = (void *)0x1; return 0; }
CUresult cuCtxPushCurrent_v2(void *ctx) { return ctx == (void *)0x1 ? 0 : 201; }
CUresult cuCtxPopCurrent_v2(void **ctx) { if (ctx) *ctx = (void *)0x1; return 0; }
CUresult cuModuleLoadData(void **m, const void *data) {
  FAIL_IF("cuModuleLoadData");
  const unsigned char *p = data;
  int elf = p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F';
  logf_("load %s", elf ? "cubin" : "other");
  if (!elf) return 200;  // CUDA_ERROR_INVALID_IMAGE
  *m = calloc(1, sizeof(struct module));
  return 0;
}
CUresult cuModuleLoadDataEx(void **m, const void *data, unsigned n, int *opts, void **vals) {
  (void)n; (void)opts; (void)vals;
  int ptx = strstr((const char *)data, ".entry") != NULL;
  logf_("loadjit %s", ptx ? "ptx" : "other");
  if (!ptx) return 218;  // CUDA_ERROR_INVALID_PTX
  *m = calloc(1, sizeof(struct module));
  return 0;
}
CUresult cuModuleUnload(void *m) { logf_("unload"); free(m); return 0; }
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  (void)m;
  struct function *fn = calloc(1, sizeof(*fn));
  snprintf(fn->name, sizeof(fn->name), "%s", name);
  *f = fn;
  return 0;
}
CUresult cuFuncSetAttribute(void *f, int a, int v) { (void)f; logf_("attribute %d %d", a, v); return 0; }
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned smem, void *stream, void **params, void **extra) {
  (void)stream; (void)extra;
  FAIL_IF("cuLaunchKernel");
  logf_("launch %s %u %u %u %u %u %u %u %s", ((struct function *)f)->name, gx, gy, gz, bx, by, bz, smem,
        params ? "params" : "noparams");
  return 0;
}
CUresult cuLaunchKernelEx(const void *config, void *f, void **params, void **extra) {
  (void)config; (void)params; (void)extra;
  logf_("launchex %s", ((struct function *)f)->name);
  return 0;
}
static int streams, events;
CUresult cuStreamCreate(void **s, unsigned flags) { (void)flags; *s = (void *)(intptr_t)(0x1000 + ++streams); return 0; }
CUresult cuStreamDestroy_v2(void *s) { (void)s; return 0; }
CUresult cuStreamSynchronize(void *s) { (void)s; return 0; }
CUresult cuStreamWaitEvent(void *s, void *e, unsigned f) { (void)s; (void)e; (void)f; return 0; }
CUresult cuEventCreate(void **e, unsigned flags) { (void)flags; *e = (void *)(intptr_t)(0x2000 + ++events); return 0; }
CUresult cuEventDestroy_v2(void *e) { (void)e; return 0; }
CUresult cuEventSynchronize(void *e) { (void)e; return 0; }
CUresult cuEventRecord(void *e, void *s) { (void)e; (void)s; return 0; }
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) { *p = (CUdeviceptr)(uintptr_t)malloc(n); logf_("alloc %zu", n); return 0; }
CUresult cuMemAllocManaged(CUdeviceptr *p, size_t n, unsigned flags) {
  *p = (CUdeviceptr)(uintptr_t)malloc(n);
  logf_("managed %zu %u", n, flags);
  return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); logf_("free"); return 0; }
CUresult cuMemcpyAsync(CUdeviceptr d, CUdeviceptr s, size_t n, void *st) {
  (void)st; memcpy((void *)(uintptr_t)d, (void *)(uintptr_t)s, n); logf_("memcpy %zu", n); return 0;
}
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void *st) {
  (void)st; for (size_t i = 0; i < n; ++i) ((unsigned *)(uintptr_t)d)[i] = v; logf_("memset32 %zu", n); return 0;
}
CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, void *st) {
  (void)st; for (size_t i = 0; i < n; ++i) ((unsigned short *)(uintptr_t)d)[i] = v; return 0;
}
CUresult cuMemHostRegister_v2(void *p, size_t n, unsigned f) { (void)p; (void)f; logf_("register %zu", n); return 0; }
CUresult cuMemHostUnregister(void *p) { (void)p; logf_("unregister"); return 0; }
CUresult cuGetErrorName(CUresult r, const char **name) {
  *name = r == 700 ? "CUDA_ERROR_ILLEGAL_ADDRESS" : r == 200 ? "CUDA_ERROR_INVALID_IMAGE"
        : r == 218 ? "CUDA_ERROR_INVALID_PTX" : "CUDA_ERROR_UNKNOWN";
  return 0;
}
